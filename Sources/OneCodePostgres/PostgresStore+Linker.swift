import Foundation
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage
import PostgresNIO

/// The linker on PostgreSQL: the refresh is `LinkerBook`'s, over `PostgresLinkerTransaction` (which
/// says how the window of new rows is found with several writers). Nothing on the scan path waits
/// for the linker, and the linker waits for nobody.
///
/// **Once at a time.** A refresh holds a session advisory lock for its whole run (taken before its
/// repeatable-read snapshot, so a refresh that waited reads what the previous one wrote); every node's
/// timer may call it, and they take turns. A node that dies mid-refresh ends its session, so the lock
/// passes on at once.
extension PostgresStore: LinkerStore {
    static let linkerLock: Int64 = 0x0C0DE_0003

    /// A profile's columns in the order `builder(from:)` reads them.
    static let profileColumns = """
        p.consumer, p.first_at, p.last_at, p.scans, p.products, p.batches, p.regions, p.last_batch, p.last_region, p.draws, \
        p.prizes_won, p.points, p.ratings, p.rating_sum, p.min_rating, p.consent_at, p.days, p.last_region_at
        """

    /// The decoded columns of `profileColumns`.
    typealias ProfileColumns = (String, Double, Double, Int, String, String, String, Int64?, String?, Int, Int, Int, Int, Int, Int?, Double?, String,
                                Double?)

    static func builder(from row: PostgresRow) throws -> ProfileBuilder {
        builder(from: try row.decode(ProfileColumns.self))
    }

    static func builder(from c: ProfileColumns) -> ProfileBuilder {
        var builder = ProfileBuilder(consumer: c.0)
        builder.firstAt = c.1
        builder.lastAt = c.2
        builder.scans = c.3
        builder.products = ProfileText.integers(c.4)
        builder.batches = ProfileText.integers(c.5)
        builder.regions = ProfileText.regions(c.6)
        builder.lastBatch = c.7
        builder.lastRegion = c.8
        (builder.draws, builder.prizesWon, builder.points, builder.ratings, builder.ratingSum) = (c.9, c.10, c.11, c.12, c.13)
        builder.minRating = c.14
        builder.consentAt = c.15
        builder.days = ProfileText.days(c.16)
        builder.lastRegionAt = c.17
        return builder
    }

    // MARK: - Refresh

    public func refreshLinker(now: Date, full: Bool) async throws -> LinkerRefresh {
        // Claims are read from the outbox by seq: number what has committed first.
        _ = try await sequenceEvents()
        return try await read { db in
            try db.execute("SELECT pg_advisory_lock(\(Self.linkerLock))")
            defer { _ = try? db.execute("SELECT pg_advisory_unlock(\(Self.linkerLock))") }
            // One snapshot for the whole refresh, taken by its first statement, once the lock is held.
            return try Self.transaction(db, begin: "BEGIN ISOLATION LEVEL REPEATABLE READ") { db in
                try LinkerBook.refresh(in: PostgresLinkerTransaction(db), now: now, full: full)
            }
        }
    }

    // MARK: - Segment SQL

    /// `?` placeholders numbered `$first`, `$first+1`, … (the generated SQL has no `?` but its placeholders).
    static func numbered(_ sql: String, from first: Int) -> String {
        var result = "", next = first
        for character in sql {
            if character == "?" {
                result += "$\(next)"
                next += 1
            } else {
                result.append(character)
            }
        }
        return result
    }

    static func append(_ value: SQLValue, to binds: inout PostgresBindings) {
        switch value {
        case let .integer(number): binds.append(number)
        case let .real(number): binds.append(number)
        case let .text(text): binds.append(text)
        }
    }

    /// The consumers a rule selects, evaluated in SQL over the stored profiles (tests compare it with `SegmentRule.matches`).
    func evaluate(_ rule: SegmentRule, now: Date) async throws -> Set<String> {
        try await read { db in
            let (sql, values) = SegmentSQL.condition(rule, now: now.timeIntervalSince1970)
            var binds = PostgresBindings()
            for value in values { Self.append(value, to: &binds) }
            return Set(try db.rows(PostgresQuery(unsafeSQL: "SELECT p.consumer FROM consumer_profile p WHERE \(Self.numbered(sql, from: 1))", binds: binds))
                .map { try $0.decode(String.self) })
        }
    }

    // MARK: - Leads

    public func leads(after: Int64, limit: Int, segment: SegmentID?, minScore: Double?) async throws -> LeadPage {
        try await read { db in
            var sql = "SELECT kind, ref, name, phone, score, reasons, source, created_at, updated_at, seq FROM lead WHERE seq > $1"
            var binds = PostgresBindings()
            binds.append(after)
            // Erased leads pass every filter: a CRM deletes what it imported under any of them.
            if let minScore {
                binds.append(minScore)
                sql += " AND (kind = 'erased' OR score >= $\(binds.count))"
            }
            if let segment {
                binds.append(segment.rawValue)
                sql += " AND (kind = 'erased' OR kind = 'consumer' AND EXISTS (SELECT 1 FROM segment_member m WHERE m.segment_id = $\(binds.count) AND m.consumer = lead.ref COLLATE \"C\"))"
            }
            binds.append(limit + 1)
            sql += " ORDER BY seq LIMIT $\(binds.count)"
            let decoder = JSONDecoder()
            // One snapshot for the page and the newest cursor (a short page has seen everything up to it).
            let rows = try db.rows(PostgresQuery(unsafeSQL: "SELECT *, (SELECT coalesce(max(seq), 0) FROM lead) FROM (\(sql)) page ORDER BY seq",
                                                 binds: binds))
            var newest: Int64 = 0
            var leads = try rows.map { row -> Lead in
                let (kind, ref, name, phone, score, reasons, source, created, updated, seq, top) =
                    try row.decode((String, String, String?, String?, Double, String, String, Double, Double, Int64, Int64).self)
                newest = top
                return Lead(kind: Lead.Kind(rawValue: kind) ?? .consumer, id: ref, name: name, phone: phone, score: score,
                            reasons: (try? decoder.decode([String].self, from: Data(reasons.utf8))) ?? [],
                            source: (try? decoder.decode(Lead.Source.self, from: Data(source.utf8))) ?? Lead.Source(batch: nil, region: nil, store: nil),
                            createdAt: Date(timeIntervalSince1970: created), updatedAt: Date(timeIntervalSince1970: updated), cursor: seq)
            }
            let more = leads.count > limit
            if more { leads.removeLast() }
            try Self.crmRows(db, for: leads).apply(to: &leads)
            if rows.isEmpty { newest = try db.row("SELECT coalesce(max(seq), 0) FROM lead")?.decode(Int64.self) ?? 0 }
            // (Below `after` when `after` is beyond every cursor given: the caller says it is no cursor of this list.)
            return LeadPage(leads: leads, cursor: more ? leads.last!.cursor : newest, more: more)
        }
    }

    // MARK: - Segments and profiles

    static func segment(from row: PostgresRow) throws -> Segment {
        let (id, name, rules, created, refreshed, members) = try row.decode((Int64, String, String, Double, Double?, Int).self)
        return Segment(id: SegmentID(rawValue: id), name: name, rules: rules, createdAt: Date(timeIntervalSince1970: created),
                       refreshedAt: refreshed.map(Date.init(timeIntervalSince1970:)), members: members)
    }

    static let segmentColumns = "id, name, rules, created_at, refreshed_at, members"

    public func createSegment(name: String, rule: SegmentRule, audit: AuditEntry) async throws -> Segment {
        try await write { db in try SegmentBook.create(in: PostgresSegmentTransaction(db: db), name: name, rule: rule, at: Date(), audit: audit) }
    }

    public func updateSegment(_ id: SegmentID, name: String?, rule: SegmentRule?, audit: AuditEntry) async throws -> Segment {
        try await write { db in
            // Between refreshes (a refresh that read the old rule would otherwise fail at its commit).
            try db.execute("SELECT pg_advisory_xact_lock(\(Self.linkerLock))")
            return try SegmentBook.update(in: PostgresSegmentTransaction(db: db), id, name: name, rule: rule, audit: audit)
        }
    }

    public func deleteSegment(_ id: SegmentID, audit: AuditEntry) async throws -> Bool {
        try await write { db in
            try db.execute("SELECT pg_advisory_xact_lock(\(Self.linkerLock))")
            return try SegmentBook.delete(in: PostgresSegmentTransaction(db: db), id, audit: audit)
        }
    }

    public func segments() async throws -> [Segment] {
        try await read { db in try db.rows("SELECT \(unescaped: Self.segmentColumns) FROM segment ORDER BY id").map(Self.segment(from:)) }
    }

    public func segment(_ id: SegmentID) async throws -> Segment? {
        try await read { db in
            try db.row("SELECT \(unescaped: Self.segmentColumns) FROM segment WHERE id = \(id.rawValue)").map(Self.segment(from:))
        }
    }

    public func segmentDays(of segment: SegmentID, from day: String) async throws -> [SegmentDay] {
        try await read { db in
            try db.rows("SELECT day, members, added, removed FROM segment_day WHERE segment_id = \(segment.rawValue) AND day >= \(day) ORDER BY day")
                .map {
                    let (day, members, added, removed) = try $0.decode((String, Int64, Int64, Int64).self)
                    return SegmentDay(day: day, members: Int(members), added: Int(added), removed: Int(removed))
                }
        }
    }

    public func members(of segment: SegmentID, after: String, limit: Int) async throws -> [String] {
        try await read { db in
            // The column sorts bytewise (as SQLite sorts text): a cursor means the same on both, and pages by the key.
            try db.rows("""
                SELECT consumer FROM segment_member WHERE segment_id = \(segment.rawValue) AND consumer > \(after)
                ORDER BY consumer LIMIT \(limit)
                """).map { try $0.decode(String.self) }
        }
    }

    public func memberProfiles(of segment: SegmentID, after: String, limit: Int) async throws -> [ConsumerProfile] {
        try await read { db in
            // The page of members first (its key's range), then each one's profile by its key, compared in the
            // profiles' collation (members sort bytewise): otherwise no index serves the join, and it read every
            // profile (200 ms at a million).
            try db.rows("""
                SELECT \(unescaped: Self.profileColumns) FROM (
                    SELECT consumer FROM segment_member WHERE segment_id = \(segment.rawValue) AND consumer > \(after) ORDER BY consumer LIMIT \(limit)
                ) m JOIN LATERAL (SELECT * FROM consumer_profile WHERE consumer = m.consumer COLLATE "default") p ON true ORDER BY m.consumer
                """).map { try Self.builder(from: $0).profile }
        }
    }

    public func profile(_ consumer: String) async throws -> ConsumerProfile? {
        try await read { db in
            try db.row("SELECT \(unescaped: Self.profileColumns) FROM consumer_profile p WHERE consumer = \(consumer)").map { try Self.builder(from: $0).profile }
        }
    }
}

extension PostgresStore {
    /// The CRM fields of a page of leads: four reads by the page's consumer and batch ids (as on SQLite).
    static func crmRows(_ db: SyncConnection, for leads: [Lead]) throws -> LeadCRMRows {
        var rows = LeadCRMRows()
        let (consumers, batches) = LeadCRMRows.keys(leads)
        if !consumers.isEmpty {
            for row in try db.rows("""
                SELECT consumer, marketing_consented_at, marketing_consent_version, marketing_consent_text FROM consumer_contact
                WHERE consumer = ANY(\(consumers)) AND marketing_consented_at IS NOT NULL
                """) {
                let (consumer, at, version, text) = try row.decode((String, Date, String, String).self)
                rows.contacts[consumer] = (at, version, text)
            }
            for row in try db.rows("""
                SELECT DISTINCT ON (consumer) consumer, rating, comment FROM feedback WHERE consumer = ANY(\(consumers)) ORDER BY consumer, id DESC
                """) {
                let (consumer, rating, comment) = try row.decode((String, Int, String?).self)
                rows.latestRatings[consumer] = (rating, comment)
            }
            for row in try db.rows("""
                SELECT DISTINCT ON (c.consumer) c.consumer, e.campaign_id FROM claim c JOIN entry e ON e.id = c.entry_id
                WHERE c.consumer = ANY(\(consumers)) ORDER BY c.consumer, c.entry_id DESC
                """) {
                let (consumer, campaign) = try row.decode((String, Int64).self)
                rows.latestCampaigns[consumer] = campaign
            }
        }
        if !batches.isEmpty {
            for row in try db.rows("SELECT id, product_id FROM batch WHERE id = ANY(\(batches))") {
                let (batch, product) = try row.decode((Int64, Int64).self)
                rows.batchProducts[batch] = product
            }
        }
        return rows
    }
}

/// Segment rows for `SegmentBook`, in one transaction on the store's connection.
struct PostgresSegmentTransaction: SegmentTransaction {
    let db: SyncConnection

    func appendAudit(_ entry: AuditEntry) throws { try PostgresStore.append(entry, db) }

    func insertSegment(name: String, rules: String, at: Date) throws -> Segment? {
        try db.row("""
            INSERT INTO segment (name, rules, created_at) VALUES (\(name), \(rules), \(at.timeIntervalSince1970))
            ON CONFLICT (name) DO NOTHING RETURNING \(unescaped: PostgresStore.segmentColumns)
            """).map(PostgresStore.segment(from:))
    }

    func segmentExists(_ id: SegmentID) throws -> Bool {
        try db.row("SELECT id FROM segment WHERE id = \(id.rawValue) FOR UPDATE") != nil
    }

    func renameSegment(_ id: SegmentID, to name: String) throws -> Bool {
        guard try db.row("SELECT id FROM segment WHERE name = \(name) AND id <> \(id.rawValue)") == nil else { return false }
        try db.execute("UPDATE segment SET name = \(name) WHERE id = \(id.rawValue)", conflict: SegmentBook.taken(name))
        return true
    }

    func replaceRules(of id: SegmentID, with rules: String) throws {
        try db.execute("UPDATE segment SET rules = \(rules), version = 0 WHERE id = \(id.rawValue)")
    }

    func markMembersChanged(_ id: SegmentID) throws {
        try db.execute("""
            UPDATE consumer_profile SET version = (SELECT version + 1 FROM linker_state WHERE id = 1)
            WHERE consumer IN (SELECT consumer FROM segment_member WHERE segment_id = \(id.rawValue))
            """)
    }

    func deleteSegment(_ id: SegmentID) throws -> Bool {
        try db.execute("DELETE FROM segment_member WHERE segment_id = \(id.rawValue)")
        try db.execute("DELETE FROM segment_day WHERE segment_id = \(id.rawValue)")
        return try db.execute("DELETE FROM segment WHERE id = \(id.rawValue)") == 1
    }

    func segment(_ id: SegmentID) throws -> Segment? {
        try db.row("SELECT \(unescaped: PostgresStore.segmentColumns) FROM segment WHERE id = \(id.rawValue)").map(PostgresStore.segment(from:))
    }
}

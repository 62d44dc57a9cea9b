import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

/// The rows the linker reads and writes, in one PostgreSQL transaction: the only SQL behind
/// `LinkerBook` and `ErasureBook` on PostgreSQL. It decides nothing.
///
/// **The window.** With several writers, ids commit out of order, so a cursor on ids would skip a row
/// committed late. Each source row carries its writing transaction (`tx`), and the refresh keeps the
/// snapshot it read in (`linker_state.snapshot`): the next one reads exactly the rows its own snapshot
/// sees and the last one's did not (`pg_visible_in_snapshot`), whatever order they committed in.
/// Claims come from the outbox by `seq`, which is gap-free already. The refresh runs in one
/// repeatable-read transaction (`PostgresStore.refreshLinker`), so every read sees one snapshot.
final class PostgresLinkerTransaction: LinkerTransaction, ErasureTransaction {
    let db: SyncConnection
    private var snapshot = "", previous: String?
    private var outboxCursor: Int64 = 0, outboxEnd: Int64 = 0
    /// The condition on `tx` that selects the window's rows ("" on a full computation: every row).
    private var fresh = ""
    private var scansOpen = false

    init(_ db: SyncConnection) { self.db = db }

    func emit(_ type: EventType, at: Date, data: EventJSON) throws {
        try PostgresStore.emit(db, type, at: at, data: data)
    }

    // MARK: - Profiles

    func begin(full requested: Bool) throws -> LinkerWindow {
        guard let state = try db.row("""
            SELECT pg_current_snapshot()::text, snapshot::text, version, outbox_cursor, (SELECT coalesce(max(seq), 0) FROM outbox), refreshed_at
            FROM linker_state WHERE id = 1
            """) else { throw PostgresFailure(state: "55000", message: "linker_state has no row; run onecode migrate") }
        let lastVersion: Int64, lastRefreshAt: Double?
        (snapshot, previous, lastVersion, outboxCursor, outboxEnd, lastRefreshAt) = try state.decode((String, String?, Int64, Int64, Int64, Double?).self)
        // Without the last snapshot there is no window to start from.
        let full = requested || previous == nil
        if let previous, !full {
            guard previous.allSatisfy({ $0.isNumber || $0 == ":" || $0 == "," }) else {
                throw PostgresFailure(state: "22P02", message: "linker_state.snapshot is not a snapshot")
            }
            fresh = "AND tx >= pg_snapshot_xmin('\(previous)'::pg_snapshot)::text::bigint AND NOT pg_visible_in_snapshot(tx::text::xid8, '\(previous)'::pg_snapshot)"
        }
        // The refresh sorts every new scan by consumer: a batch job, one at a time, so it may take more
        // memory than a request's statement does (the server's default spills that sort to disk).
        try db.execute("SET LOCAL work_mem = '64MB'")
        // Consumers whose memberships change in this transaction: their leads are scored again.
        try db.execute("CREATE TEMP TABLE linker_touched (consumer text PRIMARY KEY) ON COMMIT DROP")
        return LinkerWindow(lastVersion: lastVersion, full: full, lastRefreshAt: lastRefreshAt)
    }

    func clearProfiles() throws {
        try db.execute("DELETE FROM consumer_profile")
        fresh = ""
        previous = nil
    }

    func batchProducts() throws -> [Int64: Int64] {
        try Dictionary(uniqueKeysWithValues: db.rows("SELECT id, product_id FROM batch").map { try $0.decode((Int64, Int64).self) })
    }

    func nextScans(limit: Int) throws -> [LinkerScan] {
        // The book needs each consumer's scans together, in time order, in any order of consumers: bytewise
        // (COLLATE "C") sorts without the locale's rules, the cheapest sort PostgreSQL has for text.
        if !scansOpen {
            try db.execute(PostgresQuery(unsafeSQL: """
                DECLARE linker_scans NO SCROLL CURSOR FOR
                SELECT consumer, batch_id, region, extract(epoch FROM at)::float8 FROM scan
                WHERE counted AND consumer IS NOT NULL \(fresh) ORDER BY consumer COLLATE "C", at
                """))
            scansOpen = true
        }
        var page: [LinkerScan] = []
        let rows = try db.rows(PostgresQuery(unsafeSQL: "FETCH \(limit) FROM linker_scans"))
        page.reserveCapacity(rows.count)
        for row in rows {
            let (consumer, batch, region, at) = try row.decode((String, Int64?, String?, Double).self)
            page.append(LinkerScan(consumer: consumer, batch: batch, region: region, at: at))
        }
        return page
    }

    func storedProfiles(_ consumers: [String]) throws -> [String: ProfileBuilder] {
        guard !consumers.isEmpty else { return [:] }
        var found: [String: ProfileBuilder] = [:]
        for row in try db.rows("SELECT \(unescaped: PostgresStore.profileColumns) FROM consumer_profile p WHERE consumer = ANY(\(consumers))") {
            let builder = try PostgresStore.builder(from: row)
            found[builder.consumer] = builder
        }
        return found
    }

    func saveProfiles(_ profiles: [ProfileBuilder], version: Int64) throws {
        guard !profiles.isEmpty else { return }
        // One array per column, bound as PostgreSQL arrays (no JSON to write and parse again); a missing value
        // travels as a sentinel the statement turns back into NULL (-1 for a batch, "" for a region, NaN for a time).
        let consumers = profiles.map(\.consumer), firstAt = profiles.map(\.firstAt), lastAt = profiles.map(\.lastAt)
        let scans = profiles.map { Int64($0.scans) }, products = profiles.map { ProfileText.joined($0.products) }
        let batches = profiles.map { ProfileText.joined($0.batches) }, regions = profiles.map { ProfileText.joined($0.regions) }
        let lastBatch = profiles.map { $0.lastBatch ?? -1 }, lastRegion = profiles.map { $0.lastRegion ?? "" }
        let days = profiles.map { ProfileText.joined($0.recentDays) }, lastRegionAt = profiles.map { $0.lastRegionAt ?? .nan }
        try db.execute("""
            INSERT INTO consumer_profile (consumer, first_at, last_at, scans, products, batches, regions, last_batch, last_region, days, version,
                draws, prizes_won, points, ratings, rating_sum, last_region_at)
            SELECT r.consumer, r.first_at, r.last_at, r.scans, r.products, r.batches, r.regions, nullif(r.last_batch, -1), nullif(r.last_region, ''),
                r.days, \(version), 0, 0, 0, 0, 0, nullif(r.last_region_at, 'NaN')
            FROM unnest(\(consumers)::text[], \(firstAt)::float8[], \(lastAt)::float8[], \(scans)::int8[], \(products)::text[], \(batches)::text[],
                        \(regions)::text[], \(lastBatch)::int8[], \(lastRegion)::text[], \(days)::text[], \(lastRegionAt)::float8[])
                AS r(consumer, first_at, last_at, scans, products, batches, regions, last_batch, last_region, days, last_region_at)
            ON CONFLICT (consumer) DO UPDATE SET first_at = excluded.first_at, last_at = excluded.last_at, scans = excluded.scans,
                products = excluded.products, batches = excluded.batches, regions = excluded.regions, last_batch = excluded.last_batch,
                last_region = excluded.last_region, days = excluded.days, version = excluded.version, last_region_at = excluded.last_region_at
            """)
    }

    func lateChanges() throws -> [ScanRegionChange] {
        // Changes to scans the profiles held already (their transaction was in the last snapshot, or
        // they predate transaction numbers); a scan read just now was read with its region as it is.
        guard let previous, !fresh.isEmpty else { return [] }
        return try db.rows(PostgresQuery(unsafeSQL: """
            SELECT consumer, at, old_region, new_region FROM linker_change
            WHERE (scan_tx IS NULL OR pg_visible_in_snapshot(scan_tx::text::xid8, '\(previous)'::pg_snapshot)) \(fresh) ORDER BY id
            """)).map {
            let (consumer, at, old, new) = try $0.decode((String, Double, String?, String?).self)
            return ScanRegionChange(consumer: consumer, at: at, from: old, to: new)
        }
    }

    func addActivity(version: Int64, full: Bool) throws {
        try db.execute(PostgresQuery(unsafeSQL: """
            UPDATE consumer_profile p SET draws = p.draws + d.n, prizes_won = p.prizes_won + d.won, points = p.points + d.points, version = \(version)
            FROM (SELECT consumer, count(*)::int AS n, count(*) FILTER (WHERE result = 'won')::int AS won, sum(points)::int AS points FROM entry
                  WHERE consumer IS NOT NULL \(fresh) GROUP BY consumer) d
            WHERE p.consumer = d.consumer
            """))
        try db.execute(PostgresQuery(unsafeSQL: """
            UPDATE consumer_profile p SET ratings = p.ratings + f.n, rating_sum = p.rating_sum + f.total,
                min_rating = least(coalesce(p.min_rating, 5), f.lowest), version = \(version)
            FROM (SELECT consumer, count(*)::int AS n, sum(rating)::int AS total, min(rating) AS lowest FROM feedback
                  WHERE consumer IS NOT NULL \(fresh) GROUP BY consumer) f
            WHERE p.consumer = f.consumer
            """))
        let claimed = full ? "" : """
            AND p.consumer IN (SELECT body::jsonb #>> '{data,consumer}' FROM outbox
                               WHERE seq > \(outboxCursor) AND seq <= \(outboxEnd) AND type = 'prize.claimed')
            """
        try db.execute(PostgresQuery(unsafeSQL: """
            UPDATE consumer_profile p SET consent_at = extract(epoch FROM c.marketing_consented_at)::float8, version = \(version)
            FROM consumer_contact c WHERE c.consumer = p.consumer \(claimed)
            """))
    }

    func closeWindow(version: Int64, now: Date) throws {
        try db.execute(PostgresQuery(unsafeSQL: """
            UPDATE linker_state SET version = \(version), snapshot = '\(snapshot)'::pg_snapshot, outbox_cursor = \(outboxEnd),
                refreshed_at = \(now.timeIntervalSince1970)
            """))
    }

    // MARK: - Segments

    func segments() throws -> [StoredSegment] {
        try db.rows("SELECT id, rules, version, refreshed_at, members FROM segment ORDER BY id").map {
            let (id, rules, version, refreshedAt, members) = try $0.decode((Int64, String, Int64, Double?, Int).self)
            return StoredSegment(id: id, rules: rules, version: version, refreshedAt: refreshedAt, members: members)
        }
    }

    // segment_member.consumer sorts bytewise (COLLATE "C", as SQLite sorts text); the other tables' consumer
    // columns use the database's collation. A comparison of the two has no collation PostgreSQL can use an
    // index with, so each comparison below names the collation of the index it probes (for equality the two
    // give the same answer): without it, a probe of a segment's members scanned them all.
    func replaceMembers(of segment: Int64, condition: (sql: String, values: [SQLValue])) throws -> (added: Int, removed: Int) {
        try db.execute("SAVEPOINT segment")
        do {
            try db.execute("CREATE TEMP TABLE IF NOT EXISTS linker_wanted (consumer text PRIMARY KEY) ON COMMIT DROP")
            try db.execute("DELETE FROM linker_wanted")
            var binds = PostgresBindings()
            for value in condition.values { PostgresStore.append(value, to: &binds) }
            try db.execute(PostgresQuery(unsafeSQL: """
                INSERT INTO linker_wanted SELECT p.consumer FROM consumer_profile p WHERE \(PostgresStore.numbered(condition.sql, from: 1))
                """, binds: binds))
            // Who leaves and who joins, each in one statement that also notes them (their leads are scored again).
            // Joins are inserted with ON CONFLICT rather than after a NOT EXISTS over the same table: on a first
            // refresh the table's statistics say it is empty, and the planner's nested loop then read the rows the
            // statement itself was adding, once per row (4.5 s for 37,000 members at 2M scans; 0.25 s this way).
            let removed = try db.row("""
                WITH gone AS (
                    DELETE FROM segment_member m WHERE m.segment_id = \(segment)
                    AND NOT EXISTS (SELECT 1 FROM linker_wanted w WHERE w.consumer = m.consumer COLLATE "default") RETURNING consumer),
                noted AS (INSERT INTO linker_touched SELECT consumer FROM gone ON CONFLICT DO NOTHING)
                SELECT count(*)::int FROM gone
                """)?.decode(Int.self) ?? 0
            let added = try db.row("""
                WITH joined AS (
                    INSERT INTO segment_member (segment_id, consumer) SELECT \(segment), consumer FROM linker_wanted ORDER BY consumer COLLATE "C"
                    ON CONFLICT DO NOTHING RETURNING consumer),
                noted AS (INSERT INTO linker_touched SELECT consumer FROM joined ON CONFLICT DO NOTHING)
                SELECT count(*)::int FROM joined
                """)?.decode(Int.self) ?? 0
            try db.execute("RELEASE SAVEPOINT segment")
            return (added, removed)
        } catch let error as PostgresFailure {
            _ = try? db.execute("ROLLBACK TO SAVEPOINT segment")
            throw SegmentEvaluationError(error.message)
        }
    }

    func collectCandidates(changedAfter version: Int64, scannedWithin spans: [(from: Double, to: Double)]) throws {
        try db.execute("CREATE TEMP TABLE IF NOT EXISTS linker_changed (consumer text PRIMARY KEY) ON COMMIT DROP")
        try db.execute("DELETE FROM linker_changed")
        try db.execute("INSERT INTO linker_changed SELECT consumer FROM consumer_profile WHERE version > \(version)")
        for span in spans {
            try db.execute("""
                INSERT INTO linker_changed SELECT DISTINCT consumer FROM scan
                WHERE at >= to_timestamp(\(span.from)) AND at < to_timestamp(\(span.to)) AND consumer IS NOT NULL ON CONFLICT DO NOTHING
                """)
        }
    }

    func candidates(after: String, limit: Int, segments: [Int64]) throws -> [MembershipCandidate] {
        try db.rows("""
            SELECT \(unescaped: PostgresStore.profileColumns),
                   (SELECT coalesce(array_agg(m.segment_id), '{}') FROM segment_member m WHERE m.segment_id = ANY(\(segments)) AND m.consumer = p.consumer COLLATE "C")
            FROM linker_changed c JOIN consumer_profile p ON p.consumer = c.consumer
            WHERE c.consumer > \(after) ORDER BY c.consumer LIMIT \(limit)
            """).map { row in
            let columns = try row.decode((String, Double, Double, Int, String, String, String, Int64?, String?, Int, Int, Int, Int, Int, Int?, Double?,
                                          String, Double?, [Int64]).self)
            let profile = PostgresStore.builder(from: (columns.0, columns.1, columns.2, columns.3, columns.4, columns.5, columns.6, columns.7,
                                                       columns.8, columns.9, columns.10, columns.11, columns.12, columns.13, columns.14, columns.15,
                                                       columns.16, columns.17)).profile
            return MembershipCandidate(profile: profile, memberOf: Set(columns.18))
        }
    }

    func changeMembers(adding: [Membership], removing: [Membership]) throws {
        if !adding.isEmpty {
            try db.execute("INSERT INTO segment_member (segment_id, consumer) SELECT * FROM unnest(\(adding.map(\.segment)), \(adding.map(\.consumer)))")
        }
        if !removing.isEmpty {
            try db.execute("""
                DELETE FROM segment_member m USING unnest(\(removing.map(\.segment)), \(removing.map(\.consumer))) AS d(segment_id, consumer)
                WHERE m.segment_id = d.segment_id AND m.consumer = d.consumer
                """)
        }
        let touched = Array(Set((adding + removing).map(\.consumer)))
        if !touched.isEmpty {
            try db.execute("INSERT INTO linker_touched SELECT unnest(\(touched)) ON CONFLICT DO NOTHING")
        }
    }

    func segmentRefreshed(_ segment: Int64, version: Int64, at now: Date, members: Int) throws {
        try db.execute("UPDATE segment SET version = \(version), refreshed_at = \(now.timeIntervalSince1970), members = \(members) WHERE id = \(segment)")
    }

    func recordSegmentDay(_ segment: Int64, day: String, members: Int, added: Int, removed: Int) throws {
        try db.execute("""
            INSERT INTO segment_day (segment_id, day, members, added, removed) VALUES (\(segment), \(day), \(members), \(added), \(removed))
            ON CONFLICT (segment_id, day) DO UPDATE SET members = excluded.members, added = segment_day.added + excluded.added,
                removed = segment_day.removed + excluded.removed
            """)
    }

    // MARK: - Leads

    func consumerLeadFacts(changedAfter version: Int64, after: String, limit: Int) throws -> [ConsumerLeadFacts] {
        try db.rows("""
            SELECT \(unescaped: PostgresStore.profileColumns), c.name, c.phone,
                   (SELECT coalesce(array_agg(s.name ORDER BY s.name), '{}') FROM segment_member m JOIN segment s ON s.id = m.segment_id
                    WHERE m.consumer = p.consumer COLLATE "C"),
                   (SELECT r.store_id FROM claim k JOIN redemption r ON r.entry_id = k.entry_id WHERE k.consumer = p.consumer
                    ORDER BY r.at DESC LIMIT 1)
            FROM consumer_profile p JOIN consumer_contact c ON c.consumer = p.consumer
            WHERE (p.version > \(version) OR p.consumer IN (SELECT consumer FROM linker_touched)) AND p.consent_at IS NOT NULL
              AND p.consumer > \(after)
            ORDER BY p.consumer LIMIT \(limit)
            """).map { row in
            let profile = try PostgresStore.builder(from: row).profile
            let extra = try row.decode((String, Double, Double, Int, String, String, String, Int64?, String?, Int, Int, Int, Int, Int, Int?, Double?, String,
                                        Double?, String, String, [String], Int64?).self)
            return ConsumerLeadFacts(profile: profile, name: extra.18, phone: extra.19, segments: extra.20, store: extra.21)
        }
    }

    func dealerLeadFacts() throws -> [DealerProfile] { try PostgresStore.dealerProfiles(db) }

    func storeLeadFacts() throws -> [StoreLeadFacts] {
        try db.rows(PostgresQuery(unsafeSQL: """
            SELECT s.id, s.name, s.region, count(r.entry_id)::int, count(DISTINCT e.consumer)::int, coalesce(c.receipts, 0)::int,
                   coalesce(c.units_sold, 0)::int
            FROM store s LEFT JOIN redemption r ON r.store_id = s.id LEFT JOIN entry e ON e.id = r.entry_id
            LEFT JOIN (\(ChannelFactsSQL.stores)) c ON c.store_id = s.id
            GROUP BY s.id, s.name, s.region, c.receipts, c.units_sold ORDER BY s.id
            """)).map {
            let (id, name, region, redemptions, people, receipts, sold) = try $0.decode((Int64, String, String?, Int, Int, Int, Int).self)
            return StoreLeadFacts(id: id, name: name, region: region, redemptions: redemptions, consumers: people, receipts: receipts, unitsSold: sold)
        }
    }

    func leadSequence() throws -> Int64 {
        try db.row("SELECT lead_seq FROM linker_state WHERE id = 1")?.decode(Int64.self) ?? 0
    }

    func storedLeads(_ keys: [LeadKey]) throws -> [LeadKey: LeadRow] {
        guard !keys.isEmpty else { return [:] }
        var found: [LeadKey: LeadRow] = [:]
        for row in try db.rows("""
            SELECT l.kind, l.ref, l.name, l.phone, l.score, l.reasons, l.source, l.created_at, l.seq FROM lead l
            JOIN unnest(\(keys.map(\.kind.rawValue)), \(keys.map(\.ref))) AS w(kind, ref) ON w.kind = l.kind AND w.ref = l.ref
            """) {
            let (kind, ref, name, phone, score, reasons, source, createdAt, seq) =
                try row.decode((String, String, String?, String?, Double, String, String, Double, Int64).self)
            let key = LeadKey(kind: Lead.Kind(rawValue: kind) ?? .consumer, ref: ref)
            found[key] = LeadRow(key: key, name: name, phone: phone, score: score, reasons: reasons, source: source, createdAt: createdAt, seq: seq)
        }
        return found
    }

    func writeLeads(_ leads: [LeadRow], sequence: Int64, at now: Date) throws {
        if !leads.isEmpty {
            var rows = EventJSONArray()
            for lead in leads {
                var row = EventJSON()
                row.add("kind", lead.key.kind.rawValue)
                row.add("ref", lead.key.ref)
                row.add("name", lead.name)
                row.add("phone", lead.phone)
                row.add("score", lead.score)
                row.add("reasons", lead.reasons)
                row.add("source", lead.source)
                row.add("created_at", lead.createdAt)
                row.add("seq", lead.seq)
                rows.append(row)
            }
            try db.execute("""
                INSERT INTO lead (kind, ref, name, phone, score, reasons, source, created_at, updated_at, seq)
                SELECT r.kind, r.ref, r.name, r.phone, r.score, r.reasons, r.source, r.created_at, \(now.timeIntervalSince1970), r.seq
                FROM jsonb_to_recordset(\(rows.text)::jsonb) AS r(kind text, ref text, name text, phone text, score float8, reasons text, source text,
                    created_at float8, seq bigint)
                ON CONFLICT (kind, ref) DO UPDATE SET name = excluded.name, phone = excluded.phone, score = excluded.score, reasons = excluded.reasons,
                    source = excluded.source, updated_at = excluded.updated_at, seq = excluded.seq
                """)
        }
        try db.execute("UPDATE linker_state SET lead_seq = \(sequence)")
    }

    // MARK: - Erasure

    /// `column = $n` for each field (NULL written as such), with their binds after `binds`.
    private func assignments(_ fields: [ErasurePolicy.Field], _ binds: inout PostgresBindings) -> String {
        fields.map { field in
            guard let value = field.becomes else { return "\(field.column) = NULL" }
            PostgresStore.append(value, to: &binds)
            return "\(field.column) = $\(binds.count)"
        }.joined(separator: ", ")
    }

    func delete(from table: String, where key: String, is consumer: String) throws -> Int {
        var binds = PostgresBindings()
        binds.append(consumer)
        return try db.execute(PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE \(key) = $1", binds: binds))
    }

    func anonymise(_ table: String, where key: String, is consumer: String, fields: [ErasurePolicy.Field]) throws -> Int {
        var binds = PostgresBindings()
        binds.append(consumer)
        let set = assignments(fields, &binds)
        return try db.execute(PostgresQuery(unsafeSQL: "UPDATE \(table) SET \(set) WHERE \(key) = $1", binds: binds))
    }

    func anonymiseEvents(_ rule: ErasurePolicy.EventRule, consumer: String) throws -> Int {
        var binds = PostgresBindings()
        binds.append(consumer)
        var body = "body::jsonb"
        for field in rule.fields { body = "jsonb_set(\(body), '{data,\(field)}', 'null', false)" }
        var sql = "UPDATE outbox SET body = \(body)::text WHERE (body::jsonb) #>> '{data,\(rule.match)}' = $1"
        if let only = rule.onlyType { binds.append(only); sql += " AND type = $\(binds.count)" }
        if let except = rule.exceptType { binds.append(except); sql += " AND type <> $\(binds.count)" }
        return try db.execute(PostgresQuery(unsafeSQL: sql, binds: binds))
    }

    func tombstoneLead(of consumer: String, fields: [ErasurePolicy.Field], at now: Date) throws -> Bool {
        // The linker's lock (taken by the caller) keeps lead_seq to one writer at a time, as in a refresh.
        guard try db.row("SELECT EXISTS (SELECT 1 FROM lead WHERE kind = 'consumer' AND ref = \(consumer))")?.decode(Bool.self) ?? false else {
            return false
        }
        // An older marker of the same id (erased before, a lead again since) gives way to the new one.
        try db.execute("DELETE FROM lead WHERE kind = 'erased' AND ref = \(consumer)")
        try db.execute("UPDATE linker_state SET lead_seq = lead_seq + 1 WHERE id = 1")
        var binds = PostgresBindings()
        binds.append(consumer)
        binds.append(now.timeIntervalSince1970)
        let set = assignments(fields, &binds)
        try db.execute(PostgresQuery(unsafeSQL: """
            UPDATE lead SET kind = 'erased', \(set)\(fields.isEmpty ? "" : ", ")updated_at = $2, seq = (SELECT lead_seq FROM linker_state WHERE id = 1)
            WHERE kind = 'consumer' AND ref = $1
            """, binds: binds))
        return true
    }

    func appendAudit(_ entry: AuditEntry) throws { try PostgresStore.append(entry, db) }

    func recountSegments() throws {
        try db.execute("UPDATE segment SET members = (SELECT count(*) FROM segment_member WHERE segment_id = segment.id)")
    }
}

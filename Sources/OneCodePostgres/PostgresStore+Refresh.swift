import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

/// The linker on PostgreSQL: profiles, segments and leads derived from scans, entries, claims and
/// feedback, by the same rules as on SQLite (`ProfileBuilder`, `SegmentRule`, `LeadScore`, `LeadPolicy`).
///
/// **What a refresh reads.** With several writers, ids commit out of order, so a cursor on ids would
/// skip a row committed late. Each source row carries its writing transaction (`tx`), and the refresh
/// keeps the snapshot it read in (`linker_state.snapshot`): the next one reads exactly the rows its own
/// snapshot sees and the last one's did not (`pg_visible_in_snapshot`), whatever order they committed
/// in. Claims come from the outbox by `seq`, which is gap-free already. Nothing on the scan path waits
/// for the linker, and the linker waits for nobody.
///
/// **Once at a time.** A refresh holds a session advisory lock for its whole run (taken before its
/// repeatable-read snapshot, so a refresh that waited reads what the previous one wrote); every node's
/// timer may call it, and they take turns. A node that dies mid-refresh ends its session, so the lock
/// passes on at once.
extension PostgresStore: LinkerStore {
    static let linkerLock: Int64 = 0x0C0DE_0003

    /// With ONECODE_LINKER_TRACE set, each phase's time goes to stderr (for `scripts/bench linker --postgres`).
    static let linkerTrace = ProcessInfo.processInfo.environment["ONECODE_LINKER_TRACE"] != nil

    /// A profile's columns in the order `builder(from:)` reads them.
    static let profileColumns = """
        p.consumer, p.first_at, p.last_at, p.scans, p.products, p.batches, p.regions, p.last_batch, p.last_region, p.draws, \
        p.prizes_won, p.points, p.ratings, p.rating_sum, p.min_rating, p.consent_at, p.days
        """

    /// The decoded columns of `profileColumns`.
    typealias ProfileColumns = (String, Double, Double, Int, String, String, String, Int64?, String?, Int, Int, Int, Int, Int, Int?, Double?, String)

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
                try Self.refresh(db, now: now, full: full)
            }
        }
    }

    /// The whole refresh, inside one repeatable-read transaction.
    static func refresh(_ db: SyncConnection, now: Date, full requested: Bool) throws -> LinkerRefresh {
        guard let state = try db.row("""
            SELECT pg_current_snapshot()::text, snapshot::text, version, outbox_cursor, (SELECT coalesce(max(seq), 0) FROM outbox)
            FROM linker_state WHERE id = 1
            """) else { throw PostgresFailure(state: "55000", message: "linker_state has no row; run onecode migrate") }
        let (snapshot, previous, lastVersion, outboxCursor, outboxEnd) = try state.decode((String, String?, Int64, Int64, Int64).self)
        let full = requested || previous == nil
        var report = LinkerRefresh(full: full)
        var phaseStart = Date()
        func phase(_ name: String) {
            guard linkerTrace else { return }
            FileHandle.standardError.write(Data(String(format: "linker: %@ %.3f s\n", name, Date().timeIntervalSince(phaseStart)).utf8))
            phaseStart = Date()
        }
        let version = lastVersion + 1
        // The rows committed since the last refresh's snapshot (all of them on a full refresh).
        let fresh: String
        if let previous, !full {
            guard previous.allSatisfy({ $0.isNumber || $0 == ":" || $0 == "," }) else {
                throw PostgresFailure(state: "22P02", message: "linker_state.snapshot is not a snapshot")
            }
            fresh = "AND tx >= pg_snapshot_xmin('\(previous)'::pg_snapshot)::text::bigint AND NOT pg_visible_in_snapshot(tx::text::xid8, '\(previous)'::pg_snapshot)"
        } else {
            fresh = ""
        }
        // The refresh sorts every new scan by consumer: a batch job, one at a time, so it may take more
        // memory than a request's statement does (the server's default spills that sort to disk).
        try db.execute("SET LOCAL work_mem = '64MB'")
        if full {
            try db.execute("DELETE FROM segment_member")
            try db.execute("DELETE FROM consumer_profile")
            try db.execute("UPDATE segment SET version = 0, members = 0")
        }
        try db.execute("CREATE TEMP TABLE linker_touched (consumer text PRIMARY KEY) ON COMMIT DROP")
        let products = try Dictionary(uniqueKeysWithValues: db.rows("SELECT id, product_id FROM batch").map { try $0.decode((Int64, Int64).self) })

        // Scans, consumer by consumer, merged into their profiles, a page at a time.
        try db.execute(PostgresQuery(unsafeSQL: """
            DECLARE linker_scans NO SCROLL CURSOR FOR
            SELECT consumer, batch_id, region, extract(epoch FROM at)::float8 FROM scan
            WHERE counted AND consumer IS NOT NULL \(fresh) ORDER BY consumer, at
            """))
        var current: ProfileBuilder?
        var pending: [ProfileBuilder] = []
        while true {
            let rows = try db.rows("FETCH 20000 FROM linker_scans")
            if rows.isEmpty { break }
            var page: [(String, Int64?, String?, Double)] = []
            page.reserveCapacity(rows.count)
            for row in rows { page.append(try row.decode((String, Int64?, String?, Double).self)) }
            // The stored profiles of this page's consumers (an incremental refresh adds to them).
            var stored: [String: ProfileBuilder] = [:]
            if !full {
                var consumers = Array(Set(page.map(\.0)))
                consumers.sort()
                for row in try db.rows("SELECT \(unescaped: profileColumns) FROM consumer_profile p WHERE consumer = ANY(\(consumers))") {
                    let builder = try builder(from: row)
                    stored[builder.consumer] = builder
                }
            }
            for (consumer, batch, region, at) in page {
                if current?.consumer != consumer {
                    if let done = current { pending.append(done) }
                    current = stored[consumer] ?? ProfileBuilder(consumer: consumer)
                }
                current!.add(batch: batch, product: batch.flatMap { products[$0] }, region: region, at: at)
                report.scansRead += 1
            }
            // The last consumer may go on in the next page.
            try save(db, pending, version: version)
            report.profilesChanged += pending.count
            pending.removeAll(keepingCapacity: true)
        }
        if let done = current {
            try save(db, [done], version: version)
            report.profilesChanged += 1
        }
        try db.execute("CLOSE linker_scans")
        phase("scans into profiles")

        // Late region changes to scans the profiles held already (their transaction was in the last
        // snapshot, or they predate transaction numbers); a scan read just now was read with its region as it is.
        if let previous, !full {
            let changes = try db.rows(PostgresQuery(unsafeSQL: """
                SELECT consumer, at, old_region, new_region FROM linker_change
                WHERE (scan_tx IS NULL OR pg_visible_in_snapshot(scan_tx::text::xid8, '\(previous)'::pg_snapshot)) \(fresh) ORDER BY id
                """))
            for change in changes {
                let (consumer, at, old, new) = try change.decode((String, Double, String?, String?).self)
                guard let row = try db.row("SELECT \(unescaped: profileColumns) FROM consumer_profile p WHERE consumer = \(consumer)") else { continue }
                var profile = try builder(from: row)
                profile.moveScan(at: at, from: old, to: new)
                try save(db, [profile], version: version)
                report.profilesChanged += 1
            }
        }

        phase("late changes")
        // Draws, prizes and points; ratings; consent from claims (all of them on a full refresh).
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
            UPDATE consumer_profile p SET consent_at = extract(epoch FROM c.consented_at)::float8, version = \(version)
            FROM consumer_contact c WHERE c.consumer = p.consumer \(claimed)
            """))
        try db.execute(PostgresQuery(unsafeSQL: """
            UPDATE linker_state SET version = \(version), snapshot = '\(snapshot)'::pg_snapshot, outbox_cursor = \(outboxEnd),
                refreshed_at = \(now.timeIntervalSince1970)
            """))

        phase("entries, feedback, contacts")
        // Segments: new and edited ones (all after a full refresh) whole, in SQL; the others from the
        // consumers that changed or that time moved.
        var segments: [(id: Int64, rule: SegmentRule, version: Int64, refreshedAt: Double?, members: Int)] = []
        for row in try db.rows("SELECT id, rules, version, refreshed_at, members FROM segment ORDER BY id") {
            let (id, text, segmentVersion, refreshedAt, members) = try row.decode((Int64, String, Int64, Double?, Int).self)
            do {
                segments.append((id, try SegmentRule.parse(Data(text.utf8)), segmentVersion, refreshedAt, members))
            } catch {
                report.failedSegments.append("segment \(id): its rule no longer parses (\(error)); edit or delete it")
            }
        }
        for segment in segments where segment.version == 0 {
            let (sql, binds) = SegmentSQL.condition(segment.rule, now: now.timeIntervalSince1970)
            try db.execute("SAVEPOINT segment")
            do {
                try db.execute("INSERT INTO linker_touched SELECT consumer FROM segment_member WHERE segment_id = \(segment.id) ON CONFLICT DO NOTHING")
                try db.execute("DELETE FROM segment_member WHERE segment_id = \(segment.id)")
                var all = PostgresBindings()
                all.append(segment.id)
                for value in binds { append(value, to: &all) }
                try db.execute(PostgresQuery(unsafeSQL: """
                    INSERT INTO segment_member (segment_id, consumer) SELECT $1, p.consumer FROM consumer_profile p WHERE \(numbered(sql, from: 2))
                    """, binds: all))
                try db.execute("INSERT INTO linker_touched SELECT consumer FROM segment_member WHERE segment_id = \(segment.id) ON CONFLICT DO NOTHING")
                let members = try db.row("SELECT count(*) FROM segment_member WHERE segment_id = \(segment.id)")?.decode(Int.self) ?? 0
                try db.execute("UPDATE segment SET version = \(version), refreshed_at = \(now.timeIntervalSince1970), members = \(members) WHERE id = \(segment.id)")
                try db.execute("RELEASE SAVEPOINT segment")
                report.membersAdded += max(0, members - segment.members)
                report.membersRemoved += max(0, segment.members - members)
            } catch let error as PostgresFailure {
                _ = try? db.execute("ROLLBACK TO SAVEPOINT segment")
                report.failedSegments.append("segment \(segment.id): could not be evaluated (\(error.message))")
            }
        }
        let (added, removed) = try refreshChangedMembers(db, segments.filter { $0.version > 0 }, version: version, now: now)
        report.membersAdded += added
        report.membersRemoved += removed
        report.segmentsRefreshed = segments.count
        phase("segments")

        let (changed, created) = try refreshLeads(db, since: full ? 0 : lastVersion, now: now)
        phase("leads")
        report.leadsChanged = changed
        report.leadsCreated = created
        return report
    }

    /// Writes profiles (new or merged) in one statement.
    static func save(_ db: SyncConnection, _ profiles: [ProfileBuilder], version: Int64) throws {
        guard !profiles.isEmpty else { return }
        var rows = EventJSONArray()
        for profile in profiles {
            var row = EventJSON()
            row.add("consumer", profile.consumer)
            row.add("first_at", profile.firstAt)
            row.add("last_at", profile.lastAt)
            row.add("scans", profile.scans)
            row.add("products", ProfileText.joined(profile.products))
            row.add("batches", ProfileText.joined(profile.batches))
            row.add("regions", ProfileText.joined(profile.regions))
            row.add("last_batch", profile.lastBatch)
            row.add("last_region", profile.lastRegion)
            row.add("days", ProfileText.joined(profile.recentDays))
            row.add("draws", profile.draws)
            row.add("prizes_won", profile.prizesWon)
            row.add("points", profile.points)
            row.add("ratings", profile.ratings)
            row.add("rating_sum", profile.ratingSum)
            row.add("min_rating", profile.minRating)
            if let consent = profile.consentAt { row.add("consent_at", consent) } else { row.add("consent_at", nil as Int64?) }
            rows.append(row)
        }
        try db.execute("""
            INSERT INTO consumer_profile (consumer, first_at, last_at, scans, products, batches, regions, last_batch, last_region, days, version,
                draws, prizes_won, points, ratings, rating_sum, min_rating, consent_at)
            SELECT r.consumer, r.first_at, r.last_at, r.scans, r.products, r.batches, r.regions, r.last_batch, r.last_region, r.days, \(version),
                r.draws, r.prizes_won, r.points, r.ratings, r.rating_sum, r.min_rating, r.consent_at
            FROM jsonb_to_recordset(\(rows.text)::jsonb) AS r(consumer text, first_at float8, last_at float8, scans int, products text, batches text,
                regions text, last_batch bigint, last_region text, days text, draws int, prizes_won int, points int, ratings int, rating_sum int,
                min_rating int, consent_at float8)
            ON CONFLICT (consumer) DO UPDATE SET first_at = excluded.first_at, last_at = excluded.last_at, scans = excluded.scans,
                products = excluded.products, batches = excluded.batches, regions = excluded.regions, last_batch = excluded.last_batch,
                last_region = excluded.last_region, days = excluded.days, version = excluded.version
            """)
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

    /// Brings filled segments up to date from the consumers whose membership may have changed: profiles
    /// changed since the segments' last refresh, and consumers that time alone may move (scans leaving a
    /// `scans` window, consumers crossing a `lapsed` limit, found from the scans of the times that
    /// crossed). Each rule is decided in Swift (`SegmentRule.matches`), and only differences are written.
    static func refreshChangedMembers(_ db: SyncConnection, _ segments: [(id: Int64, rule: SegmentRule, version: Int64, refreshedAt: Double?, members: Int)],
                                      version: Int64, now: Date) throws -> (added: Int, removed: Int) {
        guard !segments.isEmpty else { return (0, 0) }
        let since = segments.map(\.version).min()!
        let last = segments.compactMap(\.refreshedAt).min() ?? 0
        try db.execute("CREATE TEMP TABLE linker_changed (consumer text PRIMARY KEY) ON COMMIT DROP")
        try db.execute("INSERT INTO linker_changed SELECT consumer FROM consumer_profile WHERE version > \(since)")
        func addScanners(from: Double, to: Double) throws {
            try db.execute("""
                INSERT INTO linker_changed SELECT DISTINCT consumer FROM scan
                WHERE at >= to_timestamp(\(from)) AND at < to_timestamp(\(to)) AND consumer IS NOT NULL ON CONFLICT DO NOTHING
                """)
        }
        for segment in segments {
            for span in segment.rule.crossedSpans(since: last, now: now.timeIntervalSince1970) { try addScanners(from: span.from, to: span.to) }
        }
        let ids = segments.map(\.id)
        var added: [Int64: Int] = [:], removed: [Int64: Int] = [:]
        var inserts: [(Int64, String)] = [], deletes: [(Int64, String)] = [], touched: Set<String> = []
        let candidates = try db.rows("""
            SELECT \(unescaped: profileColumns),
                   (SELECT coalesce(array_agg(m.segment_id), '{}') FROM segment_member m WHERE m.segment_id = ANY(\(ids)) AND m.consumer = p.consumer)
            FROM linker_changed c JOIN consumer_profile p ON p.consumer = c.consumer
            """)
        for row in candidates {
            let profile = try builder(from: row).profile
            let current = Set(try row.decode((String, Double, Double, Int, String, String, String, Int64?, String?, Int, Int, Int, Int, Int, Int?, Double?, String, [Int64]).self).17)
            for segment in segments {
                let wanted = segment.rule.matches(profile, now: now)
                if wanted && !current.contains(segment.id) {
                    inserts.append((segment.id, profile.consumer))
                    added[segment.id, default: 0] += 1
                    touched.insert(profile.consumer)
                } else if !wanted && current.contains(segment.id) {
                    deletes.append((segment.id, profile.consumer))
                    removed[segment.id, default: 0] += 1
                    touched.insert(profile.consumer)
                }
            }
        }
        if !inserts.isEmpty {
            try db.execute("INSERT INTO segment_member (segment_id, consumer) SELECT * FROM unnest(\(inserts.map(\.0)), \(inserts.map(\.1)))")
        }
        if !deletes.isEmpty {
            try db.execute("""
                DELETE FROM segment_member m USING unnest(\(deletes.map(\.0)), \(deletes.map(\.1))) AS d(segment_id, consumer)
                WHERE m.segment_id = d.segment_id AND m.consumer = d.consumer
                """)
        }
        if !touched.isEmpty {
            try db.execute("INSERT INTO linker_touched SELECT unnest(\(Array(touched))) ON CONFLICT DO NOTHING")
        }
        for segment in segments {
            try db.execute("""
                UPDATE segment SET version = \(version), refreshed_at = \(now.timeIntervalSince1970),
                    members = members + \(added[segment.id] ?? 0) - \(removed[segment.id] ?? 0) WHERE id = \(segment.id)
                """)
        }
        return (added.values.reduce(0, +), removed.values.reduce(0, +))
    }

    // MARK: - Leads

    /// Scores consenting consumers whose profiles changed after `since` (all when 0) or whose segments
    /// changed, and every store with redemptions; a lead takes the next cursor only when what it says
    /// changed.
    static func refreshLeads(_ db: SyncConnection, since: Int64, now: Date) throws -> (changed: Int, created: Int) {
        var seq = try db.row("SELECT lead_seq FROM linker_state WHERE id = 1")?.decode(Int64.self) ?? 0
        var changed = 0, created = 0
        var current: [String: (String?, String?, Double, String, String, Double)] = [:]
        func key(_ kind: Lead.Kind, _ ref: String) -> String { kind.rawValue + "\u{1}" + ref }
        var wanted: [(kind: Lead.Kind, ref: String, name: String?, phone: String?, score: Double, reasons: [String], source: Lead.Source)] = []

        let consumers = try db.rows("""
            SELECT \(unescaped: profileColumns), c.name, c.phone,
                   (SELECT coalesce(array_agg(s.name ORDER BY s.name), '{}') FROM segment_member m JOIN segment s ON s.id = m.segment_id
                    WHERE m.consumer = p.consumer),
                   (SELECT r.store_id FROM claim k JOIN redemption r ON r.entry_id = k.entry_id WHERE k.consumer = p.consumer
                    ORDER BY r.at DESC LIMIT 1)
            FROM consumer_profile p JOIN consumer_contact c ON c.consumer = p.consumer
            WHERE (p.version > \(since) OR p.consumer IN (SELECT consumer FROM linker_touched)) AND p.consent_at IS NOT NULL
            """)
        for row in consumers {
            let profile = try builder(from: row).profile
            guard LeadPolicy.isLead(profile) else { continue }
            let extra = try row.decode((String, Double, Double, Int, String, String, String, Int64?, String?, Int, Int, Int, Int, Int, Int?, Double?, String,
                                        String, String, [String], Int64?).self)
            let (score, reasons) = LeadScore.consumer(profile, segments: extra.19, now: now)
            wanted.append((.consumer, profile.consumer, extra.17, extra.18, score, reasons,
                           Lead.Source(batch: profile.lastBatch, region: profile.lastRegion, store: extra.20)))
        }
        for row in try db.rows("""
            SELECT s.id, s.name, s.region, count(*)::int, count(DISTINCT e.consumer)::int FROM store s
            JOIN redemption r ON r.store_id = s.id JOIN entry e ON e.id = r.entry_id GROUP BY s.id
            """) {
            let (id, name, region, redemptions, people) = try row.decode((Int64, String, String?, Int, Int).self)
            let (score, reasons) = LeadScore.store(redemptions: redemptions, consumers: people)
            wanted.append((.store, String(id), name, nil, score, reasons, Lead.Source(batch: nil, region: region, store: id)))
        }
        guard !wanted.isEmpty else { return (0, 0) }
        for row in try db.rows("""
            SELECT l.kind, l.ref, l.name, l.phone, l.score, l.reasons, l.source, l.created_at FROM lead l
            JOIN unnest(\(wanted.map(\.kind.rawValue)), \(wanted.map(\.ref))) AS w(kind, ref) ON w.kind = l.kind AND w.ref = l.ref
            """) {
            let (kind, ref, name, phone, score, reasons, source, createdAt) = try row.decode((String, String, String?, String?, Double, String, String, Double).self)
            current[kind + "\u{1}" + ref] = (name, phone, score, reasons, source, createdAt)
        }
        var rows = EventJSONArray()
        for lead in wanted {
            let reasonsText = String(decoding: try leadEncoder.encode(lead.reasons), as: UTF8.self)
            let sourceText = String(decoding: try leadEncoder.encode(lead.source), as: UTF8.self)
            let old = current[key(lead.kind, lead.ref)]
            if let old, old.0 == lead.name, old.1 == lead.phone, old.2 == lead.score, old.3 == reasonsText, old.4 == sourceText { continue }
            seq += 1
            changed += 1
            var row = EventJSON()
            row.add("kind", lead.kind.rawValue)
            row.add("ref", lead.ref)
            row.add("name", lead.name)
            row.add("phone", lead.phone)
            row.add("score", lead.score)
            row.add("reasons", reasonsText)
            row.add("source", sourceText)
            row.add("created_at", old?.5 ?? now.timeIntervalSince1970)
            row.add("seq", seq)
            rows.append(row)
            if old == nil {
                created += 1
                try emit(db, .leadCreated, at: now, data: Lead.createdEvent(kind: lead.kind, id: lead.ref, name: lead.name, phone: lead.phone,
                                                                          score: lead.score, reasons: lead.reasons, source: lead.source))
            }
        }
        if !rows.isEmpty {
            try db.execute("""
                INSERT INTO lead (kind, ref, name, phone, score, reasons, source, created_at, updated_at, seq)
                SELECT r.kind, r.ref, r.name, r.phone, r.score, r.reasons, r.source, r.created_at, \(now.timeIntervalSince1970), r.seq
                FROM jsonb_to_recordset(\(rows.text)::jsonb) AS r(kind text, ref text, name text, phone text, score float8, reasons text, source text,
                    created_at float8, seq bigint)
                ON CONFLICT (kind, ref) DO UPDATE SET name = excluded.name, phone = excluded.phone, score = excluded.score, reasons = excluded.reasons,
                    source = excluded.source, updated_at = excluded.updated_at, seq = excluded.seq
                """)
        }
        try db.execute("UPDATE linker_state SET lead_seq = \(seq)")
        return (changed, created)
    }

    /// Encodes a lead's reasons and source as stored (sorted keys, as on SQLite).
    static let leadEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

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
                sql += " AND (kind = 'erased' OR kind = 'consumer' AND EXISTS (SELECT 1 FROM segment_member m WHERE m.segment_id = $\(binds.count) AND m.consumer = lead.ref))"
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

    public func createSegment(name: String, rule: SegmentRule) async throws -> Segment {
        let name = try Name.validate(name, field: "name", maximum: 100)
        let taken = ConflictError("name", "a segment named '\(name)' exists already")
        return try await write { db in
            let row = try db.execute("""
                INSERT INTO segment (name, rules, created_at) VALUES (\(name), \(rule.jsonText), \(Date().timeIntervalSince1970))
                RETURNING \(unescaped: Self.segmentColumns)
                """, conflict: taken).rows.first
            return try Self.segment(from: row!)
        }
    }

    public func updateSegment(_ id: SegmentID, name: String?, rule: SegmentRule?) async throws -> Segment {
        let name = try name.map { try Name.validate($0, field: "name", maximum: 100) }
        return try await write { db in
            // Between refreshes (a refresh that read the old rule would otherwise fail at its commit).
            try db.execute("SELECT pg_advisory_xact_lock(\(Self.linkerLock))")
            guard try db.row("SELECT id FROM segment WHERE id = \(id.rawValue) FOR UPDATE") != nil else {
                throw NotFoundError("id", "no segment with id \(id)")
            }
            if let name {
                try db.execute("UPDATE segment SET name = \(name) WHERE id = \(id.rawValue)",
                               conflict: ConflictError("name", "a segment named '\(name)' exists already"))
                // Lead reasons name the segment.
                try Self.markMembersChanged(db, id)
            }
            if let rule {
                // Version 0: the next refresh evaluates it whole, and re-scores its former and new members' leads.
                try db.execute("UPDATE segment SET rules = \(rule.jsonText), version = 0 WHERE id = \(id.rawValue)")
            }
            return try Self.segment(from: db.row("SELECT \(unescaped: Self.segmentColumns) FROM segment WHERE id = \(id.rawValue)")!)
        }
    }

    public func deleteSegment(_ id: SegmentID) async throws -> Bool {
        try await write { db in
            try db.execute("SELECT pg_advisory_xact_lock(\(Self.linkerLock))")
            try Self.markMembersChanged(db, id)
            try db.execute("DELETE FROM segment_member WHERE segment_id = \(id.rawValue)")
            return try db.execute("DELETE FROM segment WHERE id = \(id.rawValue)") == 1
        }
    }

    /// Marks the segment's members' profiles as changed for the next refresh, so their leads (whose
    /// reasons name their segments) are scored again.
    static func markMembersChanged(_ db: SyncConnection, _ id: SegmentID) throws {
        try db.execute("""
            UPDATE consumer_profile SET version = (SELECT version + 1 FROM linker_state WHERE id = 1)
            WHERE consumer IN (SELECT consumer FROM segment_member WHERE segment_id = \(id.rawValue))
            """)
    }

    public func segments() async throws -> [Segment] {
        try await read { db in try db.rows("SELECT \(unescaped: Self.segmentColumns) FROM segment ORDER BY id").map(Self.segment(from:)) }
    }

    public func segment(_ id: SegmentID) async throws -> Segment? {
        try await read { db in
            try db.row("SELECT \(unescaped: Self.segmentColumns) FROM segment WHERE id = \(id.rawValue)").map(Self.segment(from:))
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
            try db.rows("""
                SELECT \(unescaped: Self.profileColumns) FROM segment_member m JOIN consumer_profile p ON p.consumer = m.consumer
                WHERE m.segment_id = \(segment.rawValue) AND m.consumer > \(after) ORDER BY m.consumer LIMIT \(limit)
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
            for row in try db.rows("SELECT consumer, consented_at, consent_version, consent_text FROM consumer_contact WHERE consumer = ANY(\(consumers))") {
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

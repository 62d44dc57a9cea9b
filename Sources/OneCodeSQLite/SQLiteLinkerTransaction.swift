import Foundation
import GRDB
import GRDBSQLite
import OneCodeDomain
import OneCodeStorage

/// The rows the linker reads and writes, in one transaction of the linker's connection (`LinkerFile`):
/// the only SQL behind `LinkerBook` and `ErasureBook` on SQLite. It decides nothing.
///
/// **The window.** Cursors by id into scans, entries, feedback, the outbox and late changes: sound
/// because SQLite commits ids in order (one write lock; see OutboxStore's "Cursors never skip"), and
/// the whole refresh reads the database in one snapshot (a deferred transaction that writes only the
/// linker's file): every id up to the window's end is committed in it.
///
/// **Pending.** In a refresh (`pending`), leads and events are written to the linker's file and moved
/// into the database after the commit (`LinkerFile.flushPending`); erasure writes both files directly.
final class SQLiteLinkerTransaction: LinkerTransaction, ErasureTransaction {
    let db: Database
    let pending: Bool
    /// The window: after the cursors, up to the ends.
    private var cursors = Window(), ends = Window()
    private var scans: Statement?
    /// Once the scans' statement is done (stepping it again would start it over).
    private var scansDone = false

    struct Window {
        var scan: Int64 = 0, entry: Int64 = 0, feedback: Int64 = 0, outbox: Int64 = 0, change: Int64 = 0
    }

    init(_ db: Database, pending: Bool) {
        self.db = db
        self.pending = pending
    }

    func emit(_ type: EventType, at: Date, data: EventJSON) throws {
        guard pending else { return try SQLiteStore.emit(db, type, at: at, data: data) }
        let (id, body) = OutboxEvent.envelope(type, at: at, data: data)
        try db.cachedStatement(sql: "INSERT INTO event_pending (event_id, type, body, created_at) VALUES (?, ?, ?, ?)")
            .execute(arguments: [id, type.rawValue, body, at.timeIntervalSince1970])
    }

    // MARK: - Profiles

    func begin(full requested: Bool) throws -> LinkerWindow {
        let state = try Row.fetchOne(db, sql: "SELECT * FROM linker_state WHERE id = 1")!
        cursors = Window(scan: state["scan_cursor"], entry: state["entry_cursor"], feedback: state["feedback_cursor"],
                         outbox: state["outbox_cursor"], change: state["change_cursor"])
        func end(_ table: String) throws -> Int64 { try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM \(table)") ?? 0 }
        ends = Window(scan: try end("scan"), entry: try end("entry"), feedback: try end("feedback"), outbox: try end("outbox"),
                      change: try end("linker_change"))
        // Consumers whose memberships change in this transaction: their leads are scored again.
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS linker_touched (consumer TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM linker_touched")
        // No window to go on from: a new linker file, or a database that is not the one its cursors were
        // read from (restored from a backup under it: the scan at the cursor is not the scan read then).
        let cursorScanAt = cursors.scan == 0 ? nil : try Double.fetchOne(db, sql: "SELECT at FROM scan WHERE id = ?", arguments: [cursors.scan])
        let lost = state["version"] as Int64 == 0 || cursors.scan > ends.scan || cursorScanAt != state["scan_cursor_at"]
        return LinkerWindow(lastVersion: state["version"], full: requested || lost, lastRefreshAt: state["refreshed_at"])
    }

    func clearProfiles() throws {
        try db.execute(sql: "DELETE FROM consumer_profile")
        cursors = Window()
    }

    func batchProducts() throws -> [Int64: Int64] {
        try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT id, product_id FROM batch").map { ($0[0] as Int64, $0[1] as Int64) })
    }

    /// This reads every new scan (all of them on a full computation), so it steps the statement with
    /// SQLite's C API and makes a String only when the consumer changes; region names are interned.
    private var previous: [UInt8] = []
    private var previousConsumer = ""
    private var regionNames: [[UInt8]: String] = [:]

    func nextScans(limit: Int) throws -> [LinkerScan] {
        guard !scansDone else { return [] }
        if scans == nil {
            let statement = try db.makeStatement(sql: """
                SELECT consumer, batch_id, region, at FROM scan
                WHERE id > ? AND id <= ? AND counted = 1 AND consumer IS NOT NULL ORDER BY consumer
                """)
            try statement.setArguments([cursors.scan, ends.scan])
            scans = statement
        }
        let handle = scans!.sqliteStatement
        var page: [LinkerScan] = []
        page.reserveCapacity(limit)
        while page.count < limit {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE {
                scansDone = true
                break
            }
            guard code == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage) }
            let length = Int(sqlite3_column_bytes(handle, 0))
            guard let text = sqlite3_column_text(handle, 0) else { continue }
            if length != previous.count || memcmp(text, previous, length) != 0 {
                previous = Array(UnsafeBufferPointer(start: text, count: length))
                previousConsumer = String(decoding: previous, as: UTF8.self)
            }
            let batch: Int64? = sqlite3_column_type(handle, 1) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, 1)
            var region: String?
            if sqlite3_column_type(handle, 2) != SQLITE_NULL, let bytes = sqlite3_column_text(handle, 2) {
                let key = Array(UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, 2))))
                region = regionNames[key] ?? {
                    let name = String(decoding: key, as: UTF8.self)
                    regionNames[key] = name
                    return name
                }()
            }
            page.append(LinkerScan(consumer: previousConsumer, batch: batch, region: region, at: sqlite3_column_double(handle, 3)))
        }
        return page
    }

    func storedProfiles(_ consumers: [String]) throws -> [String: ProfileBuilder] {
        var found: [String: ProfileBuilder] = [:]
        found.reserveCapacity(consumers.count)
        // One statement for the page (its consumers as a JSON array), its rows read in place.
        let list = String(decoding: try JSONEncoder().encode(consumers), as: UTF8.self)
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT \(profileColumns) FROM consumer_profile p WHERE p.consumer IN (SELECT value FROM json_each(?))
            """), arguments: [list])
        while let row = try rows.next() {
            let builder = SQLiteStore.builder(from: row)
            found[builder.consumer] = builder
        }
        return found
    }

    func saveProfiles(_ profiles: [ProfileBuilder], version: Int64) throws {
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO consumer_profile (consumer, first_at, last_at, scans, products, batches, regions, last_batch, last_region, days, version,
                last_region_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (consumer) DO UPDATE SET first_at = excluded.first_at, last_at = excluded.last_at, scans = excluded.scans,
                products = excluded.products, batches = excluded.batches, regions = excluded.regions, last_batch = excluded.last_batch,
                last_region = excluded.last_region, days = excluded.days, version = excluded.version, last_region_at = excluded.last_region_at
            """)
        for profile in profiles {
            upsert.setUncheckedArguments([
                profile.consumer, profile.firstAt, profile.lastAt, profile.scans, ProfileText.joined(profile.products),
                ProfileText.joined(profile.batches), ProfileText.joined(profile.regions), profile.lastBatch, profile.lastRegion,
                ProfileText.joined(profile.recentDays), version, profile.lastRegionAt,
            ])
            try upsert.execute()
        }
    }

    func lateChanges() throws -> [ScanRegionChange] {
        // A change to a scan this refresh read is already in its row.
        try Row.fetchAll(db, sql: """
            SELECT consumer, at, old_region, new_region FROM linker_change WHERE id > ? AND id <= ? AND scan_id <= ? ORDER BY id
            """, arguments: [cursors.change, ends.change, cursors.scan]).map {
            ScanRegionChange(consumer: $0[0], at: $0[1], from: $0[2], to: $0[3])
        }
    }

    func addActivity(version: Int64, full: Bool) throws {
        try db.execute(sql: """
            UPDATE consumer_profile SET draws = draws + d.new_draws, prizes_won = prizes_won + d.new_won, points = points + d.new_points, version = ?
            FROM (SELECT consumer AS who, count(*) AS new_draws, sum(result = 'won') AS new_won, sum(points) AS new_points FROM entry
                  WHERE id > ? AND id <= ? AND consumer IS NOT NULL GROUP BY consumer) AS d
            WHERE consumer_profile.consumer = d.who
            """, arguments: [version, cursors.entry, ends.entry])
        try db.execute(sql: """
            UPDATE consumer_profile SET ratings = ratings + f.n, rating_sum = rating_sum + f.total,
                min_rating = min(coalesce(min_rating, 5), f.lowest), version = ?
            FROM (SELECT consumer AS who, count(*) AS n, sum(rating) AS total, min(rating) AS lowest FROM feedback
                  WHERE id > ? AND id <= ? AND consumer IS NOT NULL GROUP BY consumer) AS f
            WHERE consumer_profile.consumer = f.who
            """, arguments: [version, cursors.feedback, ends.feedback])
        // Marketing consent (what makes a lead): every contact on a full computation, else from claims in the window.
        let claimed = full ? "" : """
            AND c.consumer IN (SELECT json_extract(body, '$.data.consumer') FROM outbox WHERE id > \(cursors.outbox) AND id <= \(ends.outbox)
                               AND type = 'prize.claimed')
            """
        try db.execute(sql: """
            UPDATE consumer_profile SET consent_at = c.marketing_consented_at, version = ?
            FROM consumer_contact c WHERE c.consumer = consumer_profile.consumer \(claimed)
            """, arguments: [version])
    }

    func closeWindow(version: Int64, now: Date) throws {
        try db.execute(sql: """
            UPDATE linker_state SET version = ?, scan_cursor = ?, scan_cursor_at = (SELECT at FROM scan WHERE id = ?), entry_cursor = ?,
                feedback_cursor = ?, outbox_cursor = ?, change_cursor = ?, refreshed_at = ?
            """, arguments: [version, ends.scan, ends.scan, ends.entry, ends.feedback, ends.outbox, ends.change, now.timeIntervalSince1970])
    }

    // MARK: - Segments

    func segments() throws -> [StoredSegment] {
        // A segment whose rules are not those its state was computed for is evaluated whole (version 0).
        try Row.fetchAll(db, sql: """
            SELECT s.id, s.rules, CASE WHEN st.rules = s.rules THEN st.version ELSE 0 END, st.refreshed_at, coalesce(st.members, 0)
            FROM segment s LEFT JOIN segment_state st ON st.id = s.id ORDER BY s.id
            """).map {
            StoredSegment(id: $0[0], rules: $0[1], version: $0[2], refreshedAt: $0[3], members: $0[4])
        }
    }

    func replaceMembers(of segment: Int64, condition: (sql: String, values: [SQLValue])) throws -> (added: Int, removed: Int) {
        var result = (added: 0, removed: 0)
        do {
            try db.inSavepoint {
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS linker_wanted (consumer TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM linker_wanted")
                try db.execute(sql: "INSERT INTO linker_wanted SELECT p.consumer FROM consumer_profile p WHERE \(condition.sql)",
                               arguments: StatementArguments(condition.values.map(SQLiteStore.databaseValue)))
                // Who leaves and who joins: their leads are scored again.
                try db.execute(sql: """
                    INSERT OR IGNORE INTO linker_touched SELECT consumer FROM segment_member
                    WHERE segment_id = ?1 AND consumer NOT IN (SELECT consumer FROM linker_wanted)
                    """, arguments: [segment])
                try db.execute(sql: "DELETE FROM segment_member WHERE segment_id = ?1 AND consumer NOT IN (SELECT consumer FROM linker_wanted)",
                               arguments: [segment])
                result.removed = db.changesCount
                try db.execute(sql: """
                    INSERT OR IGNORE INTO linker_touched SELECT consumer FROM linker_wanted
                    WHERE consumer NOT IN (SELECT consumer FROM segment_member WHERE segment_id = ?1)
                    """, arguments: [segment])
                try db.execute(sql: """
                    INSERT INTO segment_member (segment_id, consumer) SELECT ?1, consumer FROM linker_wanted
                    WHERE consumer NOT IN (SELECT consumer FROM segment_member WHERE segment_id = ?1)
                    """, arguments: [segment])
                result.added = db.changesCount
                return .commit
            }
        } catch let error as DatabaseError {
            // The message only: never the statement, which holds the rule's values.
            throw SegmentEvaluationError(error.message ?? "SQLite error \(error.resultCode)")
        }
        return result
    }

    func collectCandidates(changedAfter version: Int64, scannedWithin spans: [(from: Double, to: Double)]) throws {
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS linker_changed (consumer TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM linker_changed")
        try db.execute(sql: "INSERT INTO linker_changed SELECT consumer FROM consumer_profile WHERE version > ?", arguments: [version])
        for span in spans {
            // Scans are appended in time order, within the few milliseconds a group commit spans: the id
            // bounds are widened by a minute, the times then exact.
            let (low, high) = (try scanID(atOrAfter: span.from - 60), try scanID(atOrAfter: span.to + 60))
            try db.execute(sql: """
                INSERT OR IGNORE INTO linker_changed SELECT DISTINCT consumer FROM scan
                WHERE id >= ? AND id < ? AND at >= ? AND at < ? AND consumer IS NOT NULL
                """, arguments: [low, high, span.from, span.to])
        }
    }

    /// The first scan id whose time is at or after `at`.
    private func scanID(atOrAfter at: Double) throws -> Int64 {
        var low: Int64 = 1, high: Int64 = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM scan") ?? 0) + 1
        let probe = try db.cachedStatement(sql: "SELECT at FROM scan WHERE id >= ? ORDER BY id LIMIT 1")
        while low < high {
            let middle = (low + high) / 2
            if let value = try Double.fetchOne(probe, arguments: [middle]), value < at { low = middle + 1 } else { high = middle }
        }
        return low
    }

    func candidates(after: String, limit: Int, segments: [Int64]) throws -> [MembershipCandidate] {
        try Row.fetchAll(db, sql: """
            SELECT \(profileColumns), (SELECT group_concat(m.segment_id) FROM segment_member m
                WHERE m.segment_id IN (\(segments.map(String.init).joined(separator: ","))) AND m.consumer = p.consumer)
            FROM linker_changed c JOIN consumer_profile p ON p.consumer = c.consumer
            WHERE c.consumer > ? ORDER BY c.consumer LIMIT ?
            """, arguments: [after, limit]).map {
            MembershipCandidate(profile: SQLiteStore.profile(from: $0), memberOf: Set(ProfileText.integers($0[18] as String? ?? "")))
        }
    }

    func changeMembers(adding: [Membership], removing: [Membership]) throws {
        let insert = try db.cachedStatement(sql: "INSERT INTO segment_member (segment_id, consumer) VALUES (?, ?)")
        let delete = try db.cachedStatement(sql: "DELETE FROM segment_member WHERE segment_id = ? AND consumer = ?")
        let touch = try db.cachedStatement(sql: "INSERT OR IGNORE INTO linker_touched (consumer) VALUES (?)")
        for member in adding {
            try insert.execute(arguments: [member.segment, member.consumer])
            try touch.execute(arguments: [member.consumer])
        }
        for member in removing {
            try delete.execute(arguments: [member.segment, member.consumer])
            try touch.execute(arguments: [member.consumer])
        }
    }

    func segmentRefreshed(_ segment: Int64, version: Int64, at now: Date, members: Int) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO segment_state (id, rules, version, refreshed_at, members) SELECT id, rules, ?, ?, ? FROM segment WHERE id = ?
            """, arguments: [version, now.timeIntervalSince1970, members, segment])
    }

    func recordSegmentDay(_ segment: Int64, day: String, members: Int, added: Int, removed: Int) throws {
        try db.execute(sql: """
            INSERT INTO segment_day (segment_id, day, members, added, removed) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (segment_id, day) DO UPDATE SET members = excluded.members, added = added + excluded.added, removed = removed + excluded.removed
            """, arguments: [segment, day, members, added, removed])
    }

    // MARK: - Leads

    func consumerLeadFacts(changedAfter version: Int64, after: String, limit: Int) throws -> [ConsumerLeadFacts] {
        let segmentNames = try db.cachedStatement(sql: """
            SELECT s.name FROM segment s JOIN segment_member m ON m.segment_id = s.id AND m.consumer = ? ORDER BY s.name
            """)
        let storeOf = try db.cachedStatement(sql: """
            SELECT r.store_id FROM claim c JOIN redemption r ON r.entry_id = c.entry_id WHERE c.consumer = ? ORDER BY r.at DESC LIMIT 1
            """)
        return try Row.fetchAll(db, sql: """
            SELECT \(profileColumns), c.name, c.phone FROM consumer_profile p JOIN consumer_contact c ON c.consumer = p.consumer
            WHERE (p.version > ? OR p.consumer IN (SELECT consumer FROM temp.linker_touched)) AND p.consent_at IS NOT NULL AND p.consumer > ?
            ORDER BY p.consumer LIMIT ?
            """, arguments: [version, after, limit]).map { row in
            let profile = SQLiteStore.profile(from: row)
            return ConsumerLeadFacts(profile: profile, name: row[18], phone: row[19],
                                     segments: try String.fetchAll(segmentNames, arguments: [profile.consumer]),
                                     store: try Int64.fetchOne(storeOf, arguments: [profile.consumer]))
        }
    }

    func dealerLeadFacts() throws -> [DealerProfile] { try SQLiteStore.dealerProfiles(db) }

    func storeLeadFacts() throws -> [StoreLeadFacts] {
        try Row.fetchAll(db, sql: SQLiteStore.storeFactsSQL).map {
            StoreLeadFacts(id: $0[0], name: $0[1], region: $0[2], redemptions: $0[3], consumers: $0[4], receipts: $0[5], unitsSold: $0[6])
        }
    }

    /// The last cursor given: the linker's count, the database's leads (a copy or an erasure may have
    /// moved it on) and those on their way there.
    static let lastSequence = """
        max((SELECT lead_seq FROM linker_state WHERE id = 1), (SELECT coalesce(max(seq), 0) FROM onecode.lead),
            (SELECT coalesce(max(seq), 0) FROM lead_pending))
        """

    func leadSequence() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT \(Self.lastSequence)") ?? 0
    }

    func storedLeads(_ keys: [LeadKey]) throws -> [LeadKey: LeadRow] {
        // A lead on its way into the database is newer than the one there.
        let current = try db.cachedStatement(sql: """
            SELECT name, phone, score, reasons, source, created_at, seq FROM (
                SELECT *, 0 AS rank FROM lead_pending WHERE kind = ?1 AND ref = ?2 UNION ALL SELECT *, 1 FROM onecode.lead WHERE kind = ?1 AND ref = ?2)
            ORDER BY rank LIMIT 1
            """)
        var found: [LeadKey: LeadRow] = [:]
        for key in keys {
            if let row = try Row.fetchOne(current, arguments: [key.kind.rawValue, key.ref]) {
                found[key] = LeadRow(key: key, name: row[0], phone: row[1], score: row[2], reasons: row[3], source: row[4], createdAt: row[5], seq: row[6])
            }
        }
        return found
    }

    func writeLeads(_ rows: [LeadRow], sequence: Int64, at now: Date) throws {
        let write = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO \(pending ? "lead_pending" : "lead") (kind, ref, name, phone, score, reasons, source, created_at, updated_at, seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for row in rows {
            try write.execute(arguments: [row.key.kind.rawValue, row.key.ref, row.name, row.phone, row.score, row.reasons, row.source,
                                          row.createdAt, now.timeIntervalSince1970, row.seq])
        }
        try db.execute(sql: "UPDATE linker_state SET lead_seq = ?", arguments: [sequence])
    }

    // MARK: - Erasure

    func delete(from table: String, where key: String, is consumer: String) throws -> Int {
        try db.execute(sql: "DELETE FROM \(table) WHERE \(key) = ?", arguments: [consumer])
        return db.changesCount
    }

    func anonymise(_ table: String, where key: String, is consumer: String, fields: [ErasurePolicy.Field]) throws -> Int {
        let assignments = fields.map { "\($0.column) = ?" }.joined(separator: ", ")
        try db.execute(sql: "UPDATE \(table) SET \(assignments) WHERE \(key) = ?",
                       arguments: StatementArguments(fields.map { $0.becomes.map(SQLiteStore.databaseValue) } + [consumer]))
        return db.changesCount
    }

    func anonymiseEvents(_ rule: ErasurePolicy.EventRule, consumer: String) throws -> Int {
        let paths = rule.fields.map { "'$.data.\($0)', NULL" }.joined(separator: ", ")
        var arguments: [any DatabaseValueConvertible] = [consumer]
        var sql = "UPDATE outbox SET body = json_replace(body, \(paths)) WHERE json_extract(body, '$.data.\(rule.match)') = ?"
        if let only = rule.onlyType { sql += " AND type = ?"; arguments.append(only) }
        if let except = rule.exceptType { sql += " AND type <> ?"; arguments.append(except) }
        try db.execute(sql: sql, arguments: StatementArguments(arguments))
        return db.changesCount
    }

    func tombstoneLead(of consumer: String, fields: [ErasurePolicy.Field], at now: Date) throws -> Bool {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM lead WHERE kind = 'consumer' AND ref = ?)", arguments: [consumer]) ?? false else {
            return false
        }
        // An older marker of the same id (erased before, a lead again since) gives way to the new one.
        try db.execute(sql: "DELETE FROM lead WHERE kind = 'erased' AND ref = ?", arguments: [consumer])
        try db.execute(sql: "UPDATE linker_state SET lead_seq = \(Self.lastSequence) + 1 WHERE id = 1")
        let assignments = fields.map { "\($0.column) = ?, " }.joined()
        try db.execute(sql: """
            UPDATE lead SET kind = 'erased', \(assignments)updated_at = ?, seq = (SELECT lead_seq FROM linker_state WHERE id = 1)
            WHERE kind = 'consumer' AND ref = ?
            """, arguments: StatementArguments(fields.map { $0.becomes.map(SQLiteStore.databaseValue) } + [now.timeIntervalSince1970, consumer]))
        return true
    }

    func appendAudit(_ entry: AuditEntry) throws { try SQLiteStore.append(entry, db) }

    func recountSegments() throws {
        try db.execute(sql: "UPDATE segment_state SET members = (SELECT count(*) FROM segment_member WHERE segment_id = segment_state.id)")
    }
}

extension SQLiteStore {
    /// A generated statement's value as GRDB binds it.
    static func databaseValue(_ value: SQLValue) -> any DatabaseValueConvertible {
        switch value {
        case let .integer(number): number
        case let .real(number): number
        case let .text(text): text
        }
    }
}

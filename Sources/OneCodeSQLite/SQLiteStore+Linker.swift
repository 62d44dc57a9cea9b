import Foundation
import GRDB
import GRDBSQLite
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage

/// `oc_scans_since(days, fromDay)`: counted scans in a profile's `days` text on or after UTC day `fromDay`.
let scansSince = DatabaseFunction("oc_scans_since", argumentCount: 2, pure: true) { values in
    guard let text = String.fromDatabaseValue(values[0]), let from = Int.fromDatabaseValue(values[1]) else { return 0 }
    var total = 0
    for pair in text.split(separator: ",") {
        guard let colon = pair.firstIndex(of: ":"), let day = Int(pair[..<colon]), day >= from, let count = Int(pair[pair.index(after: colon)...]) else { continue }
        total += count
    }
    return total
}

extension SQLiteStore {
    /// A stored profile, from a row of `profileColumns`, to merge what arrived since (`ProfileBuilder`).
    static func builder(from row: Row) -> ProfileBuilder {
        var builder = ProfileBuilder(consumer: row[0])
        builder.firstAt = row[1]
        builder.lastAt = row[2]
        builder.scans = row[3]
        builder.products = ProfileText.integers(row[4])
        builder.batches = ProfileText.integers(row[5])
        builder.regions = ProfileText.regions(row[6])
        builder.lastBatch = row[7]
        builder.lastRegion = row[8]
        builder.draws = row[9]
        builder.prizesWon = row[10]
        builder.points = row[11]
        builder.ratings = row[12]
        builder.ratingSum = row[13]
        builder.minRating = row[14]
        builder.consentAt = row[15]
        builder.days = ProfileText.days(row[16])
        builder.lastRegionAt = row[17]
        return builder
    }
}

/// A profile's columns in the order `SQLiteStore.builder(from:)` and `SQLiteStore.profile(from:)` read them by
/// index (a name lookup lower-cases the name on every access; these run for every changed consumer).
let profileColumns = """
    p.consumer, p.first_at, p.last_at, p.scans, p.products, p.batches, p.regions, p.last_batch, p.last_region, p.draws, \
    p.prizes_won, p.points, p.ratings, p.rating_sum, p.min_rating, p.consent_at, p.days, p.last_region_at
    """

extension SQLiteStore: LinkerStore {
    // MARK: - Refresh

    /// The linker's refresh (`LinkerBook`), in one transaction of the linker's file that reads the
    /// database in one snapshot and never writes it (`LinkerFile`); its leads and events are moved into
    /// the database in short transactions after it commits.
    public func refreshLinker(now: Date, full: Bool) async throws -> LinkerRefresh {
        try await linker.queue().writeWithoutTransaction { db in
            try LinkerFile.flushPending(db)
            var report: LinkerRefresh?
            try db.execute(sql: "BEGIN DEFERRED")
            do {
                // This file's lock first (a second process's refresh waits here), the database unlocked.
                try db.execute(sql: "UPDATE linker_state SET version = version WHERE id = 1")
                report = try LinkerBook.refresh(in: SQLiteLinkerTransaction(db, pending: true), now: now, full: full)
                try LinkerBook.traced("commit") { try db.execute(sql: "COMMIT") }
            } catch {
                if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                throw error
            }
            try LinkerBook.traced("moving leads and events into the database") { try LinkerFile.flushPending(db) }
            return report!
        }
    }

    /// A read of the database with the linker's file attached (on the reading connection it runs on, the
    /// first time), in one snapshot of both. Only reads that join the linker's rows attach it: a reading
    /// connection that never does keeps the one file open.
    func linkerRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let file = LinkerFile.path(for: path ?? "")
        return try await writer.unsafeRead { db in
            if try !Row.fetchAll(db, sql: "PRAGMA database_list").contains(where: { ($0["name"] as String?) == "linker" }) {
                try db.execute(sql: "ATTACH DATABASE ? AS linker", arguments: [file])
            }
            var result: T?
            try db.inTransaction(.deferred) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    /// A job of the linker's connection that writes both files: after what an earlier refresh left to move,
    /// in an immediate transaction (both files locked from its start; the linker's commits first).
    func linkerWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await linker.queue().writeWithoutTransaction { db in
            try LinkerFile.flushPending(db)
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    /// The SQL condition of `rule` over `consumer_profile p` (the shared generator, `SegmentSQL`), with its arguments.
    static func condition(_ rule: SegmentRule, now: Date) -> (String, [any DatabaseValueConvertible]) {
        let (sql, values) = SegmentSQL.condition(rule, now: now.timeIntervalSince1970)
        return (sql, values.map(databaseValue))
    }

    /// The consumers a rule selects, evaluated in SQL over the stored profiles (tests compare it with `SegmentRule.matches`).
    func evaluate(_ rule: SegmentRule, now: Date) async throws -> Set<String> {
        try await linkerRead { db in
            let (sql, values) = Self.condition(rule, now: now)
            return Set(try String.fetchAll(db, sql: "SELECT p.consumer FROM consumer_profile p WHERE \(sql)", arguments: StatementArguments(values)))
        }
    }

    static func profile(from row: Row) -> ConsumerProfile {
        ConsumerProfile(
            consumer: row[0], firstScanAt: Date(timeIntervalSince1970: row[1]), lastScanAt: Date(timeIntervalSince1970: row[2]),
            scans: row[3], products: ProfileText.integers(row[4]), batches: ProfileText.integers(row[5]),
            regions: ProfileText.regions(row[6]).map(\.name),
            lastBatch: row[7], lastRegion: row[8], draws: row[9], prizesWon: row[10], points: row[11],
            ratings: row[12], ratingSum: row[13], minRating: row[14],
            consentAt: (row[15] as Double?).map(Date.init(timeIntervalSince1970:)), days: ProfileText.days(row[16]))
    }

    // MARK: - Segments

    static func segment(from row: Row) -> Segment {
        Segment(id: SegmentID(rawValue: row["id"]), name: row["name"], rules: row["rules"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                refreshedAt: (row["refreshed_at"] as Double?).map(Date.init(timeIntervalSince1970:)), members: row["members"])
    }

    public func createSegment(name: String, rule: SegmentRule, audit: AuditEntry) async throws -> Segment {
        try await linkerWrite { db in try SegmentBook.create(in: SQLiteSegmentTransaction(db: db), name: name, rule: rule, at: Date(), audit: audit) }
    }

    public func updateSegment(_ id: SegmentID, name: String?, rule: SegmentRule?, audit: AuditEntry) async throws -> Segment {
        try await linkerWrite { db in try SegmentBook.update(in: SQLiteSegmentTransaction(db: db), id, name: name, rule: rule, audit: audit) }
    }

    public func deleteSegment(_ id: SegmentID, audit: AuditEntry) async throws -> Bool {
        try await linkerWrite { db in try SegmentBook.delete(in: SQLiteSegmentTransaction(db: db), id, audit: audit) }
    }

    /// Segments with their last refresh (`segment_state`, in the linker's file).
    static let segmentSelect = """
        SELECT s.id, s.name, s.rules, s.created_at, st.refreshed_at, coalesce(st.members, 0) AS members
        FROM segment s LEFT JOIN segment_state st ON st.id = s.id
        """

    public func segments() async throws -> [Segment] {
        try await linkerRead { db in try Row.fetchAll(db, sql: "\(Self.segmentSelect) ORDER BY s.id").map(Self.segment(from:)) }
    }

    public func segment(_ id: SegmentID) async throws -> Segment? {
        try await linkerRead { db in
            try Row.fetchOne(db, sql: "\(Self.segmentSelect) WHERE s.id = ?", arguments: [id.rawValue]).map(Self.segment(from:))
        }
    }

    public func segmentDays(of segment: SegmentID, from day: String) async throws -> [SegmentDay] {
        try await linkerRead { db in
            try Row.fetchAll(db, sql: "SELECT day, members, added, removed FROM segment_day WHERE segment_id = ? AND day >= ? ORDER BY day",
                             arguments: [segment.rawValue, day]).map { SegmentDay(day: $0[0], members: $0[1], added: $0[2], removed: $0[3]) }
        }
    }

    public func members(of segment: SegmentID, after: String, limit: Int) async throws -> [String] {
        try await linkerRead { db in
            try String.fetchAll(db, sql: "SELECT consumer FROM segment_member WHERE segment_id = ? AND consumer > ? ORDER BY consumer LIMIT ?",
                                arguments: [segment.rawValue, after, limit])
        }
    }

    public func memberProfiles(of segment: SegmentID, after: String, limit: Int) async throws -> [ConsumerProfile] {
        try await linkerRead { db in
            try Row.fetchAll(db, sql: """
                SELECT \(profileColumns) FROM segment_member m JOIN consumer_profile p ON p.consumer = m.consumer
                WHERE m.segment_id = ? AND m.consumer > ? ORDER BY m.consumer LIMIT ?
                """, arguments: [segment.rawValue, after, limit]).map(Self.profile(from:))
        }
    }

    public func profile(_ consumer: String) async throws -> ConsumerProfile? {
        try await linkerRead { db in
            try Row.fetchOne(db, sql: "SELECT \(profileColumns) FROM consumer_profile p WHERE consumer = ?", arguments: [consumer]).map(Self.profile(from:))
        }
    }

    /// Every store with its redemptions and receipts (the lead rules' facts; `LinkerBook` says which are leads).
    static let storeFactsSQL = """
        SELECT s.id, s.name, s.region, count(r.entry_id), count(DISTINCT e.consumer), coalesce(c.receipts, 0), coalesce(c.units_sold, 0)
        FROM store s LEFT JOIN redemption r ON r.store_id = s.id LEFT JOIN entry e ON e.id = r.entry_id
        LEFT JOIN (\(ChannelFactsSQL.stores)) c ON c.store_id = s.id
        GROUP BY s.id, s.name, s.region, c.receipts, c.units_sold ORDER BY s.id
        """

    public func storeProfiles() async throws -> [StoreProfile] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.id, s.name, s.region, s.created_at, count(r.entry_id), count(DISTINCT e.consumer), max(r.at),
                       coalesce(c.receipts, 0), coalesce(c.units_sold, 0)
                FROM store s LEFT JOIN redemption r ON r.store_id = s.id LEFT JOIN entry e ON e.id = r.entry_id
                LEFT JOIN (\(ChannelFactsSQL.stores)) c ON c.store_id = s.id
                GROUP BY s.id ORDER BY s.id
                """).map {
                StoreProfile(store: Store(id: StoreID(rawValue: $0[0]), name: $0[1], region: $0[2], createdAt: Date(timeIntervalSince1970: $0[3])),
                             redemptions: $0[4], consumers: $0[5], lastRedemptionAt: ($0[6] as Double?).map(Date.init(timeIntervalSince1970:)),
                             receipts: $0[7], unitsSold: $0[8])
            }
        }
    }

    // MARK: - Leads

    public func leads(after: Int64, limit: Int, segment: SegmentID?, minScore: Double?) async throws -> LeadPage {
        try await linkerRead { db in
            var sql = "SELECT * FROM lead WHERE seq > ?"
            var arguments: [any DatabaseValueConvertible] = [after]
            // Erased leads pass every filter: a CRM deletes what it imported under any of them.
            if let minScore {
                sql += " AND (kind = 'erased' OR score >= ?)"
                arguments.append(minScore)
            }
            if let segment {
                sql += " AND (kind = 'erased' OR kind = 'consumer' AND EXISTS (SELECT 1 FROM segment_member m WHERE m.segment_id = ? AND m.consumer = lead.ref))"
                arguments.append(segment.rawValue)
            }
            sql += " ORDER BY seq LIMIT ?"
            arguments.append(limit + 1)
            let decoder = JSONDecoder()
            var leads = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                Lead(kind: Lead.Kind(rawValue: row["kind"]) ?? .consumer, id: row["ref"], name: row["name"], phone: row["phone"], score: row["score"],
                     reasons: (try? decoder.decode([String].self, from: Data((row["reasons"] as String).utf8))) ?? [],
                     source: (try? decoder.decode(Lead.Source.self, from: Data((row["source"] as String).utf8))) ?? Lead.Source(batch: nil, region: nil, store: nil),
                     createdAt: Date(timeIntervalSince1970: row["created_at"]), updatedAt: Date(timeIntervalSince1970: row["updated_at"]), cursor: row["seq"])
            }
            let more = leads.count > limit
            if more { leads.removeLast() }
            try Self.crmRows(db, for: leads).apply(to: &leads)
            // A short page has seen everything up to the newest cursor in this snapshot, filtered out or not.
            // (Below `after` when `after` is beyond every cursor given: the caller says it is no cursor of this list.)
            let cursor = more ? leads.last!.cursor : try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM lead") ?? 0
            return LeadPage(leads: leads, cursor: cursor, more: more)
        }
    }

    /// The CRM fields of a page of leads: four reads by the page's consumer and batch ids.
    static func crmRows(_ db: Database, for leads: [Lead]) throws -> LeadCRMRows {
        var rows = LeadCRMRows()
        let (consumers, batches) = LeadCRMRows.keys(leads)
        if !consumers.isEmpty {
            let marks = Array(repeating: "?", count: consumers.count).joined(separator: ",")
            let arguments = StatementArguments(consumers)
            for row in try Row.fetchAll(db, sql: """
                SELECT consumer, marketing_consented_at, marketing_consent_version, marketing_consent_text FROM consumer_contact
                WHERE consumer IN (\(marks)) AND marketing_consented_at IS NOT NULL
                """, arguments: arguments) {
                rows.contacts[row[0]] = (Date(timeIntervalSince1970: row[1]), row[2], row[3])
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT consumer, rating, comment FROM feedback WHERE id IN (SELECT max(id) FROM feedback WHERE consumer IN (\(marks)) GROUP BY consumer)
                """, arguments: arguments) {
                rows.latestRatings[row[0]] = (row[1], row[2])
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT c.consumer, e.campaign_id FROM claim c JOIN entry e ON e.id = c.entry_id
                WHERE c.entry_id IN (SELECT max(entry_id) FROM claim WHERE consumer IN (\(marks)) GROUP BY consumer)
                """, arguments: arguments) {
                rows.latestCampaigns[row[0]] = row[1]
            }
        }
        if !batches.isEmpty {
            let marks = Array(repeating: "?", count: batches.count).joined(separator: ",")
            for row in try Row.fetchAll(db, sql: "SELECT id, product_id FROM batch WHERE id IN (\(marks))", arguments: StatementArguments(batches)) {
                rows.batchProducts[row[0]] = row[1]
            }
        }
        return rows
    }

    // MARK: - A consumer's data

    public func exportConsumer(_ consumer: String) async throws -> Data? {
        try await linkerRead { db in
            var rows: [String: [[String: Any]]] = [:]
            for (name, sql) in ConsumerExport.queries("?") {
                rows[name] = try Row.fetchAll(db, sql: sql, arguments: [consumer]).map { row in
                    var object: [String: Any] = [:]
                    for (column, value) in row { object[column] = value.storage.value.map { $0 as Any } ?? NSNull() }
                    return object
                }
            }
            return try ConsumerExport.document(consumer, rows: rows)
        }
    }

    /// Erases a consumer as `policy` says (`ErasureBook`), in one write transaction.
    public func forgetConsumer(_ consumer: String, policy: ErasurePolicy, audit: AuditEntry?) async throws -> Bool {
        let known = try await linkerWrite { db in
            try ErasureBook.forget(consumer, policy: policy, in: SQLiteLinkerTransaction(db, pending: false), audit: audit)
        }
        // The old page images in the WAL still hold what was erased: copy the WAL into the database
        // (secure_delete zeroes the freed content there) and truncate it. Readers may hold old frames
        // for a moment; a few tries cover that.
        if known, path != nil {
            for attempt in 0..<20 {
                let database = try await writer.writeWithoutTransaction { db -> Bool in
                    (try? db.checkpoint(.truncate)) != nil
                }
                let linkerFile = try await linker.queue().writeWithoutTransaction { db -> Bool in
                    (try? db.checkpoint(.truncate, on: "main")) != nil
                }
                if database && linkerFile { break }
                try await Task.sleep(for: .milliseconds(50 * (attempt + 1)))
            }
        }
        return known
    }

    // MARK: - Feedback and reports

    public func feedbackList(_ filter: FeedbackFilter, before: Int64, limit: Int) async throws -> [FeedbackItem] {
        try await writer.read { db in
            var sql = "SELECT f.id, f.at, f.code, f.product_id, p.name, f.batch_id, f.rating, f.comment, f.consumer FROM feedback f JOIN product p ON p.id = f.product_id WHERE 1"
            var arguments: [any DatabaseValueConvertible] = []
            if before > 0 { sql += " AND f.id < ?"; arguments.append(before) }
            if let product = filter.product { sql += " AND f.product_id = ?"; arguments.append(product) }
            if let batch = filter.batch { sql += " AND f.batch_id = ?"; arguments.append(batch) }
            if let maxRating = filter.maxRating { sql += " AND f.rating <= ?"; arguments.append(maxRating) }
            sql += " ORDER BY f.id DESC LIMIT ?"
            arguments.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map {
                FeedbackItem(id: $0[0], at: Date(timeIntervalSince1970: $0[1]), code: $0[2], productId: $0[3], productName: $0[4],
                             batchId: $0[5], rating: $0[6], comment: $0[7], consumer: $0[8])
            }
        }
    }

    public func feedbackReport(byBatch: Bool) async throws -> [FeedbackAggregate] {
        try await writer.read { db in
            let group = byBatch ? "product_id, batch_id" : "product_id"
            return try Row.fetchAll(db, sql: """
                SELECT product_id, \(byBatch ? "batch_id" : "NULL"), count(*), avg(rating), avg(rating <= 2) FROM feedback GROUP BY \(group) ORDER BY \(group)
                """).map { FeedbackAggregate(productId: $0[0], batchId: $0[1], count: $0[2], average: $0[3], lowShare: $0[4]) }
        }
    }

    public func scanRate(by grouping: ScanRateGrouping) async throws -> [ReportRow] {
        try await writer.read { db in
            let sql: String
            switch grouping {
            case .batch:
                sql = """
                    SELECT 'batch ' || b.id, b.count, coalesce(s.codes, 0), coalesce(s.scans, 0) FROM batch b
                    LEFT JOIN (SELECT batch_id, count(DISTINCT code_key) AS codes, count(*) AS scans FROM scan WHERE counted = 1 GROUP BY batch_id) s
                    ON s.batch_id = b.id ORDER BY b.id
                    """
            case .product:
                sql = """
                    SELECT 'product ' || b.product_id, sum(b.count), sum(coalesce(s.codes, 0)), sum(coalesce(s.scans, 0)) FROM batch b
                    LEFT JOIN (SELECT batch_id, count(DISTINCT code_key) AS codes, count(*) AS scans FROM scan WHERE counted = 1 GROUP BY batch_id) s
                    ON s.batch_id = b.id GROUP BY b.product_id ORDER BY b.product_id
                    """
            case .region:
                // By each batch's intended sales region.
                sql = """
                    SELECT coalesce(b.region, '(none)'), sum(b.count), sum(coalesce(s.codes, 0)), sum(coalesce(s.scans, 0)) FROM batch b
                    LEFT JOIN (SELECT batch_id, count(DISTINCT code_key) AS codes, count(*) AS scans FROM scan WHERE counted = 1 GROUP BY batch_id) s
                    ON s.batch_id = b.id GROUP BY b.region ORDER BY b.region
                    """
            case .campaign:
                // Codes that drew in the campaign over codes issued in its scope (all active batches when unscoped).
                let campaigns = try Row.fetchAll(db, sql: "SELECT id, name, definition FROM campaign ORDER BY id")
                return try campaigns.map { row in
                    let definition = try Self.definition(row[2])
                    var issued = 0
                    for batch in try Row.fetchAll(db, sql: "SELECT id, product_id, count FROM batch WHERE status != 'void'") {
                        let batchID = BatchID(rawValue: batch[0]), productID = ProductID(rawValue: batch[1])
                        if definition.scope.batches.map({ $0.contains(batchID) }) ?? true, definition.scope.products.map({ $0.contains(productID) }) ?? true {
                            issued += batch[2] as Int
                        }
                    }
                    let drawn = try Int.fetchOne(db, sql: "SELECT count(*) FROM entry WHERE campaign_id = ?", arguments: [row[0] as Int64]) ?? 0
                    return ReportRow(key: "campaign \(row[0] as Int64): \(row[1] as String)", issued: issued, scanned: drawn, scans: nil,
                                     rate: issued > 0 ? Double(drawn) / Double(issued) : nil)
                }
            }
            return try Row.fetchAll(db, sql: sql).map {
                let issued: Int = $0[1], scanned: Int = $0[2]
                return ReportRow(key: $0[0], issued: issued, scanned: scanned, scans: $0[3], rate: issued > 0 ? Double(scanned) / Double(issued) : nil)
            }
        }
    }

    public func dailyScans(batch: BatchID?) async throws -> [ReportRow] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT date(at, 'unixepoch') AS day, count(DISTINCT code_key), count(*) FROM scan
                WHERE counted = 1 AND (?1 IS NULL OR batch_id = ?1) GROUP BY day ORDER BY day
                """, arguments: [batch?.rawValue]).map { ReportRow(key: $0[0], issued: nil, scanned: $0[1], scans: $0[2], rate: nil) }
        }
    }

    public func diversion() async throws -> [DiversionAlert] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.batch_id, b.region, s.region, count(*), count(DISTINCT s.code_key), min(s.at), max(s.at)
                FROM scan s JOIN batch b ON b.id = s.batch_id
                WHERE s.counted = 1 AND b.region IS NOT NULL AND s.region IS NOT NULL
                  AND NOT \(RegionCode.coversSQL(area: "b.region", region: "s.region"))
                GROUP BY s.batch_id, s.region ORDER BY count(*) DESC, s.batch_id, s.region
                """).map {
                DiversionAlert(batchId: $0[0], intendedRegion: $0[1], region: $0[2], scans: $0[3], codes: $0[4],
                               firstAt: Date(timeIntervalSince1970: $0[5]), lastAt: Date(timeIntervalSince1970: $0[6]))
            }
        }
    }
}

/// Segment rows for `SegmentBook`, in an immediate transaction of the linker's connection (both files).
struct SQLiteSegmentTransaction: SegmentTransaction {
    let db: Database

    /// The linker's connection has the database attached as `onecode`: the entry goes to its `audit_log` in
    /// the same transaction (SQLite commits the two files together; in WAL mode a crash between their
    /// commits could keep one and not the other).
    func appendAudit(_ entry: AuditEntry) throws { try SQLiteStore.append(entry, db) }

    func insertSegment(name: String, rules: String, at: Date) throws -> Segment? {
        do {
            try db.execute(sql: "INSERT INTO segment (name, rules, created_at) VALUES (?, ?, ?)", arguments: [name, rules, at.timeIntervalSince1970])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            return nil
        }
        return try segment(SegmentID(rawValue: db.lastInsertedRowID))
    }

    func segmentExists(_ id: SegmentID) throws -> Bool {
        try Int64.fetchOne(db, sql: "SELECT id FROM segment WHERE id = ?", arguments: [id.rawValue]) != nil
    }

    func renameSegment(_ id: SegmentID, to name: String) throws -> Bool {
        do {
            try db.execute(sql: "UPDATE segment SET name = ? WHERE id = ?", arguments: [name, id.rawValue])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            return false
        }
        return true
    }

    /// The segment's state (in the linker's file) no longer matches: the next refresh evaluates it whole.
    func replaceRules(of id: SegmentID, with rules: String) throws {
        try db.execute(sql: "UPDATE segment SET rules = ? WHERE id = ?", arguments: [rules, id.rawValue])
    }

    func markMembersChanged(_ id: SegmentID) throws {
        try db.execute(sql: """
            UPDATE consumer_profile SET version = (SELECT version + 1 FROM linker_state WHERE id = 1)
            WHERE consumer IN (SELECT consumer FROM segment_member WHERE segment_id = ?)
            """, arguments: [id.rawValue])
    }

    func deleteSegment(_ id: SegmentID) throws -> Bool {
        try db.execute(sql: "DELETE FROM segment_member WHERE segment_id = ?", arguments: [id.rawValue])
        try db.execute(sql: "DELETE FROM segment_state WHERE id = ?", arguments: [id.rawValue])
        try db.execute(sql: "DELETE FROM segment_day WHERE segment_id = ?", arguments: [id.rawValue])
        try db.execute(sql: "DELETE FROM segment WHERE id = ?", arguments: [id.rawValue])
        return db.changesCount == 1
    }

    func segment(_ id: SegmentID) throws -> Segment? {
        try Row.fetchOne(db, sql: "\(SQLiteStore.segmentSelect) WHERE s.id = ?", arguments: [id.rawValue]).map(SQLiteStore.segment(from:))
    }
}

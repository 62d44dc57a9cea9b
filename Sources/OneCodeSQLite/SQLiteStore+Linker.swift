import Foundation
import GRDB
import GRDBSQLite
import OneCodeDomain
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

/// A profile being merged: the stored row plus what arrived since. The derivation is the domain's
/// (`ProfileBuilder`); this knows only whether the row exists and how its columns read.
struct ProfileRow {
    var builder: ProfileBuilder
    var exists: Bool

    init(consumer: String) {
        builder = ProfileBuilder(consumer: consumer)
        exists = false
    }

    /// A stored profile, from a row of `profileColumns`.
    init(row: Row) {
        builder = ProfileBuilder(consumer: row[0])
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
        exists = true
    }
}

/// A profile's columns in the order `ProfileRow(row:)` and `SQLiteStore.profile(from:)` read them by
/// index (a name lookup lower-cases the name on every access; these run for every changed consumer).
let profileColumns = """
    p.consumer, p.first_at, p.last_at, p.scans, p.products, p.batches, p.regions, p.last_batch, p.last_region, p.draws, \
    p.prizes_won, p.points, p.ratings, p.rating_sum, p.min_rating, p.consent_at, p.days
    """

extension SQLiteStore: LinkerStore {
    // MARK: - Refresh

    public func refreshLinker(now: Date, full: Bool) async throws -> LinkerRefresh {
        try await writer.write { db in try Self.refresh(db, now: now, full: full) }
    }

    /// With ONECODE_LINKER_TRACE set, each phase's time goes to stderr (for `scripts/bench linker`).
    static let trace = ProcessInfo.processInfo.environment["ONECODE_LINKER_TRACE"] != nil

    static func refresh(_ db: Database, now: Date, full: Bool) throws -> LinkerRefresh {
        var report = LinkerRefresh(full: full)
        var phaseStart = Date()
        func phase(_ name: String) {
            guard trace else { return }
            FileHandle.standardError.write(Data(String(format: "linker: %@ %.3f s\n", name, Date().timeIntervalSince(phaseStart)).utf8))
            phaseStart = Date()
        }
        if full {
            try db.execute(sql: """
                DELETE FROM consumer_profile;
                UPDATE linker_state SET scan_cursor = 0, entry_cursor = 0, feedback_cursor = 0, outbox_cursor = 0, change_cursor = 0;
                UPDATE segment SET version = 0;
                """)
        }
        // Cursors by id into scans, entries, feedback, the outbox and late changes: sound because SQLite
        // commits ids in order (one write lock; see OutboxStore's "Cursors never skip"), and the whole
        // refresh reads one snapshot, inside this write transaction.
        let state = try Row.fetchOne(db, sql: "SELECT * FROM linker_state WHERE id = 1")!
        let version: Int64 = (state["version"] as Int64) + 1
        let scanEnd = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM scan") ?? 0
        let entryEnd = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM entry") ?? 0
        let feedbackEnd = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM feedback") ?? 0
        let outboxEnd = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM outbox") ?? 0
        let changeEnd = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM linker_change") ?? 0
        // Consumers whose lead may say something new though their profile did not change (a segment
        // they joined or left): their leads are scored again with the changed profiles'.
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS linker_touched (consumer TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM linker_touched")
        let products = try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT id, product_id FROM batch").map { ($0[0] as Int64, $0[1] as Int64) })

        // Scans, consumer by consumer, merged into their profiles.
        let existing = try db.cachedStatement(sql: "SELECT \(profileColumns) FROM consumer_profile p WHERE consumer = ?")
        let update = try db.cachedStatement(sql: """
            UPDATE consumer_profile SET first_at = ?, last_at = ?, scans = ?, products = ?, batches = ?, regions = ?, last_batch = ?,
                last_region = ?, days = ?, version = ? WHERE consumer = ?
            """)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO consumer_profile (consumer, first_at, last_at, scans, products, batches, regions, last_batch, last_region, days, version,
                draws, prizes_won, points, ratings, rating_sum, min_rating, consent_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // On a full refresh, draws, ratings and consent are merged in as each profile is written, from
        // streams sorted by consumer like the scans (one insert per profile instead of later updates).
        let entryStream = full ? try Row.fetchCursor(db, sql: """
            SELECT consumer, count(*), sum(result = 'won'), sum(points) FROM entry WHERE id <= ? AND consumer IS NOT NULL
            GROUP BY consumer ORDER BY consumer
            """, arguments: [entryEnd]) : nil
        let ratingStream = full ? try Row.fetchCursor(db, sql: """
            SELECT consumer, count(*), sum(rating), min(rating) FROM feedback WHERE id <= ? AND consumer IS NOT NULL
            GROUP BY consumer ORDER BY consumer
            """, arguments: [feedbackEnd]) : nil
        let contactStream = full ? try Row.fetchCursor(db, sql: "SELECT consumer, consented_at FROM consumer_contact ORDER BY consumer") : nil
        var entryRow: (String, Int, Int, Int)?, ratingRow: (String, Int, Int, Int)?, contactRow: (String, Double)?
        func before(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }  // SQLite's BINARY order
        func attach(_ profile: inout ProfileBuilder) throws {
            while let stream = entryStream {
                if entryRow == nil { guard let row = try stream.next() else { break }; entryRow = (row[0], row[1], row[2], row[3]) }
                guard let (who, draws, won, points) = entryRow, !before(profile.consumer, who) else { break }
                if who == profile.consumer { (profile.draws, profile.prizesWon, profile.points) = (draws, won, points) }
                entryRow = nil
            }
            while let stream = ratingStream {
                if ratingRow == nil { guard let row = try stream.next() else { break }; ratingRow = (row[0], row[1], row[2], row[3]) }
                guard let (who, count, sum, lowest) = ratingRow, !before(profile.consumer, who) else { break }
                if who == profile.consumer { (profile.ratings, profile.ratingSum, profile.minRating) = (count, sum, lowest) }
                ratingRow = nil
            }
            while let stream = contactStream {
                if contactRow == nil { guard let row = try stream.next() else { break }; contactRow = (row[0], row[1]) }
                guard let (who, at) = contactRow, !before(profile.consumer, who) else { break }
                if who == profile.consumer { profile.consentAt = at }
                contactRow = nil
            }
        }
        func save(_ row: ProfileRow) throws {
            var profile = row.builder
            let values: [(any DatabaseValueConvertible)?] = [
                profile.firstAt, profile.lastAt, profile.scans, ProfileText.joined(profile.products),
                ProfileText.joined(profile.batches), ProfileText.joined(profile.regions), profile.lastBatch, profile.lastRegion,
                ProfileText.joined(profile.recentDays), version,
            ]
            if row.exists {
                try update.execute(arguments: StatementArguments(values + [profile.consumer]))
            } else {
                try attach(&profile)
                try insert.execute(arguments: StatementArguments([profile.consumer] + values + [
                    profile.draws, profile.prizesWon, profile.points, profile.ratings, profile.ratingSum, profile.minRating, profile.consentAt,
                ]))
            }
            report.profilesChanged += 1
        }
        // New scans in consumer order, merged into each consumer's profile in turn. This loop reads
        // every new scan (all of them on a full refresh), so it steps the statement with SQLite's C API
        // and makes a String only when the consumer changes; region names are interned.
        let statement = try db.makeStatement(sql: """
            SELECT consumer, batch_id, region, at FROM scan
            WHERE id > ? AND id <= ? AND counted = 1 AND consumer IS NOT NULL ORDER BY consumer
            """)
        try statement.setArguments([state["scan_cursor"] as Int64, scanEnd])
        let handle = statement.sqliteStatement
        var current: ProfileRow?
        var previous: [UInt8] = []
        var regionNames: [[UInt8]: String] = [:]
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage) }
            let length = Int(sqlite3_column_bytes(handle, 0))
            guard let text = sqlite3_column_text(handle, 0) else { continue }
            if length != previous.count || memcmp(text, previous, length) != 0 {
                if let done = current { try save(done) }
                previous = Array(UnsafeBufferPointer(start: text, count: length))
                let consumer = String(decoding: previous, as: UTF8.self)
                current = full ? ProfileRow(consumer: consumer)
                    : try Row.fetchOne(existing, arguments: [consumer]).map(ProfileRow.init(row:)) ?? ProfileRow(consumer: consumer)
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
            current!.builder.add(batch: batch, product: batch.flatMap { products[$0] }, region: region, at: sqlite3_column_double(handle, 3))
            report.scansRead += 1
        }
        if let done = current { try save(done) }
        phase("scans into profiles")

        // Late changes to scans the profiles already hold (a location shared after the scan moved it to
        // another region): each moves one count between regions. A change to a scan this refresh read
        // is already in its row; a full refresh reads every row as it is now.
        if !full {
            let scanCursor: Int64 = state["scan_cursor"]
            for change in try Row.fetchAll(db, sql: """
                SELECT consumer, at, old_region, new_region FROM linker_change WHERE id > ? AND id <= ? AND scan_id <= ? ORDER BY id
                """, arguments: [state["change_cursor"] as Int64, changeEnd, scanCursor]) {
                guard var profile = try Row.fetchOne(existing, arguments: [change[0] as String]).map(ProfileRow.init(row:)) else { continue }
                profile.builder.moveScan(at: change[1], from: change[2], to: change[3])
                try save(profile)
            }
        }
        phase("late changes")

        // Draws, prizes and points (merged above on a full refresh).
        if !full {
            try db.execute(sql: """
                UPDATE consumer_profile SET draws = draws + d.new_draws, prizes_won = prizes_won + d.new_won, points = points + d.new_points, version = ?
                FROM (SELECT consumer AS who, count(*) AS new_draws, sum(result = 'won') AS new_won, sum(points) AS new_points FROM entry
                      WHERE id > ? AND id <= ? AND consumer IS NOT NULL GROUP BY consumer) AS d
                WHERE consumer_profile.consumer = d.who
                """, arguments: [version, state["entry_cursor"] as Int64, entryEnd])
            // Ratings.
            try db.execute(sql: """
                UPDATE consumer_profile SET ratings = ratings + f.n, rating_sum = rating_sum + f.total,
                    min_rating = min(coalesce(min_rating, 5), f.lowest), version = ?
                FROM (SELECT consumer AS who, count(*) AS n, sum(rating) AS total, min(rating) AS lowest FROM feedback
                      WHERE id > ? AND id <= ? AND consumer IS NOT NULL GROUP BY consumer) AS f
                WHERE consumer_profile.consumer = f.who
                """, arguments: [version, state["feedback_cursor"] as Int64, feedbackEnd])
            // Contact and consent from claims since the last refresh (the outbox keeps their order).
            try db.execute(sql: """
                UPDATE consumer_profile SET consent_at = (SELECT consented_at FROM consumer_contact c WHERE c.consumer = consumer_profile.consumer), version = ?
                WHERE consumer IN (SELECT json_extract(body, '$.data.consumer') FROM outbox WHERE id > ? AND id <= ? AND type = 'prize.claimed')
                """, arguments: [version, state["outbox_cursor"] as Int64, outboxEnd])
        }
        phase("entries, feedback, contacts")
        try db.execute(sql: """
            UPDATE linker_state SET version = ?, scan_cursor = ?, entry_cursor = ?, feedback_cursor = ?, outbox_cursor = ?, change_cursor = ?,
                refreshed_at = ?
            """, arguments: [version, scanEnd, entryEnd, feedbackEnd, outboxEnd, changeEnd, now.timeIntervalSince1970])

        // Segments: new ones (and all after a full refresh) whole, in SQL; the others from the consumers
        // that changed, in one pass.
        // A segment that cannot be evaluated (a rule stored before today's limits) is reported and
        // skipped; the others are refreshed.
        var segments: [Row] = []
        for segment in try Row.fetchAll(db, sql: "SELECT * FROM segment ORDER BY id") {
            do {
                _ = try SegmentRule.parse(Data((segment["rules"] as String).utf8))
                segments.append(segment)
            } catch {
                report.failedSegments.append("segment \(segment["id"] as Int64): its rule no longer parses (\(error)); edit or delete it")
            }
        }
        for segment in segments where (segment["version"] as Int64) == 0 {
            do {
                var result = (added: 0, removed: 0)
                try db.inSavepoint {
                    result = try refreshWholeSegment(db, segment, version: version, now: now)
                    return .commit
                }
                let (added, removed) = result
                report.membersAdded += added
                report.membersRemoved += removed
            } catch let error as DatabaseError {
                // The message only: never the statement, which holds the rule's values.
                report.failedSegments.append("segment \(segment["id"] as Int64): could not be evaluated (\(error.message ?? "SQLite error \(error.resultCode)"))")
            }
        }
        let (added, removed) = try refreshChangedMembers(db, segments.filter { ($0["version"] as Int64) > 0 }, version: version, now: now)
        report.membersAdded += added
        report.membersRemoved += removed
        report.segmentsRefreshed = segments.count
        phase("segments")
        // Leads.
        let (changed, created) = try refreshLeads(db, since: full ? 0 : (state["version"] as Int64), now: now)
        phase("leads")
        report.leadsChanged = changed
        report.leadsCreated = created
        return report
    }

    /// The SQL condition of `rule` over `consumer_profile p` (the shared generator, `SegmentSQL`), with its arguments.
    static func condition(_ rule: SegmentRule, now: Date) -> (String, [any DatabaseValueConvertible]) {
        let (sql, values) = SegmentSQL.condition(rule, now: now.timeIntervalSince1970)
        return (sql, values.map { value -> any DatabaseValueConvertible in
            switch value {
            case let .integer(number): number
            case let .real(number): number
            case let .text(text): text
            }
        })
    }

    /// The consumers a rule selects, evaluated in SQL over the stored profiles (tests compare it with `SegmentRule.matches`).
    func evaluate(_ rule: SegmentRule, now: Date) async throws -> Set<String> {
        try await writer.read { db in
            let (sql, values) = Self.condition(rule, now: now)
            return Set(try String.fetchAll(db, sql: "SELECT p.consumer FROM consumer_profile p WHERE \(sql)", arguments: StatementArguments(values)))
        }
    }

    /// Evaluates a whole segment in SQL: after it is created, and after a full refresh.
    static func refreshWholeSegment(_ db: Database, _ segment: Row, version: Int64, now: Date) throws -> (added: Int, removed: Int) {
        let id: Int64 = segment["id"]
        let rule = try SegmentRule.parse(Data((segment["rules"] as String).utf8))
        let (sql, values) = condition(rule, now: now)
        let before: Int = segment["members"]
        // Former and new members alike may have a lead whose reasons name the segment.
        try db.execute(sql: "INSERT OR IGNORE INTO linker_touched SELECT consumer FROM segment_member WHERE segment_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM segment_member WHERE segment_id = ?", arguments: [id])
        try db.execute(sql: "INSERT INTO segment_member (segment_id, consumer) SELECT ?, p.consumer FROM consumer_profile p WHERE \(sql)",
                       arguments: StatementArguments([id] + values))
        let members = try Int.fetchOne(db, sql: "SELECT count(*) FROM segment_member WHERE segment_id = ?", arguments: [id]) ?? 0
        try db.execute(sql: "INSERT OR IGNORE INTO linker_touched SELECT consumer FROM segment_member WHERE segment_id = ?", arguments: [id])
        try db.execute(sql: "UPDATE segment SET version = ?, refreshed_at = ?, members = ? WHERE id = ?",
                       arguments: [version, now.timeIntervalSince1970, members, id])
        return (max(0, members - before), max(0, before - members))
    }

    /// Brings already-filled segments up to date from the consumers whose membership may have changed:
    /// profiles changed since the segments' last refresh, and consumers that time alone may move (scans
    /// leaving a `scans` window, consumers crossing a `lapsed` limit, both found from the scans of the
    /// times that crossed). Each candidate's profile and current memberships are read once, every rule
    /// is decided in Swift (`SegmentRule.matches`, the meaning of the SQL above), and only differences
    /// are written.
    static func refreshChangedMembers(_ db: Database, _ segments: [Row], version: Int64, now: Date) throws -> (added: Int, removed: Int) {
        guard !segments.isEmpty else { return (0, 0) }
        let rules = try segments.map { (id: $0["id"] as Int64, rule: try SegmentRule.parse(Data(($0["rules"] as String).utf8))) }
        let since = segments.map { $0["version"] as Int64 }.min()!
        let last = segments.compactMap { $0["refreshed_at"] as Double? }.min() ?? 0
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS linker_changed (consumer TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM linker_changed")
        try db.execute(sql: "INSERT INTO linker_changed SELECT consumer FROM consumer_profile WHERE version > ?", arguments: [since])
        func addScanners(from: Double, to: Double) throws {
            let (low, high) = (try scanID(db, atOrAfter: from - 60), try scanID(db, atOrAfter: to + 60))
            try db.execute(sql: """
                INSERT OR IGNORE INTO linker_changed SELECT DISTINCT consumer FROM scan
                WHERE id >= ? AND id < ? AND at >= ? AND at < ? AND consumer IS NOT NULL
                """, arguments: [low, high, from, to])
        }
        for (_, rule) in rules {
            for span in rule.crossedSpans(since: last, now: now.timeIntervalSince1970) { try addScanners(from: span.from, to: span.to) }
        }
        let insert = try db.cachedStatement(sql: "INSERT INTO segment_member (segment_id, consumer) VALUES (?, ?)")
        let delete = try db.cachedStatement(sql: "DELETE FROM segment_member WHERE segment_id = ? AND consumer = ?")
        let touch = try db.cachedStatement(sql: "INSERT OR IGNORE INTO linker_touched (consumer) VALUES (?)")
        var added: [Int64: Int] = [:], removed: [Int64: Int] = [:]
        let candidates = try Row.fetchCursor(db, sql: """
            SELECT \(profileColumns), (SELECT group_concat(m.segment_id) FROM segment_member m
                WHERE m.segment_id IN (\(rules.map { String($0.id) }.joined(separator: ","))) AND m.consumer = p.consumer)
            FROM linker_changed c JOIN consumer_profile p ON p.consumer = c.consumer
            """)
        while let row = try candidates.next() {
            let profile = profile(from: row)
            let current = ProfileText.integers(row[17] as String? ?? "")
            for (id, rule) in rules {
                let wanted = rule.matches(profile, now: now)
                if wanted && !current.contains(id) {
                    try insert.execute(arguments: [id, profile.consumer])
                    try touch.execute(arguments: [profile.consumer])
                    added[id, default: 0] += 1
                } else if !wanted && current.contains(id) {
                    try delete.execute(arguments: [id, profile.consumer])
                    try touch.execute(arguments: [profile.consumer])
                    removed[id, default: 0] += 1
                }
            }
        }
        for (id, _) in rules {
            try db.execute(sql: "UPDATE segment SET version = ?, refreshed_at = ?, members = members + ? - ? WHERE id = ?",
                           arguments: [version, now.timeIntervalSince1970, added[id] ?? 0, removed[id] ?? 0, id])
        }
        return (added.values.reduce(0, +), removed.values.reduce(0, +))
    }

    /// The first scan id whose time is at or after `at` (scans are appended in time order, within the
    /// few milliseconds a group commit spans; callers widen the bounds by a minute).
    static func scanID(_ db: Database, atOrAfter at: Double) throws -> Int64 {
        var low: Int64 = 1, high: Int64 = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM scan") ?? 0) + 1
        let probe = try db.cachedStatement(sql: "SELECT at FROM scan WHERE id >= ? ORDER BY id LIMIT 1")
        while low < high {
            let middle = (low + high) / 2
            if let value = try Double.fetchOne(probe, arguments: [middle]), value < at { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Scores consenting consumers whose profiles changed after `since` (all of them when 0), and every
    /// store with redemptions; a lead takes the next cursor only when what it says changed.
    static func refreshLeads(_ db: Database, since: Int64, now: Date) throws -> (changed: Int, created: Int) {
        var seq = try Int64.fetchOne(db, sql: "SELECT lead_seq FROM linker_state WHERE id = 1") ?? 0
        var changed = 0, created = 0
        let segmentNames = try db.cachedStatement(sql: """
            SELECT s.name FROM segment s JOIN segment_member m ON m.segment_id = s.id AND m.consumer = ? ORDER BY s.name
            """)
        let storeOf = try db.cachedStatement(sql: """
            SELECT r.store_id FROM claim c JOIN redemption r ON r.entry_id = c.entry_id WHERE c.consumer = ? ORDER BY r.at DESC LIMIT 1
            """)
        let current = try db.cachedStatement(sql: "SELECT name, phone, score, reasons, source, created_at FROM lead WHERE kind = ? AND ref = ?")
        let write = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO lead (kind, ref, name, phone, score, reasons, source, created_at, updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        func put(kind: Lead.Kind, ref: String, name: String?, phone: String?, score: Double, reasons: [String], source: Lead.Source) throws {
            let reasonsText = String(decoding: try leadEncoder.encode(reasons), as: UTF8.self)
            let sourceText = String(decoding: try leadEncoder.encode(source), as: UTF8.self)
            let old = try Row.fetchOne(current, arguments: [kind.rawValue, ref])
            if let old, old[0] as String? == name, old[1] as String? == phone, old[2] as Double == score,
               old[3] as String == reasonsText, old[4] as String == sourceText { return }
            seq += 1
            changed += 1
            let createdAt = (old?[5] as Double?) ?? now.timeIntervalSince1970
            try write.execute(arguments: [kind.rawValue, ref, name, phone, score, reasonsText, sourceText, createdAt, now.timeIntervalSince1970, seq])
            if old == nil {
                created += 1
                try emit(db, .leadCreated, at: now, data: Lead.createdEvent(kind: kind, id: ref, name: name, phone: phone, score: score,
                                                                 reasons: reasons, source: source))
            }
        }
        let consumers = try Row.fetchCursor(db, sql: """
            SELECT \(profileColumns), c.name, c.phone FROM consumer_profile p JOIN consumer_contact c ON c.consumer = p.consumer
            WHERE (p.version > ? OR p.consumer IN (SELECT consumer FROM temp.linker_touched)) AND p.consent_at IS NOT NULL
            """, arguments: [since])
        while let row = try consumers.next() {
            let profile = profile(from: row)
            guard LeadPolicy.isLead(profile) else { continue }
            let segments = try String.fetchAll(segmentNames, arguments: [profile.consumer])
            let (score, reasons) = LeadScore.consumer(profile, segments: segments, now: now)
            try put(kind: .consumer, ref: profile.consumer, name: row[17], phone: row[18], score: score, reasons: reasons,
                    source: Lead.Source(batch: profile.lastBatch, region: profile.lastRegion,
                                        store: try Int64.fetchOne(storeOf, arguments: [profile.consumer])))
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT s.id, s.name, s.region, count(*), count(DISTINCT e.consumer) FROM store s
            JOIN redemption r ON r.store_id = s.id JOIN entry e ON e.id = r.entry_id GROUP BY s.id
            """) {
            let (score, reasons) = LeadScore.store(redemptions: row[3], consumers: row[4])
            try put(kind: .store, ref: String(row[0] as Int64), name: row[1], phone: nil, score: score, reasons: reasons,
                    source: Lead.Source(batch: nil, region: row[2], store: row[0]))
        }
        try db.execute(sql: "UPDATE linker_state SET lead_seq = ?", arguments: [seq])
        return (changed, created)
    }

    /// Encodes a lead's reasons and source as stored (made once, not per lead).
    static let leadEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

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

    public func createSegment(name: String, rule: SegmentRule) async throws -> Segment {
        let name = try Name.validate(name, field: "name", maximum: 100)
        return try await writer.write { db in
            if try Int64.fetchOne(db, sql: "SELECT id FROM segment WHERE name = ?", arguments: [name]) != nil {
                throw ConflictError("name", "a segment named '\(name)' exists already")
            }
            try Self.conflicts(as: ConflictError("name", "a segment named '\(name)' exists already")) {
                try db.execute(sql: "INSERT INTO segment (name, rules, created_at) VALUES (?, ?, ?)",
                               arguments: [name, rule.jsonText, Date().timeIntervalSince1970])
            }
            return Self.segment(from: try Row.fetchOne(db, sql: "SELECT * FROM segment WHERE id = ?", arguments: [db.lastInsertedRowID])!)
        }
    }

    public func updateSegment(_ id: SegmentID, name: String?, rule: SegmentRule?) async throws -> Segment {
        let name = try name.map { try Name.validate($0, field: "name", maximum: 100) }
        return try await writer.write { db in
            guard try Row.fetchOne(db, sql: "SELECT id FROM segment WHERE id = ?", arguments: [id.rawValue]) != nil else {
                throw NotFoundError("id", "no segment with id \(id)")
            }
            if let name {
                if try Int64.fetchOne(db, sql: "SELECT id FROM segment WHERE name = ? AND id != ?", arguments: [name, id.rawValue]) != nil {
                    throw ConflictError("name", "a segment named '\(name)' exists already")
                }
                try db.execute(sql: "UPDATE segment SET name = ? WHERE id = ?", arguments: [name, id.rawValue])
                // Lead reasons name the segment.
                try Self.markMembersChanged(db, id)
            }
            if let rule {
                // Version 0: the next refresh evaluates it whole, and re-scores its former and new members' leads.
                try db.execute(sql: "UPDATE segment SET rules = ?, version = 0 WHERE id = ?", arguments: [rule.jsonText, id.rawValue])
            }
            return Self.segment(from: try Row.fetchOne(db, sql: "SELECT * FROM segment WHERE id = ?", arguments: [id.rawValue])!)
        }
    }

    public func deleteSegment(_ id: SegmentID) async throws -> Bool {
        try await writer.write { db in
            try Self.markMembersChanged(db, id)
            try db.execute(sql: "DELETE FROM segment_member WHERE segment_id = ?", arguments: [id.rawValue])
            try db.execute(sql: "DELETE FROM segment WHERE id = ?", arguments: [id.rawValue])
            return db.changesCount == 1
        }
    }

    /// Marks the segment's members' profiles as changed for the next refresh, so their leads (whose
    /// reasons name their segments) are scored again.
    static func markMembersChanged(_ db: Database, _ id: SegmentID) throws {
        try db.execute(sql: """
            UPDATE consumer_profile SET version = (SELECT version + 1 FROM linker_state WHERE id = 1)
            WHERE consumer IN (SELECT consumer FROM segment_member WHERE segment_id = ?)
            """, arguments: [id.rawValue])
    }

    public func segments() async throws -> [Segment] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM segment ORDER BY id").map(Self.segment(from:)) }
    }

    public func segment(_ id: SegmentID) async throws -> Segment? {
        try await writer.read { db in try Row.fetchOne(db, sql: "SELECT * FROM segment WHERE id = ?", arguments: [id.rawValue]).map(Self.segment(from:)) }
    }

    public func members(of segment: SegmentID, after: String, limit: Int) async throws -> [String] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT consumer FROM segment_member WHERE segment_id = ? AND consumer > ? ORDER BY consumer LIMIT ?",
                                arguments: [segment.rawValue, after, limit])
        }
    }

    public func memberProfiles(of segment: SegmentID, after: String, limit: Int) async throws -> [ConsumerProfile] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(profileColumns) FROM segment_member m JOIN consumer_profile p ON p.consumer = m.consumer
                WHERE m.segment_id = ? AND m.consumer > ? ORDER BY m.consumer LIMIT ?
                """, arguments: [segment.rawValue, after, limit]).map(Self.profile(from:))
        }
    }

    public func profile(_ consumer: String) async throws -> ConsumerProfile? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT \(profileColumns) FROM consumer_profile p WHERE consumer = ?", arguments: [consumer]).map(Self.profile(from:))
        }
    }

    public func storeProfiles() async throws -> [StoreProfile] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.id, s.name, s.region, s.created_at, count(r.entry_id), count(DISTINCT e.consumer), max(r.at)
                FROM store s LEFT JOIN redemption r ON r.store_id = s.id LEFT JOIN entry e ON e.id = r.entry_id
                GROUP BY s.id ORDER BY s.id
                """).map {
                StoreProfile(store: Store(id: StoreID(rawValue: $0[0]), name: $0[1], region: $0[2], createdAt: Date(timeIntervalSince1970: $0[3])),
                             redemptions: $0[4], consumers: $0[5], lastRedemptionAt: ($0[6] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    // MARK: - Leads

    public func leads(after: Int64, limit: Int, segment: SegmentID?, minScore: Double?) async throws -> LeadPage {
        try await writer.read { db in
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
            for row in try Row.fetchAll(db, sql: "SELECT consumer, consented_at, consent_version, consent_text FROM consumer_contact WHERE consumer IN (\(marks))", arguments: arguments) {
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
        try await writer.read { db in
            func rows(_ sql: String) throws -> [[String: Any]] {
                try Row.fetchAll(db, sql: sql, arguments: [consumer]).map { row in
                    var object: [String: Any] = [:]
                    for (column, value) in row { object[column] = value.storage.value.map { $0 as Any } ?? NSNull() }
                    return object
                }
            }
            var document: [String: Any] = ["consumer": consumer]
            document["contact"] = try rows("SELECT name, phone, consent_version, consent_text, consented_at FROM consumer_contact WHERE consumer = ?").first
            document["scans"] = try rows("SELECT id, at, code, batch_id, ip, user_agent, region, latitude, longitude, verdict FROM scan WHERE consumer = ? ORDER BY id")
            document["entries"] = try rows("SELECT id, campaign_id, code, at, result, tier, points FROM entry WHERE consumer = ? ORDER BY id")
            document["claims"] = try rows("SELECT entry_id, name, phone, consent_version, at, redemption_code FROM claim WHERE consumer = ?")
            document["feedback"] = try rows("SELECT at, code, rating, comment FROM feedback WHERE consumer = ? ORDER BY id")
            document["profile"] = try rows("SELECT * FROM consumer_profile WHERE consumer = ?").first
            document["segments"] = try String.fetchAll(db, sql: """
                SELECT s.name FROM segment_member m JOIN segment s ON s.id = m.segment_id WHERE m.consumer = ? ORDER BY s.name
                """, arguments: [consumer])
            document["lead"] = try rows("SELECT score, reasons, source, created_at, updated_at FROM lead WHERE kind = 'consumer' AND ref = ?").first
            let empty = ["scans", "entries", "claims", "feedback"].allSatisfy { (document[$0] as? [Any])?.isEmpty ?? true }
                && document["contact"] == nil && document["profile"] == nil
            if empty { return nil }
            return try ConsumerExport.data(document)
        }
    }

    public func forgetConsumer(_ consumer: String) async throws -> Bool {
        let known = try await writer.write { db in
            var known = 0
            var hadLead = false
            // The policy is the domain's; this is how each of its steps reads in SQLite.
            for data in ErasurePolicy.Data.allCases {
                let sql: [String]
                switch (data, ErasurePolicy.action(for: data)) {
                case (.contact, .delete): sql = ["DELETE FROM consumer_contact WHERE consumer = ?"]
                case (.profile, .delete): sql = ["DELETE FROM consumer_profile WHERE consumer = ?"]
                case (.segmentMemberships, .delete): sql = ["DELETE FROM segment_member WHERE consumer = ?"]
                case (.lead, .tombstone):
                    hadLead = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM lead WHERE kind = 'consumer' AND ref = ?)", arguments: [consumer]) ?? false
                    guard hadLead else { continue }
                    // An older marker of the same id (erased before, a lead again since) gives way to the new one.
                    try db.execute(sql: "DELETE FROM lead WHERE kind = 'erased' AND ref = ?", arguments: [consumer])
                    try db.execute(sql: "UPDATE linker_state SET lead_seq = lead_seq + 1 WHERE id = 1")
                    try db.execute(sql: """
                        UPDATE lead SET kind = 'erased', name = NULL, phone = NULL, score = 0, reasons = '[]', source = '{}', updated_at = ?,
                            seq = (SELECT lead_seq FROM linker_state WHERE id = 1)
                        WHERE kind = 'consumer' AND ref = ?
                        """, arguments: [Date().timeIntervalSince1970, consumer])
                    known += db.changesCount
                    continue
                case (.linkerChanges, .delete): sql = ["DELETE FROM linker_change WHERE consumer = ?"]
                case (.claims, .anonymise): sql = ["UPDATE claim SET consumer = 'erased', name = '', phone = '' WHERE consumer = ?"]
                case (.feedback, .anonymise): sql = ["UPDATE feedback SET consumer = NULL, comment = NULL WHERE consumer = ?"]
                case (.entries, .anonymise): sql = ["UPDATE entry SET consumer = NULL WHERE consumer = ?"]
                case (.scans, .anonymise):
                    sql = ["UPDATE scan SET consumer = NULL, ip = NULL, user_agent = NULL, referer = NULL, latitude = NULL, longitude = NULL WHERE consumer = ?",
                           "UPDATE code_log SET consumer = NULL WHERE consumer = ?"]
                case (.events, .anonymise):
                    // Events name the consumer (and a claim's contact): keep the events, drop the person.
                    sql = ["""
                        UPDATE outbox SET body = json_replace(body, '$.data.consumer', NULL, '$.data.name', NULL, '$.data.phone', NULL)
                        WHERE json_extract(body, '$.data.consumer') = ? AND type <> 'consumer.erased'
                        """, """
                        UPDATE outbox SET body = json_replace(body, '$.data.id', NULL, '$.data.name', NULL, '$.data.phone', NULL)
                        WHERE type = 'lead.created' AND json_extract(body, '$.data.id') = ?
                        """]
                default:
                    throw InputError("erasure", "the SQLite store does not know how to carry out \(data) erasure")
                }
                for statement in sql {
                    try db.execute(sql: statement, arguments: [consumer])
                    known += db.changesCount
                }
            }
            try db.execute(sql: "UPDATE segment SET members = (SELECT count(*) FROM segment_member WHERE segment_id = segment.id)")
            // After the events lost the person: this one names the ids, for every receiver to erase too.
            if known > 0 { try Self.emit(db, .consumerErased, at: Date(), data: Lead.erasedEvent(consumer: consumer, hadLead: hadLead)) }
            return known > 0
        }
        // The old page images in the WAL still hold what was erased: copy the WAL into the database
        // (secure_delete zeroes the freed content there) and truncate it. Readers may hold old frames
        // for a moment; a few tries cover that.
        if known, path != nil {
            for attempt in 0..<20 {
                let done = try await writer.writeWithoutTransaction { db -> Bool in
                    (try? db.checkpoint(.truncate)) != nil
                }
                if done { break }
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
                  AND s.region != b.region AND s.region NOT LIKE b.region || '-%'
                GROUP BY s.batch_id, s.region ORDER BY count(*) DESC, s.batch_id, s.region
                """).map {
                DiversionAlert(batchId: $0[0], intendedRegion: $0[1], region: $0[2], scans: $0[3], codes: $0[4],
                               firstAt: Date(timeIntervalSince1970: $0[5]), lastAt: Date(timeIntervalSince1970: $0[6]))
            }
        }
    }
}

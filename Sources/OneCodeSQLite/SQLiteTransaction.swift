import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

/// The rows the rules read and write, in one SQLite write transaction: the only SQL behind
/// `ScanBook`, `CampaignBook` and `FeedbackBook`. It decides nothing.
///
/// Statements are GRDB's cached statements, prepared once per connection and reused by every
/// transaction (this runs for every scan of a group commit).
final class SQLiteTransaction: ScanTransaction, ClaimTransaction, FeedbackTransaction {
    let db: Database

    /// The store's shipment facts (`lastShipment`).
    let shipments: ShipmentCache
    /// The shipped codes as synced by `anyShipments()` in this transaction (nil: read shipment_code).
    var shipped: ShippedCodes?

    init(_ db: Database, shipments: ShipmentCache) {
        self.db = db
        self.shipments = shipments
    }

    /// Statements of this transaction by their call site: GRDB's cache is keyed by the SQL text (a
    /// string hash per call); a group commit asks for the same dozen statements for every scan.
    private var statements: [Int: Statement] = [:]

    private func statement(_ sql: String, line: Int = #line) throws -> Statement {
        if let known = statements[line] { return known }
        let made = try db.cachedStatement(sql: sql)
        statements[line] = made
        return made
    }

    // MARK: Codes and scans

    func code(_ key: CodeKey) throws -> CodeFacts? {
        try Row.fetchOne(statement("""
            SELECT c.batch_id, b.product_id, b.status, c.blacklist_reason IS NOT NULL, p.gtin, b.lot, b.pin_length
            FROM code c JOIN batch b ON b.id = c.batch_id JOIN product p ON p.id = b.product_id WHERE c.key = ?
            """), arguments: [key.rawValue]).map {
            CodeFacts(batch: BatchID(rawValue: $0[0]), product: ProductID(rawValue: $0[1]), status: BatchStatus(rawValue: $0[2]) ?? .void,
                      blacklisted: $0[3], gtin: $0[4], lot: $0[5], pinLength: $0[6])
        }
    }

    // MARK: Hidden PINs

    func pinState(of key: CodeKey) throws -> PinState? {
        try Row.fetchOne(statement("SELECT failures, locked_at FROM code_pin WHERE code_key = ?"), arguments: [key.rawValue]).map {
            PinState(failures: $0[0], lockedAt: ($0[1] as Double?).map(Date.init(timeIntervalSince1970:)))
        }
    }

    func recordWrongPin(_ key: CodeKey, at: Date) throws -> Int {
        try statement("INSERT INTO code_pin (code_key, failures) VALUES (?, 1) ON CONFLICT (code_key) DO UPDATE SET failures = failures + 1")
            .execute(arguments: [key.rawValue])
        return try Int.fetchOne(statement("SELECT failures FROM code_pin WHERE code_key = ?"), arguments: [key.rawValue]) ?? 1
    }

    func lockPin(_ key: CodeKey, at: Date) throws {
        try statement("UPDATE code_pin SET locked_at = ? WHERE code_key = ?").execute(arguments: [at.timeIntervalSince1970, key.rawValue])
    }

    func latestCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> ScanFacts? {
        try Row.fetchOne(statement("""
            SELECT l.ref, s.region, s.verdict FROM code_log l JOIN scan s ON s.id = l.ref
            WHERE l.code_key = ? AND l.slot > 0 AND l.consumer = ? ORDER BY l.slot DESC LIMIT 1
            """), arguments: [key.rawValue, consumer.value]).map {
            ScanFacts(id: $0[0], region: $0[1], verdict: ($0[2] as String?).flatMap(Verdict.init(rawValue:)))
        }
    }

    func latestCountedScan(of key: CodeKey) throws -> (at: Date, region: String?)? {
        try Row.fetchOne(statement("""
            SELECT l.at, s.region FROM code_log l JOIN scan s ON s.id = l.ref WHERE l.code_key = ? AND l.slot > 0 ORDER BY l.slot DESC LIMIT 1
            """), arguments: [key.rawValue]).map { (Date(timeIntervalSince1970: $0[0]), $0[1]) }
    }

    func countedScans(of key: CodeKey) throws -> Int {
        // The largest slot: one step down the code's part of code_log.
        try Int.fetchOne(statement("SELECT slot FROM code_log WHERE code_key = ? AND slot > 0 ORDER BY slot DESC LIMIT 1"),
                         arguments: [key.rawValue]) ?? 0
    }

    // code_log carries each counted scan's time and consumer, so these read no scan row.
    func firstCountedScan(of key: CodeKey) throws -> Date? {
        try Double.fetchOne(statement("SELECT at FROM code_log WHERE code_key = ? AND slot = 1"), arguments: [key.rawValue])
            .map(Date.init(timeIntervalSince1970:))
    }

    func distinctConsumers(of key: CodeKey, upTo limit: Int) throws -> Int {
        try Int.fetchOne(statement("""
            SELECT count(*) FROM (SELECT DISTINCT consumer FROM code_log WHERE code_key = ? AND slot > 0 AND consumer IS NOT NULL LIMIT ?)
            """), arguments: [key.rawValue, limit]) ?? 0
    }

    func hasCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> Bool {
        try Int.fetchOne(statement("SELECT 1 FROM code_log WHERE code_key = ? AND slot > 0 AND consumer = ? LIMIT 1"),
                         arguments: [key.rawValue, consumer.value]) != nil
    }

    func insertScan(_ row: ScanRow) throws -> Int64 {
        let request = row.request
        try statement("""
            INSERT INTO scan (at, code_key, code, batch_id, consumer, ip, user_agent, referer, bot, counted, region, verdict, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
            request.at.timeIntervalSince1970, request.key.rawValue, request.code, row.batch?.rawValue, request.consumer?.value,
            request.ip, request.userAgent, request.referer, request.bot, row.ordinal != nil, request.region,
            row.verdict.rawValue, row.reason.rawValue,
        ])
        let id = db.lastInsertedRowID
        try SQLiteStore.conflicts(as: ConflictError("code", "another scan of this code was counted at the same time; decide again")) {
            try statement("INSERT INTO code_log (code_key, slot, ref, at, consumer) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [request.key.rawValue, row.ordinal.map(Int64.init) ?? SQLiteStore.uncountedSlot(id), id,
                                     request.at.timeIntervalSince1970, request.consumer?.value])
        }
        return id
    }

    // MARK: Campaigns and draws

    func liveCampaigns(at now: Date) throws -> [Campaign] {
        try Row.fetchAll(statement("SELECT * FROM campaign WHERE status = 'live' AND starts_at <= ? AND ends_at > ?"),
                         arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970]).map(SQLiteStore.campaign(from:))
    }

    func anyPointsAwarded() throws -> Bool {
        try Bool.fetchOne(statement("SELECT EXISTS (SELECT 1 FROM entry WHERE points > 0)")) ?? false
    }

    func pointsBalance(of consumer: ConsumerID) throws -> Int {
        try Int.fetchOne(statement("SELECT coalesce(sum(points), 0) FROM entry WHERE consumer = ? AND points > 0"), arguments: [consumer.value]) ?? 0
    }

    func entry(in campaign: CampaignID, code key: CodeKey) throws -> EntryFacts? {
        try Row.fetchOne(statement("""
            SELECT e.id, e.result, e.tier, e.consumer, c.entry_id IS NOT NULL, c.redemption_code, r.at, s.name
            FROM code_log l JOIN entry e ON e.id = l.ref LEFT JOIN claim c ON c.entry_id = e.id
            LEFT JOIN redemption r ON r.entry_id = e.id LEFT JOIN store s ON s.id = r.store_id
            WHERE l.code_key = ? AND l.slot = ?
            """), arguments: [key.rawValue, -campaign.rawValue]).map {
            EntryFacts(id: EntryID(rawValue: $0[0]), result: DrawOutcome.Result(rawValue: $0[1]) ?? .lost, tier: $0[2], consumer: $0[3], claimed: $0[4],
                       redemptionCode: $0[5], redeemedAt: ($0[6] as Double?).map(Date.init(timeIntervalSince1970:)), redeemedAtStore: $0[7])
        }
    }

    func draws(in campaign: CampaignID, by consumer: ConsumerID, day: String) throws -> Int {
        try Int.fetchOne(statement("SELECT count(*) FROM entry WHERE campaign_id = ? AND consumer = ? AND day = ?"),
                         arguments: [campaign.rawValue, consumer.value, day]) ?? 0
    }

    func wins(in campaign: CampaignID, by consumer: ConsumerID) throws -> Int {
        try Int.fetchOne(statement("SELECT count(*) FROM entry WHERE campaign_id = ? AND consumer = ? AND result = 'won'"),
                         arguments: [campaign.rawValue, consumer.value]) ?? 0
    }

    func takePrize(campaign: CampaignID, tier: Int, day: String, dailyStock: Int?) throws -> Bool {
        try statement("UPDATE campaign_tier SET awarded = awarded + 1 WHERE campaign_id = ? AND tier = ? AND awarded < stock")
            .execute(arguments: [campaign.rawValue, tier])
        guard db.changesCount == 1 else { return false }
        guard let dailyStock else { return true }
        try statement("""
            INSERT INTO campaign_tier_day (campaign_id, tier, day, awarded) VALUES (?, ?, ?, 1)
            ON CONFLICT (campaign_id, tier, day) DO UPDATE SET awarded = awarded + 1 WHERE awarded < ?
            """).execute(arguments: [campaign.rawValue, tier, day, dailyStock])
        if db.changesCount == 1 { return true }
        // Today's stock is gone: give the prize back to the campaign's stock.
        try statement("UPDATE campaign_tier SET awarded = awarded - 1 WHERE campaign_id = ? AND tier = ?").execute(arguments: [campaign.rawValue, tier])
        return false
    }

    func insertEntry(_ row: EntryRow) throws -> EntryID {
        try statement("""
            INSERT INTO entry (campaign_id, scan_id, code_key, code, consumer, at, day, result, tier, points) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [row.campaign.rawValue, row.scan, row.key.rawValue, row.code, row.consumer?.value,
                                     row.at.timeIntervalSince1970, row.day, row.result.rawValue, row.tier, row.points])
        let id = db.lastInsertedRowID
        try SQLiteStore.conflicts(as: ConflictError("code", "this code drew in campaign \(row.campaign) already")) {
            try statement("INSERT INTO code_log (code_key, slot, ref) VALUES (?, ?, ?)").execute(arguments: [row.key.rawValue, -row.campaign.rawValue, id])
        }
        return EntryID(rawValue: id)
    }

    func emit(_ type: EventType, at: Date, data: EventJSON) throws {
        try SQLiteStore.emit(db, type, at: at, data: data)
    }

    // MARK: Claims and redemptions

    func wonEntry(in campaign: CampaignID, code key: CodeKey) throws -> WonEntry? {
        try Row.fetchOne(statement("""
            SELECT e.id, e.consumer, e.code, e.tier, k.definition, c.entry_id IS NOT NULL
            FROM code_log l JOIN entry e ON e.id = l.ref JOIN campaign k ON k.id = e.campaign_id LEFT JOIN claim c ON c.entry_id = e.id
            WHERE l.code_key = ? AND l.slot = ? AND e.result = 'won'
            """), arguments: [key.rawValue, -campaign.rawValue]).map {
            WonEntry(id: EntryID(rawValue: $0[0]), consumer: $0[1], code: $0[2], tier: $0[3], definition: try SQLiteStore.definition($0[4]),
                     claimed: $0[5])
        }
    }

    func claims(in campaign: CampaignID, phone: String) throws -> Int {
        try Int.fetchOne(statement("SELECT count(*) FROM claim c JOIN entry e ON e.id = c.entry_id WHERE e.campaign_id = ? AND c.phone = ?"),
                         arguments: [campaign.rawValue, phone]) ?? 0
    }

    func saveContact(_ consumer: ConsumerID, _ contact: ContactDetails, consent: Consent, marketing: Consent?, at: Date) throws {
        try statement("""
            INSERT INTO consumer_contact (consumer, name, phone, consent_version, consent_text, consented_at,
                marketing_consent_version, marketing_consent_text, marketing_consented_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (consumer) DO UPDATE SET \(ConsumerContactColumns.upsert)
            """).execute(arguments: [consumer.value, contact.name, contact.phone, consent.version, consent.text, at.timeIntervalSince1970,
                                     marketing?.version, marketing?.text, marketing.map { _ in at.timeIntervalSince1970 }])
    }

    func insertClaim(_ claim: Claim) throws -> Bool {
        // The primary key (one claim per entry) decides; DO NOTHING leaves the transaction usable on every backend.
        try statement("""
            INSERT INTO claim (entry_id, consumer, name, phone, consent_version, marketing_consent_version, at, redemption_code)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (entry_id) DO NOTHING
            """).execute(arguments: [claim.entryID.rawValue, claim.consumer, claim.contact.name, claim.contact.phone, claim.consentVersion,
                                     claim.marketingConsentVersion, claim.at.timeIntervalSince1970, claim.redemptionCode])
        return db.changesCount == 1
    }

    func redemptionFacts(_ redemptionCode: String) throws -> RedemptionFacts? {
        try Row.fetchOne(statement("""
            SELECT c.entry_id, e.campaign_id, e.code, e.tier, k.definition, r.store_id, r.at
            FROM claim c JOIN entry e ON e.id = c.entry_id JOIN campaign k ON k.id = e.campaign_id
            LEFT JOIN redemption r ON r.entry_id = c.entry_id WHERE c.redemption_code = ?
            """), arguments: [redemptionCode]).map {
            RedemptionFacts(entry: EntryID(rawValue: $0[0]), campaign: CampaignID(rawValue: $0[1]), code: $0[2], tier: $0[3],
                            definition: try SQLiteStore.definition($0[4]), redeemedBy: ($0[5] as Int64?).map(StoreID.init(rawValue:)),
                            redeemedAt: ($0[6] as Double?).map(Date.init(timeIntervalSince1970:)))
        }
    }

    func insertRedemption(entry: EntryID, store: StoreID, at: Date) throws -> Bool {
        try statement("INSERT INTO redemption (entry_id, store_id, at) VALUES (?, ?, ?) ON CONFLICT (entry_id) DO NOTHING")
            .execute(arguments: [entry.rawValue, store.rawValue, at.timeIntervalSince1970])
        return db.changesCount == 1
    }

    func appendAudit(_ entry: AuditEntry) throws { try SQLiteStore.append(entry, db) }

    // MARK: Feedback

    func ratings(of key: CodeKey) throws -> Int {
        try Int.fetchOne(statement("SELECT count(*) FROM feedback WHERE code_key = ?"), arguments: [key.rawValue]) ?? 0
    }

    func hasRated(_ key: CodeKey, by consumer: ConsumerID) throws -> Bool {
        try Int.fetchOne(statement("SELECT 1 FROM feedback WHERE code_key = ? AND consumer = ?"), arguments: [key.rawValue, consumer.value]) != nil
    }

    func insertFeedback(_ row: FeedbackRow) throws -> Bool {
        try statement("""
            INSERT INTO feedback (at, code_key, code, batch_id, product_id, consumer, rating, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (code_key, consumer) DO NOTHING
            """).execute(arguments: [row.at.timeIntervalSince1970, row.key.rawValue, row.code, row.batch.rawValue, row.product.rawValue,
                                     row.consumer.value, row.rating, row.comment])
        return db.changesCount == 1
    }
}

extension SQLiteStore: ScanTransactions, ClaimTransactions, FeedbackTransactions {
    public func withScanTransaction<T: Sendable>(_ body: @escaping @Sendable (any ScanTransaction) throws -> T) async throws -> T {
        try await writer.write { db in try body(SQLiteTransaction(db, shipments: shipments)) }
    }

    public func withClaimTransaction<T: Sendable>(_ body: @escaping @Sendable (any ClaimTransaction) throws -> T) async throws -> T {
        try await writer.write { db in try body(SQLiteTransaction(db, shipments: shipments)) }
    }

    public func withFeedbackTransaction<T: Sendable>(_ body: @escaping @Sendable (any FeedbackTransaction) throws -> T) async throws -> T {
        try await writer.write { db in try body(SQLiteTransaction(db, shipments: shipments)) }
    }

    /// The code_log slot of an uncounted scan: below every campaign's slot (see migration v10).
    static func uncountedSlot(_ scan: Int64) -> Int64 { -(1 << 40) - scan }

    /// Runs `body`, turning a UNIQUE or PRIMARY KEY violation into `conflict`: the one place where
    /// the schema's refusal of a race becomes the typed error the API answers 409 with.
    static func conflicts<T>(as conflict: ConflictError, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw conflict
        }
    }
}

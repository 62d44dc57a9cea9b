import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

/// The rows the rules read and write, in one PostgreSQL transaction: the counterpart of
/// `SQLiteTransaction`, with the same statements in PostgreSQL's dialect. It decides nothing.
///
/// Isolation is READ COMMITTED: a statement sees what other nodes committed before it began, and the
/// unique keys of `code_log`, `claim`, `redemption` and `feedback` refuse what a stale read let through
/// (the loser waits for the winner's commit, then gets the unique violation, which becomes
/// `ConflictError`). Stock is taken by a guarded UPDATE, re-checked on the row's newest version.
final class PostgresTransaction: ScanTransaction, ClaimTransaction, FeedbackTransaction {
    let db: SyncConnection

    init(_ db: SyncConnection) { self.db = db }

    // MARK: Codes and scans

    /// What `prepare` read of a group's codes, kept up to date as the group's scans are written.
    struct Known {
        var facts: CodeFacts?
        /// The code's counted scans (slot, time, consumer) in slot order, the first `prefetchLimit`.
        var counted: [(slot: Int, at: Date, consumer: String?)]
        /// The largest counted slot.
        var top: Int
        /// Whether `counted` holds every counted scan (else consumer questions are asked of the database).
        var complete: Bool { counted.count == top }
    }
    /// Counted scans read per code: past this (a code scanned hundreds of times) the rules' consumer
    /// questions go to the database.
    static let prefetchLimit = 128
    private var known: [CodeKey: Known] = [:]
    private var live: (at: Date, campaigns: [Campaign])?
    private var anyPoints: Bool?
    private var shipped: Bool?
    private var clerksBound: Bool?
    /// The clerk bound to each of the group's codes (its case or a package it is in), read by `prepare`.
    private var clerkBindings: [CodeKey: ClerkBinding]?
    /// The last shipment of each of the group's codes (or of a package it is in), read by `prepare`.
    private var shipments: [CodeKey: ShipmentFacts]?
    /// Scan ids taken ahead from the sequence, and the scans held until `flush`.
    private var ids: [Int64] = []
    private var pending = EventJSONArray()

    /// One round trip for the whole group: the codes with their product and batch, their counted scans,
    /// scan ids, the live campaigns, and whether points were ever awarded (pipelined statements).
    func prepare(_ requests: [ScanRequest], now: Date) throws {
        let keys = Array(Set(requests.map(\.key.rawValue)))
        let results = try db.pipeline([
            """
            SELECT c.key, c.batch_id, b.product_id, b.status, c.blacklist_reason IS NOT NULL, p.gtin, b.lot,
                   coalesce((SELECT max(slot) FROM code_log l WHERE l.code_key = c.key AND l.slot > 0), 0), b.pin_length
            FROM code c JOIN batch b ON b.id = c.batch_id JOIN product p ON p.id = b.product_id WHERE c.key = ANY(\(keys))
            """,
            """
            SELECT k.key, l.slot, l.at, l.consumer FROM unnest(\(keys)::int8[]) AS k(key)
            CROSS JOIN LATERAL (SELECT slot, at, consumer FROM code_log WHERE code_key = k.key AND slot > 0
                                ORDER BY slot LIMIT \(Self.prefetchLimit)) l
            """,
            "SELECT nextval('scan_id_seq') FROM generate_series(1, \(requests.count))",
            "SELECT id, definition, status, created_at FROM campaign WHERE status = 'live' AND starts_at <= \(now) AND ends_at > \(now)",
            "SELECT EXISTS (SELECT 1 FROM entry WHERE points > 0)",
            "SELECT EXISTS (SELECT 1 FROM shipment), EXISTS (SELECT 1 FROM clerk_case)",
            PostgresStore.lastShipmentsQuery(keys),
            PostgresStore.clerkBindingsQuery(keys),
        ])
        for key in keys { known[CodeKey(rawValue: key)] = Known(facts: nil, counted: [], top: 0) }
        for row in results[0].rows {
            let (key, batch, product, status, blacklisted, gtin, lot, top, pin) =
                try row.decode((Int64, Int64, Int64, String, Bool, String?, String?, Int, Int).self)
            known[CodeKey(rawValue: key)]?.facts = CodeFacts(
                batch: BatchID(rawValue: batch), product: ProductID(rawValue: product), status: BatchStatus(rawValue: status) ?? .void,
                blacklisted: blacklisted, gtin: gtin, lot: lot, pinLength: pin)
            known[CodeKey(rawValue: key)]?.top = top
        }
        for row in results[1].rows {
            let (key, slot, at, consumer) = try row.decode((Int64, Int, Date, String?).self)
            known[CodeKey(rawValue: key)]?.counted.append((slot, at, consumer))
        }
        ids = try results[2].rows.map { try $0.decode(Int64.self) }.reversed()
        live = (now, try results[3].rows.map(PostgresStore.campaign(from:)))
        anyPoints = try results[4].rows.first?.decode(Bool.self) ?? false
        (shipped, clerksBound) = try results[5].rows.first?.decode((Bool, Bool).self) ?? (false, false)
        shipments = try PostgresStore.newestShipments(results[6].rows)
        var bound: [CodeKey: ClerkBinding] = [:]
        for row in results[7].rows {
            let (origin, binding) = try PostgresStore.clerkBinding(from: row)
            bound[CodeKey(rawValue: origin)] = binding
        }
        clerkBindings = bound
    }

    func code(_ key: CodeKey) throws -> CodeFacts? {
        if let known = known[key] { return known.facts }
        return try db.row("""
            SELECT c.batch_id, b.product_id, b.status, c.blacklist_reason IS NOT NULL, p.gtin, b.lot, b.pin_length
            FROM code c JOIN batch b ON b.id = c.batch_id JOIN product p ON p.id = b.product_id WHERE c.key = \(key.rawValue)
            """).map {
            let (batch, product, status, blacklisted, gtin, lot, pin) = try $0.decode((Int64, Int64, String, Bool, String?, String?, Int).self)
            return CodeFacts(batch: BatchID(rawValue: batch), product: ProductID(rawValue: product), status: BatchStatus(rawValue: status) ?? .void,
                             blacklisted: blacklisted, gtin: gtin, lot: lot, pinLength: pin)
        }
    }

    func countedScans(of key: CodeKey) throws -> Int {
        if let known = known[key] { return known.top }
        return try db.row("SELECT slot FROM code_log WHERE code_key = \(key.rawValue) AND slot > 0 ORDER BY slot DESC LIMIT 1")?.decode(Int.self) ?? 0
    }

    func firstCountedScan(of key: CodeKey) throws -> Date? {
        if let known = known[key] { return known.counted.first?.at }
        return try db.row("SELECT at FROM code_log WHERE code_key = \(key.rawValue) AND slot = 1")?.decode(Date?.self)
    }

    func distinctConsumers(of key: CodeKey, upTo limit: Int) throws -> Int {
        if let known = known[key], known.complete {
            var seen = Set<String>()
            for scan in known.counted { if let consumer = scan.consumer { seen.insert(consumer) }; if seen.count >= limit { break } }
            return seen.count
        }
        return try db.row("""
            SELECT count(*) FROM (SELECT DISTINCT consumer FROM code_log
                WHERE code_key = \(key.rawValue) AND slot > 0 AND consumer IS NOT NULL LIMIT \(limit)) d
            """)?.decode(Int.self) ?? 0
    }

    func hasCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> Bool {
        if let known = known[key], known.complete { return known.counted.contains { $0.consumer == consumer.value } }
        return try db.row("SELECT 1 FROM code_log WHERE code_key = \(key.rawValue) AND slot > 0 AND consumer = \(consumer.value) LIMIT 1") != nil
    }

    /// After `prepare`, the scan takes an id taken ahead and is held until `flush` (one statement for the
    /// group); the codes' cached state moves on as if it were written.
    func insertScan(_ row: ScanRow) throws -> Int64 {
        let request = row.request
        guard let id = ids.popLast() else { return try insertScanNow(row) }
        var scan = EventJSON()
        scan.add("id", id)
        scan.add("at", request.at.timeIntervalSince1970)
        scan.add("code_key", request.key.rawValue)
        scan.add("code", request.code)
        scan.add("batch_id", row.batch?.rawValue)
        scan.add("consumer", request.consumer?.value)
        scan.add("ip", request.ip)
        scan.add("user_agent", request.userAgent)
        scan.add("referer", request.referer)
        scan.add("bot", request.bot ? 1 : 0)
        scan.add("region", request.region)
        scan.add("verdict", row.verdict.rawValue)
        scan.add("reason", row.reason.rawValue)
        scan.add("slot", row.ordinal.map(Int64.init) ?? PostgresStore.uncountedBase - id)
        scan.add("counted", row.ordinal == nil ? 0 : 1)
        pending.append(scan)
        if let ordinal = row.ordinal, known[request.key] != nil {
            known[request.key]!.counted.append((ordinal, request.at, request.consumer?.value))
            known[request.key]!.top = max(known[request.key]!.top, ordinal)
        }
        return id
    }

    /// The statement that writes the held scans and their code_log rows (sent with COMMIT). The rows go
    /// in key order, so two nodes' groups that share codes wait on each other in one order, not in a cycle.
    func flush() throws -> PostgresQuery? {
        guard !pending.isEmpty else { return nil }
        let rows = pending.text
        pending = EventJSONArray()
        return """
            WITH x AS (
                SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS x(id bigint, at double precision, code_key bigint, code text, batch_id bigint,
                    consumer text, ip text, user_agent text, referer text, bot int, region text, verdict text, reason text, slot bigint, counted int)),
            s AS (
                INSERT INTO scan (id, at, code_key, code, batch_id, consumer, ip, user_agent, referer, bot, counted, region, verdict, reason)
                SELECT id, to_timestamp(at), code_key, code, batch_id, consumer, ip, user_agent, referer, bot <> 0, counted <> 0, region, verdict, reason
                FROM x)
            INSERT INTO code_log (code_key, slot, ref, at, consumer) SELECT code_key, slot, id, to_timestamp(at), consumer FROM x
            ORDER BY code_key, slot
            """
    }

    private func insertScanNow(_ row: ScanRow) throws -> Int64 {
        let request = row.request
        // One round trip: the scan, then its code_log row (the slot refused when another scan holds it).
        let result = try db.execute("""
            WITH s AS (
                INSERT INTO scan (at, code_key, code, batch_id, consumer, ip, user_agent, referer, bot, counted, region, verdict, reason)
                VALUES (\(request.at), \(request.key.rawValue), \(request.code), \(row.batch?.rawValue), \(request.consumer?.value),
                        \(request.ip), \(request.userAgent), \(request.referer), \(request.bot), \(row.ordinal != nil), \(request.region),
                        \(row.verdict.rawValue), \(row.reason.rawValue))
                RETURNING id)
            INSERT INTO code_log (code_key, slot, ref, at, consumer)
            SELECT \(request.key.rawValue), coalesce(\(row.ordinal.map(Int64.init)), \(PostgresStore.uncountedBase) - s.id), s.id,
                   \(request.at), \(request.consumer?.value)
            FROM s RETURNING ref
            """, conflict: ConflictError("code", "another scan of this code was counted at the same time; decide again"))
        guard let id = try result.rows.first?.decode(Int64.self) else { throw ConflictError("code", "the scan was not written; decide again") }
        return id
    }

    // MARK: Campaigns and draws

    func liveCampaigns(at now: Date) throws -> [Campaign] {
        if let live, live.at == now { return live.campaigns }
        return try db.rows("""
            SELECT id, definition, status, created_at FROM campaign WHERE status = 'live' AND starts_at <= \(now) AND ends_at > \(now)
            """).map(PostgresStore.campaign(from:))
    }

    // MARK: Hidden PINs

    func pinState(of key: CodeKey) throws -> PinState? {
        try db.row("SELECT failures, locked_at FROM code_pin WHERE code_key = \(key.rawValue)").map {
            let (failures, locked) = try $0.decode((Int, Date?).self)
            return PinState(failures: failures, lockedAt: locked)
        }
    }

    func recordWrongPin(_ key: CodeKey, at: Date) throws -> Int {
        try db.row("""
            INSERT INTO code_pin (code_key, failures) VALUES (\(key.rawValue), 1)
            ON CONFLICT (code_key) DO UPDATE SET failures = code_pin.failures + 1 RETURNING failures
            """)?.decode(Int.self) ?? 1
    }

    func lockPin(_ key: CodeKey, at: Date) throws {
        try db.execute("UPDATE code_pin SET locked_at = \(at) WHERE code_key = \(key.rawValue)")
    }

    func latestCountedScan(of key: CodeKey) throws -> (at: Date, region: String?)? {
        try db.row("""
            SELECT l.at, (SELECT region FROM scan WHERE id = l.ref LIMIT 1) FROM code_log l
            WHERE l.code_key = \(key.rawValue) AND l.slot > 0 ORDER BY l.slot DESC LIMIT 1
            """).map { try $0.decode((Date, String?).self) }
    }

    func latestCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> ScanFacts? {
        try db.row("""
            SELECT l.ref, s.region, s.verdict FROM code_log l LEFT JOIN LATERAL (SELECT region, verdict FROM scan WHERE id = l.ref LIMIT 1) s ON true
            WHERE l.code_key = \(key.rawValue) AND l.slot > 0 AND l.consumer = \(consumer.value) ORDER BY l.slot DESC LIMIT 1
            """).map {
            let (id, region, verdict) = try $0.decode((Int64, String?, String?).self)
            return ScanFacts(id: id, region: region, verdict: verdict.flatMap(Verdict.init(rawValue:)))
        }
    }

    // MARK: Channel

    func anyShipments() throws -> Bool {
        if let shipped { return shipped }
        return try db.row("SELECT EXISTS (SELECT 1 FROM shipment)")?.decode(Bool.self) ?? false
    }

    func lastShipment(of key: CodeKey) throws -> ShipmentFacts? {
        if let shipments, known[key] != nil { return shipments[key] }
        return try PostgresStore.lastShipments(db, [key.rawValue])[key]
    }

    func insertDiversion(_ row: DiversionRow) throws -> Bool { try PostgresStore.insertDiversion(db, row) }

    /// Asked only of a scan without a region whose item was shipped: one statement then.
    func receiptRegion(of key: CodeKey) throws -> String? {
        guard let row = try db.row(PostgresStore.receiptRegionsQuery([key.rawValue])) else { return nil }
        let (_, region) = try row.decode((Int64, String).self)
        return region
    }

    func anyClerkBindings() throws -> Bool {
        if let clerksBound { return clerksBound }
        return try db.row("SELECT EXISTS (SELECT 1 FROM clerk_case)")?.decode(Bool.self) ?? false
    }

    func clerkBinding(of key: CodeKey) throws -> ClerkBinding? {
        if let clerkBindings, known[key] != nil { return clerkBindings[key] }
        return try db.row(PostgresStore.clerkBindingsQuery([key.rawValue])).map { try PostgresStore.clerkBinding(from: $0).1 }
    }

    func takeClerkReward(_ clerk: ClerkID, day: String, amount: Int, cap: Int) throws -> Bool {
        try PostgresStore.takeClerkReward(db, clerk, day: day, amount: amount, cap: cap)
    }

    func insertLedger(_ row: LedgerRow) throws -> Int64 { try PostgresStore.insertLedger(db, row) }

    func anyPointsAwarded() throws -> Bool {
        if let anyPoints { return anyPoints }
        return try db.row("SELECT EXISTS (SELECT 1 FROM entry WHERE points > 0)")?.decode(Bool.self) ?? false
    }

    func pointsBalance(of consumer: ConsumerID) throws -> Int {
        try db.row("SELECT coalesce(sum(points), 0)::bigint FROM entry WHERE consumer = \(consumer.value) AND points > 0")?.decode(Int.self) ?? 0
    }

    func entry(in campaign: CampaignID, code key: CodeKey) throws -> EntryFacts? {
        try db.row("""
            SELECT e.id, e.result, e.tier, e.consumer, c.entry_id IS NOT NULL, c.redemption_code, r.at, s.name
            FROM code_log l JOIN entry e ON e.id = l.ref LEFT JOIN claim c ON c.entry_id = e.id
            LEFT JOIN redemption r ON r.entry_id = e.id LEFT JOIN store s ON s.id = r.store_id
            WHERE l.code_key = \(key.rawValue) AND l.slot = \(-campaign.rawValue)
            """).map {
            let (id, result, tier, consumer, claimed, code, redeemedAt, store) =
                try $0.decode((Int64, String, Int?, String?, Bool, String?, Date?, String?).self)
            return EntryFacts(id: EntryID(rawValue: id), result: DrawOutcome.Result(rawValue: result) ?? .lost, tier: tier, consumer: consumer,
                              claimed: claimed, redemptionCode: code, redeemedAt: redeemedAt, redeemedAtStore: store)
        }
    }

    /// Limits per consumer or phone are counts checked before a write, and a second node could write
    /// between another's count and its write: the count is taken under a transaction-scoped advisory
    /// lock on (what is limited, campaign, who), so two nodes' checks of the same consumer or phone take
    /// turns and the second sees the first's row.
    private func lockLimit(_ kind: String, _ campaign: CampaignID, _ who: String) throws {
        try db.execute("SELECT pg_advisory_xact_lock(hashtextextended(\(kind + ":" + String(campaign.rawValue) + ":" + who), 0))")
    }

    func draws(in campaign: CampaignID, by consumer: ConsumerID, day: String) throws -> Int {
        try lockLimit("draws", campaign, consumer.value)
        return try db.row("SELECT count(*) FROM entry WHERE campaign_id = \(campaign.rawValue) AND consumer = \(consumer.value) AND day = \(day)")?
            .decode(Int.self) ?? 0
    }

    func wins(in campaign: CampaignID, by consumer: ConsumerID) throws -> Int {
        try lockLimit("wins", campaign, consumer.value)
        return try db.row("SELECT count(*) FROM entry WHERE campaign_id = \(campaign.rawValue) AND consumer = \(consumer.value) AND result = 'won'")?
            .decode(Int.self) ?? 0
    }

    func takePrize(campaign: CampaignID, tier: Int, day: String, dailyStock: Int?) throws -> Bool {
        // Under READ COMMITTED a concurrent award makes this UPDATE re-check `awarded < stock` on the row's
        // newest version, so two nodes never both take the last prize.
        let took = try db.execute("""
            UPDATE campaign_tier SET awarded = awarded + 1 WHERE campaign_id = \(campaign.rawValue) AND tier = \(tier) AND awarded < stock
            """)
        guard took == 1 else { return false }
        guard let dailyStock else { return true }
        let today = try db.execute("""
            INSERT INTO campaign_tier_day AS d (campaign_id, tier, day, awarded) VALUES (\(campaign.rawValue), \(tier), \(day), 1)
            ON CONFLICT (campaign_id, tier, day) DO UPDATE SET awarded = d.awarded + 1 WHERE d.awarded < \(dailyStock)
            """)
        if today == 1 { return true }
        // Today's stock is gone: give the prize back to the campaign's stock.
        try db.execute("UPDATE campaign_tier SET awarded = awarded - 1 WHERE campaign_id = \(campaign.rawValue) AND tier = \(tier)")
        return false
    }

    func insertEntry(_ row: EntryRow) throws -> EntryID {
        let result = try db.execute("""
            WITH e AS (
                INSERT INTO entry (campaign_id, scan_id, code_key, code, consumer, at, day, result, tier, points)
                VALUES (\(row.campaign.rawValue), \(row.scan), \(row.key.rawValue), \(row.code), \(row.consumer?.value), \(row.at), \(row.day),
                        \(row.result.rawValue), \(row.tier), \(row.points))
                RETURNING id)
            INSERT INTO code_log (code_key, slot, ref) SELECT \(row.key.rawValue), \(-row.campaign.rawValue), e.id FROM e RETURNING ref
            """, conflict: ConflictError("code", "this code drew in campaign \(row.campaign) already"))
        guard let id = try result.rows.first?.decode(Int64.self) else { throw ConflictError("code", "the draw was not written; decide again") }
        return EntryID(rawValue: id)
    }

    func emit(_ type: EventType, at: Date, data: EventJSON) throws {
        try PostgresStore.emit(db, type, at: at, data: data)
    }

    // MARK: Claims and redemptions

    func wonEntry(in campaign: CampaignID, code key: CodeKey) throws -> WonEntry? {
        try db.row("""
            SELECT e.id, e.consumer, e.code, e.tier, k.definition, c.entry_id IS NOT NULL
            FROM code_log l JOIN entry e ON e.id = l.ref JOIN campaign k ON k.id = e.campaign_id LEFT JOIN claim c ON c.entry_id = e.id
            WHERE l.code_key = \(key.rawValue) AND l.slot = \(-campaign.rawValue) AND e.result = 'won'
            """).map {
            let (id, consumer, code, tier, definition, claimed) = try $0.decode((Int64, String?, String, Int?, String, Bool).self)
            return WonEntry(id: EntryID(rawValue: id), consumer: consumer, code: code, tier: tier,
                            definition: try StoredDefinition.definition(definition), claimed: claimed)
        }
    }

    func claims(in campaign: CampaignID, phone: String) throws -> Int {
        try lockLimit("phone", campaign, phone)
        return try db.row("""
            SELECT count(*) FROM claim c JOIN entry e ON e.id = c.entry_id WHERE e.campaign_id = \(campaign.rawValue) AND c.phone = \(phone)
            """)?.decode(Int.self) ?? 0
    }

    func saveContact(_ consumer: ConsumerID, _ contact: ContactDetails, consent: Consent, marketing: Consent?, at: Date) throws {
        let marketingAt: Date? = marketing == nil ? nil : at
        try db.execute("""
            INSERT INTO consumer_contact (consumer, name, phone, consent_version, consent_text, consented_at,
                marketing_consent_version, marketing_consent_text, marketing_consented_at)
            VALUES (\(consumer.value), \(contact.name), \(contact.phone), \(consent.version), \(consent.text), \(at),
                    \(marketing?.version), \(marketing?.text), \(marketingAt))
            ON CONFLICT (consumer) DO UPDATE SET \(unescaped: ConsumerContactColumns.upsert)
            """)
    }

    func insertClaim(_ claim: Claim) throws -> Bool {
        try db.execute("""
            INSERT INTO claim (entry_id, consumer, name, phone, consent_version, marketing_consent_version, at, redemption_code)
            VALUES (\(claim.entryID.rawValue), \(claim.consumer), \(claim.contact.name), \(claim.contact.phone), \(claim.consentVersion),
                    \(claim.marketingConsentVersion), \(claim.at), \(claim.redemptionCode))
            ON CONFLICT (entry_id) DO NOTHING
            """) == 1
    }

    func redemptionFacts(_ redemptionCode: String) throws -> RedemptionFacts? {
        try db.row("""
            SELECT c.entry_id, e.campaign_id, e.code, e.tier, k.definition, r.store_id, r.at
            FROM claim c JOIN entry e ON e.id = c.entry_id JOIN campaign k ON k.id = e.campaign_id
            LEFT JOIN redemption r ON r.entry_id = c.entry_id WHERE c.redemption_code = \(redemptionCode)
            """).map {
            let (entry, campaign, code, tier, definition, store, at) = try $0.decode((Int64, Int64, String, Int?, String, Int64?, Date?).self)
            return RedemptionFacts(entry: EntryID(rawValue: entry), campaign: CampaignID(rawValue: campaign), code: code, tier: tier,
                                   definition: try StoredDefinition.definition(definition), redeemedBy: store.map(StoreID.init(rawValue:)),
                                   redeemedAt: at)
        }
    }

    func insertRedemption(entry: EntryID, store: StoreID, at: Date) throws -> Bool {
        try db.execute("""
            INSERT INTO redemption (entry_id, store_id, at) VALUES (\(entry.rawValue), \(store.rawValue), \(at)) ON CONFLICT (entry_id) DO NOTHING
            """) == 1
    }

    func appendAudit(_ entry: AuditEntry) throws { try PostgresStore.append(entry, db) }

    // MARK: Feedback

    func ratings(of key: CodeKey) throws -> Int {
        try db.row("SELECT count(*)::int FROM feedback WHERE code_key = \(key.rawValue)")?.decode(Int.self) ?? 0
    }

    func hasRated(_ key: CodeKey, by consumer: ConsumerID) throws -> Bool {
        try db.row("SELECT 1 FROM feedback WHERE code_key = \(key.rawValue) AND consumer = \(consumer.value)") != nil
    }

    func insertFeedback(_ row: FeedbackRow) throws -> Bool {
        try db.execute("""
            INSERT INTO feedback (at, code_key, code, batch_id, product_id, consumer, rating, comment)
            VALUES (\(row.at), \(row.key.rawValue), \(row.code), \(row.batch.rawValue), \(row.product.rawValue), \(row.consumer.value),
                    \(row.rating), \(row.comment))
            ON CONFLICT (code_key, consumer) DO NOTHING
            """) == 1
    }
}

extension PostgresStore: ScanTransactions, ClaimTransactions, FeedbackTransactions {
    public func withScanTransaction<T: Sendable>(_ body: @escaping @Sendable (any ScanTransaction) throws -> T) async throws -> T {
        let box = TransactionBox()
        do {
            return try await write({ db in
                let tx = PostgresTransaction(db)
                box.tx = tx
                return try body(tx)
            }, last: { try box.tx?.flush() })
        } catch let error as PostgresFailure where error.state == PostgresError.Code.uniqueViolation.raw {
            // The held scans' slots: another writer counted a scan of one of these codes first.
            throw ConflictError("code", "another scan of this code was counted at the same time; decide again")
        }
    }

    public func withClaimTransaction<T: Sendable>(_ body: @escaping @Sendable (any ClaimTransaction) throws -> T) async throws -> T {
        try await write { db in try body(PostgresTransaction(db)) }
    }

    public func withFeedbackTransaction<T: Sendable>(_ body: @escaping @Sendable (any FeedbackTransaction) throws -> T) async throws -> T {
        try await write { db in try body(PostgresTransaction(db)) }
    }

    /// The code_log slots of uncounted scans lie below this minus the scan id (as on SQLite: below every campaign's slot).
    static let uncountedBase: Int64 = -(1 << 40)

    /// Writes an event inside the caller's transaction (`OutboxEvent.envelope`); its `seq` comes later.
    static func emit(_ db: SyncConnection, _ type: EventType, at: Date, data: EventJSON) throws {
        let (id, body) = OutboxEvent.envelope(type, at: at, data: data)
        try db.execute("INSERT INTO outbox (event_id, type, body, created_at) VALUES (\(id), \(type.rawValue), \(body), \(at))")
    }
}

/// Rows as a JSON array, for `jsonb_to_recordset`: one parameter carries a whole group.
struct EventJSONArray {
    private var items: [String] = []
    var isEmpty: Bool { items.isEmpty }
    mutating func append(_ row: EventJSON) { items.append(row.text) }
    var text: String { "[" + items.joined(separator: ",") + "]" }
}

/// The scan transaction, for the statement `write` sends with COMMIT.
final class TransactionBox: @unchecked Sendable {
    var tx: PostgresTransaction?
}

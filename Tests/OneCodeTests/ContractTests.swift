import Foundation
import GRDB
import Synchronization
import OneCodeDomain
import OneCodeIssuing
@testable import OneCodePostgres
import OneCodeRulebook
@testable import OneCodeSQLite
import OneCodeStorage
import Testing

/// The ports the contract suite exercises: all of them.
typealias ContractStore = OneCodeStore

/// A storage backend the contract suite runs against. Every test below takes one and runs once per backend.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    /// The backends the suites run on: both, unless `ONECODE_TEST_BACKENDS` names some (the fast tier
    /// sets `sqlite`: no PostgreSQL server is started).
    static let complete: [Backend] = {
        guard let names = ProcessInfo.processInfo.environment["ONECODE_TEST_BACKENDS"], !names.isEmpty else { return allCases }
        return names.split(separator: ",").compactMap { Backend(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
    }()

    var testDescription: String { rawValue }

    /// A migrated database of this backend for `folder` (fresh the first time; the same `name` again is
    /// the same database, as a second node would open it).
    func open(_ folder: TemporaryFolder, name: String = "onecode.sqlite") async throws -> any ContractStore {
        switch self {
        case .sqlite: try SQLiteStore(path: folder.file(name))
        case .postgres: try await PostgresStore(await TestPostgres.database(folder.file(name)), connections: 4)
        }
    }

    /// The one value `sql` selects, read with the backend's own command-line client.
    func query(_ sql: String, in folder: TemporaryFolder, name: String = "onecode.sqlite") async throws -> String {
        let result = switch self {
        case .sqlite: try await Run.program("/usr/bin/sqlite3", Self.sqliteFiles(folder.file(name)) + [sql])
        case .postgres: try await Run.program("/usr/bin/psql", [TestPostgres.database(folder.file(name)).url, "-tAc", sql])
        }
        guard result.status == 0 else { throw TestPostgresError(message: "\(sql): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The one value `sql` selects from the folder's SQLite database, blocking the calling thread: only for a
    /// thread that is not one of Swift's cooperative ones (a store's writer thread, inside its transaction).
    static func sqliteBlocking(_ sql: String, in folder: TemporaryFolder, name: String = "onecode.sqlite") throws -> String {
        let result = try Run.start("/usr/bin/sqlite3", sqliteFiles(folder.file(name)) + [sql]).waitBlocking()
        guard result.status == 0 else { throw TestPostgresError(message: "\(sql): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// sqlite3's arguments for the database at `path` with the linker's file attached when there is one
    /// (so the linker's tables are found by their names, as the service's reading connections find them).
    static func sqliteFiles(_ path: String) -> [String] {
        let linker = path + "-linker"
        guard FileManager.default.fileExists(atPath: linker) else { return [path] }
        return ["-cmd", "ATTACH '\(linker)' AS linker", path]
    }

    /// The number of rows of `table`.
    func count(_ table: String, in folder: TemporaryFolder, name: String = "onecode.sqlite") async throws -> Int {
        try await Int(query("SELECT count(*) FROM \(table)", in: folder, name: name)) ?? -1
    }

    /// What `onecode --database` takes for the database of `folder`.
    func database(_ folder: TemporaryFolder, name: String = "onecode.sqlite") async throws -> String {
        switch self {
        case .sqlite: folder.file(name)
        case .postgres: try await TestPostgres.database(folder.file(name)).url
        }
    }

    /// The whole database as SQL text (sqlite3's `.dump`, pg_dump's `--inserts`): to search every table.
    func dumpAll(in folder: TemporaryFolder, name: String = "onecode.sqlite") async throws -> ProcessResult {
        switch self {
        case .sqlite:
            // Both files: the database and the linker's (`LinkerFile`), each dumped whole.
            let database = try await Run.program("/usr/bin/sqlite3", [folder.file(name), ".dump"])
            let linker = try await Run.program("/usr/bin/sqlite3", [folder.file(name) + "-linker", ".dump"])
            return ProcessResult(status: database.status | linker.status, stdout: database.stdout + linker.stdout, stderr: database.stderr + linker.stderr,
                                 reason: database.reason)
        case .postgres: return try await Run.program("/usr/bin/pg_dump", ["--data-only", "--inserts", try await TestPostgres.database(folder.file(name)).url])
        }
    }

    /// The rows several queries select, each row's columns joined by `|`, read with the backend's own
    /// client (each backend prints its own values in its own way: compare within one backend).
    func dump(_ queries: [String], in folder: TemporaryFolder, name: String = "onecode.sqlite") async throws -> String {
        var rows: [String] = []
        for query in queries { rows.append(try await self.query(query, in: folder, name: name)) }
        return rows.joined(separator: "\n--\n")
    }
}

/// A product, an active batch of codes and a live campaign on a backend: what most contract tests start from.
/// The world is `ServiceFixture`'s (one builder for every in-process suite): a product without a GTIN, short URLs.
struct ContractWorld {
    static let signer = ServiceFixture.signer
    let fixture: ServiceFixture
    var folder: TemporaryFolder { fixture.folder }
    var store: any ContractStore { fixture.store }
    var batch: Batch { fixture.batch }
    var codes: [String] { fixture.codes }

    init(_ backend: Backend, codes count: Int = 10) async throws {
        fixture = try await ServiceFixture(backend: backend, count: count, lot: nil, gtin: nil, productName: "Tea")
    }

    func key(_ code: String) -> CodeKey {
        guard case let .valid(key, _) = Self.signer.check(code) else { fatalError("bad code") }
        return key
    }

    func request(_ code: String, consumer: ConsumerID? = ConsumerID.random(), at: Date = Date()) -> ScanRequest {
        ScanRequest(key: key(code), code: code, at: at, consumer: consumer, ip: nil, userAgent: ServiceFixture.phone, referer: nil,
                    bot: false, region: nil)
    }

    /// A live campaign over everything with one goods tier won on every draw.
    func campaign(stock: Int = 10, dailyStock: Int? = nil, limits: String = "{}") async throws -> Campaign {
        try await store.createCampaign(try CampaignDefinition.parse(Data("""
            {"name": "Win", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "status": "live",
             "tiers": [{"name": "Bottle", "kind": "goods", "value": 1, "probability": 1, "stock": \(stock)\(dailyStock.map { ", \"dailyStock\": \($0)" } ?? "")}],
             "limits": \(limits)}
            """.utf8)), audit: .test)
    }
}

/// A scan transaction that answers the reads as a second writer saw them a moment ago (before the
/// other writer's commit): the code has no counted scans and has not drawn. The rules then take the
/// check-free path, and only the schema stands between them and a second `genuine` or a second draw.
final class StaleScanReads: ForwardingScanTransaction, @unchecked Sendable {
    let base: any ScanTransaction
    init(_ base: any ScanTransaction) { self.base = base }
    func countedScans(of key: CodeKey) throws -> Int { 0 }
    func firstCountedScan(of key: CodeKey) throws -> Date? { nil }
    func distinctConsumers(of key: CodeKey, upTo limit: Int) throws -> Int { 0 }
    func hasCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> Bool { false }
    func entry(in campaign: CampaignID, code key: CodeKey) throws -> EntryFacts? { nil }
    func draws(in campaign: CampaignID, by consumer: ConsumerID, day: String) throws -> Int { 0 }
    func wins(in campaign: CampaignID, by consumer: ConsumerID) throws -> Int { 0 }
}

/// Lends stale reads (`StaleScanReads`) to the first transaction only, like a writer that lost a race
/// once and then reads what the winner committed.
final class StaleOnce: ScanTransactions, @unchecked Sendable {
    let base: any ScanTransactions
    let calls = Mutex(0)
    init(_ base: any ScanTransactions) { self.base = base }
    func withScanTransaction<T: Sendable>(_ body: @escaping @Sendable (any ScanTransaction) throws -> T) async throws -> T {
        let first = calls.withLock { calls in
            calls += 1
            return calls == 1
        }
        return try await base.withScanTransaction { tx in try body(first ? StaleScanReads(tx) : tx) }
    }
}

/// Holds each scan transaction open after its body ran (and after it wrote an event, so it has its
/// transaction id early) until released: a writer that took its ids first and commits last.
final class HeldScans: ScanTransactions, @unchecked Sendable {
    let base: any ScanTransactions
    let holding = OneShotSignal()
    let release = DispatchSemaphore(value: 0)
    init(_ base: any ScanTransactions) { self.base = base }
    func withScanTransaction<T: Sendable>(_ body: @escaping @Sendable (any ScanTransaction) throws -> T) async throws -> T {
        try await base.withScanTransaction { [holding, release] tx in
            try tx.emit(.scanSuspicious, at: Date(), data: EventJSON())
            let value = try body(tx)
            holding.raise()
            blockingWait(release)
            return value
        }
    }
}

/// The order in which transactions reached their commit.
final class CommitLog: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ item: String) { list.withLock { $0.append(item) } }
    var items: [String] { list.withLock { $0 } }
}

/// Waits on a semaphore outside async code: only from a database's own thread (a test holding a
/// transaction open there), never from a test's async code, whose threads are the cooperative pool's.
func blockingWait(_ semaphore: DispatchSemaphore) { semaphore.wait() }

/// A claim transaction whose reads miss what another writer committed: no claim, no redemption.
final class StaleClaimReads: ClaimTransaction, @unchecked Sendable {
    let base: any ClaimTransaction
    init(_ base: any ClaimTransaction) { self.base = base }
    func wonEntry(in campaign: CampaignID, code key: CodeKey) throws -> WonEntry? {
        guard var entry = try base.wonEntry(in: campaign, code: key) else { return nil }
        entry.claimed = false
        return entry
    }
    func claims(in campaign: CampaignID, phone: String) throws -> Int { try base.claims(in: campaign, phone: phone) }
    func saveContact(_ consumer: ConsumerID, _ contact: ContactDetails, consent: Consent, marketing: Consent?, at: Date) throws {
        try base.saveContact(consumer, contact, consent: consent, marketing: marketing, at: at)
    }
    func insertClaim(_ claim: Claim) throws -> Bool { try base.insertClaim(claim) }
    private let reads = Mutex(0)
    /// The first read misses the other writer's redemption; a read after the refused write sees it.
    func redemptionFacts(_ redemptionCode: String) throws -> RedemptionFacts? {
        guard var facts = try base.redemptionFacts(redemptionCode) else { return nil }
        guard reads.withLock({ reads in reads += 1; return reads == 1 }) else { return facts }
        facts.redeemedBy = nil
        facts.redeemedAt = nil
        return facts
    }
    func insertRedemption(entry: EntryID, store: StoreID, at: Date) throws -> Bool { try base.insertRedemption(entry: entry, store: store, at: at) }
    func appendAudit(_ entry: AuditEntry) throws { try base.appendAudit(entry) }
    func emit(_ type: EventType, at: Date, data: EventJSON) throws { try base.emit(type, at: at, data: data) }
}

/// A feedback transaction that does not see the consumer's earlier rating.
final class StaleFeedbackReads: FeedbackTransaction, @unchecked Sendable {
    let base: any FeedbackTransaction
    init(_ base: any FeedbackTransaction) { self.base = base }
    func code(_ key: CodeKey) throws -> CodeFacts? { try base.code(key) }
    func hasCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> Bool { try base.hasCountedScan(of: key, by: consumer) }
    func hasRated(_ key: CodeKey, by consumer: ConsumerID) throws -> Bool { false }
    func countedScans(of key: CodeKey) throws -> Int { try base.countedScans(of: key) }
    func distinctConsumers(of key: CodeKey, upTo limit: Int) throws -> Int { try base.distinctConsumers(of: key, upTo: limit) }
    func ratings(of key: CodeKey) throws -> Int { 0 }
    func insertFeedback(_ row: FeedbackRow) throws -> Bool { try base.insertFeedback(row) }
}

@Suite("Storage contract: the schema keeps the invariants; cursors never skip")
struct ContractTests {
    static let rules = VerdictRules()

    @Test("one genuine per code: a second writer's stale first scan is refused by the schema and decided again as a repeat",
          arguments: Backend.complete)
    func oneGenuinePerCode(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend)
        defer { world.folder.cleanup() }
        let code = world.codes[0]
        let first = try await world.store.recordScans([world.request(code)], rules: Self.rules)
        #expect(first[0].verdict == .genuine)
        // The check-free path, run a second time: the rules see no earlier scan and write ordinal 1 again.
        await #expect(throws: ConflictError.self) {
            try await world.store.withScanTransaction { tx in try ScanBook.record([world.request(code)], rules: Self.rules, in: StaleScanReads(tx)) }
        }
        // `recordScans` runs a refused transaction again: this port lends stale reads the first time only,
        // as a second writer that lost the race would see them, and the retry decides a repeat.
        let retried = try await StaleOnce(world.store).recordScans([world.request(code)], rules: Self.rules)
        #expect(retried[0].verdict == .repeat && retried[0].scanCount == 2)
        #expect(try await world.store.verdictCounts(batch: nil) == [.genuine: 1, .repeat: 1])
    }

    @Test("one draw per code per campaign, stock never above its limit, even on the check-free path", arguments: Backend.complete)
    func oneDrawPerCode(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend)
        defer { world.folder.cleanup() }
        let campaign = try await world.campaign(stock: 1)
        let code = world.codes[0]
        let first = try await world.store.recordScans([world.request(code)], rules: Self.rules)
        #expect(first[0].draws.map(\.result) == [.won])
        // A second scan whose reads missed the first draw: its scan ordinal and its entry are both refused,
        // and nothing of it (no scan row, no stock) is kept.
        await #expect(throws: ConflictError.self) {
            try await world.store.withScanTransaction { tx in
                try ScanBook.record([world.request(code)], rules: VerdictRules(maxScans: 100, maxConsumers: 100), in: StaleScanReads(tx))
            }
        }
        // Directly through the port: the entry row itself is refused.
        await #expect(throws: ConflictError.self) {
            try await world.store.withScanTransaction { tx in
                _ = try tx.insertEntry(EntryRow(campaign: campaign.id, scan: 1, key: world.key(code), code: code, consumer: nil, at: Date(),
                                                day: "2026-01-01", result: .lost, tier: nil, points: 0))
            }
        }
        // Stock: the guard refuses a prize past the stock, and the CHECK refuses a write that skips the guard.
        let took = try await world.store.withScanTransaction { tx in try tx.takePrize(campaign: campaign.id, tier: 0, day: "2026-01-01", dailyStock: nil) }
        #expect(took == false)
        #expect(try await world.store.stock(of: campaign.id).map(\.awarded) == [1])
        #expect(try await world.store.entries(of: campaign.id, after: 0, limit: 10).count == 1)
        #expect(try await world.store.scans(of: world.key(code), limit: 10).count == 1)
    }

    @Test("one claim per draw and one redemption per claim: a stale check gets the same conflict as a fresh one", arguments: Backend.complete)
    func oneClaimOneRedemption(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend)
        defer { world.folder.cleanup() }
        let campaign = try await world.campaign()
        let code = world.codes[0], consumer = ConsumerID.random()
        _ = try await world.store.recordScans([world.request(code, consumer: consumer)], rules: Self.rules)
        let contact = try ContactDetails(name: "Ann", phone: "13812345678")
        let claim = try await world.store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer, contact: contact,
                                                consentVersion: "v1", consentText: "ok", at: Date())
        // The checked path and the check-free path answer alike.
        for stale in [false, true] {
            let error = await #expect(throws: ConflictError.self) {
                try await world.store.withClaimTransaction { tx in
                    try CampaignBook.claim(in: stale ? StaleClaimReads(tx) : tx, campaign: campaign.id, key: world.key(code), consumer: consumer,
                                           contact: contact, consent: Consent(version: "v1", text: "ok"), marketing: nil, at: Date())
                }
            }
            #expect(error == ClaimRules.alreadyClaimed, "stale: \(stale)")
        }
        let store = try await world.store.addStore(name: "Shop", region: nil, tokenHash: Array(repeating: 7, count: 32), audit: .test)
        let storeID = store.id
        let redemptionCode = try #require(claim.redemptionCode)
        let redeemedAt = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try await world.store.redeem(redemptionCode, store: storeID, at: redeemedAt)
        for stale in [false, true] {
            let error = await #expect(throws: ConflictError.self) {
                try await world.store.withClaimTransaction { tx in
                    try CampaignBook.redeem(in: stale ? StaleClaimReads(tx) : tx, redemptionCode, store: storeID, at: Date())
                }
            }
            #expect(error == RedemptionRules.alreadyRedeemed(store: storeID, at: redeemedAt), "stale: \(stale)")
            #expect(error?.message.contains("at store \(store.id) on 2027-01-15T08:00:00Z") == true)
        }
        let events = try await world.store.events(after: 0, limit: 100).map(\.type)
        #expect(events == ["prize.won", "prize.claimed", "prize.redeemed"])
    }

    @Test("one rating per code and consumer, checked or not; one product per GTIN", arguments: Backend.complete)
    func oneRatingOneGTIN(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend)
        defer { world.folder.cleanup() }
        let code = world.codes[0], consumer = ConsumerID.random()
        _ = try await world.store.recordScans([world.request(code, consumer: consumer)], rules: ContractTests.rules)
        try await world.store.addFeedback(key: world.key(code), code: code, consumer: consumer, rating: 4, comment: nil, at: Date())
        for stale in [false, true] {
            let error = await #expect(throws: ConflictError.self) {
                try await world.store.withFeedbackTransaction { tx in
                    try FeedbackBook.rate(in: stale ? StaleFeedbackReads(tx) : tx, key: world.key(code), code: code, consumer: consumer,
                                          rating: 1, comment: nil, at: Date(), rules: ContractTests.rules)
                }
            }
            #expect(error == FeedbackRules.alreadyRated)
        }
        #expect(try await backend.count("feedback", in: world.folder) == 1)
        _ = try await world.store.addProduct(try NewProduct(name: "A", gtin: "6291041500213", sku: nil), audit: .test)
        let error = await #expect(throws: ConflictError.self) {
            _ = try await world.store.addProduct(try NewProduct(name: "B", gtin: "6291041500213", sku: nil), audit: .test)
        }
        #expect(error?.field == "gtin")
    }

    @Test("goods and coupon prizes get a redemption code a store redeems; cash gets none", arguments: Backend.complete)
    func redemptionCodesByKind(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend)
        defer { world.folder.cleanup() }
        let shop = try await world.store.addStore(name: "Shop 1", region: "CN-31", tokenHash: Array(repeating: 7, count: 32), audit: .test)
        for (index, kind) in ["coupon", "goods", "cash"].enumerated() {
            let campaign = try await world.store.createCampaign(try CampaignDefinition.parse(Data("""
                {"name": "\(kind)", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "status": "live",
                 "tiers": [{"name": "Prize", "kind": "\(kind)", "value": 500, "probability": 1, "stock": 5}]}
                """.utf8)), audit: .test)
            let consumer = ConsumerID.random(), code = world.codes[index]
            let scan = try await world.store.recordScans([world.request(code, consumer: consumer)], rules: ContractTests.rules)
            #expect(scan[0].draws.first { $0.campaign == campaign.id }?.result == .won, "\(kind)")
            let claim = try await world.store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer,
                                                    contact: try ContactDetails(name: "Li", phone: "1380000000\(index)"), consentVersion: "v1",
                                                    consentText: "ok", at: Date())
            if kind == "cash" {
                #expect(claim.redemptionCode == nil)
            } else {
                let redemption = try #require(claim.redemptionCode, "\(kind)")
                #expect(redemption.count == 12 && redemption.allSatisfy { "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains($0) }, "\(redemption)")
                let redeemed = try await world.store.redeem(redemption, store: shop.id, at: Date())
                #expect(redeemed.store == shop.id, "\(kind)")
            }
        }
    }

    @Test("daily limits turn over at midnight in the campaign's time zone (Asia/Shanghai, 16:00 UTC), not at UTC midnight", arguments: Backend.complete)
    func dailyLimitsAtLocalMidnight(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend)
        defer { world.folder.cleanup() }
        _ = try await world.campaign(stock: 100, dailyStock: 1, limits: #"{"drawsPerConsumerPerDay": 1}"#)
        let utc = ISO8601DateFormatter()
        let evening = utc.date(from: "2026-06-01T15:50:00Z")!, later = utc.date(from: "2026-06-01T15:55:00Z")!
        let afterMidnight = utc.date(from: "2026-06-01T16:05:00Z")!  // the same UTC day, the next day in Shanghai
        let consumer = ConsumerID.random(), other = ConsumerID.random()
        func draw(_ index: Int, _ who: ConsumerID, _ at: Date) async throws -> String {
            let result = try await world.store.recordScans([world.request(world.codes[index], consumer: who, at: at)], rules: ContractTests.rules)
            return result[0].draws.first?.result.rawValue ?? "no draw"
        }
        // 23:50 in Shanghai: the day's one prize and the consumer's one draw.
        #expect(try await draw(0, consumer, evening) == "won")
        // 23:55: the consumer has drawn today; another consumer finds today's stock gone.
        #expect(try await draw(1, consumer, later) == "daily-limit")
        #expect(try await draw(2, other, later) == "lost")
        // 00:05 the next day in Shanghai (still 1 June in UTC): a new day's draw and stock.
        #expect(try await draw(3, consumer, afterMidnight) == "won")
    }

    @Test("a product's names per language and picture are stored, changed one at a time, cleared by an empty value, and read back", arguments: Backend.complete)
    func productNamesAndImage(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend)
        defer { world.folder.cleanup() }
        let added = try await world.store.addProduct(try NewProduct(name: "Oolong", nameZh: "乌龙茶", gtin: nil, sku: nil,
                                                                    imageURL: "https://cdn.example.com/oolong.jpg"), audit: .test)
        #expect(added.nameZh == "乌龙茶" && added.nameEn == nil && added.imageURL == "https://cdn.example.com/oolong.jpg")
        // (Times compared to the millisecond: PostgreSQL keeps microseconds.)
        func same(_ read: Product?, _ expected: Product?) -> Bool {
            guard var read, let expected else { return read == nil && expected == nil }
            guard abs(read.createdAt.timeIntervalSince(expected.createdAt)) < 0.001 else { return false }
            read.createdAt = expected.createdAt
            return read == expected
        }
        #expect(same(try await world.store.product(added.id), added))
        // Only what a change names changes; "" clears.
        let named = try await world.store.updateProduct(added.id, try ProductChange(nameEn: "Oolong tea"), audit: .test)
        #expect(named?.nameZh == "乌龙茶" && named?.nameEn == "Oolong tea" && named?.imageURL == added.imageURL)
        let cleared = try await world.store.updateProduct(added.id, try ProductChange(nameZh: "", imageURL: ""), audit: .test)
        #expect(cleared?.nameZh == nil && cleared?.nameEn == "Oolong tea" && cleared?.imageURL == nil)
        #expect(same(try await world.store.products().first { $0.id == added.id }, cleared))
        #expect(try await world.store.updateProduct(ProductID(rawValue: 999_999), try ProductChange(nameEn: "x"), audit: .test) == nil)
    }

    @Test("cursors never skip: a reader past a sequence has seen every smaller one, while another writer holds its transaction open",
          arguments: Backend.complete)
    func cursorsNeverSkip(_ backend: Backend) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // Two stores on one database stand for two processes (or nodes) writing it.
        let nodeA = try await backend.open(folder), nodeB = try await backend.open(folder)
        let holding = OneShotSignal(), release = DispatchSemaphore(value: 0)
        let order = CommitLog()
        let seenWhileHeld = Mutex<String?>(nil)
        // A takes an id and holds its transaction open; B writes meanwhile; then A commits.
        async let a: Void = nodeA.withScanTransaction { tx in
            try tx.emit(.scanSuspicious, at: Date(), data: EventJSON())
            holding.raise()
            switch backend {
            case .sqlite:
                // Read from here (the writer's own thread, not the test's task, which a busy machine may not
                // run for seconds), and hold the lock a bounded while: B waits on it up to its busy timeout.
                let seen = try Backend.sqliteBlocking("SELECT count(*) FROM outbox", in: folder)
                seenWhileHeld.withLock { $0 = seen }
                _ = release.wait(timeout: .now() + 2)
            case .postgres:
                blockingWait(release)
            }
            order.add("A")
        }
        await holding.wait()
        let asked = OneShotSignal()
        async let b: Void = { asked.raise(); try await nodeB.withScanTransaction { tx in
            try tx.emit(.prizeWon, at: Date(), data: EventJSON())
            order.add("B")
        } }()
        switch backend {
        case .sqlite:
            // One write lock: B, asked for while A holds it, commits after A whenever it gets to ask; a reader
            // sees nothing yet. (No sleep: the order is the invariant, not how long B waited.)
            await asked.wait()
            release.signal()
            _ = try await (a, b)
            #expect(seenWhileHeld.withLock { $0 } == "0")
            #expect(order.items == ["A", "B"])
            let events = try await nodeA.events(after: 0, limit: 10)
            #expect(events.map(\.type) == ["scan.suspicious", "prize.won"])
        case .postgres:
            // B commits first with the larger id: a reader paging on ids would now pass A's event for good.
            try await b
            let seen = try await nodeB.events(after: 0, limit: 10)
            #expect(seen.map(\.type) == ["prize.won"])
            release.signal()
            try await a
            #expect(order.items == ["B", "A"])
            // A's event comes after the reader's cursor, though its id is smaller.
            let cursor = try #require(seen.last?.sequence)
            #expect(try await nodeA.events(after: cursor, limit: 10).map(\.type) == ["scan.suspicious"])
            #expect(try await backend.query("SELECT string_agg(type, ',' ORDER BY id) FROM outbox", in: folder) == "scan.suspicious,prize.won")
            #expect(try await nodeA.events(after: 0, limit: 10).map(\.type) == ["prize.won", "scan.suspicious"])
        }
        let events = try await nodeA.events(after: 0, limit: 10)
        #expect(events.map(\.sequence) == [1, 2])
    }

    @Test("two nodes scanning the same codes at once: exactly one genuine per code, every draw once, stock never passed",
          arguments: Backend.complete)
    func concurrentNodes(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend, codes: 60)
        defer { world.folder.cleanup() }
        let campaign = try await world.campaign(stock: 25)
        let nodeB = try await backend.open(world.folder)
        let rules = VerdictRules(maxScans: 100, maxConsumers: 100)
        // Each node records every code in groups of 10, as two group-committing writers would; both start together.
        func run(_ node: any ContractStore) async throws -> [ScanResult] {
            var results: [ScanResult] = []
            for group in stride(from: 0, to: world.codes.count, by: 10) {
                results += try await node.recordScans(world.codes[group..<group + 10].map { world.request($0) }, rules: rules, attempts: 10)
            }
            return results
        }
        async let fromA = run(world.store)
        async let fromB = run(nodeB)
        let results = try await fromA + fromB
        #expect(results.filter { $0.verdict == .genuine }.count == 60)
        #expect(results.filter { $0.verdict == .repeat }.count == 60)
        // A repeat shows its code's draw again: the draws are the genuine scans'.
        #expect(results.filter { $0.verdict == .genuine }.flatMap(\.draws).filter { $0.result == .won }.count == 25)
        #expect(try await world.store.stock(of: campaign.id).map(\.awarded) == [25])
        let entries = try await world.store.entries(of: campaign.id, after: 0, limit: 1000)
        #expect(entries.count == 60)
        #expect(Set(entries.map(\.code)).count == 60)
        #expect(entries.filter { $0.result == .won }.count == 25)
        #expect(try await world.store.verdictCounts(batch: nil) == [.genuine: 60, .repeat: 60])
    }

    @Test("limits per consumer and phone hold across nodes: one consumer's scans on two nodes win once; one phone claims once",
          arguments: Backend.complete)
    func limitsAcrossNodes(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend, codes: 40)
        defer { world.folder.cleanup() }
        let campaign = try await world.campaign(stock: 100, limits: #"{"winsPerConsumer": 1, "winsPerPhone": 1}"#)
        let nodeB = try await backend.open(world.folder)
        let consumer = ConsumerID.random()
        // One consumer, forty different codes, half on each node, one scan per transaction, all at once.
        let results = try await withThrowingTaskGroup(of: ScanResult.self) { group in
            for (index, code) in world.codes.enumerated() {
                let node: any ContractStore = index % 2 == 0 ? world.store : nodeB
                group.addTask { try await node.recordScans([world.request(code, consumer: consumer)], rules: Self.rules)[0] }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.flatMap(\.draws).filter { $0.result == .won }.count == 1)
        #expect(try await world.store.entries(of: campaign.id, after: 0, limit: 100).filter { $0.result == .won }.count == 1)

        // Two winners (two consumers) claiming with the same phone on two nodes at once: one claim.
        let (first, second) = (ConsumerID.random(), ConsumerID.random())
        let other = try await world.campaign(stock: 100, limits: #"{"winsPerPhone": 1}"#)
        let codeA = world.codes[1], codeB = world.codes[2]
        _ = try await world.store.recordScans([world.request(codeA, consumer: first), world.request(codeB, consumer: second)],
                                              rules: VerdictRules(maxScans: 100, maxConsumers: 100))
        let contact = try ContactDetails(name: "Ann", phone: "13812345678")
        func claim(_ node: any ContractStore, _ code: String, _ consumer: ConsumerID) async -> Bool {
            (try? await node.claim(campaign: other.id, key: world.key(code), consumer: consumer, contact: contact,
                                   consentVersion: "v1", consentText: "ok", marketing: .ok, at: Date())) != nil
        }
        async let claimA = claim(world.store, codeA, first)
        async let claimB = claim(nodeB, codeB, second)
        let claims = await [claimA, claimB]
        #expect(claims.filter { $0 }.count == 1, "\(claims)")
    }

    @Test("issuing is all or nothing: a key another batch holds refuses the batch (the issuer draws again); a body that fails part-way keeps nothing",
          arguments: Backend.complete)
    func issuingAllOrNothing(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend, codes: 10)
        defer { world.folder.cleanup() }
        let taken = world.key(world.codes[3])
        let request = try NewBatch(productID: world.batch.productID, count: 70_000, maxCount: 1_000_000)
        struct GaveUp: Error {}
        // 70,000 codes (more than one chunk of either backend), the 50,000th a key batch 1 holds.
        await #expect(throws: CodeKeyTaken.self) {
            _ = try await world.store.issueBatch(request, codeLength: 17) { _, _, sink in
                for sequence in 1...70_000 {
                    let key = sequence == 50_000 ? taken : CodeKey(rawValue: Int64(sequence) << 20 | 0x5A5)
                    guard try sink.insert(key, sequence: sequence) else { throw CodeKeyTaken() }
                }
            }
        }
        await #expect(throws: GaveUp.self) {
            _ = try await world.store.issueBatch(request, codeLength: 17) { _, _, sink in
                for sequence in 1...60_000 { _ = try sink.insert(CodeKey(rawValue: Int64(sequence) << 20 | 0x5A6), sequence: sequence) }
                throw GaveUp()
            }
        }
        #expect(try await world.store.batches(product: nil).count == 1)
        #expect(try await backend.count("code", in: world.folder) == 10)
        // The store goes on as before: a batch that fits is issued whole.
        let (batch, _) = try await world.store.issueBatch(request, codeLength: 17) { _, _, sink in
            for sequence in 1...70_000 { _ = try sink.insert(CodeKey(rawValue: Int64(sequence) << 20 | 0x5A7), sequence: sequence) }
        }
        #expect(try await world.store.codeCount(batch: batch.id) == 70_000)
    }

    @Test("a consumer's export holds their data; erasure leaves none of it in any table and keeps the anonymous counts",
          arguments: Backend.complete)
    func exportAndErasure(_ backend: Backend) async throws {
        let world = try await ContractWorld(backend)
        defer { world.folder.cleanup() }
        let campaign = try await world.campaign()
        let consumer = ConsumerID.random(), other = ConsumerID.random()
        var request = world.request(world.codes[0], consumer: consumer)
        request.ip = "203.0.113.0/24"
        request.referer = "https://erin.example/"
        _ = try await world.store.recordScans([request, world.request(world.codes[1], consumer: other)], rules: Self.rules)
        _ = try await world.store.attachLocation(key: world.key(world.codes[0]), consumer: consumer, latitude: 31.2304, longitude: 121.4737, region: "CN-31")
        _ = try await world.store.claim(campaign: campaign.id, key: world.key(world.codes[0]), consumer: consumer,
                                        contact: try ContactDetails(name: "Erin Zhao", phone: "13800000009"), consentVersion: "v1", consentText: "ok", marketing: .ok, at: Date())
        try await world.store.addFeedback(key: world.key(world.codes[0]), code: world.codes[0], consumer: consumer, rating: 1,
                                          comment: "call me on 13800000009", at: Date())
        let exported = try #require(try await world.store.exportConsumer(consumer.value))
        let document = try #require(try JSONSerialization.jsonObject(with: exported) as? [String: Any])
        #expect((document["contact"] as? [String: Any])?["phone"] as? String == "+8613800000009")
        #expect((document["scans"] as? [Any])?.count == 1 && (document["claims"] as? [Any])?.count == 1 && (document["feedback"] as? [Any])?.count == 1)
        #expect(try await world.store.forgetConsumer(consumer.value))
        #expect(try await world.store.exportConsumer(consumer.value) == nil)
        #expect(try await world.store.forgetConsumer(consumer.value) == false)
        // Every row of every table, as the database's own client dumps it: nothing of the person is left.
        let dump = switch backend {
        case .sqlite: try await Run.run("/usr/bin/sqlite3", [world.folder.file("onecode.sqlite"), ".dump"]).stdout
        case .postgres: try await Run.run("/usr/bin/pg_dump", ["--data-only", TestPostgres.database(world.folder.file("onecode.sqlite")).url]).stdout
        }
        for trace in ["Erin", "13800000009", "203.0.113", "erin.example", "31.2304", "121.4737"] {
            #expect(!dump.contains(trace), "\(trace) is still stored")
        }
        // The id alone stays where receivers learn of the erasure: the consumer.erased event.
        let naming = dump.split(separator: "\n").filter { $0.contains(consumer.value) }
        #expect(naming.count == 1 && naming.allSatisfy { $0.contains("consumer.erased") }, "\(naming)")
        #expect(dump.contains(other.value))
        #expect(try await backend.count("scan", in: world.folder) == 2)
        #expect(try await backend.count("feedback", in: world.folder) == 1)
        #expect(try await backend.query("SELECT count(*) FROM claim WHERE name = ''", in: world.folder) == "1")
    }

    /// The same scenario on a backend, and every report and the store profiles it gives, as text.
    static func reports(_ backend: Backend) async throws -> String {
        let world = try await ContractWorld(backend, codes: 6)
        defer { world.folder.cleanup() }
        let store = world.store
        let regional = try await Issuer(store: store, signer: ContractWorld.signer, baseURL: "https://q.example.com")
            .issue(try NewBatch(productID: world.batch.productID, count: 4, maxCount: 100, region: "CN-31"),
                   package: PackageOptions(directory: world.folder.file("pkg2")))
        _ = try await store.setStatus(.active, of: regional.batch.id, audit: .test)
        let codes2 = try CodesCSV(world.folder.file("pkg2/codes.csv")).codes
        let campaign = try await world.campaign()
        let day1 = Date(timeIntervalSince1970: 1_790_000_000), day2 = day1 + 86_400
        let (a, b) = (ConsumerID.random(), ConsumerID.random())
        func scan(_ code: String, _ consumer: ConsumerID, _ at: Date, _ region: String?) async throws {
            var request = world.request(code, consumer: consumer, at: at)
            request.region = region
            _ = try await store.recordScans([request], rules: VerdictRules(maxScans: 100, maxConsumers: 100))
        }
        try await scan(world.codes[0], a, day1, "CN-31")
        try await scan(world.codes[0], b, day2, "CN-31")
        try await scan(world.codes[1], a, day2, nil)
        try await scan(codes2[0], a, day1, "CN-31-01")
        try await scan(codes2[1], b, day2, "CN-11")
        try await scan(codes2[2], b, day2 + 60, "CN-11")
        try await store.addFeedback(key: world.key(world.codes[0]), code: world.codes[0], consumer: a, rating: 2, comment: nil, at: day2)
        try await store.addFeedback(key: world.key(codes2[0]), code: codes2[0], consumer: a, rating: 5, comment: nil, at: day2)
        let claim = try await store.claim(campaign: campaign.id, key: world.key(world.codes[0]), consumer: a,
                                          contact: try ContactDetails(name: "Ann", phone: "13812345678"), consentVersion: "v1", consentText: "ok", marketing: .ok, at: day2)
        let shop = try await store.addStore(name: "Shop", region: "CN-31", tokenHash: Array(repeating: 1, count: 32), audit: .test)
        _ = try await store.addStore(name: "Quiet", region: nil, tokenHash: Array(repeating: 2, count: 32), audit: .test)
        _ = try await store.redeem(try #require(claim.redemptionCode), store: shop.id, at: day2 + 3_600)
        var lines: [String] = []
        for grouping in ScanRateGrouping.allCases {
            lines += try await store.scanRate(by: grouping).map { "rate \(grouping): \($0.key) \($0.issued ?? -1) \($0.scanned) \($0.scans ?? -1) \($0.rate ?? -1)" }
        }
        lines += try await store.dailyScans(batch: nil).map { "daily: \($0.key) \($0.scanned) \($0.scans ?? -1)" }
        lines += try await store.dailyScans(batch: regional.batch.id).map { "daily batch: \($0.key) \($0.scanned) \($0.scans ?? -1)" }
        lines += try await store.diversion().map {
            "diversion: \($0.batchId) \($0.intendedRegion) \($0.region) \($0.scans) \($0.codes) \(Int($0.firstAt.timeIntervalSince1970)) \(Int($0.lastAt.timeIntervalSince1970))"
        }
        for byBatch in [false, true] {
            lines += try await store.feedbackReport(byBatch: byBatch).map { "feedback: \($0.productId) \($0.batchId ?? -1) \($0.count) \($0.average) \($0.lowShare)" }
        }
        lines += try await store.storeProfiles().map {
            "store: \($0.store.name) \($0.store.region ?? "-") \($0.redemptions) \($0.consumers) \($0.lastRedemptionAt.map { Int($0.timeIntervalSince1970) } ?? -1)"
        }
        return lines.joined(separator: "\n")
    }

    @Test("reports and store profiles: the same scenario gives the same figures on SQLite and PostgreSQL")
    func reportsAgree() async throws {
        let sqlite = try await Self.reports(.sqlite), postgres = try await Self.reports(.postgres)
        #expect(sqlite == postgres)
        #expect(sqlite.contains("diversion: 2 CN-31 CN-11 2 2") && sqlite.contains("store: Shop CN-31 1 1") && sqlite.contains("rate batch: batch 2 4 3 3 0.75"),
                "\(sqlite)")
    }

    @Test("migration v10 numbers the counted scans of each code in code_log, which refuses a second first scan (SQLite)")
    func migrationNumbersScans() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("old.sqlite")
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v9: linker")
        try await queue.write { db in
            try db.execute(sql: """
                INSERT INTO scan (at, code_key, code, bot, counted, verdict, reason) VALUES
                  (1, 7, 'A', 0, 1, 'genuine', 'first-scan'), (2, 8, 'B', 0, 1, 'genuine', 'first-scan'),
                  (3, 7, 'A', 1, 0, 'repeat', 'scanned-before'), (4, 7, 'A', 0, 1, 'repeat', 'scanned-before')
                """)
        }
        try SQLiteStore.migrator.migrate(queue)
        let slots = try await queue.read { db in try Int64.fetchAll(db, sql: "SELECT slot FROM code_log ORDER BY ref") }
        #expect(slots == [1, 1, SQLiteStore.uncountedSlot(3), 2])
        await #expect(throws: DatabaseError.self) {
            try await queue.write { db in try db.execute(sql: "INSERT INTO code_log (code_key, slot, ref) VALUES (7, 1, 5)") }
        }
    }
}

@Suite("Storage contract: the linker's incremental refresh equals a full one", .serialized)
struct LinkerContractTests {
    static let day = 86_400.0

    /// Profiles, memberships and leads as text (versions, cursors and times of writing left out).
    static func dump(_ world: LinkerWorld) async throws -> String {
        try await world.dump() + world.backend.dump(["SELECT kind, ref, name, phone, score, reasons, source FROM lead ORDER BY kind, ref"],
                                              in: world.fixture.folder)
    }

    /// Runs an incremental refresh, dumps, runs a full refresh at the same time, dumps: the two must agree.
    static func expectIncrementalEqualsFull(_ world: LinkerWorld, now: Date, _ comment: Comment) async throws -> String {
        _ = try await world.store.refreshLinker(now: now, full: false)
        let incremental = try await dump(world)
        _ = try await world.store.refreshLinker(now: now, full: true)
        let full = try await dump(world)
        #expect(incremental == full, comment)
        return full
    }

    @Test("late changes, new, edited and deleted segments reach profiles, members and leads at the next incremental refresh",
          arguments: Backend.complete)
    func lateChangesReachTheLinker(_ backend: Backend) async throws {
        var world = try await LinkerWorld(backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let now = Date()
        let campaign = try await store.liveCampaign()
        // Two consenting consumers (leads), one in Beijing by IP; one anonymous consumer.
        let (a, b, c) = (ConsumerID.random(), ConsumerID.random(), ConsumerID.random())
        var claimed: [String] = []
        for (consumer, region) in [(a, nil), (b, "CN-11")] as [(ConsumerID, String?)] {
            let (code, _) = try await world.scan(consumer, at: now - 2 * Self.day, region: region)
            _ = try await store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer,
                                      contact: try ContactDetails(name: "N", phone: "1380000000\(claimed.count)"),
                                      consentVersion: "v1", consentText: "ok", marketing: .ok, at: now)
            claimed.append(code)
        }
        try await world.scan(c, at: now - Self.day, region: "CN-11")
        _ = try await store.refreshLinker(now: now, full: false)

        // A shares a location after the refresh read the scan: Shanghai. B's scan moves from Beijing to Shanghai.
        #expect(try await store.attachLocation(key: world.key(claimed[0]), consumer: a, latitude: 31.2, longitude: 121.5, region: "CN-31") != nil)
        #expect(try await store.attachLocation(key: world.key(claimed[1]), consumer: b, latitude: 31.2, longitude: 121.5, region: "CN-31") != nil)
        let shanghai = try await store.createSegment(name: "Shanghai", rule: try SegmentRule.parse(Data(#"{"region": ["CN-31"]}"#.utf8)), audit: .test)
        let beijing = try await store.createSegment(name: "Beijing", rule: try SegmentRule.parse(Data(#"{"region": ["CN-11"]}"#.utf8)), audit: .test)
        let afterLocations = try await Self.expectIncrementalEqualsFull(world, now: now, "locations shared late, segments created after leads")
        #expect(try await world.members(shanghai) == [a.value, b.value])
        #expect(try await world.members(beijing) == [c.value])
        #expect(afterLocations.contains("segments: Shanghai"))
        let leads = try await store.leads(after: 0, limit: 10, segment: nil, minScore: nil).leads
        #expect(leads.filter { $0.reasons.contains("segments: Shanghai") }.map(\.id).sorted() == [a.value, b.value].sorted())

        // Edited: Shanghai becomes Beijing-or-Shanghai under a new name; Beijing is deleted.
        _ = try await store.updateSegment(shanghai.id, name: "East", rule: try SegmentRule.parse(Data(#"{"region": ["CN-31", "CN-11"]}"#.utf8)), audit: .test)
        #expect(try await store.deleteSegment(beijing.id, audit: .test))
        let afterEdits = try await Self.expectIncrementalEqualsFull(world, now: now, "a segment edited and one deleted")
        #expect(try await world.members(shanghai) == [a.value, b.value, c.value])
        #expect(afterEdits.contains("segments: East") && !afterEdits.contains("Shanghai") && !afterEdits.contains("Beijing"))

        // The clock passes a window: 40 days on, a lapsed segment takes everyone with no refresh-time change of profile.
        _ = try await store.createSegment(name: "Lapsed", rule: try SegmentRule.parse(Data(#"{"lapsed": {"days": 30}}"#.utf8)), audit: .test)
        _ = try await store.refreshLinker(now: now, full: false)
        let later = now + 40 * Self.day
        let afterTime = try await Self.expectIncrementalEqualsFull(world, now: later, "the clock passed a lapsed limit")
        #expect(afterTime.contains("segments: East, Lapsed"))
    }

    @Test("two nodes refreshing at once take turns: each lead change gets one cursor, each lead is created once, the result is a full refresh's",
          arguments: Backend.complete)
    func refreshesTakeTurns(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 60, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let campaign = try await world.store.liveCampaign()
        let now = Date()
        var consumers: [ConsumerID] = []
        for index in 0..<20 {
            let consumer = ConsumerID.random()
            let (code, _) = try await world.scan(consumer, at: now - Double(index) * 3600, region: index % 2 == 0 ? "CN-31" : "CN-11")
            _ = try await world.store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer,
                                            contact: try ContactDetails(name: "N\(index)", phone: "1390000\(String(format: "%04d", index))"),
                                            consentVersion: "v1", consentText: "ok", marketing: .ok, at: now)
            consumers.append(consumer)
        }
        _ = try await world.store.createSegment(name: "Shanghai", rule: try SegmentRule.parse(Data(#"{"region": ["CN-31"]}"#.utf8)), audit: .test)
        let nodeA = world.store, nodeB = try await backend.open(world.fixture.folder)
        async let fromA = nodeA.refreshLinker(now: now, full: false)
        async let fromB = nodeB.refreshLinker(now: now, full: false)
        let (a, b) = try await (fromA, fromB)
        // One of them did the work; the other, after it, found nothing new.
        #expect(a.leadsCreated + b.leadsCreated == 20, "\(a) \(b)")
        #expect(min(a.scansRead, b.scansRead) == 0 && max(a.scansRead, b.scansRead) == 20, "\(a) \(b)")
        let leads = try await world.store.leads(after: 0, limit: 100, segment: nil, minScore: nil).leads
        #expect(leads.map(\.cursor) == Array(1...20))
        let turns = try await Self.dump(world)
        _ = try await nodeB.refreshLinker(now: now, full: true)
        #expect(try await Self.dump(world) == turns)
    }

    @Test("refreshes never skip a scan that commits out of order: taken first, committed after a later scan was refreshed, it still reaches its profile (PostgreSQL)")
    func refreshNeverSkips() async throws {
        var world = try await LinkerWorld(codes: 10, backend: .postgres)
        defer { world.fixture.folder.cleanup() }
        let early = ConsumerID.random(), late = ConsumerID.random()
        try await world.scan(late, at: Date(), region: "CN-31")
        _ = try await world.store.refreshLinker(now: Date(), full: false)
        let held = HeldScans(world.store)
        let request = ScanRequest(key: world.key(world.fixture.codes[5]), code: world.fixture.codes[5], at: Date(), consumer: early, ip: nil,
                                  userAgent: ServiceFixture.phone, referer: nil, bot: false, region: "CN-11")
        async let first = held.recordScans([request], rules: VerdictRules())
        await held.holding.wait()
        // A later scan commits and is refreshed while the first is still open.
        try await world.scan(late, at: Date(), region: "CN-31")
        let meanwhile = try await world.store.refreshLinker(now: Date(), full: false)
        #expect(meanwhile.scansRead == 1)
        #expect(try await world.store.profile(early.value) == nil)
        held.release.signal()
        #expect(try await first.first?.verdict == .genuine)
        let after = try await world.store.refreshLinker(now: Date(), full: false)
        #expect(after.scansRead == 1)
        #expect(try await world.store.profile(early.value)?.regions == ["CN-11"])
        #expect(try await world.store.profile(late.value)?.scans == 2)
        _ = try await Self.expectIncrementalEqualsFull(world, now: Date(), "a scan committed out of order")
    }

    @Test("a node that dies holding the linker's lock (kill -9) does not stop the others: the lock goes with its session (PostgreSQL)")
    func refreshLockDiesWithItsNode() async throws {
        var world = try await LinkerWorld(codes: 10, backend: .postgres)
        defer { world.fixture.folder.cleanup() }
        try await world.scan(ConsumerID.random(), at: Date(), region: nil)
        let erased = ConsumerID.random()
        try await world.scan(erased, at: Date(), region: nil)
        // A session that takes the lock and then sits idle, as a node's connection does between statements;
        // the helper prints the psql's PID once the lock is held.
        let holder = try await Run.start("python3", ["-c", """
            import subprocess, sys, time
            p = subprocess.Popen(["psql", sys.argv[1], "-tAq"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            p.stdin.write("SELECT pg_advisory_lock(%s);\\nSELECT 'held';\\n" % sys.argv[2]); p.stdin.flush()
            while p.stdout.readline().strip() != "held": pass
            print("held", p.pid, flush=True)
            time.sleep(120)
            """, try TestPostgres.database(world.fixture.folder.file("onecode.sqlite")).url, String(PostgresStore.linkerLock)])
        defer { if holder.process.isRunning { kill(holder.process.processIdentifier, SIGKILL) } }
        var psql: pid_t?
        _ = try await eventually {
            let line = ((try? String(contentsOfFile: holder.out, encoding: .utf8)) ?? "").split(separator: "\n").first { $0.hasPrefix("held ") }
            psql = line.flatMap { pid_t($0.dropFirst(5)) }
            return psql != nil
        }
        let holderPID = try #require(psql, "the helper never held the lock")
        // An erasure waits for the refresh's lock too: a refresh whose snapshot predates it would write the
        // profile back. (It runs first, so the refresh after it never sees the consumer.)
        // Each is seen waiting for the lock in pg_locks before the next starts: events, not sleeps.
        let url = try await TestPostgres.database(world.fixture.folder.file("onecode.sqlite")).url
        func waiting() async throws -> String {
            try await Run.run("/usr/bin/psql", [url, "-tAq", "-c", "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let forget = Task { [store = world.store] in try await store.forgetConsumer(erased.value) }
        #expect(try await eventually(within: 30) { try await waiting() == "1" }, "the erasure never waited for the lock")
        let refresh = Task { [store = world.store] in try await store.refreshLinker(now: Date(), full: false) }
        #expect(try await eventually(within: 30) { try await waiting() == "2" }, "the refresh never waited for the lock")
        // The holder is alive: the refresh and the erasure wait for it (whatever the machine's speed, they cannot have run).
        #expect(try await world.backend.query("SELECT count(*) FROM consumer_profile", in: world.fixture.folder) == "0")
        #expect(try await world.backend.query("SELECT count(*) FROM scan WHERE consumer IS NOT NULL", in: world.fixture.folder) == "2")
        kill(holderPID, SIGKILL)
        #expect(try await forget.value)
        let report = try await refresh.value
        kill(holder.process.processIdentifier, SIGKILL)
        _ = await holder.wait()
        #expect(report.scansRead == 1 && report.profilesChanged == 1)
        #expect(try await world.store.profile(erased.value) == nil)
    }

    @Test("the SQL that evaluates a whole segment selects exactly whom the Swift rule selects, on random profiles and rules",
          arguments: Backend.complete)
    func generatedSQLEqualsSwift(_ backend: Backend) async throws {
        let seed = TestSeed.make("generatedSQLEqualsSwift \(backend)")
        var random = SeededGenerator(seed: seed)
        var world = try await LinkerWorld(codes: 400, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let now = Date()
        let regions = ["CN-11", "CN-31", "CN-44", "US", "US-CA", nil]
        var consumers: [ConsumerID] = []
        for _ in 0..<60 { consumers.append(ConsumerID.random()) }
        for _ in 0..<300 {
            let consumer = consumers.randomElement(using: &random)!
            try await world.scan(consumer, at: now - Double.random(in: 0...120, using: &random) * Self.day,
                                 region: regions.randomElement(using: &random)!)
        }
        // Each rater rates a code of their own (a code takes at most 5 ratings, and none once suspicious).
        for (index, consumer) in consumers.prefix(20).enumerated() where Bool.random(using: &random) {
            let code = world.fixture.codes[399 - index]
            try await world.scan(consumer, at: now - Self.day, region: nil, code: code)
            try await world.store.addFeedback(key: world.key(code), code: code, consumer: consumer,
                                              rating: Int.random(in: 1...5, using: &random), comment: nil, at: now)
        }
        _ = try await world.store.refreshLinker(now: now, full: true)
        var profiles: [ConsumerProfile] = []
        for consumer in consumers { if let profile = try await world.store.profile(consumer.value) { profiles.append(profile) } }
        func randomRule(_ depth: Int) -> SegmentRule {
            switch Int.random(in: depth > 2 ? 2...8 : 0...8, using: &random) {
            case 0: .all((0..<Int.random(in: 1...3, using: &random)).map { _ in randomRule(depth + 1) })
            case 1: .any((0..<Int.random(in: 1...3, using: &random)).map { _ in randomRule(depth + 1) })
            case 2: .region([["CN", "CN-31", "CN-11", "US", "US-CA", "CN-4"].randomElement(using: &random)!])
            case 3: .product([ProductID(rawValue: Int64.random(in: 1...2, using: &random))])
            case 4: .scans(atLeast: Int.random(in: 1...6, using: &random), days: Int.random(in: 1...120, using: &random))
            case 5: .lapsed(days: Int.random(in: 1...100, using: &random))
            case 6: .wonPrize(Bool.random(using: &random))
            case 7: .consent(Bool.random(using: &random))
            default: .ratingAtMost(Int.random(in: 1...5, using: &random))
            }
        }
        for _ in 0..<200 {
            let rule = randomRule(0)
            let sql = try await world.evaluate(rule, now: now)
            let swift = Set(profiles.filter { rule.matches($0, now: now) }.map(\.consumer))
            #expect(sql == swift, "seed \(seed): \(rule.jsonText)")
            if sql != swift { break }
        }
    }
}

/// The seed of a random test: `ONECODE_TEST_SEED` when set (to replay a run), else a fresh one;
/// printed when the test starts, so any run can be replayed.
enum TestSeed {
    /// - Parameter fixed: the seed when none is given, for a test whose bound holds only with high
    ///   probability (a fixed seed cannot fail by chance in CI); `nil`: a fresh one each run.
    static func make(_ test: String, fixed: UInt64? = nil) -> UInt64 {
        let given = ProcessInfo.processInfo.environment["ONECODE_TEST_SEED"].flatMap { UInt64($0) }
        let seed = given ?? fixed ?? UInt64.random(in: 1...UInt64.max)
        print("seed \(seed) for \(test) (replay: ONECODE_TEST_SEED=\(seed) swift test --filter ...)")
        return seed
    }
}

/// A small deterministic generator (SplitMix64), so a failing random test can be run again from its printed seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Consent {
    /// A marketing consent as tests give it with a claim (text "ok": its id is README's example).
    static let ok = Consent(version: "v1", text: "ok")
}

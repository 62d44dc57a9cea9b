import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OneCodeDomain
import OneCodeApplication
import OneCodeIssuing
@testable import OneCodeService
import OneCodeSQLite
import OneCodeRulebook
import OneCodeStorage

/// A real database (an SQLite file, or a PostgreSQL database) with a product and a batch, and the
/// service built over it.
struct ServiceFixture {
    /// The fixture's code secret: a command run on a fixture's database must be given this one (the
    /// database refuses another: `SecretGuard`).
    static let secret = "service-test-secret-0123456789"
    static let signer = try! CodeSigner(secret: Array(secret.utf8))
    static let phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"

    let folder: TemporaryFolder
    let backend: Backend
    let store: any OneCodeStore
    /// The store as SQLite's, for tests of what only SQLite has.
    var sqlite: SQLiteStore { store as! SQLiteStore }
    let product: Product
    let batch: Batch
    /// The batch's codes, in sequence order, and the URLs printed for them.
    let codes: [String]
    let urls: [String]

    /// - Parameter backend: the storage backend under test (the contract suite's tests pass theirs).
    /// - Parameters:
    ///   - gtin: the product's GTIN (8, 12, 13 or 14 digits), which its GS1 Digital Links carry as 14; without one the
    ///     batch's URLs are short (`/s/{code}`).
    ///   - uppercase: whether the batch's URLs are printed in upper case.
    init(backend: Backend = .sqlite, count: Int = 20, lot: String? = "L1", activate: Bool = true, gtin: String? = "6291041500213",
         uppercase: Bool = false, productName: String = "Tea 绿茶") async throws {
        folder = try TemporaryFolder()
        self.backend = backend
        store = try await backend.open(folder)
        product = try await store.addProduct(try NewProduct(name: productName, gtin: gtin, sku: nil), audit: .test)
        let issuer = Issuer(store: store, signer: Self.signer, baseURL: "https://q.example.com")
        let result = try await issuer.issue(
            try NewBatch(productID: product.id, count: count, maxCount: 1_000_000, lot: lot, urlForm: gtin == nil ? .short : .gs1, uppercase: uppercase),
            package: PackageOptions(directory: folder.file("package")))
        let csv = try CodesCSV(folder.file("package/codes.csv"))
        codes = csv.codes
        urls = csv.urls
        batch = activate ? try await store.setStatus(.active, of: result.batch.id, audit: .test) : result.batch
    }

    func config(_ values: [String: ConfigValue] = [:]) throws -> ServiceConfig {
        var all: [AbsoluteConfigKey: ConfigValue] = [
            AbsoluteConfigKey(["onecode", "regions", "file"]): .init(.string(Self.regionsFile), isSecret: false),
            AbsoluteConfigKey(["onecode", "rateLimit", "perSecond"]): .init(.double(0), isSecret: false),
            // The auth walk makes a hundred failed authentications from one address on purpose.
            AbsoluteConfigKey(["onecode", "rateLimit", "authFailuresPerMinute"]): .init(.double(0), isSecret: false),
            AbsoluteConfigKey(["onecode", "packages", "directory"]): .init(.string(folder.file("packages")), isSecret: false),
        ]
        for (key, value) in values { all[AbsoluteConfigKey(["onecode"] + key.split(separator: ".").map(String.init))] = value }
        return try ServiceConfig(reader: ConfigReader(provider: InMemoryProvider(values: all)), databasePath: folder.file("onecode.sqlite"))
    }

    static var regionsFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Config/regions.geojson").path
    }

    /// - Parameter scans: the scan port the writer records through (the real store's unless a test counts it).
    func deps(_ config: ServiceConfig, scans: (any ScanTransactions)? = nil) -> ServiceDependencies {
        var deps = ServiceDependencies(config: config, store: store, signer: Self.signer, baseURL: "https://q.example.com",
                                       maxBatchCount: 1_000_000, logger: Logger(label: "test"))
        if let scans { deps.scans = scans }
        return deps
    }

    func app(_ values: [String: ConfigValue] = [:], scans: (any ScanTransactions)? = nil) throws -> some ApplicationProtocol {
        try buildApplication(deps(try config(values), scans: scans))
    }

    /// Counted scan rows of the code (bots excluded), straight from the database file.
    func scanCount(_ code: String) async throws -> Int {
        guard case let .valid(key, _) = Self.signer.check(code) else { return -1 }
        return try await store.scans(of: key, limit: 10_000).count
    }

    func token(_ scope: TokenScope) async throws -> String {
        let token = TokenSecret.generate()
        _ = try await store.createToken(name: "test \(scope)", scope: scope, hash: token.hash, audit: .test)
        return token.text
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }
    var cookie: String? {
        headers[.setCookie].flatMap { $0.split(separator: ";").first.map(String.init) }
    }
}

/// Headers of a phone's request, optionally with a consumer cookie and JSON.
func phone(cookie: String? = nil, json: Bool = false, language: String? = nil, agent: String = ServiceFixture.phone) -> HTTPFields {
    var headers: HTTPFields = [.userAgent: agent]
    if let cookie { headers[.cookie] = cookie }
    if json { headers[.accept] = "application/json" }
    if let language { headers[.acceptLanguage] = language }
    return headers
}

/// The scan port of the real store, counting the transactions and scans that reach it: the one
/// port the scan path writes through (the other ports stay the real store's).
final class CountingScans: ScanTransactions, @unchecked Sendable {
    let base: any ScanTransactions
    let delay: Duration
    private let lock = NSLock()
    private var _calls = 0, _recorded = 0
    /// Scan transactions opened.
    var calls: Int { lock.withLock { _calls } }
    /// Scans written through them.
    var recorded: Int { lock.withLock { _recorded } }

    init(base: any ScanTransactions, delay: Duration = .zero) {
        self.base = base
        self.delay = delay
    }

    func withScanTransaction<T: Sendable>(_ body: @escaping @Sendable (any ScanTransaction) throws -> T) async throws -> T {
        lock.withLock { _calls += 1 }
        if delay > .zero { try await Task.sleep(for: delay) }
        let counter = self
        return try await base.withScanTransaction { tx in try body(CountingTransaction(base: tx, counter: counter)) }
    }

    fileprivate func wrote() { lock.withLock { _recorded += 1 } }
}

/// Forwards to the real transaction, counting scans written.
private struct CountingTransaction: ForwardingScanTransaction {
    let base: any ScanTransaction
    let counter: CountingScans
    func insertScan(_ row: ScanRow) throws -> Int64 { counter.wrote(); return try base.insertScan(row) }
}

/// A scan transaction that hands every call to `base`: a test's wrapper overrides what it changes.
protocol ForwardingScanTransaction: ScanTransaction {
    var base: any ScanTransaction { get }
}

extension ForwardingScanTransaction {
    func prepare(_ requests: [ScanRequest], now: Date) throws { try base.prepare(requests, now: now) }
    func code(_ key: CodeKey) throws -> CodeFacts? { try base.code(key) }
    func countedScans(of key: CodeKey) throws -> Int { try base.countedScans(of: key) }
    func firstCountedScan(of key: CodeKey) throws -> Date? { try base.firstCountedScan(of: key) }
    func distinctConsumers(of key: CodeKey, upTo limit: Int) throws -> Int { try base.distinctConsumers(of: key, upTo: limit) }
    func hasCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> Bool { try base.hasCountedScan(of: key, by: consumer) }
    func insertScan(_ row: ScanRow) throws -> Int64 { try base.insertScan(row) }
    func liveCampaigns(at now: Date) throws -> [Campaign] { try base.liveCampaigns(at: now) }
    func anyPointsAwarded() throws -> Bool { try base.anyPointsAwarded() }
    func pointsBalance(of consumer: ConsumerID) throws -> Int { try base.pointsBalance(of: consumer) }
    func entry(in campaign: CampaignID, code key: CodeKey) throws -> EntryFacts? { try base.entry(in: campaign, code: key) }
    func draws(in campaign: CampaignID, by consumer: ConsumerID, day: String) throws -> Int { try base.draws(in: campaign, by: consumer, day: day) }
    func wins(in campaign: CampaignID, by consumer: ConsumerID) throws -> Int { try base.wins(in: campaign, by: consumer) }
    func takePrize(campaign: CampaignID, tier: Int, day: String, dailyStock: Int?) throws -> Bool {
        try base.takePrize(campaign: campaign, tier: tier, day: day, dailyStock: dailyStock)
    }
    func insertEntry(_ row: EntryRow) throws -> EntryID { try base.insertEntry(row) }
    func emit(_ type: EventType, at: Date, data: EventJSON) throws { try base.emit(type, at: at, data: data) }
    func anyShipments() throws -> Bool { try base.anyShipments() }
    func lastShipment(of key: CodeKey) throws -> ShipmentFacts? { try base.lastShipment(of: key) }
    func insertDiversion(_ row: DiversionRow) throws -> Bool { try base.insertDiversion(row) }
    func receiptRegion(of key: CodeKey) throws -> String? { try base.receiptRegion(of: key) }
    func pinState(of key: CodeKey) throws -> PinState? { try base.pinState(of: key) }
    func recordWrongPin(_ key: CodeKey, at: Date) throws -> Int { try base.recordWrongPin(key, at: at) }
    func lockPin(_ key: CodeKey, at: Date) throws { try base.lockPin(key, at: at) }
    func latestCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> ScanFacts? { try base.latestCountedScan(of: key, by: consumer) }
    func latestCountedScan(of key: CodeKey) throws -> (at: Date, region: String?)? { try base.latestCountedScan(of: key) }
    func anyClerkBindings() throws -> Bool { try base.anyClerkBindings() }
    func clerkBinding(of key: CodeKey) throws -> ClerkBinding? { try base.clerkBinding(of: key) }
    func takeClerkReward(_ clerk: ClerkID, day: String, amount: Int, cap: Int) throws -> Bool {
        try base.takeClerkReward(clerk, day: day, amount: amount, cap: cap)
    }
    func insertLedger(_ row: LedgerRow) throws -> Int64 { try base.insertLedger(row) }
}

import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OneCodeDomain
import OneCodeIssuing
@testable import OneCodeService
import OneCodeSQLite
import OneCodeStorage

/// A real SQLite file with a product and a batch, and the service built over it.
struct ServiceFixture {
    static let signer = try! CodeSigner(secret: Array("service-test-secret-0123456789".utf8))
    static let phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"

    let folder: TemporaryFolder
    let sqlite: SQLiteStore
    let product: Product
    let batch: Batch
    /// The batch's codes, in sequence order.
    let codes: [String]

    init(count: Int = 20, lot: String? = "L1", activate: Bool = true) async throws {
        folder = try TemporaryFolder()
        sqlite = try SQLiteStore(path: folder.file("onecode.sqlite"))
        product = try await sqlite.addProduct(try NewProduct(name: "Tea 绿茶", gtin: "6291041500213", sku: nil))
        let issuer = Issuer(store: sqlite, signer: Self.signer, baseURL: "https://q.example.com")
        let result = try await issuer.issue(
            try NewBatch(productID: product.id, count: count, maxCount: 1_000_000, lot: lot, urlForm: .gs1),
            package: PackageOptions(directory: folder.file("package")))
        codes = try String(contentsOfFile: folder.file("package/codes.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[1]) }
        batch = activate ? try await sqlite.setStatus(.active, of: result.batch.id) : result.batch
    }

    func config(_ values: [String: ConfigValue] = [:]) throws -> ServiceConfig {
        var all: [AbsoluteConfigKey: ConfigValue] = [
            AbsoluteConfigKey(["onecode", "regions", "file"]): .init(.string(Self.regionsFile), isSecret: false),
            AbsoluteConfigKey(["onecode", "rateLimit", "perSecond"]): .init(.double(0), isSecret: false),
            AbsoluteConfigKey(["onecode", "packages", "directory"]): .init(.string(folder.file("packages")), isSecret: false),
        ]
        for (key, value) in values { all[AbsoluteConfigKey(["onecode"] + key.split(separator: ".").map(String.init))] = value }
        return try ServiceConfig(reader: ConfigReader(provider: InMemoryProvider(values: all)), databasePath: folder.file("onecode.sqlite"))
    }

    static var regionsFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Config/regions.geojson").path
    }

    func deps(_ config: ServiceConfig, store: (any OneCodeStore)? = nil) -> ServiceDependencies {
        ServiceDependencies(config: config, store: store ?? sqlite, signer: Self.signer, baseURL: "https://q.example.com",
                            maxBatchCount: 1_000_000, logger: Logger(label: "test"))
    }

    func app(_ values: [String: ConfigValue] = [:], store: (any OneCodeStore)? = nil) throws -> some ApplicationProtocol {
        try buildApplication(deps(try config(values), store: store))
    }

    /// Counted scan rows of the code (bots excluded), straight from the database file.
    func scanCount(_ code: String) async throws -> Int {
        guard case let .valid(key, _) = Self.signer.check(code) else { return -1 }
        return try await sqlite.scans(of: key, limit: 10_000).count
    }

    func token(_ scope: TokenScope) async throws -> String {
        let token = TokenAuth.generate()
        _ = try await sqlite.createToken(name: "test \(scope)", scope: scope, hash: token.hash)
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

/// The real store, counting what reaches it.
final class CountingStore: OneCodeStore, @unchecked Sendable {
    let base: SQLiteStore
    let delay: Duration
    private let lock = NSLock()
    private var _calls = 0, _recordCalls = 0, _recorded = 0
    var calls: Int { lock.withLock { _calls } }
    var recordCalls: Int { lock.withLock { _recordCalls } }
    var recorded: Int { lock.withLock { _recorded } }

    init(base: SQLiteStore, delay: Duration = .zero) {
        self.base = base
        self.delay = delay
    }
    private func count() { lock.withLock { _calls += 1 } }

    func recordScans(_ requests: [ScanRequest], rules: VerdictRules) async throws -> [ScanResult] {
        count()
        lock.withLock { _recordCalls += 1; _recorded += requests.count }
        if delay > .zero { try await Task.sleep(for: delay) }
        return try await base.recordScans(requests, rules: rules)
    }
    func attachLocation(key: CodeKey, consumer: ConsumerID, latitude: Double, longitude: Double, region: String?) async throws -> Int64? {
        count(); return try await base.attachLocation(key: key, consumer: consumer, latitude: latitude, longitude: longitude, region: region)
    }
    func scans(of key: CodeKey, limit: Int) async throws -> [ScanRecord] { count(); return try await base.scans(of: key, limit: limit) }
    func setStatus(_ status: BatchStatus, of batch: BatchID) async throws -> Batch { count(); return try await base.setStatus(status, of: batch) }
    func blacklist(_ key: CodeKey, reason: String) async throws { count(); try await base.blacklist(key, reason: reason) }
    func verdictCounts(batch: BatchID?) async throws -> [Verdict: Int] { count(); return try await base.verdictCounts(batch: batch) }
    func createToken(name: String, scope: TokenScope, hash: [UInt8]) async throws -> APIToken { count(); return try await base.createToken(name: name, scope: scope, hash: hash) }
    func token(hash: [UInt8]) async throws -> APIToken? { count(); return try await base.token(hash: hash) }
    func addProduct(_ product: NewProduct) async throws -> Product { count(); return try await base.addProduct(product) }
    func products() async throws -> [Product] { count(); return try await base.products() }
    func product(_ id: ProductID) async throws -> Product? { count(); return try await base.product(id) }
    func issueBatch<T: Sendable>(_ batch: NewBatch, codeLength: Int, _ body: @Sendable (Batch, Product, any CodeSink) throws -> T) async throws -> (Batch, T) {
        count(); return try await base.issueBatch(batch, codeLength: codeLength, body)
    }
    func batches(product: ProductID?) async throws -> [Batch] { count(); return try await base.batches(product: product) }
    func batch(_ id: BatchID) async throws -> Batch? { count(); return try await base.batch(id) }
    func codeCount(batch: BatchID) async throws -> Int { count(); return try await base.codeCount(batch: batch) }
    func createCampaign(_ definition: CampaignDefinition) async throws -> Campaign { count(); return try await base.createCampaign(definition) }
    func campaigns() async throws -> [Campaign] { count(); return try await base.campaigns() }
    func campaign(_ id: CampaignID) async throws -> Campaign? { count(); return try await base.campaign(id) }
    func setStatus(_ status: CampaignStatus, of campaign: CampaignID) async throws -> Campaign { count(); return try await base.setStatus(status, of: campaign) }
    func entries(of campaign: CampaignID, after: Int64, limit: Int) async throws -> [CampaignEntry] { count(); return try await base.entries(of: campaign, after: after, limit: limit) }
    func stock(of campaign: CampaignID) async throws -> [TierStock] { count(); return try await base.stock(of: campaign) }
    func addStore(name: String, region: String?, tokenHash: [UInt8]) async throws -> Store { count(); return try await base.addStore(name: name, region: region, tokenHash: tokenHash) }
    func stores() async throws -> [Store] { count(); return try await base.stores() }
    func redeem(_ redemptionCode: String, store: Int64, at: Date) async throws -> Redemption { count(); return try await base.redeem(redemptionCode, store: store, at: at) }
    func claim(campaign: CampaignID, key: CodeKey, consumer: ConsumerID, contact: ContactDetails, consentVersion: String,
               consentText: String, at: Date) async throws -> Claim {
        count()
        return try await base.claim(campaign: campaign, key: key, consumer: consumer, contact: contact, consentVersion: consentVersion,
                                    consentText: consentText, at: at)
    }
    func code(_ key: CodeKey) async throws -> CodeRecord? { count(); return try await base.code(key) }
    func events(after sequence: Int64, limit: Int) async throws -> [OutboxEvent] { count(); return try await base.events(after: sequence, limit: limit) }
    func dueDeliveries(endpoints: [String], now: Date, limit: Int) async throws -> [WebhookDelivery] {
        count(); return try await base.dueDeliveries(endpoints: endpoints, now: now, limit: limit)
    }
    func registerEndpoints(_ urls: [String]) async throws { count(); try await base.registerEndpoints(urls) }
    func markDelivered(_ delivery: Int64, at: Date) async throws { count(); try await base.markDelivered(delivery, at: at) }
    func markFailed(_ delivery: Int64, error: String, retryAt: Date?) async throws { count(); try await base.markFailed(delivery, error: error, retryAt: retryAt) }
    func retryFailedDeliveries(endpoint: String?) async throws -> Int { count(); return try await base.retryFailedDeliveries(endpoint: endpoint) }
    func webhookStatus() async throws -> [WebhookEndpointStatus] { count(); return try await base.webhookStatus() }
    func refreshLinker(now: Date, full: Bool) async throws -> LinkerRefresh { count(); return try await base.refreshLinker(now: now, full: full) }
    func createSegment(name: String, rule: SegmentRule) async throws -> Segment { count(); return try await base.createSegment(name: name, rule: rule) }
    func segments() async throws -> [Segment] { count(); return try await base.segments() }
    func segment(_ id: SegmentID) async throws -> Segment? { count(); return try await base.segment(id) }
    func members(of segment: SegmentID, after: String, limit: Int) async throws -> [String] { count(); return try await base.members(of: segment, after: after, limit: limit) }
    func profile(_ consumer: String) async throws -> ConsumerProfile? { count(); return try await base.profile(consumer) }
    func storeProfiles() async throws -> [StoreProfile] { count(); return try await base.storeProfiles() }
    func leads(after: Int64, limit: Int, segment: SegmentID?, minScore: Double?) async throws -> LeadPage {
        count(); return try await base.leads(after: after, limit: limit, segment: segment, minScore: minScore)
    }
    func exportConsumer(_ consumer: String) async throws -> Data? { count(); return try await base.exportConsumer(consumer) }
    func forgetConsumer(_ consumer: String) async throws -> Bool { count(); return try await base.forgetConsumer(consumer) }
    func addFeedback(key: CodeKey, code: String, consumer: ConsumerID, rating: Int, comment: String?, at: Date) async throws {
        count(); try await base.addFeedback(key: key, code: code, consumer: consumer, rating: rating, comment: comment, at: at)
    }
    func feedbackReport(byBatch: Bool) async throws -> [FeedbackAggregate] { count(); return try await base.feedbackReport(byBatch: byBatch) }
    func scanRate(by grouping: ScanRateGrouping) async throws -> [ReportRow] { count(); return try await base.scanRate(by: grouping) }
    func dailyScans(batch: BatchID?) async throws -> [ReportRow] { count(); return try await base.dailyScans(batch: batch) }
    func diversion() async throws -> [DiversionAlert] { count(); return try await base.diversion() }
}

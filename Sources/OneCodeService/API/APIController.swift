import Foundation
import HTTPTypes
import Synchronization
import Hummingbird
import NIOCore
import OneCodeApplication
import OneCodeDomain
import OneCodeIssuing
import OneCodeRendering
import OneCodeStorage

/// The admin API under `/api`: JSON, bearer tokens with scopes.
struct APIController: Sendable {
    let store: any OneCodeStore
    let issuer: Issuer
    let maxBatchCount: Int
    let packagesDirectory: String
    let authFailuresPerMinute: Double
    /// The throttle's clock (`ServiceDependencies.uptime`).
    let uptime: @Sendable () -> UInt64
    /// The scan pages' catalogue, told when a product changes here.
    var catalog: CatalogCache? = nil

    /// The routes registered, with the scopes each accepts (for 405's `Allow`).
    let routes: APIRouteTable
    /// One linker refresh at a time (shared with the periodic one).
    var linkerGate = LinkerGate()
    /// Whether scans get a region from GeoIP (`geoip.file`): a campaign scoped to regions says so when not.
    var geoIPConfigured = false
    /// What the channel pays (a store's rebate for a receipt).
    var channelRules = ChannelRules()
    /// This node's counts of fake scans, flushed before the fakes report is read.
    var fakes: FakeTally? = nil
    /// This node's counts of resolutions, flushed before the resolutions report is read.
    var resolutions: ResolutionTally? = nil

    /// Registers a route that refuses tokens outside `scopes` (and `admin`) with 403.
    /// Registers an `/api` route; the scopes that may call it are `Access`'s for it.
    func route(_ group: RouterGroup<AppRequestContext>, _ method: HTTPRequest.Method, _ path: String,
               _ handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response) {
        let described = path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        let scopes = Access.scopes("\(method.rawValue) /api/\(described)")
        routes.add(method, "/api/\(described)", scopes)
        group.on(RouterPath(path), method: method) { request, context in
            try context.require(scopes)
            return try await handler(request, context)
        }
    }

    func register(on router: Router<AppRequestContext>) {
        let api = router.group("api").add(middleware: BearerAuthMiddleware(store: store, failuresPerMinute: authFailuresPerMinute, uptime: uptime))
        registerCampaigns(api)
        registerRedemptions(api)
        registerEvents(api)
        registerLinker(api)
        registerLinks(api)
        registerChannel(api)
        route(api, .get, "products") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            return try Response.api(try Page(of: try await store.products(), query, key: \.id.rawValue), status: .ok)
        }
        route(api, .post, "products") { request, context in
            let body = try await decode(ProductBody.self, request, context)
            let new = try NewProduct(name: body.name, nameZh: body.nameZh, nameEn: body.nameEn, gtin: body.gtin, sku: body.sku,
                                     imageURL: body.imageUrl)
            return try Response.api(try await actions(context).addProduct(new), status: .created)
        }
        route(api, .patch, "products/:id") { request, context in
            let body = try await decode(ProductChangeBody.self, request, context)
            guard let id = ProductID(try context.parameters.require("id")) else { throw HTTPError(.badRequest, message: "id: must be a positive product id") }
            let change = try ProductChange(nameZh: body.nameZh, nameEn: body.nameEn, imageURL: body.imageUrl)
            let product = try await actions(context).editProduct(id.rawValue, change)
            catalog?.forget(product: product.id)
            return try Response.api(product, status: .ok)
        }
        route(api, .get, "batches") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            var product: ProductID?
            if let text = request.uri.queryParameters.get("product") {
                guard let id = Int64(text), id > 0 else { throw HTTPError(.badRequest, message: "product: must be a positive product id (got '\(text)')") }
                product = ProductID(rawValue: id)
            }
            let batches = try await store.batches(product: product).map(BatchView.init)
            return try Response.api(try Page(of: batches, query, key: \.batch.id.rawValue), status: .ok)
        }
        route(api, .get, "batches/:id") { _, context in
            return try Response.api(BatchView(try await batch(context)), status: .ok)
        }
        route(api, .post, "batches") { request, context in
            return try await issue(request, context)
        }
        route(api, .get, "batches/:id/package.zip") { _, context in
            return try await PackageDownload.response(for: try await batch(context), library: packagesDirectory, context: context)
        }
        route(api, .post, "batches/:id/activate") { _, context in
            return try Response.api(BatchView(try await actions(context).activateBatch(batch(context).id.rawValue)), status: .ok)
        }
        route(api, .post, "batches/:id/void") { _, context in
            return try Response.api(BatchView(try await actions(context).voidBatch(batch(context).id.rawValue)), status: .ok)
        }
        route(api, .post, "codes/:code/blacklist") { request, context in
            let body = try await decode(BlacklistBody.self, request, context)
            let key = try code(context), canonical = issuer.signer.code(for: key)
            let reason = try await actions(context).blacklist(key, code: canonical, reason: try Actions.BlacklistReason(body.reason))
            return try Response.api(["code": canonical, "blacklisted": reason], status: .ok)
        }
        route(api, .get, "codes/:code/scans") { request, context in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            // A code's scans are few (it turns suspicious past scan.maxScans): paged over the newest 10,000, oldest first.
            let scans = try await store.scans(of: code(context), limit: 10_000)
            return try Response.api(try Page(of: scans, query, key: \.id), status: .ok)
        }
        route(api, .get, "stats/verdicts") { request, context in
            var batch: BatchID?
            if let text = request.uri.queryParameters.get("batch") {
                guard let id = BatchID(String(text)) else { throw HTTPError(.badRequest, message: "batch: must be a positive batch id") }
                batch = id
            }
            let counts = try await store.verdictCounts(batch: batch)
            var document: [String: Int] = [:]
            for verdict in Verdict.allCases { document[verdict.rawValue] = counts[verdict] ?? 0 }
            return try Response.api(document, status: .ok)
        }
    }


    // MARK: - Bodies

    struct ProductBody: Decodable { var name: String; var nameZh: String?; var nameEn: String?; var gtin: String?; var sku: String?; var imageUrl: String? }
    struct ProductChangeBody: Decodable { var nameZh: String?; var nameEn: String?; var imageUrl: String? }
    struct BlacklistBody: Decodable { var reason: String }
    struct IssueBody: Decodable {
        var product: Int64
        var count: Int
        var lot: String?
        var productionDate: String?
        var expiryDate: String?
        var region: String?
        var urlForm: String?
        var uppercase: Bool?
        var qr: String?
        var ec: String?
        var kind: String?
        var pin: Int?
        var roll: String?
        var labelsPerFile: Int?
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: AppRequestContext) async throws -> T {
        try await request.decodeJSON(type, context: context)
    }

    func batch(_ context: AppRequestContext) async throws -> Batch {
        guard let id = BatchID(try context.parameters.require("id")) else { throw HTTPError(.badRequest, message: "id: must be a positive batch id") }
        guard let batch = try await store.batch(id) else { throw HTTPError(.notFound, message: "id: no batch \(id)") }
        return batch
    }

    /// The application layer's actions, acting as the request's token.
    func actions(_ context: AppRequestContext) -> Actions {
        Actions(store: store, actor: context.token.map { .token(id: $0.id, name: $0.name) } ?? .system("api"))
    }

    func code(_ context: AppRequestContext) throws -> CodeKey {
        let text = try context.parameters.require("code")
        let typed = issuer.signer.read(typed: text)
        guard case let .read(.valid(key, _)) = typed else { throw HTTPError(.notFound, message: "code: \(typed.problem ?? "is not a code")") }
        return key
    }

    func issue(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await decode(IssueBody.self, request, context)
        let checked = try Actions.IssueRequest(
            product: body.product, count: body.count, lot: body.lot, productionDate: body.productionDate, expiryDate: body.expiryDate,
            region: body.region, urlForm: body.urlForm, uppercase: body.uppercase, kind: body.kind, pin: body.pin, qr: body.qr, ec: body.ec,
            roll: body.roll, labelsPerFile: body.labelsPerFile, maxCount: maxBatchCount)
        let result = try await actions(context).issue(checked, issuer: issuer, library: packagesDirectory)
        let view = BatchView(result.batch)
        return try Response.api(view, status: .created, headers: [.location: "/api/batches/\(result.batch.id)"])
    }
}

/// A batch as every `/api` route shows it (list, get, create, activate, void): the batch and where its
/// package is downloaded.
struct BatchView: Encodable {
    let batch: Batch

    init(_ batch: Batch) { self.batch = batch }

    enum Keys: String, CodingKey { case package }

    func encode(to encoder: any Encoder) throws {
        try batch.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode("/api/batches/\(batch.id)/package.zip", forKey: .package)
    }
}

import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import OneCodeApplication
import OneCodeDomain
import OneCodeGeoIP
import OneCodeIssuing
import OneCodeStorage
import ServiceLifecycle

/// Everything `buildApplication` needs, made by the caller (the CLI, or a test).
public struct ServiceDependencies: Sendable {
    public var config: ServiceConfig
    public var store: any OneCodeStore
    /// The port the scan writer records through: `store` unless a test puts a double in its place.
    public var scans: any ScanTransactions
    public var signer: CodeSigner
    public var baseURL: String
    public var maxBatchCount: Int
    public var logger: Logger
    /// Services of the storage to run beside the server (SQLite's checkpointer).
    public var storageServices: [any Service]
    /// Scan groups written at once (`ScanWriter`): 1 on SQLite, more on PostgreSQL.
    public var writers = 1
    /// Told the port the server listens on once it does (the one picked when `http.port` is 0).
    public var onListening: @Sendable (Int) async -> Void = { _ in }
    /// Told the port of the internal `/metrics` listener (`metrics.port`) once it listens.
    public var onMetricsListening: @Sendable (Int) async -> Void = { _ in }
    /// One linker refresh at a time: the periodic one and the API's share it.
    public var linkerGate = LinkerGate()
    /// Set when the node starts leaving (`DrainService`): `/readyz` then answers 503.
    public var drain = DrainSignal()
    /// The monotonic clock (nanoseconds) the failed-authentication throttle counts by: the system's, unless a
    /// test holds time still to show the throttle without racing it.
    public var uptime: @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }

    public init(config: ServiceConfig, store: any OneCodeStore, signer: CodeSigner, baseURL: String, maxBatchCount: Int,
                logger: Logger, storageServices: [any Service] = []) {
        self.storageServices = storageServices
        self.config = config
        self.store = store
        self.scans = store
        self.signer = signer
        self.baseURL = baseURL
        self.maxBatchCount = maxBatchCount
        self.logger = logger
    }
}

/// The router with every route; tests build it too.
public func buildRouter(_ deps: ServiceDependencies, writer: ScanWriter, fakes: FakeTally? = nil,
                        resolutions: ResolutionTally? = nil) throws -> Router<AppRequestContext> {
    let scanTally = writer.tally
    let fakes = fakes ?? FakeTally(store: deps.store, logger: deps.logger)
    let resolutions = resolutions ?? ResolutionTally(store: deps.store, logger: deps.logger)
    _ = PrometheusMetrics.registry
    PrometheusMetrics.declareSeries()
    let router = Router(context: AppRequestContext.self, options: [.caseInsensitive])
    // Without trusted proxies the client is the peer the context already holds: no middleware on the scan path.
    if !deps.config.trustedProxies.isEmpty { router.add(middleware: ClientAddressMiddleware(proxies: deps.config.trustedProxies)) }
    if deps.config.log.access { router.add(middleware: AccessLogMiddleware()) }
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    let apiRoutes = APIRouteTable()
    router.add(middleware: ErrorMiddleware(routes: apiRoutes, brand: deps.config.brand))
    router.add(middleware: DigitalLinkMiddleware())
    let regions = try deps.config.loadRegions()
    let page = LandingPage(timeZone: deps.config.displayTimeZone, brand: deps.config.brand)
    deps.config.brand.register(on: router)
    let catalog = CatalogCache(store: deps.store)
    let resolver = ResolverController(links: deps.store, catalog: deps.store, baseURL: deps.baseURL, tally: resolutions)
    resolver.register(on: router)
    ScanController(
        signer: deps.signer, writer: writer, store: deps.store, catalog: catalog, page: page,
        limiter: RateLimiter(rate: deps.config.ratePerSecond, burst: deps.config.rateBurst), regions: regions,
        geoIP: try deps.config.geoIPFile.map { try IPRegionDatabase(path: $0) }, config: deps.config, fakes: fakes,
        cookies: ConsumerCookie(signer: deps.signer), sameOrigin: SameOriginCheck(baseURL: deps.baseURL),
        resolver: resolver, receipts: ScanReceipt.Seal(signer: deps.signer),
        secureCookie: deps.config.secureCookie || deps.baseURL.lowercased().hasPrefix("https://")
    ).register(on: router)
    EntryPage(signer: deps.signer, brand: deps.config.brand).register(on: router)
    OpenAPIDocument.register(on: router, maxBatchCount: deps.maxBatchCount)
    OpsController(writer: writer, drain: deps.drain, storage: deps.store, outbox: deps.store, servesMetrics: deps.config.metricsPort == nil)
        .register(on: router)
    APIController(
        store: deps.store, issuer: Issuer(store: deps.store, signer: deps.signer, baseURL: deps.baseURL),
        maxBatchCount: deps.maxBatchCount, packagesDirectory: deps.config.packagesDirectory,
        authFailuresPerMinute: deps.config.authFailuresPerMinute, uptime: deps.uptime, catalog: catalog, routes: apiRoutes, linkerGate: deps.linkerGate,
        geoIPConfigured: deps.config.geoIPFile != nil, channelRules: deps.config.channel, fakes: fakes,
        resolutions: resolutions
    ).register(on: router)
    ConsoleController(
        store: deps.store, signer: deps.signer, issuer: Issuer(store: deps.store, signer: deps.signer, baseURL: deps.baseURL),
        packagesDirectory: deps.config.packagesDirectory, maxBatchCount: deps.maxBatchCount, geoIPConfigured: deps.config.geoIPFile != nil, views: try ConsoleViews(brand: deps.config.brand, time: DisplayTime(deps.config.displayTimeZone)),
        idleSeconds: deps.config.consoleIdleSeconds, sessionSeconds: deps.config.consoleSessionSeconds,
        secureCookie: deps.config.secureCookie || deps.baseURL.lowercased().hasPrefix("https://"), truncateIP: deps.config.truncateIP,
        tally: scanTally, webhookURLs: deps.config.webhooks.urls, factor: SecondFactor(signer: deps.signer),
        issueWaitSeconds: deps.config.consoleIssueWaitSeconds
    ).register(on: router)
    return router
}

/// The OneCode service: routes, the scan writer as a service, graceful shutdown (the server stops
/// first, the writer commits every accepted scan after).
public func buildApplication(_ deps: ServiceDependencies) throws -> some ApplicationProtocol {
    _ = PrometheusMetrics.registry  // bootstrap before any metric is made
    let scanTally = ScanTally(store: deps.store, logger: deps.logger)
    let writer = ScanWriter(store: deps.scans, rules: deps.config.rules, channel: deps.config.channel, capacity: deps.config.queueCapacity,
                            maxGroup: deps.config.maxGroup, writers: deps.writers, tally: scanTally, logger: deps.logger)
    let fakes = FakeTally(store: deps.store, logger: deps.logger), resolutions = ResolutionTally(store: deps.store, logger: deps.logger)
    let router = try buildRouter(deps, writer: writer, fakes: fakes, resolutions: resolutions)
    // `/metrics` alone on an internal listener; it stops first (the last service), before the public server.
    var metrics: [any Service] = []
    if let port = deps.config.metricsPort {
        let metricsRouter = Router(context: AppRequestContext.self)
        metricsRouter.add(middleware: ErrorMiddleware())
        OpsController(writer: writer, drain: deps.drain, storage: deps.store, outbox: deps.store).registerMetrics(on: metricsRouter)
        metrics.append(Application(
            router: metricsRouter, configuration: .init(address: .hostname(deps.config.metricsHost, port: port), serverName: "OneCode"),
            onServerRunning: { channel in await deps.onMetricsListening(channel.localAddress?.port ?? port) }, logger: deps.logger))
    }
    return Application(
        router: router,
        // Connections are bounded in time and number: one that sends nothing (half-sent headers too) is
        // closed after http.idleTimeoutSeconds, and beyond http.maxConnections new ones wait to be accepted.
        server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(deps.config.idleTimeoutSeconds * 1_000_000_000)))),
        configuration: .init(address: .hostname(deps.config.host, port: deps.config.port), serverName: "OneCode",
                             availableConnectionsDelegate: MaximumAvailableConnections(deps.config.maxConnections)),
        // Shut down in reverse: the server first, then the writer commits what it accepted, then storage.
        // The deliverer stops before the writer, so its last bookkeeping can still commit.
        // The counts (fake scans, resolutions) are flushed once the server has stopped, before storage closes.
        // The scan counts stop after the writer: the writer's last commits are counted, then flushed.
        services: deps.storageServices + [scanTally, writer, fakes, resolutions] + (deps.config.webhooks.urls.isEmpty ? [] : [
            WebhookDeliverer(store: deps.store, config: deps.config.webhooks, logger: deps.logger) as any Service,
        ]) + (deps.config.linkerRefreshSeconds > 0 ? [
            LinkerService(store: deps.store, gate: deps.linkerGate, interval: .milliseconds(Int64(deps.config.linkerRefreshSeconds * 1000)),
                          logger: deps.logger),
        ] : []) + metrics,
        onServerRunning: { channel in await deps.onListening(channel.localAddress?.port ?? deps.config.port) },
        logger: deps.logger)
}

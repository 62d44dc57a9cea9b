import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Logging
import NIOCore
import OneCodeDomain
import OneCodeApplication
import OneCodeIssuing
import OneCodePostgres
import OneCodeService
import ServiceLifecycle
import OneCodeSQLite
import OneCodeStorage

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the scan service and the admin API over HTTP.",
        discussion: """
            Public routes: GET /s/{code} and GS1 Digital Link /01/{gtin}[/10/{lot}]/21/{serial} answer a scan with a \
            verdict page (or JSON with Accept: application/json); POST /s/{code}/location attaches a consented position. \
            Operations: GET /healthz, GET /metrics (Prometheus). Admin API under /api with bearer tokens \
            (`onecode token create`). In demo mode an empty database gets a demo product and an active demo batch, \
            and a few scan URLs and an admin token are printed. SIGTERM or Ctrl-C stops accepting, commits every \
            accepted scan, and exits 0.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8080; 0 picks a free one, printed as \"listening on …\").") var port: Int?

    func run() async throws {
        var extra: [String: ConfigValue] = [:]
        if let host { extra["http.host"] = .init(.string(host), isSecret: false) }
        if let port { extra["http.port"] = .init(.int(port), isSecret: false) }
        var app: (any ApplicationProtocol)?
        var drain: DrainService?
        var listenAddress = ""
        var say: @Sendable (String) -> Void = { note($0) }
        try await reportingErrors {
            let reader = try await global.configReader(extra: extra)
            var issuerConfig = try IssuerConfig(reader: reader)
            let config = try ServiceConfig(reader: reader, databasePath: issuerConfig.databasePath)
            // In demo mode a base URL on this machine follows the address served, so the printed URLs open.
            // (With --port 0 the port is known only once listening: codes keep the configured URL, and the
            // URLs printed then follow the port picked.)
            if issuerConfig.mode == .demo && config.port != 0 {
                issuerConfig.baseURL = DemoData.served(issuerConfig.baseURL, host: config.host, port: config.port)
            }
            // A port another process holds is said before anything is prepared (the bind is checked again below).
            if config.port != 0, let problem = Self.cannotListen(host: config.host, port: config.port) {
                fail("http.port: cannot listen on \(config.host):\(config.port) (\(problem)); choose another with --port or ONECODE_HTTP_PORT")
            }
            if let metricsPort = config.metricsPort, metricsPort != 0, let problem = Self.cannotListen(host: config.metricsHost, port: metricsPort) {
                fail("metrics.port: cannot listen on \(config.metricsHost):\(metricsPort) (\(problem)); choose another with ONECODE_METRICS_PORT")
            }
            let serving = try await Database.openForServe(issuerConfig)
            let store = serving.store
            let signer = try issuerConfig.signer(notice: note)
            let logConfig = config.log
            LoggingSystem.bootstrap { label in logConfig.handler(label: label) }
            var logger = Logger(label: "onecode")
            logger.logLevel = config.log.level
            var announce: @Sendable (Int) -> Void = { _ in }
            if issuerConfig.mode == .demo {
                announce = try await DemoData.prepare(store: store, issuerConfig: issuerConfig, serviceConfig: config, signer: signer)
            }
            // New webhook endpoints start at the newest event before any request is taken.
            try await store.registerEndpoints(config.webhooks.urls)
            var deps = ServiceDependencies(
                config: config, store: store, signer: signer, baseURL: issuerConfig.baseURL,
                maxBatchCount: issuerConfig.maxBatchCount, logger: logger, storageServices: serving.services(logger))
            deps.writers = serving.writers
            let host = config.host
            listenAddress = "\(config.host):\(config.port)"
            // With JSON logs, the service's own lines are JSON too (log shippers read every line).
            let json = config.log.format == .json
            let serviceLogger = logger
            say = { json ? serviceLogger.notice("\($0)") : note($0) }
            deps.onListening = { [say, announce] port in
                say("onecode: listening on http://\(host):\(port)")
                announce(port)
            }
            let metricsHost = config.metricsHost
            deps.onMetricsListening = { [say] port in say("onecode: metrics on http://\(metricsHost):\(port)/metrics") }
            app = try buildApplication(deps)
            drain = DrainService(signal: deps.drain, seconds: config.drainSeconds, logger: logger)
            say("onecode: serving on http://\(config.host):\(config.port == 0 ? "(a free port)" : String(config.port)) (database \(Database.describe(issuerConfig))); Ctrl-C stops")
        }
        do {
            // The drain stops first (the group stops its services last to first): `/readyz` says
            // `stopping` for http.drainSeconds while the server still serves, then the application stops.
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: app!), .init(service: drain!, successTerminationBehavior: .ignore)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: drain!.logger))
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EADDRNOTAVAIL || error.errnoCode == EACCES {
            fail("http.port: cannot listen on \(listenAddress) (\(error.errnoCode == EADDRINUSE ? "another process uses it" : String(cString: strerror(error.errnoCode)))); choose another with --port or ONECODE_HTTP_PORT")
        }
        say("onecode: stopped; every accepted scan is committed")
    }
}

extension ServeCommand {
    /// Why a TCP socket cannot bind `host:port` now, or `nil` when it can.
    static func cannotListen(host: String, port: Int) -> String? {
        guard let address = try? SocketAddress.makeAddressResolvingHost(host, port: port) else { return nil }  // the server says why
        let fd = socket(address.protocol == .inet6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
        guard result != 0 else { return nil }
        return errno == EADDRINUSE ? "another process uses it" : String(cString: strerror(errno))
    }
}

/// The demo data `serve` adds to an empty database in demo mode. A database that holds data gets no
/// demo data and no new token: it runs as configured, and `serve` says how to make a token.
enum DemoData {
    /// `url` with the address served when it points at this machine (127.0.0.1, localhost, ::1), else as it is.
    static func served(_ url: String, host: String, port: Int) -> String {
        guard var parts = URLComponents(string: url), let current = parts.host,
              ["127.0.0.1", "localhost", "::1", "[::1]"].contains(current.lowercased()) else { return url }
        if host != "0.0.0.0" && host != "::" { parts.host = host }
        parts.port = port
        return parts.string ?? url
    }

    /// The demo's product (GS1's own check-digit example for its GTIN), named in both languages.
    static let gtin = "6291041500213"
    static func product() throws -> NewProduct {
        try NewProduct(name: "Demo green tea 500 ml", nameZh: "演示绿茶 500 毫升", nameEn: "Demo green tea 500 ml", gtin: gtin, sku: "DEMO-TEA-500")
    }

    /// Adds the demo data when the database is empty, and returns what prints the scan URLs and the
    /// token's curl line for the port the server listens on.
    static func prepare(store: any OneCodeStore, issuerConfig: IssuerConfig, serviceConfig: ServiceConfig,
                        signer: CodeSigner) async throws -> @Sendable (Int) -> Void {
        let base = issuerConfig.baseURL
        let empty = try await store.products().isEmpty
        if empty {
            let product = try await Actions(store: store, actor: .system("demo")).addProduct(try DemoData.product())
            let issuer = Issuer(store: store, signer: signer, baseURL: base)
            let result = try await issuer.issue(
                try NewBatch(productID: product.id, count: 100, maxCount: issuerConfig.maxBatchCount, lot: "DEMO1", region: "CN-31", urlForm: .gs1),
                intoLibrary: serviceConfig.packagesDirectory, artwork: .svg)
            _ = try await Actions(store: store, actor: .system("demo")).activateBatch(result.batch.id.rawValue)
            note("demo: added product \(product.id) and activated batch \(result.batch.id) of 100 codes (package in \(result.directory))")
        }
        // A few scan URLs from the newest active batch's package.
        var urls: [String] = []
        if let batch = try await store.batches(product: nil).first(where: { $0.status == .active }),
           let folder = PackageLibrary.find(batch, in: serviceConfig.packagesDirectory)?.folder,
           let csv = try? String(contentsOfFile: folder + "/codes.csv", encoding: .utf8) {
            urls = csv.split(separator: "\n").dropFirst().prefix(3).map { String($0.split(separator: ",")[2]) }
        }
        let host = serviceConfig.host
        // The demo admin token is kept in a file beside the database, like the demo secret.
        let file = ((issuerConfig.databasePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("demo-admin-token")
        var text = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        var known = false
        if let text { known = try await store.token(hash: TokenSecret.hash(text)) != nil }
        let scanURLs = urls
        let scanThese = { @Sendable (port: Int) in
            if !scanURLs.isEmpty { note("demo: scan these:\n" + scanURLs.map { "  " + served($0, host: host, port: port) }.joined(separator: "\n")) }
        }
        if !known && !empty {
            return { port in
                scanThese(port)
                note("demo: this database holds data, so no demo token is made; create one with `onecode token create --scope admin --name NAME`")
            }
        }
        if !known {
            let (_, secret) = try await Actions(store: store, actor: .system("demo")).createToken(try Actions.NewToken(name: "demo admin", scope: .admin))
            _ = FileManager.default.createFile(atPath: file, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
            text = secret
        }
        let token = text!
        return { port in
            scanThese(port)
            note("demo: admin token (kept in \(file)): \(token)\n  curl -H 'Authorization: Bearer \(token)' http://\(host):\(port)/api/stats/verdicts"
                 + "\ndemo: the console is at http://\(host):\(port)/console; make its first user with `onecode user add --name admin --role admin`")
        }
    }
}

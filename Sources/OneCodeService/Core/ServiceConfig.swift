import Configuration
import Foundation
import OneCodeDomain

/// Settings of the HTTP service, read from configuration.
///
/// Keys, under `onecode.` (environment `ONECODE_…`):
/// - `http.host` (default `127.0.0.1`), `http.port` (default `8080`).
/// - `http.trustedProxies` (default none): addresses or CIDRs of the load balancers whose `Forwarded` /
///   `X-Forwarded-For` name the client (`ONECODE_HTTP_TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1`).
/// - `http.drainSeconds` (default 0): on SIGTERM or Ctrl-C, `/readyz` answers 503 `stopping` this long while
///   the server still takes requests, so a balancer polling readiness takes the node out before it stops.
/// - `http.idleTimeoutSeconds` (default 30): a connection that sends nothing for this long is closed,
///   whether it is between requests or half-way through a request's headers.
/// - `http.maxConnections` (default: the process's open-file limit less 128): connections beyond it wait
///   to be accepted, so held-open connections cannot use up the descriptors the database needs.
/// - `http.forwardedHeader` (default `X-Forwarded-For`, or `Forwarded`): the one header those proxies set;
///   the other is never read (a client's own `Forwarded` passed through would name any address).
/// - `scan.maxScans` (default 20), `scan.maxConsumers` (default 5): above either, a code is suspicious.
/// - `scan.cloneWindowMinutes` (default 60; 0 turns it off): a new phone's scan this soon after the latest,
///   in another region, is a cloned label (suspicious).
/// - `channel.receiptRebate`, `channel.clerkReward`, `channel.clerkDailyCap` (default 0: none), `channel.timeZone`
///   (default `Asia/Shanghai`): what a store earns for confirming a case's receipt, what a clerk earns when a
///   consumer's first counted scan lands on a unit of their case, the most a clerk earns so per day (0: no cap),
///   and where that day begins; amounts in the currency's minor unit.
/// - `writer.queueCapacity` (default 8192): scans waiting for the writer before requests get 503.
/// - `writer.maxGroup` (default 1024): the most scans one transaction commits.
/// - `rateLimit.perSecond` (default 10; 0 turns limiting off), `rateLimit.burst` (default 40): per-IP token bucket for public routes.
/// - `rateLimit.authFailuresPerMinute` (default 10; 0 turns it off): failed `/api` authentications an address
///   may make in a burst and per minute; past them it gets 429 until the allowance refills.
/// - `privacy.truncateIP` (default true): keep IPv4 /24 and IPv6 /48 only; false keeps whole addresses.
/// - `regions.file` (default `Config/regions.geojson` when that file exists; empty turns regions off): GeoJSON
///   region polygons. A file the key names must be readable.
/// - `geoip.file` (default none): a MaxMind-format database; when set, a scan's region comes from its IP
///   until the consumer shares a position.
/// - `packages.directory` (default `packages` beside the database): where API-issued packages are kept.
/// - `cookie.secure` (default false): mark the consumer cookie Secure (set true behind HTTPS).
/// - `console.idleMinutes` (default 30), `console.sessionHours` (default 12): a console session ends after this
///   long without a request, and this long after signing in whatever happens.
/// - `console.issueWaitSeconds` (default 2): how long issuing a batch in the console is waited for before the
///   page shows its progress instead (0 to 30).
/// - `claims.consentText`, `claims.consentTextZh`, `claims.consentVersion` (default `v2`): the consent a winner gives
///   when claiming, to deliver the prize (required), in English and Chinese (both are that version's text).
/// - `claims.marketingConsentText`, `claims.marketingConsentTextZh`, `claims.marketingConsentVersion` (default `v2`):
///   the separate, optional consent to be contacted about the brand's products; only it makes a lead.
/// - `webhooks.urls` (default none; comma-separated in the environment), `webhooks.secret` (required with
///   URLs, at least 16 characters), `webhooks.timeoutSeconds` (10), `webhooks.retryBaseSeconds` (5),
///   `webhooks.retryMaxSeconds` (3600), `webhooks.maxAttempts` (20), `webhooks.pollSeconds` (1): see `WebhookDeliverer`.
/// - `log.level` (default info), `log.format` (`text` or `json` lines), `log.access` (default false): see `LogConfig`.
/// - `metrics.port` (default none: `/metrics` on the public port), `metrics.host` (default `127.0.0.1`): an internal
///   listener for `/metrics` alone; the public port then answers `/metrics` with 404.
/// - `linker.refreshSeconds` (default 60; 0 turns it off): how often profiles, segments and leads are refreshed.
public struct ServiceConfig: Sendable {
    public var host: String
    public var port: Int
    public var idleTimeoutSeconds: Double
    public var drainSeconds: Double
    public var maxConnections: Int
    public var rules: VerdictRules
    public var channel: ChannelRules
    public var queueCapacity: Int
    public var maxGroup: Int
    public var ratePerSecond: Double
    public var rateBurst: Double
    public var authFailuresPerMinute: Double
    public var truncateIP: Bool
    public var trustedProxies: TrustedProxies
    /// `nil`: no regions.
    public var regionsFile: String?
    /// Whether the regions file was named by configuration (then it must be readable) or is the default.
    var regionsConfigured: Bool
    public var geoIPFile: String?
    public var packagesDirectory: String
    public var secureCookie: Bool
    /// `console.idleMinutes` and `console.sessionHours`, in seconds.
    public var consoleIdleSeconds: Int
    public var consoleSessionSeconds: Int
    /// `console.issueWaitSeconds`.
    public var consoleIssueWaitSeconds: Int
    /// `claims.consentText` (English) and `claims.consentTextZh` (Chinese): the consent to deliver the
    /// prize shown on the page in its language, and recorded with the claim as it was shown.
    public var consentText: String
    public var consentTextZh: String
    public var consentVersion: String
    /// `claims.marketingConsent…`: the optional consent to be contacted about the brand's products, shown
    /// apart, recorded only when ticked.
    public var marketingConsentText: String
    public var marketingConsentTextZh: String
    public var marketingConsentVersion: String
    public var webhooks: WebhookConfig
    public var linkerRefreshSeconds: Double
    public var log: LogConfig
    /// `display.timeZone`: where the scan page shows times (default Asia/Shanghai, labelled "Beijing time").
    public var displayTimeZone: TimeZone
    /// `brand.*`: the brand on every page.
    var brand: Brand
    /// `metrics.port`: serve `/metrics` there (on `metrics.host`) instead of on the public port; `nil`: the public port.
    public var metricsPort: Int?
    public var metricsHost: String

    /// - Throws: `InputError` naming the key whose value is out of range.
    public init(reader: ConfigReader, databasePath: String) throws {
        let config = reader.scoped(to: "onecode")
        host = config.string(forKey: "http.host", default: "127.0.0.1")
        port = try config.checkedInt("http.port", default: 8080)
        idleTimeoutSeconds = try config.checkedDouble("http.idleTimeoutSeconds", default: 30)
        guard idleTimeoutSeconds > 0 && idleTimeoutSeconds <= 3600 else {
            throw InputError("http.idleTimeoutSeconds", "must be more than 0 and at most 3600 seconds")
        }
        drainSeconds = try config.checkedDouble("http.drainSeconds", default: 0)
        guard drainSeconds >= 0 && drainSeconds <= 300 else {
            throw InputError("http.drainSeconds", "must be 0 to 300 seconds")
        }
        var limit = rlimit()
        let openFiles = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(min(limit.rlim_cur, 1 << 20)) : 1024
        maxConnections = try config.checkedInt("http.maxConnections", default: max(16, openFiles - 128))
        guard maxConnections >= 1 else { throw InputError("http.maxConnections", "must be 1 or more") }
        guard (0...65535).contains(port) else { throw InputError("http.port", "must be from 0 to 65535 (got \(port))") }
        rules = VerdictRules(maxScans: try config.checkedInt("scan.maxScans", default: 20),
                             maxConsumers: try config.checkedInt("scan.maxConsumers", default: 5),
                             cloneWindowSeconds: try config.checkedDouble("scan.cloneWindowMinutes", default: 60) * 60)
        guard rules.cloneWindowSeconds >= 0 else { throw InputError("scan.cloneWindowMinutes", "must be 0 (off) or more") }
        guard rules.maxScans >= 1, rules.maxConsumers >= 1 else {
            throw InputError("scan.maxScans", "scan.maxScans and scan.maxConsumers must be at least 1")
        }
        let channelZone = config.string(forKey: "channel.timeZone", default: "Asia/Shanghai")
        guard let channelTimeZone = TimeZone(identifier: channelZone) else {
            throw InputError("channel.timeZone", "must be an IANA time zone such as Asia/Shanghai or UTC (got '\(channelZone)')")
        }
        channel = ChannelRules(receiptRebate: try config.checkedInt("channel.receiptRebate", default: 0),
                               clerkReward: try config.checkedInt("channel.clerkReward", default: 0),
                               clerkDailyCap: try config.checkedInt("channel.clerkDailyCap", default: 0), timeZone: channelTimeZone)
        for (key, value) in [("channel.receiptRebate", channel.receiptRebate), ("channel.clerkReward", channel.clerkReward),
                             ("channel.clerkDailyCap", channel.clerkDailyCap)] where !(0...1_000_000_000).contains(value) {
            throw InputError(key, "must be from 0 to 1000000000 (an amount in the currency's minor unit; got \(value))")
        }
        queueCapacity = try config.checkedInt("writer.queueCapacity", default: 8192)
        maxGroup = try config.checkedInt("writer.maxGroup", default: 1024)
        guard queueCapacity >= 1, maxGroup >= 1 else { throw InputError("writer.queueCapacity", "writer.queueCapacity and writer.maxGroup must be at least 1") }
        ratePerSecond = try config.checkedDouble("rateLimit.perSecond", default: 10)
        rateBurst = try config.checkedDouble("rateLimit.burst", default: 40)
        guard ratePerSecond >= 0, rateBurst >= 1 else { throw InputError("rateLimit.perSecond", "must be at least 0, and rateLimit.burst at least 1") }
        authFailuresPerMinute = try config.checkedDouble("rateLimit.authFailuresPerMinute", default: 10)
        guard authFailuresPerMinute >= 0 else { throw InputError("rateLimit.authFailuresPerMinute", "must be 0 (off) or more") }
        truncateIP = try config.checkedBool("privacy.truncateIP", default: true)
        let header = config.string(forKey: "http.forwardedHeader", default: "X-Forwarded-For")
        guard let forwarded = TrustedProxies.Header(rawValue: header.lowercased()) else {
            throw InputError("http.forwardedHeader", "must be X-Forwarded-For or Forwarded (the header your proxy sets), not \(header)")
        }
        trustedProxies = try TrustedProxies(config.stringArray(forKey: "http.trustedProxies", default: []), header: forwarded)
        if let named = config.string(forKey: "regions.file") {
            regionsFile = named.isEmpty ? nil : named
            regionsConfigured = true
        } else {
            regionsFile = FileManager.default.fileExists(atPath: "Config/regions.geojson") ? "Config/regions.geojson" : nil
            regionsConfigured = false
        }
        geoIPFile = config.string(forKey: "geoip.file").flatMap { $0.isEmpty ? nil : $0 }
        let directory = (databasePath as NSString).deletingLastPathComponent
        packagesDirectory = config.string(forKey: "packages.directory", default: directory.isEmpty ? "packages" : directory + "/packages")
        secureCookie = try config.checkedBool("cookie.secure", default: false)
        let idle = try config.checkedInt("console.idleMinutes", default: 30), hours = try config.checkedInt("console.sessionHours", default: 12)
        guard (1...1440).contains(idle) else { throw InputError("console.idleMinutes", "must be 1 to 1440 minutes (got \(idle))") }
        guard (1...720).contains(hours) else { throw InputError("console.sessionHours", "must be 1 to 720 hours (got \(hours))") }
        consoleIdleSeconds = idle * 60
        consoleSessionSeconds = hours * 3600
        consoleIssueWaitSeconds = try config.checkedInt("console.issueWaitSeconds", default: 2)
        guard (0...30).contains(consoleIssueWaitSeconds) else {
            throw InputError("console.issueWaitSeconds", "must be 0 to 30 seconds (got \(consoleIssueWaitSeconds))")
        }
        consentText = config.string(forKey: "claims.consentText", default:
            "I agree that the brand stores my name and phone number to deliver my prize. I can ask for my data to be exported or erased at any time.")
        consentVersion = config.string(forKey: "claims.consentVersion", default: "v2")
        consentTextZh = config.string(forKey: "claims.consentTextZh", default:
            "我同意品牌方保存我的姓名和手机号，用于发放奖品。我可以随时要求导出或删除我的数据。")
        marketingConsentText = config.string(forKey: "claims.marketingConsentText", default:
            "Optional: the brand may also contact me about its products and offers.")
        marketingConsentTextZh = config.string(forKey: "claims.marketingConsentTextZh", default:
            "可选：我同意品牌方就其产品和优惠与我联系。")
        marketingConsentVersion = config.string(forKey: "claims.marketingConsentVersion", default: "v2")
        for (key, value) in [("claims.consentText", consentText), ("claims.consentTextZh", consentTextZh), ("claims.consentVersion", consentVersion),
                             ("claims.marketingConsentText", marketingConsentText), ("claims.marketingConsentTextZh", marketingConsentTextZh),
                             ("claims.marketingConsentVersion", marketingConsentVersion)] where value.trimmingCharacters(in: .whitespaces).isEmpty {
            throw InputError(key, "must not be empty")
        }
        guard consentText != marketingConsentText, consentTextZh != marketingConsentTextZh else {
            throw InputError("claims.marketingConsentText", "must differ from claims.consentText: the prize and marketing are two consents")
        }
        webhooks = try WebhookConfig(config.scoped(to: "webhooks"))
        linkerRefreshSeconds = try config.checkedDouble("linker.refreshSeconds", default: 60)
        guard linkerRefreshSeconds >= 0 else { throw InputError("linker.refreshSeconds", "must be 0 (off) or more") }
        log = try LogConfig(config)
        let zoneName = config.string(forKey: "display.timeZone", default: "Asia/Shanghai")
        guard let zone = TimeZone(identifier: zoneName) else {
            throw InputError("display.timeZone", "must be an IANA time zone such as Asia/Shanghai or Europe/Berlin (got '\(zoneName)')")
        }
        displayTimeZone = zone
        brand = try Brand(name: config.string(forKey: "brand.name"), color: config.string(forKey: "brand.color"),
                          logoFile: config.string(forKey: "brand.logoFile"), phone: config.string(forKey: "brand.phone"),
                          url: config.string(forKey: "brand.url"))
        if let footer = config.string(forKey: "brand.footer") { brand.footers[.en] = footer }
        if let footer = config.string(forKey: "brand.footerZh") { brand.footers[.zh] = footer }
        for (key, text) in [("brand.footer", brand.footers[.en]), ("brand.footerZh", brand.footers[.zh])] {
            guard let text else { continue }
            guard text.count <= 200 else { throw InputError(key, "must be at most 200 characters") }
            guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw InputError(key, "must not contain control characters")
            }
        }
        metricsHost = config.string(forKey: "metrics.host", default: "127.0.0.1")
        if config.string(forKey: "metrics.port").map({ $0.isEmpty || $0 == "none" }) == true {
            metricsPort = nil
        } else if config.string(forKey: "metrics.port") != nil || config.int(forKey: "metrics.port") != nil {
            let port = try config.checkedInt("metrics.port", default: 0)
            guard (0...65535).contains(port) else { throw InputError("metrics.port", "must be from 0 to 65535 (got \(port))") }
            guard port == 0 || port != self.port || metricsHost != host else {
                throw InputError("metrics.port", "must differ from http.port (\(port)); it is the internal port for /metrics only")
            }
            metricsPort = port
        } else {
            metricsPort = nil
        }
    }

    /// The regions, or `nil` when none are configured.
    /// - Throws: `InputError("regions.file", …)` for a file that cannot be read or is not region GeoJSON.
    public func loadRegions() throws -> RegionMap? {
        guard let regionsFile else { return nil }
        guard let data = FileManager.default.contents(atPath: regionsFile) else {
            throw InputError("regions.file", "cannot read \(regionsFile)" + (regionsConfigured ? " (set regions.file to \"\" to run without regions)" : ""))
        }
        do {
            return try RegionMap(geoJSON: data)
        } catch let error as InputError {
            throw InputError("regions.file", "\(regionsFile): \(error.message)")
        }
    }
}

/// Where and how events are delivered.
public struct WebhookConfig: Sendable {
    public var urls: [String]
    public var secret: [UInt8]
    public var timeout: Double
    public var retryBase: Double
    public var retryMax: Double
    public var maxAttempts: Int
    public var poll: Double

    /// - Throws: `InputError` naming the `webhooks.` key that is wrong.
    init(_ config: ConfigReader) throws {
        urls = config.stringArray(forKey: "urls", default: []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for url in urls {
            guard let parsed = URLComponents(string: url), parsed.scheme == "http" || parsed.scheme == "https",
                  let host = parsed.host, !host.isEmpty else {
                throw InputError("webhooks.urls", "\(url) is not an http:// or https:// URL")
            }
        }
        guard Set(urls).count == urls.count else { throw InputError("webhooks.urls", "lists a URL twice") }
        let secretText = config.string(forKey: "secret", isSecret: true, default: "")
        if !urls.isEmpty && secretText.utf8.count < 16 {
            throw InputError("webhooks.secret", "must be at least 16 characters when webhooks.urls is set (it signs every delivery)")
        }
        secret = Array(secretText.utf8)
        timeout = try config.checkedDouble("timeoutSeconds", default: 10, name: "webhooks.timeoutSeconds")
        retryBase = try config.checkedDouble("retryBaseSeconds", default: 5, name: "webhooks.retryBaseSeconds")
        retryMax = try config.checkedDouble("retryMaxSeconds", default: 3600, name: "webhooks.retryMaxSeconds")
        maxAttempts = try config.checkedInt("maxAttempts", default: 20, name: "webhooks.maxAttempts")
        poll = try config.checkedDouble("pollSeconds", default: 1, name: "webhooks.pollSeconds")
        guard timeout > 0 else { throw InputError("webhooks.timeoutSeconds", "must be above 0") }
        guard retryBase > 0, retryMax >= retryBase else {
            throw InputError("webhooks.retryBaseSeconds", "must be above 0, and webhooks.retryMaxSeconds at least as large")
        }
        guard maxAttempts >= 1 else { throw InputError("webhooks.maxAttempts", "must be at least 1") }
        guard poll > 0 else { throw InputError("webhooks.pollSeconds", "must be above 0") }
    }
}

extension ServiceConfig {
    /// The consent text of a page's language.
    func consentText(_ language: LandingPage.Language) -> String { language == .zh ? consentTextZh : consentText }

    /// The claim form's two statements in a page's language.
    func claimConsents(_ language: LandingPage.Language) -> ClaimConsents {
        ClaimConsents(prize: consentText(language), marketing: language == .zh ? marketingConsentTextZh : marketingConsentText)
    }
}

/// The claim form's two statements, as one page shows them: the consent to deliver the prize (required)
/// and the consent to be contacted about the brand's products (optional).
struct ClaimConsents: Sendable, Hashable {
    var prize: String
    var marketing: String
}

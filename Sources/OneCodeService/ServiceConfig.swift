import Configuration
import Foundation
import OneCodeDomain

/// Settings of the HTTP service, read from configuration.
///
/// Keys, under `onecode.` (environment `ONECODE_…`):
/// - `http.host` (default `127.0.0.1`), `http.port` (default `8080`).
/// - `scan.maxScans` (default 20), `scan.maxConsumers` (default 5): above either, a code is suspicious.
/// - `writer.queueCapacity` (default 8192): scans waiting for the writer before requests get 503.
/// - `writer.maxGroup` (default 1024): the most scans one transaction commits.
/// - `rateLimit.perSecond` (default 10; 0 turns limiting off), `rateLimit.burst` (default 40): per-IP token bucket for public routes.
/// - `privacy.truncateIP` (default true): keep IPv4 /24 and IPv6 /48 only; false keeps whole addresses.
/// - `regions.file` (default `Config/regions.geojson`, ignored when missing): GeoJSON region polygons.
/// - `geoip.file` (default none): a MaxMind-format database; when set, a scan's region comes from its IP
///   until the consumer shares a position.
/// - `packages.directory` (default `packages` beside the database): where API-issued packages are kept.
/// - `cookie.secure` (default false): mark the consumer cookie Secure (set true behind HTTPS).
/// - `claims.consentText`, `claims.consentVersion` (default `v1`): the consent a winner gives when claiming.
public struct ServiceConfig: Sendable {
    public var host: String
    public var port: Int
    public var rules: VerdictRules
    public var queueCapacity: Int
    public var maxGroup: Int
    public var ratePerSecond: Double
    public var rateBurst: Double
    public var truncateIP: Bool
    public var regionsFile: String
    public var geoIPFile: String?
    public var packagesDirectory: String
    public var secureCookie: Bool
    public var consentText: String
    public var consentVersion: String

    /// - Throws: `InputError` naming the key whose value is out of range.
    public init(reader: ConfigReader, databasePath: String) throws {
        let config = reader.scoped(to: "onecode")
        host = config.string(forKey: "http.host", default: "127.0.0.1")
        port = config.int(forKey: "http.port", default: 8080)
        guard (0...65535).contains(port) else { throw InputError("http.port", "must be from 0 to 65535 (got \(port))") }
        rules = VerdictRules(maxScans: config.int(forKey: "scan.maxScans", default: 20),
                             maxConsumers: config.int(forKey: "scan.maxConsumers", default: 5))
        guard rules.maxScans >= 1, rules.maxConsumers >= 1 else {
            throw InputError("scan.maxScans", "scan.maxScans and scan.maxConsumers must be at least 1")
        }
        queueCapacity = config.int(forKey: "writer.queueCapacity", default: 8192)
        maxGroup = config.int(forKey: "writer.maxGroup", default: 1024)
        guard queueCapacity >= 1, maxGroup >= 1 else { throw InputError("writer.queueCapacity", "writer.queueCapacity and writer.maxGroup must be at least 1") }
        ratePerSecond = config.double(forKey: "rateLimit.perSecond", default: 10)
        rateBurst = config.double(forKey: "rateLimit.burst", default: 40)
        guard ratePerSecond >= 0, rateBurst >= 1 else { throw InputError("rateLimit.perSecond", "must be at least 0, and rateLimit.burst at least 1") }
        truncateIP = config.bool(forKey: "privacy.truncateIP", default: true)
        regionsFile = config.string(forKey: "regions.file", default: "Config/regions.geojson")
        geoIPFile = config.string(forKey: "geoip.file").flatMap { $0.isEmpty ? nil : $0 }
        let directory = (databasePath as NSString).deletingLastPathComponent
        packagesDirectory = config.string(forKey: "packages.directory", default: directory.isEmpty ? "packages" : directory + "/packages")
        secureCookie = config.bool(forKey: "cookie.secure", default: false)
        consentText = config.string(forKey: "claims.consentText", default:
            "I agree that the brand stores my name and phone number to deliver my prize and to contact me about its products. I can ask for my data to be exported or erased at any time.")
        consentVersion = config.string(forKey: "claims.consentVersion", default: "v1")
        guard !consentText.isEmpty, !consentVersion.isEmpty else { throw InputError("claims.consentText", "must not be empty") }
    }

    /// The regions file, or `nil` when it does not exist. - Throws: `InputError("regions", …)` for a bad file.
    public func loadRegions() throws -> RegionMap? {
        guard let data = FileManager.default.contents(atPath: regionsFile) else { return nil }
        return try RegionMap(geoJSON: data)
    }
}

import Foundation
import OneCodeDomain

/// Every configuration key OneCode reads, in one list: what `onecode config check` prints, what a config
/// file or an `ONECODE_*` variable is checked against (a misspelt key is an error, not ignored), and what
/// README's table documents (a test holds the two equal).
public enum ConfigKeys {
    public struct Key: Sendable, Equatable {
        /// Below `onecode`: `codes.length`.
        public var name: String
        /// What the key is when nothing sets it, as README says it.
        public var defaultText: String
        /// Whether its value is never printed.
        public var secret: Bool
        /// Whether its value names a file or folder: given relative in a config file, it is read relative
        /// to that file's folder (relative elsewhere: to the working directory).
        public var path: Bool

        /// `ONECODE_CODES_LENGTH`: the variable swift-configuration's environment provider reads for it
        /// (dots become underscores, and a word break in camel case does too: `baseURL` → `BASE_URL`).
        public var environment: String {
            var name = "ONECODE_"
            var previous: Character = "."
            for character in self.name {
                if character == "." {
                    name += "_"
                } else {
                    if character.isUppercase && previous.isLowercase { name += "_" }
                    name += character.uppercased()
                }
                previous = character
            }
            return name
        }
    }

    static func key(_ name: String, _ defaultText: String, secret: Bool = false, path: Bool = false) -> Key {
        Key(name: name, defaultText: defaultText, secret: secret, path: path)
    }

    public static let all: [Key] = [
        key("mode", "demo"),
        key("database.path", "data/onecode.sqlite", path: true),
        key("database.url", "none"),
        key("database.password", "none", secret: true),
        key("database.passwordFile", "none", path: true),
        key("database.connections", "16"),
        key("database.writers", "1"),
        key("codes.baseURL", "http://127.0.0.1:8080"),
        key("codes.length", "17"),
        key("codes.secret", "none", secret: true),
        key("codes.secretFile", "secret beside the database", path: true),
        key("batch.maxCount", "10000000"),
        key("http.host", "127.0.0.1"),
        key("http.port", "8080"),
        key("http.trustedProxies", "none"),
        key("http.forwardedHeader", "X-Forwarded-For"),
        key("http.idleTimeoutSeconds", "30"),
        key("http.drainSeconds", "0"),
        key("http.maxConnections", "the open-file limit less 128"),
        key("scan.maxScans", "20"),
        key("scan.maxConsumers", "5"),
        key("scan.cloneWindowMinutes", "60"),
        key("channel.receiptRebate", "0"),
        key("channel.clerkReward", "0"),
        key("channel.clerkDailyCap", "0"),
        key("channel.timeZone", "Asia/Shanghai"),
        key("writer.queueCapacity", "8192"),
        key("writer.maxGroup", "1024"),
        key("rateLimit.perSecond", "10"),
        key("rateLimit.burst", "40"),
        key("rateLimit.authFailuresPerMinute", "10"),
        key("privacy.truncateIP", "true"),
        key("regions.file", "Config/regions.geojson if it exists", path: true),
        key("geoip.file", "none", path: true),
        key("packages.directory", "packages beside the database", path: true),
        key("cookie.secure", "false"),
        key("console.idleMinutes", "30"),
        key("console.sessionHours", "12"),
        key("console.issueWaitSeconds", "2"),
        key("claims.consentText", "a plain statement"),
        key("claims.consentTextZh", "a plain statement in Chinese"),
        key("claims.consentVersion", "v2"),
        key("claims.marketingConsentText", "an optional plain statement"),
        key("claims.marketingConsentTextZh", "an optional plain statement in Chinese"),
        key("claims.marketingConsentVersion", "v2"),
        key("linker.refreshSeconds", "60"),
        key("display.timeZone", "Asia/Shanghai"),
        key("brand.name", "none"),
        key("brand.color", "none"),
        key("brand.logoFile", "none", path: true),
        key("brand.phone", "none"),
        key("brand.url", "none"),
        key("brand.footer", "Verified by OneCode"),
        key("brand.footerZh", "由 OneCode 验证"),
        key("log.level", "info"),
        key("log.format", "text"),
        key("log.access", "false"),
        key("metrics.port", "none"),
        key("metrics.host", "127.0.0.1"),
        key("webhooks.urls", "none"),
        key("webhooks.secret", "none", secret: true),
        key("webhooks.timeoutSeconds", "10"),
        key("webhooks.retryBaseSeconds", "5"),
        key("webhooks.retryMaxSeconds", "3600"),
        key("webhooks.maxAttempts", "20"),
        key("webhooks.pollSeconds", "1"),
    ]

    /// `ONECODE_*` variables that are not keys: the config file's name, and switches for tests and benchmarks.
    public static let otherVariables: Set<String> = ["ONECODE_CONFIG", "ONECODE_LINKER_TRACE", "ONECODE_LINKER_HOLD", "ONECODE_TEST_POSTGRES", "ONECODE_TEST_SEED", "ONECODE_TEST_BACKENDS"]

    /// The leaf values of a config file's JSON, by key below `onecode` (`codes.length` → "17").
    /// - Throws: `InputError("config", …)` for a file that is not `{"onecode": {…}}`, or a key OneCode does not read.
    public static func fileValues(_ data: Data, file: String) throws -> [String: String] {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw InputError("config", "\(file) is not a JSON object {\"onecode\": {…}}: \(JSONInput.problem(error, in: data))")
        }
        guard let root = parsed as? [String: Any] else { throw InputError("config", "\(file) is not a JSON object {\"onecode\": {…}}") }
        for name in root.keys where name != "onecode" {
            throw InputError("config", "\(file): unknown top-level key '\(name)' (the keys go inside \"onecode\": {…})")
        }
        var values: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let object = value as? [String: Any] {
                for (name, inner) in object { walk(inner, path.isEmpty ? name : path + "." + name) }
            } else if let array = value as? [Any] {
                values[path] = array.map { "\($0)" }.joined(separator: ",")
            } else if value is NSNull {
                values[path] = "null"
            } else if let number = value as? NSNumber, String(cString: number.objCType) == "c" {
                values[path] = number.boolValue ? "true" : "false"  // JSON true, not NSNumber's "1"
            } else {
                values[path] = "\(value)"
            }
        }
        walk(root["onecode"] ?? [:], "")
        let known = all.map(\.name)
        for name in values.keys.sorted() where !known.contains(name) {
            let hint = JSONInput.suggestion(for: name, among: known).map { " (did you mean \($0)?)" } ?? ""
            throw InputError("config", "\(file): unknown key onecode.\(name)\(hint); README's configuration table lists every key")
        }
        return values
    }

    /// The path-valued keys of a config file, resolved against the file's folder: `database.path` `"data/onecode.sqlite"`
    /// in `/etc/onecode/onecode.json` is `/etc/onecode/data/onecode.sqlite`, wherever the command runs. Absolute paths
    /// and empty values (a file turned off) stay as they are.
    public static func resolvedPaths(_ values: [String: String], file: String) -> [String: String] {
        let folder = (file as NSString).deletingLastPathComponent
        var resolved: [String: String] = [:]
        for key in all where key.path {
            guard let value = values[key.name], !value.isEmpty, !value.hasPrefix("/"), !folder.isEmpty else { continue }
            resolved[key.name] = normalized(folder + "/" + value)
        }
        return resolved
    }

    /// `Config/../data/x` → `data/x`: `.` and `name/..` removed, leading `..` of a relative path kept.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// - Throws: `InputError("config", …)` for an `ONECODE_*` variable that is no key's.
    public static func checkEnvironment(_ environment: [String: String]) throws {
        let known = Set(all.map(\.environment)).union(otherVariables)
        for name in environment.keys.sorted() where name.hasPrefix("ONECODE_") && !known.contains(name) {
            let hint = JSONInput.suggestion(for: name, among: Array(known)).map { " (did you mean \($0)?)" } ?? ""
            throw InputError("config", "unknown environment variable \(name)\(hint); README's configuration table lists every key")
        }
    }
}

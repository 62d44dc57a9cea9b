import Foundation

/// An anonymous consumer: the random id in a first-party cookie.
public struct ConsumerID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String

    /// Accepts exactly what `random()` makes: 26 Crockford base32 symbols (130 bits).
    public init?(_ text: String) {
        guard text.utf8.count == 26, text.utf8.allSatisfy({ Crockford.alphabet.contains($0) }) else { return nil }
        value = text
    }

    /// A fresh id, ordered by time like a ULID: 10 symbols of the Unix time in milliseconds (50 bits,
    /// most significant first, so ids sort by first visit), then 16 symbols (80 bits) from the system
    /// CSPRNG. New consumers' ids sort together, so indexes keyed by consumer grow at one end instead of
    /// taking a random page per insert; the random part keeps them unguessable.
    public static func random(now: Double = Date().timeIntervalSince1970) -> ConsumerID {
        var symbols = [UInt8](repeating: 0, count: 10)
        var millis = UInt64(max(0, now * 1000)) & ((1 << 50) - 1)
        for index in stride(from: 9, through: 0, by: -1) {
            symbols[index] = Crockford.alphabet[Int(millis & 31)]
            millis >>= 5
        }
        symbols += Crockford.random(16)
        return ConsumerID(uncheckedValue: String(decoding: symbols, as: UTF8.self))
    }

    private init(uncheckedValue: String) { value = uncheckedValue }

    public var description: String { value }
}

/// Tells consumers from bots and link previewers, which get the page but do not count.
public enum BotDetector {
    /// Lower-case fragments of user agents of crawlers, link previewers and HTTP libraries.
    public static let agentFragments = [
        "bot", "crawler", "spider", "slurp", "facebookexternalhit", "facebookcatalog", "whatsapp", "telegram",
        "slack", "discord", "skypeuripreview", "linkedin", "embedly", "quora link preview", "pinterest",
        "bingpreview", "preview", "vkshare", "redditbot", "applebot", "yandex", "baiduspider", "bytespider",
        "petalbot", "sogou", "360spider", "headlesschrome", "phantomjs", "curl/", "wget/", "python-requests",
        "python-urllib", "go-http-client", "java/", "okhttp", "libwww", "httpclient", "axios/", "node-fetch",
    ]

    /// Whether a request looks like a bot or a prefetch rather than a person opening the page.
    ///
    /// - Parameters:
    ///   - userAgent: the `User-Agent` header; a missing one counts as a bot (phones always send one).
    ///   - purpose: `Purpose`, `Sec-Purpose` or `X-Purpose` header, whose `prefetch`/`preview` marks a prefetch.
    public static func isBot(userAgent: String?, purpose: String?) -> Bool {
        if let purpose {
            let lower = purpose.lowercased()
            if lower.contains("prefetch") || lower.contains("preview") || lower.contains("prerender") { return true }
        }
        guard let userAgent, !userAgent.isEmpty else { return true }
        // ASCII-lower-cased bytes and a plain byte search: this runs on every scan.
        let agent = userAgent.utf8.prefix(512).map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        return fragmentBytes.contains { contains(agent, $0) }
    }

    static let fragmentBytes: [[UInt8]] = agentFragments.map { Array($0.utf8) }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return false }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var match = 1
                while match < needle.count && haystack[index + match] == needle[match] { match += 1 }
                if match == needle.count { return true }
            }
            index += 1
        }
        return false
    }
}

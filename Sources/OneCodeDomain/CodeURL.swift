/// Builds the URL printed in a batch's QR symbols.
public struct CodeURLBuilder: Sendable {
    public let prefix: String
    public let uppercase: Bool

    /// - Parameters:
    ///   - base: the public base URL, such as `https://q.example.com` (no trailing slash needed).
    ///   - gtin: required for the GS1 form.
    /// - Throws: `InputError` when the GS1 form lacks a GTIN or the base URL is not http(s).
    public init(base: String, form: URLForm, gtin: GTIN?, lot: String?, uppercase: Bool) throws {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        try Self.validateBase(base)
        switch form {
        case .short:
            prefix = base + "/s/"
        case .gs1:
            guard let gtin else {
                throw InputError("url-form", "gs1 needs a product with a GTIN; register one with --gtin or use --url-form short")
            }
            prefix = base + "/01/" + gtin.digits + (lot.map { "/10/" + $0 } ?? "") + "/21/"
        }
        self.uppercase = uppercase
    }

    /// The URL for one code.
    @inline(__always)
    public func url(for code: String) -> String {
        uppercase ? (prefix + code).uppercased() : prefix + code
    }

    /// - Throws: `InputError("base-url", …)` unless `base` is an absolute http or https URL without query or fragment.
    public static func validateBase(_ base: String) throws {
        let lower = base.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = lower.dropFirst(8) } else if lower.hasPrefix("http://") { rest = lower.dropFirst(7) } else {
            throw InputError("base-url", "must start with http:// or https:// (got '\(base)')")
        }
        guard let host = rest.split(separator: "/").first, !host.isEmpty,
              !base.contains(where: { $0 == "?" || $0 == "#" || $0 == " " || !$0.isASCII }) else {
            throw InputError("base-url", "must be an absolute URL with a host and no query, fragment or spaces (got '\(base)')")
        }
    }
}

import Foundation
import Hummingbird
import NIOCore
import OneCodeDomain

/// The brand every page a phone sees carries: its name, a logo served by this service itself (no
/// request leaves for another site), a colour, and how to reach it. From `brand.*` configuration.
struct Brand: Sendable {
    var name: String?
    /// `#rrggbb`: the header's rule and the buttons.
    var color: String?
    var logo: (bytes: [UInt8], type: String)?
    var phone: String?
    var url: String?
    /// `brand.footer`, `brand.footerZh`: the footer's line on every page a phone sees, per language; nil
    /// gives OneCode's own ("Verified by OneCode"), an empty text none.
    var footers: [LandingPage.Language: String] = [:]

    static let none = Brand()

    /// The footer's line in `language`: the brand's, else OneCode's.
    func footer(_ language: LandingPage.Language) -> String {
        footers[language] ?? (language == .zh ? "由 OneCode 验证" : "Verified by OneCode")
    }

    init(name: String? = nil, color: String? = nil, logo: (bytes: [UInt8], type: String)? = nil, phone: String? = nil, url: String? = nil) {
        self.name = name
        self.color = color
        self.logo = logo
        self.phone = phone
        self.url = url
    }

    /// - Throws: `InputError` naming the `brand.` key that is wrong.
    init(name: String?, color: String?, logoFile: String?, phone: String?, url: String?) throws {
        self.name = name.flatMap { $0.isEmpty ? nil : $0 }
        if let name, name.count > 100 { throw InputError("brand.name", "must be at most 100 characters") }
        if let color, !color.isEmpty {
            guard color.wholeMatch(of: /#[0-9a-fA-F]{6}/) != nil else { throw InputError("brand.color", "must be #rrggbb (got '\(color)')") }
            self.color = color
        }
        if let logoFile, !logoFile.isEmpty {
            guard let data = FileManager.default.contents(atPath: logoFile) else { throw InputError("brand.logoFile", "cannot read \(logoFile)") }
            guard data.count <= 512 * 1024 else { throw InputError("brand.logoFile", "\(logoFile) is larger than 512 KB") }
            let type: String
            if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { type = "image/png" }
            else if data.starts(with: [0xFF, 0xD8, 0xFF]) { type = "image/jpeg" }
            else if String(decoding: data.prefix(512), as: UTF8.self).contains("<svg") { type = "image/svg+xml" }
            else { throw InputError("brand.logoFile", "\(logoFile) is not a PNG, JPEG or SVG image") }
            logo = (Array(data), type)
        }
        self.phone = phone.flatMap { $0.isEmpty ? nil : $0 }
        if let url, !url.isEmpty {
            guard let parts = URLComponents(string: url), parts.scheme == "https" || parts.scheme == "http", parts.host?.isEmpty == false else {
                throw InputError("brand.url", "must be an http(s) URL (got '\(url)')")
            }
            self.url = url
        }
    }

    /// Above the page's content: the logo and the name (nothing without a brand).
    var header: String {
        guard name != nil || logo != nil else { return "" }
        let e = LandingPage.escape
        return "<header class=\"brand\">" + (logo == nil ? "" : "<img src=\"/assets/logo\" alt=\"\(e(name ?? ""))\" height=\"40\">")
            + (name.map { "<span>\(e($0))</span>" } ?? "") + "</header>"
    }

    /// Inside the footer: how to reach the brand.
    func contact(_ language: LandingPage.Language) -> String {
        let e = LandingPage.escape
        var parts: [String] = []
        if let phone { parts.append("<a href=\"tel:\(e(phone.filter { $0.isNumber || $0 == "+" }))\">\(e(phone))</a>") }
        if let url { parts.append("<a href=\"\(e(url))\" rel=\"noopener\">\(e(language == .zh ? "联系我们" : "Contact"))</a>") }
        return parts.isEmpty ? "" : "<p class=\"contact\">" + parts.joined(separator: " · ") + "</p>"
    }

    /// The colour rules added to the pages' style.
    var css: String {
        let base = ".brand{display:flex;align-items:center;gap:.5rem;font-weight:600;margin:0 0 1rem}.contact a{color:inherit}"
        guard let color else { return base }
        return base + ".brand{border-bottom:3px solid \(color);padding-bottom:.5rem}button{border-color:\(color);color:\(color)}"
    }

    /// The logo's Content-Security-Policy: a sandboxed document with no scripts, styles inline only.
    static let logoPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"

    func register(on router: Router<AppRequestContext>) {
        guard let logo else { return }
        let body = ByteBuffer(bytes: logo.bytes)
        // An agency's SVG may hold a script: opened on its own (not as an <img>, where none runs) it would
        // run in this service's origin. The policy sandboxes the document and allows no script.
        router.get("/assets/logo") { _, _ in
            Response(status: .ok, headers: [.contentType: logo.type, .cacheControl: "public, max-age=86400",
                                             .contentSecurityPolicy: Self.logoPolicy],
                     body: .init(byteBuffer: body))
        }
    }
}

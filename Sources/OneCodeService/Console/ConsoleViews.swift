import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import OneCodeApplication
import OneCodeDomain
import OneCodeStorage

/// The console's pages: Mustache templates and one catalogue of texts per language, all files under
/// `Console/` compiled into the binary (nothing is read from disk or fetched at run time).
struct ConsoleViews: Sendable {
    typealias Language = LandingPage.Language
    let library: MustacheLibrary
    let strings: [Language: [String: String]]
    let brand: String
    let time: DisplayTime
    /// China's provinces, projected once.
    let map: ChinaMap
    /// Input errors in Chinese.
    let errorsZh: ErrorCatalogue

    init(brand: Brand, time: DisplayTime) throws {
        var library = MustacheLibrary()
        let templates: [String: [UInt8]] = [
            "layout": PackageResources.layout_mustache, "login": PackageResources.login_mustache,
            "message": PackageResources.message_mustache, "overview": PackageResources.overview_mustache,
            "users": PackageResources.users_mustache, "audit": PackageResources.audit_mustache,
            "redeem": PackageResources.redeem_mustache, "codes": PackageResources.codes_mustache,
            "products": PackageResources.products_mustache, "batch": PackageResources.batch_mustache,
            "campaigns": PackageResources.campaigns_mustache, "campaign": PackageResources.campaign_mustache,
            "campaign_form": PackageResources.campaign_form_mustache, "leads": PackageResources.leads_mustache,
            "feedback": PackageResources.feedback_mustache, "stores": PackageResources.stores_mustache,
            "segments": PackageResources.segments_mustache, "segment": PackageResources.segment_mustache,
            "segment_form": PackageResources.segment_form_mustache, "admin_nav": PackageResources.admin_nav_mustache,
            "tokens": PackageResources.tokens_mustache, "webhooks": PackageResources.webhooks_mustache,
            "regions": PackageResources.regions_mustache, "login_code": PackageResources.login_code_mustache,
            "security": PackageResources.security_mustache, "issue_progress": PackageResources.issue_progress_mustache,
        ]
        for (name, bytes) in templates { try library.register(String(decoding: bytes, as: UTF8.self), named: name) }
        self.library = library
        func catalogue(_ bytes: [UInt8]) throws -> [String: String] {
            try JSONDecoder().decode([String: String].self, from: Data(bytes))
        }
        let en = try catalogue(PackageResources.console_en_json), zh = try catalogue(PackageResources.console_zh_json)
        // One catalogue per language, and the same keys in each: a text missing in one is a build's mistake, found at start.
        guard Set(en.keys) == Set(zh.keys) else {
            throw InputError("console", "the catalogues differ in keys: \(Set(en.keys).symmetricDifference(zh.keys).sorted())")
        }
        strings = [.en: en, .zh: zh]
        self.brand = brand.name ?? "OneCode"
        self.time = time
        map = try ChinaMap()
        errorsZh = try ErrorCatalogue(PackageResources.console_errors_zh_json)
    }

    /// An error as the page's language says it, after the field it names ("tiers[0].stock: …"): English as the
    /// rules wrote it; Chinese from the catalogue (`console_errors_zh.json`), or English where it has no rule.
    func say(_ error: some FieldError, _ language: Language) -> String {
        guard language == .zh, let zh = errorsZh.translate(error.message) else { return error.description }
        return "\(error.field)：\(zh)"
    }

    static let css = PackageResources.console_css

    /// What every page's frame shows: who is signed in, what they may open, the form token.
    struct Chrome {
        var language: Language
        var user: ConsoleUser?
        var csrf: String?
        var area: ConsoleArea?

        /// Whether the signed-in user may do `task` (`ConsoleTask`).
        func may(_ task: ConsoleTask) -> Bool { user.map { task.allows($0.role) } ?? false }
    }

    func text(_ key: String, _ language: Language) -> String { strings[language]?[key] ?? key }

    /// What a day is on the console's charts and counts: a UTC day (the days `scan_day` counts by, the same on
    /// every node and in every report), said in the display zone's time, as the rest of the page's times are
    /// ("from 08:00 to 08:00 Beijing time"). Nothing to say when the display zone is UTC.
    func daysNote(_ language: Language) -> String {
        let now = Date().timeIntervalSince1970, midnight = Date(timeIntervalSince1970: now - now.truncatingRemainder(dividingBy: 86_400))
        guard time.zone.secondsFromGMT(for: midnight) != 0 else { return "" }
        let start = time.minute(midnight).split(separator: " ").last.map(String.init) ?? ""
        return text("daysNote", language).replacingOccurrences(of: "{time}", with: start).replacingOccurrences(of: "{zone}", with: time.label)
    }

    /// A whole page: `template` rendered with `values` (and `t`, the texts), inside the layout.
    func page(_ template: String, title: String, values: [String: Any] = [:], chrome: Chrome, notice: String? = nil,
              status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let t = strings[chrome.language] ?? [:]
        var values = values
        values["t"] = t
        values["csrf"] = chrome.csrf ?? ""
        values["zone"] = time.label
        values["daysNote"] = daysNote(chrome.language)
        guard let content = library.render(values, withTemplate: template) else {
            // A page whose template was not registered: a mistake of this build, said plainly.
            return Response(status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: .init(string: "console: no template '\(template)' in this build")))
        }
        var frame: [String: Any] = [
            "lang": chrome.language == .zh ? "zh-CN" : "en", "title": title, "t": t, "brand": brand, "content": content,
            "area": chrome.area?.rawValue ?? "none",
        ]
        if let notice { frame["notice"] = notice }
        if let user = chrome.user {
            frame["user"] = [
                "name": user.name, "roleLabel": text("role_\(user.role.rawValue)", chrome.language), "csrf": chrome.csrf ?? "",
                "otherLang": chrome.language == .zh ? "en" : "zh",
                "nav": ConsoleArea.visible(to: user.role).filter(ConsoleController.built.contains).map { area -> [String: Any] in
                    ["id": area.rawValue, "href": ConsoleController.path(of: area), "label": text("area_\(area.rawValue)", chrome.language),
                     "current": area == chrome.area]
                },
            ] as [String: Any]
        }
        let html = library.render(frame, withTemplate: "layout") ?? ""
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: .init(string: html)))
    }

    /// A page that says one thing (a refusal, a missing page), with a way back.
    func message(_ key: String, status: HTTPResponse.Status, chrome: Chrome) -> Response {
        page("message", title: text(key, chrome.language),
             values: ["message": text(key, chrome.language), "link": ["href": "/console", "label": text("goHome", chrome.language)]],
             chrome: chrome, status: status)
    }
}

/// Charts drawn on the server as SVG: readable without JavaScript, in either language, and nothing fetched.
enum ConsoleChart {
    /// Bars of `values` over `labels` (one per bar, shown every few bars), scaled to the largest.
    static func bars(_ values: [Int], labels: [String], empty: String, title: String) -> String {
        let width = 720.0, height = 180.0, left = 40.0, right = 24.0, bottom = 22.0, top = 8.0
        let top1 = max(1, values.max() ?? 0)
        let step = (width - left - right) / Double(max(1, values.count))
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(LandingPage.escape(title))\">"
        svg += "<text x=\"0\" y=\"\(top + 8)\">\(top1)</text><text x=\"0\" y=\"\(height - bottom)\">0</text>"
        if values.allSatisfy({ $0 == 0 }) {
            svg += "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\">\(LandingPage.escape(empty))</text>"
        }
        for (index, value) in values.enumerated() {
            let barHeight = (height - bottom - top) * Double(value) / Double(top1)
            let x = left + Double(index) * step
            svg += "<rect class=\"bar\" x=\"\(fmt(x + 1))\" y=\"\(fmt(height - bottom - barHeight))\" width=\"\(fmt(max(1, step - 2)))\" height=\"\(fmt(barHeight))\">"
            svg += "<title>\(LandingPage.escape(labels[index])): \(value)</title></rect>"
            if index % 5 == 0 || index == values.count - 1 {
                svg += "<text x=\"\(fmt(x + step / 2))\" y=\"\(height - 6)\" text-anchor=\"middle\">\(LandingPage.escape(String(labels[index].suffix(5))))</text>"
            }
        }
        return svg + "</svg>"
    }

    /// A line of `values` over `labels` (a size over days), scaled from 0 to the largest, the last value written at its end;
    /// no values: `empty` alone.
    static func line(_ values: [Int], labels: [String], empty: String, title: String) -> String {
        let width = 720.0, height = 180.0, left = 40.0, right = 40.0, bottom = 22.0, top = 8.0
        let top1 = max(1, values.max() ?? 0)
        let step = (width - left - right) / Double(max(1, labels.count - 1))
        func point(_ index: Int) -> (x: Double, y: Double) {
            (left + Double(index) * step, height - bottom - (height - bottom - top) * Double(values[index]) / Double(top1))
        }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(LandingPage.escape(title))\">"
        svg += "<text x=\"0\" y=\"\(top + 8)\">\(top1)</text><text x=\"0\" y=\"\(height - bottom)\">0</text>"
        if values.allSatisfy({ $0 == 0 }) {
            svg += "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\">\(LandingPage.escape(empty))</text>"
        }
        if !values.isEmpty {
            svg += "<polyline class=\"line\" fill=\"none\" points=\"" + values.indices.map { "\(fmt(point($0).x)),\(fmt(point($0).y))" }.joined(separator: " ") + "\"/>"
            let last = point(values.count - 1)
            svg += "<circle class=\"dot\" cx=\"\(fmt(last.x))\" cy=\"\(fmt(last.y))\" r=\"3\"><title>\(LandingPage.escape(labels[values.count - 1])): \(values[values.count - 1])</title></circle>"
            svg += "<text x=\"\(fmt(last.x + 6))\" y=\"\(fmt(last.y + 4))\">\(values[values.count - 1])</text>"
        }
        for index in labels.indices where index % 15 == 0 || index == labels.count - 1 {
            svg += "<text x=\"\(fmt(left + Double(index) * step))\" y=\"\(height - 6)\" text-anchor=\"middle\">\(LandingPage.escape(String(labels[index].suffix(5))))</text>"
        }
        return svg + "</svg>"
    }

    static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// Rules that turn English error messages into another language: each a regular expression matching a whole
/// message and the text it becomes (`$1` … for what its groups caught); the first that matches is used.
final class ErrorCatalogue: @unchecked Sendable {  // immutable after init; NSRegularExpression matches from any thread
    private struct File: Decodable { var rules: [[String]] }
    private let rules: [(NSRegularExpression, String)]

    init(_ bytes: [UInt8]) throws {
        let file = try JSONDecoder().decode(File.self, from: Data(bytes))
        rules = try file.rules.enumerated().map { index, rule in
            guard rule.count == 2 else { throw InputError("console_errors[\(index)]", "must be [pattern, text]") }
            return (try NSRegularExpression(pattern: "^(?:" + rule[0] + ")$"), rule[1])
        }
    }

    /// `message` in the catalogue's language; `nil` when no rule matches it. A message that names a deeper field
    /// first ("tiers[0].stock: is required", as a form reports a JSON document's error) keeps that name.
    func translate(_ message: String) -> String? {
        let range = NSRange(message.startIndex..., in: message)
        for (pattern, text) in rules {
            guard let match = pattern.firstMatch(in: message, range: range) else { continue }
            return pattern.replacementString(for: match, in: message, offset: 0, template: text)
        }
        if let colon = message.range(of: ": "), !message[..<colon.lowerBound].contains(" "),
           let rest = translate(String(message[colon.upperBound...])) {
            return message[..<colon.lowerBound] + "：" + rest
        }
        return nil
    }
}

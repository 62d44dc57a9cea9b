import Foundation

/// China's provinces as SVG, drawn on the server from the bundled boundary file (`china_provinces.json`,
/// see docs/THIRD-PARTY.md): each province shaded by a count, with its name and count as a tooltip and a
/// legend. The outlines are projected once (an equirectangular projection true at 35°N) and kept.
struct ChinaMap: Sendable {
    struct Province: Sendable {
        let code: String, zh: String, en: String
        /// The outline as SVG path data in the map's coordinates.
        let path: String
    }

    let provinces: [Province]
    static let width = 720.0, height = 520.0

    /// The map from the bundled file. - Throws: when the file does not read (a mistake of this build).
    init(json: [UInt8] = PackageResources.china_provinces_json) throws {
        struct File: Decodable {
            struct Entry: Decodable { let code: String, zh: String, en: String, rings: [[Double]] }
            let provinces: [Entry]
        }
        let file = try JSONDecoder().decode(File.self, from: Data(json))
        let (west, north, east, south) = (73.0, 54.0, 135.5, 17.5)
        let squeeze = cos(35 * Double.pi / 180)
        let scale = min(Self.width / ((east - west) * squeeze), Self.height / (north - south))
        provinces = file.provinces.map { entry in
            let path = entry.rings.map { ring -> String in
                stride(from: 0, to: ring.count - 1, by: 2).map { index -> String in
                    let x = (ring[index] - west) * squeeze * scale, y = (north - ring[index + 1]) * scale
                    return (index == 0 ? "M" : "L") + String(format: "%.1f,%.1f", x, y)
                }.joined() + "Z"
            }.joined()
            return Province(code: entry.code, zh: entry.zh, en: entry.en, path: path)
        }
    }

    /// The province's name in `language` (`zh` or `en`), or nil for a code that is not a province of China.
    func name(of code: String, chinese: Bool) -> String? {
        provinces.first { $0.code == code }.map { chinese ? $0.zh : $0.en }
    }

    /// The map with each province shaded by `counts` (by region code), `title` its label for screen readers,
    /// `legend` the words for none and the largest count.
    func svg(_ counts: [String: Int], chinese: Bool, title: String, none: String, warm: Bool) -> String {
        let top = max(1, counts.values.max() ?? 0)
        let shades = warm ? ["#fde8d7", "#f9c09a", "#f3925e", "#e0622f", "#b3261e"] : ["#dff2e9", "#a8dcc4", "#67bd98", "#2f9470", "#0b6e4f"]
        func shade(_ count: Int) -> String {
            guard count > 0 else { return "#eef0f3" }
            // Five steps on a square-root scale: a province with a few scans still shows.
            let step = min(4, Int((Double(count) / Double(top)).squareRoot() * 5))
            return shades[step]
        }
        var svg = "<svg class=\"map\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height) + 30)\" role=\"img\" aria-label=\"\(LandingPage.escape(title))\">"
        for province in provinces {
            let count = counts[province.code] ?? 0
            let name = chinese ? province.zh : province.en
            svg += "<path id=\"map-\(province.code)\" data-count=\"\(count)\" fill=\"\(shade(count))\" d=\"\(province.path)\">"
            svg += "<title>\(LandingPage.escape(name)) (\(province.code)): \(count)</title></path>"
        }
        // The legend: none, then the five steps up to the largest count.
        let y = Self.height + 8
        svg += "<rect x=\"10\" y=\"\(y)\" width=\"18\" height=\"12\" fill=\"#eef0f3\"/><text x=\"32\" y=\"\(y + 10)\">\(LandingPage.escape(none))</text>"
        for (index, color) in shades.enumerated() {
            svg += "<rect x=\"\(120 + index * 22)\" y=\"\(y)\" width=\"20\" height=\"12\" fill=\"\(color)\"/>"
        }
        svg += "<text x=\"\(120 + 5 * 22 + 6)\" y=\"\(y + 10)\">≤ \(top)</text>"
        return svg + "</svg>"
    }
}

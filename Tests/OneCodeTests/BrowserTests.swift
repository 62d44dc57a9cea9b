import Foundation
import Testing

/// The landing page as a consumer's phone shows it: headless Chromium (Debian's), phone viewport.
@Suite("Landing page in a real browser", .serialized)
struct BrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("browser/landing_page.py").path
    /// Screenshots are kept here, beside the package, for a person to look at.
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("test-artifacts").path

    @Test("renders at 390 px, the location button posts a granted position, a screenshot is written, feedback is sent", arguments: ["en", "zh-CN"])
    func landingPage(language: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try DurabilityTests.prepare(folder, count: 2)
        let (server, base) = try await DurabilityTests.startServer(folder)
        defer { kill(server.process.processIdentifier, SIGTERM); _ = server.waitBlocking() }
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts + "/landing-page-\(language).png"
        try? FileManager.default.removeItem(atPath: screenshot)
        let result = try Run.program("python3", [Self.script, "\(base)/s/\(codes[0])", screenshot, language])
        #expect(result.status == 0, "browser: \(result.stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect(seen["verdict"] as? String == "genuine")
        #expect(seen["lang"] as? String == (language == "en" ? "en" : "zh-CN"))
        #expect(seen["headline"] as? String == (language == "en" ? "Genuine product" : "正品"))
        #expect((seen["details"] as? [String])?.contains(codes[0]) == true)
        #expect((seen["scrollWidth"] as? Int ?? 999) <= (seen["viewportWidth"] as? Int ?? 0), "the page is wider than the phone")
        #expect(seen["locationState"] as? String == "ok", "\(seen)")
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.count > 5000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let row = try Run.program("/usr/bin/sqlite3", [folder.file("data/onecode.sqlite"),
                                                       "SELECT region, round(latitude, 2), round(longitude, 2), bot FROM scan WHERE code = '\(codes[0])'"])
        #expect(row.stdout == "CN-31|31.23|121.47|0\n", "\(row.stdout)")
        #expect(seen["feedbackReply"] as? String == (language == "en" ? "Thank you for your feedback." : "感谢您的反馈。"))
        #expect((seen["backLink"] as? String)?.contains("/s/") == true, "\(seen["backLink"] ?? "no link back")")
        let feedback = try Run.program("/usr/bin/sqlite3", [folder.file("data/onecode.sqlite"), "SELECT rating, comment FROM feedback"])
        #expect(feedback.stdout == "4|Fresh <b>taste</b>, 好喝\n", "\(feedback.stdout)")
    }
}

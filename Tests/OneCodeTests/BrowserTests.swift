import Foundation
import OneCodeDomain
import Testing

/// The landing page as a consumer's phone shows it: headless Chromium (Debian's), phone viewport.
@Suite("Landing page in a real browser", .serialized)
struct BrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("browser/landing_page.py").path
    /// Screenshots are kept here, beside the package, for a person to look at.
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("test-artifacts").path

    @Test("renders at 390 px, the location button posts a granted position, a screenshot is written, feedback is sent (once refused, from the form again)", arguments: ["en", "zh-CN"])
    func landingPage(language: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 2)
        let (server, base) = try await DurabilityTests.startServer(folder)
        defer { kill(server.process.processIdentifier, SIGTERM); _ = server.waitBlocking() }
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts + "/landing-page-\(language).png"
        try? FileManager.default.removeItem(atPath: screenshot)
        let result = try await Run.run("python3", [Self.script, "\(base)/s/\(codes[0])", screenshot, language])
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
        let row = try await Run.run("/usr/bin/sqlite3", [folder.file("data/onecode.sqlite"),
                                                       "SELECT region, round(latitude, 2), round(longitude, 2), bot FROM scan WHERE code = '\(codes[0])'"])
        #expect(row.stdout == "CN-31|31.23|121.47|0\n", "\(row.stdout)")
        // The form again: the problem beside the comment in the page's language, the star kept, the five stars
        // on one row (an input style meant for text fields once stretched each onto its own line).
        let again = try #require(seen["again"] as? [String: Any], "\(seen)")
        #expect(again["error"] as? String == (language == "en" ? "A comment can have at most 500 characters." : "留言最多 500 个字。"), "\(again)")
        #expect(again["chosen"] as? [String] == ["4"] && again["starRows"] as? Int == 1 && again["comment"] as? Int == 501, "\(again)")
        #expect(again["fits"] as? Bool == true, "\(again)")
        #expect(seen["feedbackReply"] as? String == (language == "en" ? "Thank you for your feedback." : "感谢您的反馈。"))
        #expect((seen["backLink"] as? String)?.contains("/s/") == true, "\(seen["backLink"] ?? "no link back")")
        let feedback = try await Run.run("/usr/bin/sqlite3", [folder.file("data/onecode.sqlite"), "SELECT rating, comment FROM feedback"])
        #expect(feedback.stdout == "4|Fresh <b>taste</b>, 好喝\n", "\(feedback.stdout)")
    }

    @Test("every verdict's page at phone size in both languages: its verdict, headline and explanation, only its own widgets, each labelled; screenshots in test-artifacts", arguments: ["en", "zh-CN"])
    func verdictPages(language: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 6)
        let environment = DurabilityTests.environment
        // The product named per language: each page shows its own.
        #expect(try await Run.run(Run.onecode, ["product", "update", "1", "--name-zh", "绿茶 500 毫升", "--name-en", "Green tea 500 ml"],
                                cwd: folder.path, environment: environment).status == 0)
        // A second batch, never activated; a withdrawn code; a code the secret makes but nobody issued.
        #expect(try await Run.run(Run.onecode, ["batch", "issue", "--product", "1", "--count", "1", "--out", "pkg2"], cwd: folder.path, environment: environment).status == 0)
        let inactive = try CodesCSV(folder.file("pkg2/codes.csv")).codes[0]
        #expect(try await Run.run(Run.onecode, ["code", "blacklist", codes[4], "--reason", "stolen pallet"], cwd: folder.path, environment: environment).status == 0)
        let signer = try CodeSigner(secret: Array(environment["ONECODE_CODES_SECRET"]!.utf8))
        let unknown = signer.code(for: CodeKey(rawValue: 987_654_321))
        var forged = Array(codes[3])
        forged[6] = forged[6] == "X" ? "Y" : "X"
        let (server, base) = try await DurabilityTests.startServer(folder)
        defer { kill(server.process.processIdentifier, SIGTERM); _ = server.waitBlocking() }
        // Other phones first: one scan makes codes[1] a repeat; six phones make codes[2] suspicious (maxConsumers 5).
        _ = await DurabilityTests.scanCodes(base, [codes[1]] + Array(repeating: codes[2], count: 6), concurrency: 1)
        let pages: [(String, String, String)] = [
            ("genuine", codes[0], "genuine"), ("repeat", codes[1], "repeat"), ("suspicious", codes[2], "suspicious"),
            ("forged", String(forged), "forged"), ("unknown", unknown, "unknown"), ("inactive", String(inactive), "inactive"), ("void", codes[4], "void"),
        ]
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: Self.script).deletingLastPathComponent().appendingPathComponent("verdict_pages.py").path
        let run = await (try Run.start("python3", [script, language, Self.artifacts] + pages.map { "\($0.0)=\(base)/s/\($0.1)" })).wait()
        #expect(run.status == 0, "browser: \(run.stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String: Any]], "\(run.stdout)")
        for (name, _, verdict) in pages {
            let page = try #require(seen[name], "\(name) not seen")
            #expect(page["verdict"] as? String == verdict, "\(name): \(page)")
            #expect(page["lang"] as? String == (language == "en" ? "en" : "zh-CN") && page["fits"] as? Bool == true, "\(name): \(page)")
            #expect((page["headline"] as? String)?.isEmpty == false && (page["explanation"] as? String)?.isEmpty == false, "\(name): \(page)")
            // Rating and location only where they work, the counterfeit report on a code that is not the brand's (not on
            // a probable typo); no button without its label.
            let rateable = verdict == "genuine" || verdict == "repeat"
            var reportable = verdict == "unknown"
            if verdict == "forged", case let .forged(reason) = signer.check(String(forged)) { reportable = reason != .checkCharacter }
            #expect((page["forms"] as? Int ?? -1) == (rateable || reportable ? 1 : 0), "\(name): \(page)")
            #expect((page["buttons"] as? [String] ?? [""]).allSatisfy { !$0.isEmpty }, "\(name): \(page)")
            // A page that knows the product names it in the phone's language.
            let details = (page["details"] as? [[String]] ?? []).filter { $0.count == 2 }
            let product = details.first { $0[0] == (language == "en" ? "Product" : "产品") }?[1]
            let known = ["genuine", "repeat", "suspicious", "inactive", "void"].contains(verdict)
            #expect(product == (known ? (language == "en" ? "Green tea 500 ml" : "绿茶 500 毫升") : nil), "\(name): \(details)")
            let png = try Data(contentsOf: URL(fileURLWithPath: Self.artifacts + "/verdict-\(name)-\(language).png"))
            #expect(png.count > 5000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        }
    }

    @Test("a campaign scoped to the phone's region, on a server without GeoIP: no draw until the location is shared, then the page reloads with the prize and its claim form; screenshots in test-artifacts",
          arguments: ["en", "zh-CN"])
    func lateDraw(language: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 1)
        let campaign = #"{"name": "Shanghai summer", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "status": "live", "scope": {"regions": ["CN-31"]}, "tiers": [{"name": "Bottle", "kind": "goods", "value": 1, "probability": 1, "stock": 10}]}"#
        try Data(campaign.utf8).write(to: URL(fileURLWithPath: folder.file("campaign.json")))
        let created = try await Run.run(Run.onecode, ["campaign", "create", "--file", "campaign.json"], cwd: folder.path, environment: DurabilityTests.environment)
        #expect(created.status == 0, "\(created.stderr)")
        let (server, base) = try await DurabilityTests.startServer(folder)
        defer { kill(server.process.processIdentifier, SIGTERM); _ = server.waitBlocking() }
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: Self.script).deletingLastPathComponent().appendingPathComponent("late_draw.py").path
        let result = try await Run.run("python3", [script, "\(base)/s/\(codes[0])", Self.artifacts + "/late-draw-\(language).png", language])
        #expect(result.status == 0, "browser: \(result.stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect(seen["before"] as? Int == 0 && seen["after"] as? String == "won" && seen["claimForm"] as? Int == 1, "\(seen)")
    }

    @Test("the hidden PIN on a phone: the page asks for it, a wrong one gets the form again with the tries left, the right one draws; screenshots in test-artifacts",
          arguments: ["en", "zh-CN"])
    func pinDraw(language: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        _ = try await DurabilityTests.prepare(folder, count: 1)
        let environment = DurabilityTests.environment
        let campaign = #"{"name": "Under the cap", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "status": "live", "requirePin": true, "tiers": [{"name": "Bottle", "kind": "goods", "value": 1, "probability": 1, "stock": 10}]}"#
        try Data(campaign.utf8).write(to: URL(fileURLWithPath: folder.file("campaign.json")))
        for arguments in [["batch", "issue", "--product", "1", "--count", "1", "--pin", "6", "--out", "pins"], ["batch", "activate", "2"],
                          ["campaign", "create", "--file", "campaign.json"]] {
            let result = try await Run.run(Run.onecode, arguments, cwd: folder.path, environment: environment)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let rows = try CodesCSV(folder.file("pins/codes.csv")).rows
        let row = try #require(rows.first, "\(rows)")
        try #require(row.count == 6, "\(row)")
        let code = String(row[1]), pin = String(row[5])
        let wrong = String(pin.reversed()) == pin ? "000000" : String(pin.reversed())
        let (server, base) = try await DurabilityTests.startServer(folder)
        defer { kill(server.process.processIdentifier, SIGTERM); _ = server.waitBlocking() }
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: Self.script).deletingLastPathComponent().appendingPathComponent("pin_draw.py").path
        let result = try await Run.run("python3", [script, "\(base)/s/\(code)", wrong, pin, Self.artifacts, language])
        #expect(result.status == 0, "browser: \(result.stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect(seen["before"] as? String == "pin-required" && seen["inputmode"] as? String == "numeric" && seen["fits"] as? Bool == true, "\(seen)")
        #expect(seen["label"] as? String == (language == "en" ? "PIN (inside the pack)" : "PIN 码（包装内）"), "\(seen)")
        #expect(seen["wrong"] as? String == (language == "en" ? "Wrong PIN: 4 tries left." : "PIN 码错误：还可尝试 4 次。"), "\(seen)")
        #expect(seen["after"] as? String == "won" && seen["claimForm"] as? Int == 1, "\(seen)")
        #expect(seen["heading"] as? String == (language == "en" ? "PIN accepted" : "PIN 码正确"), "\(seen)")
        #expect(seen["message"] as? String == (language == "en" ? "Congratulations, you won: Bottle" : "恭喜您中奖：Bottle"), "\(seen)")
    }
}

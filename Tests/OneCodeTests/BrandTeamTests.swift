import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OneCodeDomain
@testable import OneCodeService
import OneCodeStorage
import Testing

/// What a brand team tripped over on the pages a phone sees (the brand-team findings' "Words on the page").
@Suite("Words on the page")
struct WordsOnThePageTests {
    /// The words of a page a person reads: tags, styles and scripts removed.
    static func visibleText(_ html: String) -> String {
        html.replacing(/<style>[^<]*<\/style>/, with: " ").replacing(/<[^>]*>/, with: " ")
    }

    /// English words (four letters or more) on a page, less the names it may show as they are.
    static func englishWords(_ html: String, allowed: Set<String>) -> [String] {
        visibleText(html).matches(of: /[A-Za-z]{4,}/).map { String($0.output) }.filter { !allowed.contains($0) }
    }

    @Test("a Chinese page never carries the service's English words: a claim from another phone, a rating without a scan, a bad value, an out-of-date form", arguments: Backend.complete)
    func noEnglishInChinese(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 3)
        defer { fixture.folder.cleanup() }
        let campaign = try await fixture.store.createCampaign(try CampaignDefinition.parse(CampaignTests.definition()), audit: .test)
        let code = fixture.codes[0]
        let allowed: Set<String> = ["OneCode", "Summer", "bottle", "Free"]  // the service's name, the campaign and prize as named
        try await fixture.app().test(.router) { client in
            let cookie = try #require(try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(language: "zh-CN")).cookie)
            var pages: [(String, TestResponse)] = []
            func post(_ body: String, cookie: String?) async throws -> TestResponse {
                var headers = phone(cookie: cookie, language: "zh-CN")
                headers[.contentType] = "application/x-www-form-urlencoded"
                return try await client.execute(uri: "/s/\(code)", method: .post, headers: headers, body: ByteBuffer(string: body))
            }
            pages.append(("claim without a scan", try await post("campaign=\(campaign.id)&name=Eve&phone=13900000000&consent=yes", cookie: nil)))
            pages.append(("rating without a scan", try await post("rating=4", cookie: nil)))
            pages.append(("marketing=maybe", try await post("campaign=\(campaign.id)&name=N&phone=13900000000&consent=yes&marketing=maybe", cookie: cookie)))
            pages.append(("out-of-date form", try await post("campaign=999&name=N&phone=13900000000&consent=yes", cookie: cookie)))
            pages.append(("no such page", try await client.execute(uri: "/s/", method: .get, headers: phone(language: "zh-CN"))))
            for (what, page) in pages {
                #expect(page.status.code >= 400 && page.status.code < 500, "\(what): \(page.status)")
                #expect(page.text.contains("<html lang=\"zh-CN\">"), "\(what): \(page.text)")
                let english = Self.englishWords(page.text, allowed: allowed.union(["Eve"]))
                #expect(english.isEmpty, "\(what): English on a Chinese page: \(english) in \(Self.visibleText(page.text))")
            }
        }
    }

    @Test("a path that is no page (`/s/`, a mistyped link) is a page in the phone's language with the way to the code-entry page; JSON asks get JSON", arguments: Backend.complete)
    func notFoundPage(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 1)
        defer { fixture.folder.cleanup() }
        try await fixture.app().test(.router) { client in
            for (path, language, heading) in [("/s/", "en", "Page not found"), ("/nothing/here", "zh-CN", "找不到此页")] {
                let page = try await client.execute(uri: path, method: .get, headers: phone(language: language))
                #expect(page.status == .notFound && page.headers[.contentType]?.hasPrefix("text/html") == true, "\(path)")
                #expect(page.text.contains("<h1>\(heading)</h1>") && page.text.contains(#"<a href="/" id="back">"#), "\(page.text)")
            }
            let json = try await client.execute(uri: "/nothing", method: .get, headers: phone(json: true))
            #expect(json.status == .notFound && json.headers[.contentType]?.hasPrefix("text/html") != true)
        }
    }

    @Test("the footer's line is the brand's when configured (either language, or none), OneCode's otherwise, on every page a phone sees", arguments: Backend.complete)
    func footer(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 1)
        defer { fixture.folder.cleanup() }
        let plain = try fixture.app()
        try await plain.test(.router) { client in
            let page = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone())
            #expect(page.text.contains("<footer>Verified by OneCode</footer>"), "\(page.text)")
        }
        let branded = try fixture.app(["brand.name": .init(.string("Lu Tea"), isSecret: false), "brand.footer": .init(.string("Lu Tea, since 1912"), isSecret: false),
                                       "brand.footerZh": .init(.string(""), isSecret: false)])
        try await branded.test(.router) { client in
            for path in ["/s/\(fixture.codes[0])", "/", "/nothing"] {
                let en = try await client.execute(uri: path, method: .get, headers: phone())
                #expect(en.text.contains("Lu Tea, since 1912</footer>") && !en.text.contains("OneCode"), "\(path): \(en.text)")
                let zh = try await client.execute(uri: path, method: .get, headers: phone(language: "zh-CN"))
                #expect(zh.text.contains("</footer>") && !zh.text.contains("OneCode") && !zh.text.contains("since 1912"), "\(path): \(zh.text)")
            }
        }
        #expect(throws: InputError.self) { _ = try fixture.config(["brand.footer": .init(.string(String(repeating: "x", count: 201)), isSecret: false)]) }
    }

    /// The winning prize sat below the fold of a 390 × 844 phone, under the product's details.
    @Test("a draw's outcome comes right after the verdict, before the product's picture and details", arguments: Backend.complete)
    func prizeFirst(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 1)
        defer { fixture.folder.cleanup() }
        _ = try await fixture.store.createCampaign(try CampaignDefinition.parse(CampaignTests.definition()), audit: .test)
        try await fixture.app().test(.router) { client in
            let page = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone()).text
            let verdict = try #require(page.range(of: #"id="verdict""#)), won = try #require(page.range(of: #"data-result="won""#), "\(page)")
            let details = try #require(page.range(of: "<dl>"))
            #expect(verdict.upperBound < won.lowerBound && won.upperBound < details.lowerBound)
        }
    }

    @Test("the location button says why it asks, before it, in the phone's language", arguments: Backend.complete)
    func locationWhy(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        try await fixture.app().test(.router) { client in
            for (index, (language, words)) in [("en", "helps the brand spot fakes"), ("zh-CN", "帮助品牌方发现假货")].enumerated() {
                let page = try await client.execute(uri: "/s/\(fixture.codes[index])", method: .get, headers: phone(language: language)).text
                let why = try #require(page.range(of: words), "\(language): \(page)")
                let button = try #require(page.range(of: #"id="locate""#))
                #expect(why.upperBound < button.lowerBound, "the reason comes before the button")
            }
        }
    }

    @Test("a points prize named with its number is not followed by it again; one named otherwise is", arguments: [
        ("100积分", LandingPage.Language.zh, "恭喜您中奖：100积分"), ("积分奖", .zh, "恭喜您中奖：积分奖（100 积分）"),
        ("100 points", .en, "Congratulations, you won: 100 points"), ("Bonus", .en, "Congratulations, you won: Bonus (100 points)"),
    ])
    func pointsWording(name: String, language: LandingPage.Language, message: String) {
        let draw = DrawOutcome(campaign: CampaignID(rawValue: 1), campaignName: "C", result: .won, tier: 0,
                               prize: PrizeTier(name: name, kind: .points, value: 100, probability: 1, stock: 1, dailyStock: nil), new: true, entryID: nil)
        #expect(LandingPage.message(draw, language) == message)
    }
}

/// README's own campaign example (`"regions": ["CN"]`) went live and never drew: without GeoIP no scan has a region.
@Suite("Campaigns that would never draw say so")
struct RegionScopeNoticeTests {
    @Test("a campaign scoped to regions, created or shown where no GeoIP is configured, says why no scan would draw and what to do; with geoip.file, nothing")
    func regionNotice() async throws {
        let folder = try await CLITests.prepared()
        defer { folder.cleanup() }
        try #"{"name": "S", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "scope": {"regions": ["CN"]}, "tiers": [{"name": "A", "kind": "goods", "value": 1, "probability": 0.1, "stock": 100}], "status": "live"}"#
            .write(toFile: folder.file("r.json"), atomically: true, encoding: .utf8)
        let created = try await Run.run(Run.onecode, ["campaign", "create", "--file", "r.json"], cwd: folder.path, environment: CLITests.secret)
        #expect(created.status == 0 && created.stderr.contains("warning: scope.regions (CN): a scan has a region only from GeoIP")
                && created.stderr.contains("no scan of this campaign draws"), "\(created.stderr)")
        let shown = try await Run.run(Run.onecode, ["campaign", "show", "1"], cwd: folder.path, environment: CLITests.secret)
        #expect(shown.stdout.contains("warning: scope.regions (CN)"), "\(shown.stdout)")
        let withGeoIP = try await Run.run(Run.onecode, ["campaign", "show", "1"], cwd: folder.path, environment: CLITests.secret.merging(["ONECODE_GEOIP_FILE": "/srv/GeoLite2-Country.mmdb"]) { $1 })
        #expect(withGeoIP.status == 0 && !withGeoIP.stdout.contains("warning") && !withGeoIP.stderr.contains("warning"), "\(withGeoIP.stdout)")
    }

    @Test("the API says the same: a campaign scoped to regions carries a notice when created and shown where no GeoIP is configured", arguments: Backend.complete)
    func apiNotice(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let token = try await fixture.token(.marketing)
        try await fixture.app().test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let created = try await client.execute(uri: "/api/campaigns", method: .post, headers: headers, body: ByteBuffer(data: CampaignTests.definition(#", "scope": {"regions": ["CN"]}"#)))
            let body = try created.json()
            #expect(created.status == .created && (body["notice"] as? String)?.contains("scope.regions (CN): a scan has a region only from GeoIP") == true, "\(created.text)")
            let plain = try await client.execute(uri: "/api/campaigns", method: .post, headers: headers, body: ByteBuffer(data: CampaignTests.definition()))
            let plainBody = try plain.json()
            #expect(plain.status == .created && plainBody["notice"] == nil)
            let shown = try await client.execute(uri: "/api/campaigns/1", method: .get, headers: headers)
            let shownBody = try shown.json()
            #expect((shownBody["notice"] as? String)?.contains("geoip.file") == true)
        }
    }
}

extension RegionScopeNoticeTests {
    @Test("a location shared on the page after the scan brings the draw of a campaign scoped to its region: once, as if in scope at the scan; a region outside brings none; sharing again shows the same draw",
          arguments: Backend.complete)
    func drawAfterLocation(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 3)
        defer { fixture.folder.cleanup() }
        let token = try await fixture.token(.marketing)
        try await fixture.app().test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let created = try await client.execute(uri: "/api/campaigns", method: .post, headers: headers,
                                                   body: ByteBuffer(data: CampaignTests.definition(#", "scope": {"regions": ["CN-31"]}"#)))
            #expect(created.status == .created, "\(created.text)")
            // No GeoIP here: the scan has no region, so it does not draw.
            let scan = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(json: true))
            let scanned = try scan.json()
            #expect(scanned["verdict"] as? String == "genuine" && (scanned["campaign"] as? [Any] ?? []).isEmpty, "\(scan.text)")
            func share(_ latitude: Double, _ longitude: Double, cookie: String?, status: HTTPResponse.Status = .ok) async throws -> [[String: Any]] {
                let shared = try await client.execute(
                    uri: "/s/\(fixture.codes[0])/location", method: .post,
                    headers: [.cookie: cookie ?? "", .contentType: "application/json", .origin: "https://q.example.com"],
                    body: ByteBuffer(string: "{\"latitude\": \(latitude), \"longitude\": \(longitude)}"))
                #expect(shared.status == status, "\(shared.text)")
                return try shared.json()["draws"] as? [[String: Any]] ?? []
            }
            #expect(try await share(23.13, 113.26, cookie: scan.cookie).isEmpty, "Guangzhou (CN-44) is outside CN-31")
            let drawn = try await share(31.23, 121.47, cookie: scan.cookie)  // Shanghai
            #expect(drawn.count == 1 && drawn.first?["new"] as? Bool == true && drawn.first?["result"] as? String == "won", "\(drawn)")
            let again = try await share(31.23, 121.47, cookie: scan.cookie)
            #expect(again.count == 1 && again.first?["new"] as? Bool == false && again.first?["result"] as? String == "won", "\(again)")
            // The phone's page shows it (its own rescan shows its draws); one draw, one prize.
            let page = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(cookie: scan.cookie))
            #expect(page.text.contains("data-result=\"won\""), "\(page.text)")
            let rescan = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(cookie: scan.cookie, json: true))
            let shown = try rescan.json()["campaign"] as? [[String: Any]] ?? []
            #expect(shown.count == 1 && shown.first?["result"] as? String == "won" && shown.first?["new"] as? Bool == false, "\(rescan.text)")
            #expect(try await ChannelTests.events(fixture, "prize.won").count == 1)
            // Another phone without a counted scan of the code draws nothing by sharing.
            let stranger = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone())
            #expect(try await share(31.23, 121.47, cookie: stranger.cookie, status: .notFound).isEmpty, "a cookie of another code's scan")
            #expect(try await ChannelTests.events(fixture, "prize.won").count == 1)
        }
    }
}

/// `campaign list` showed UTC where `campaign show` showed the campaign's zone; every CLI table printed UTC.
@Suite("Times people read are in display.timeZone, labelled")
struct DisplayTimeTests {
    @Test("CLI tables show times to the minute in display.timeZone with the zone in the header (Beijing time by default; a seasonal zone by its name); --json stays UTC")
    func cliTimes() async throws {
        let folder = try await CLITests.prepared()
        defer { folder.cleanup() }
        // 2020-01-01 00:00 in Shanghai is 2019-12-31 16:00 UTC.
        try #"{"name": "S", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "tiers": [{"name": "A", "kind": "goods", "value": 1, "probability": 0.1, "stock": 100}]}"#
            .write(toFile: folder.file("c.json"), atomically: true, encoding: .utf8)
        #expect(try await Run.run(Run.onecode, ["campaign", "create", "--file", "c.json"], cwd: folder.path, environment: CLITests.secret).status == 0)
        for (zone, header, start) in [(nil, "start (Beijing time)", "2020-01-01 00:00"), ("UTC", "start (UTC)", "2019-12-31 16:00"),
                                      ("Asia/Kolkata", "start (UTC+05:30)", "2019-12-31 21:30"), ("Europe/Berlin", "start (Europe/Berlin)", "2019-12-31 17:00")] {
            let environment = CLITests.secret.merging(zone.map { ["ONECODE_DISPLAY_TIME_ZONE": $0] } ?? [:]) { $1 }
            let list = try await Run.run(Run.onecode, ["campaign", "list"], cwd: folder.path, environment: environment)
            let lines = list.stdout.split(separator: "\n")
            #expect(lines.first?.contains(header) == true && lines.last?.contains(start) == true, "\(zone ?? "default"): \(list.stdout)")
        }
        let json = try await Run.run(Run.onecode, ["campaign", "list", "--json"], cwd: folder.path, environment: CLITests.secret)
        #expect(json.stdout.contains("2019-12-31T16:00:00Z"), "\(json.stdout)")
    }
}

/// A fake needs somewhere to go: scans of forged and unknown codes counted by day and region.
@Suite("Where fakes surface")
struct FakeReportTests {
    /// A fixture of two codes whose phones (127.0.0.0/8) GeoIP places in CN-44.
    static func fixture(_ backend: Backend) async throws -> ServiceFixture {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        try await GeoTests.makeMMDB(fixture.folder.file("geo.mmdb"))
        return fixture
    }

    static func app(_ fixture: ServiceFixture) throws -> some ApplicationProtocol {
        try fixture.app(["geoip.file": .init(.string(fixture.folder.file("geo.mmdb")), isSecret: false)])
    }

    /// A forged code (another secret's), an unknown one (passes the check, never issued), and today's UTC day.
    static func codes() throws -> (forged: String, unknown: String, today: String) {
        (try CodeSigner(secret: Array("another-secret-0123456789".utf8)).code(for: CodeKey(rawValue: 42)),
         ServiceFixture.signer.code(for: CodeKey(rawValue: 0x0ABC_DEF0_1234_567)), Date.ISO8601FormatStyle.iso8601.year().month().day().format(Date()))
    }

    @Test("scans of forged and unknown codes are counted by UTC day, region and verdict (bots not), over the API (JSON, CSV) and the CLI; a bad day is a 400 naming the field",
          arguments: Backend.complete)
    func counted(_ backend: Backend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.folder.cleanup() }
        let marketing = try await fixture.token(.marketing), issuer = try await fixture.token(.issuer)
        let (forged, unknown, today) = try Self.codes()
        try await Self.app(fixture).test(.live) { client in
            for code in [forged, forged, unknown, fixture.codes[0]] {
                _ = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone())
            }
            #expect(try await client.execute(uri: "/s/\(forged)", method: .get, headers: [.userAgent: "Googlebot/2.1 (+http://www.google.com/bot.html)"])
                        .status == .notFound)
            let report = try await ChannelTests.call(client, .get, "/api/reports/fakes", token: marketing)
            let items = try report.json()["items"] as? [[String: Any]] ?? []
            #expect(report.status == .ok && items.count == 2, "\(report.text)")
            #expect(items.contains { $0["day"] as? String == today && $0["region"] as? String == "CN-44" && $0["verdict"] as? String == "forged"
                                     && $0["scans"] as? Int == 2 }, "\(items)")
            #expect(items.contains { $0["region"] as? String == "CN-44" && $0["verdict"] as? String == "unknown" && $0["scans"] as? Int == 1 }, "\(items)")
            let csv = try await ChannelTests.call(client, .get, "/api/reports/fakes?format=csv&from=\(today)&to=\(today)", token: marketing)
            #expect(csv.text.contains("day,region,verdict,scans") && csv.text.contains("\(today),CN-44,forged,2"), "\(csv.text)")
            let bad = try await ChannelTests.call(client, .get, "/api/reports/fakes?from=2026-13-01", token: marketing)
            #expect(bad.status == .badRequest && bad.text.contains("from"), "\(bad.text)")
            let none = try await ChannelTests.call(client, .get, "/api/reports/fakes?from=2020-01-01&to=2020-01-31", token: marketing)
            #expect((try none.json()["items"] as? [Any])?.isEmpty == true, "\(none.text)")
            #expect(try await ChannelTests.call(client, .get, "/api/reports/fakes", token: issuer).status == .forbidden)
        }
        let cli = try await Run.run(Run.onecode, ["report", "fakes", "--database", try backend.database(fixture.folder)],
                                    cwd: fixture.folder.path, environment: ["ONECODE_CODES_SECRET": ServiceFixture.secret])
        #expect(cli.status == 0 && cli.stdout.contains(today) && cli.stdout.contains("CN-44") && cli.stdout.contains("forged"), "\(cli.stdout) \(cli.stderr)")
        let wrong = try await Run.run(Run.onecode, ["report", "fakes", "--to", "yesterday", "--database", try backend.database(fixture.folder)],
                                      cwd: fixture.folder.path, environment: ["ONECODE_CODES_SECRET": ServiceFixture.secret])
        #expect(wrong.status != 0 && wrong.stderr.contains("to"), "\(wrong.stderr)")
    }
}

extension FakeReportTests {
    @Test("a forged or unknown code's page offers 'report this product' in the phone's language; a report (form or JSON) is stored with its region, listed in the feedback inbox (API, CLI), counted in the fakes report; a phone only with the box ticked; an issued code is not reported so; erasing the consumer erases the report's words and number",
          arguments: Backend.complete)
    func reported(_ backend: Backend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.folder.cleanup() }
        let marketing = try await fixture.token(.marketing), admin = try await fixture.token(.admin)
        let (forged, unknown, today) = try Self.codes()
        try await Self.app(fixture).test(.live) { client in
            let english = try await client.execute(uri: "/s/\(forged)", method: .get, headers: phone(language: "en"))
            #expect(english.status == .notFound && english.text.contains("class=\"report\"") && english.text.contains("Report this product")
                    && english.text.contains("name=\"where\""), "\(english.text)")
            let chinese = try await client.execute(uri: "/s/\(unknown)", method: .get, headers: phone(language: "zh-CN"))
            #expect(chinese.text.contains("举报此商品") && chinese.text.contains("在哪里买的"), "\(chinese.text)")
            // (The code itself is shown: its letters are not words.)
            let allowed = Set(["OneCode"] + unknown.matches(of: /[A-Za-z]{4,}/).map { String($0.output) })
            #expect(WordsOnThePageTests.englishWords(chinese.text, allowed: allowed).isEmpty,
                    "\(WordsOnThePageTests.englishWords(chinese.text, allowed: allowed))")

            func form(_ code: String, _ body: String, language: String = "en") async throws -> TestResponse {
                var headers = phone(language: language)
                headers[.contentType] = "application/x-www-form-urlencoded"
                headers[.origin] = "https://q.example.com"
                return try await client.execute(uri: "/s/\(code)", method: .post, headers: headers, body: ByteBuffer(string: body))
            }
            // A phone number without the box ticked: the form again, the problem beside the box, what was typed kept.
            let unticked = try await form(forged, "report=yes&where=Night%20market&phone=13812345678", language: "zh-CN")
            #expect(unticked.status == .badRequest && unticked.text.contains("id=\"error-contactOk\"") && unticked.text.contains("value=\"Night market\"")
                    && unticked.text.contains("请勾选同意"), "\(unticked.text)")
            let empty = try await form(forged, "report=yes&where=&comment=")
            #expect(empty.status == .badRequest && empty.text.contains("id=\"error-where\""), "\(empty.text)")
            let sent = try await form(forged, "report=yes&where=Night%20market%2C%20Shenzhen&comment=Cap%20looks%20wrong")
            #expect(sent.status == .created && sent.text.contains("the brand has your report") && sent.cookie != nil, "\(sent.text)")
            var json = phone(json: true)
            json[.contentType] = "application/json"
            json[.origin] = "https://q.example.com"
            let byJSON = try await client.execute(uri: "/s/\(unknown)", method: .post, headers: json, body: ByteBuffer(string: """
                {"report": true, "where": "Online shop", "phone": "138 1234 5678", "contactOk": true}
                """))
            #expect(byJSON.status == .created, "\(byJSON.text)")
            let issued = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .post, headers: json,
                                                  body: ByteBuffer(string: #"{"report": true, "where": "Shop"}"#))
            #expect(issued.status == .badRequest && issued.text.contains("report"), "\(issued.text)")

            // The inbox: newest first, the phone only where agreed, the region where the phone was.
            let inbox = try await ChannelTests.call(client, .get, "/api/feedback/reports", token: marketing)
            let items = try inbox.json()["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["verdict"] as? String } == ["unknown", "forged"] && items.allSatisfy { $0["region"] as? String == "CN-44" }, "\(inbox.text)")
            #expect(items.first?["phone"] as? String == "+8613812345678" && items.first?["contactConsentAt"] != nil && items.last?["phone"] == nil, "\(inbox.text)")
            #expect(items.last?["whereBought"] as? String == "Night market, Shenzhen" && items.last?["code"] as? String == forged.uppercased())
            // Counted beside the scans in the fakes report.
            let report = try await ChannelTests.call(client, .get, "/api/reports/fakes?format=csv", token: marketing)
            #expect(report.text.contains("day,region,verdict,scans,reports") && report.text.contains("\(today),CN-44,forged,1,1")
                    && report.text.contains("\(today),CN-44,unknown,1,1"), "\(report.text)")

            // Erasing the consumer the report's cookie names erases its words and number; the report still counts.
            // The cookie is `name=ID.tag`: the consumer id is what precedes the tag.
            let consumer = try #require(byJSON.cookie?.split(separator: "=", maxSplits: 1).last?.split(separator: ".").first.map(String.init))
            // Their export carries the report (a consumer with nothing but a report is known).
            let exported = try await ChannelTests.call(client, .get, "/api/consumers/\(consumer)", token: admin)
            let reports = try exported.json()["reports"] as? [[String: Any]] ?? []
            #expect(exported.status == .ok && reports.first?["whereBought"] as? String == "Online shop" && reports.first?["phone"] as? String == "+8613812345678",
                    "\(exported.text)")
            #expect(try await ChannelTests.call(client, .delete, "/api/consumers/\(consumer)", token: admin).status == .ok)
            let after = try await ChannelTests.call(client, .get, "/api/feedback/reports", token: marketing).json()["items"] as? [[String: Any]] ?? []
            #expect(after.first?["phone"] == nil && after.first?["whereBought"] == nil && after.count == 2, "\(after)")
        }
        let cli = try await ReadmePromiseTests.onecode(fixture, ["feedback", "reports"])
        #expect(cli.status == 0 && cli.stdout.contains("Night market, Shenzhen") && cli.stdout.contains("forged"), "\(cli.stdout) \(cli.stderr)")
    }
}

extension FakeReportTests {
    @Test("a cloned label: a second phone's scan soon after the first, in a region where the first could not be, is suspicious (cloned-label) on the page, in the event and in the fakes report; the same region is a plain repeat",
          arguments: Backend.complete)
    func clonedLabel(_ backend: Backend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.folder.cleanup() }
        let marketing = try await fixture.token(.marketing)
        let today = try Self.codes().today
        try await Self.app(fixture).test(.live) { client in
            // Phone A scans (GeoIP: CN-44) and shares its position in Shanghai (CN-31): its scan was in CN-31.
            let first = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(json: true))
            #expect(try first.json()["verdict"] as? String == "genuine")
            let shared = try await client.execute(
                uri: "/s/\(fixture.codes[0])/location", method: .post,
                headers: [.cookie: first.cookie ?? "", .contentType: "application/json", .origin: "https://q.example.com"],
                body: ByteBuffer(string: #"{"latitude": 31.23, "longitude": 121.47}"#))
            #expect(try shared.json()["region"] as? String == "CN-31", "\(shared.text)")
            // Phone B, minutes later, in Guangdong (CN-44): one label printed twice.
            let second = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(language: "en"))
            #expect(second.text.contains("data-verdict=\"suspicious\"") && second.text.contains("in another region shortly before"), "\(second.text)")
            let events = try await ChannelTests.events(fixture, "scan.suspicious")
            #expect(events.count == 1 && events.first?["reason"] as? String == "cloned-label", "\(events)")
            // A third phone where the second was: no sign of a copy between those two (the rule compares with the latest scan).
            let third = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(json: true))
            #expect(try third.json()["verdict"] as? String == "repeat", "\(third.text)")
            // The same region is a plain repeat.
            _ = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone())
            let repeated = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone(json: true))
            #expect(try repeated.json()["verdict"] as? String == "repeat", "\(repeated.text)")
            let report = try await ChannelTests.call(client, .get, "/api/reports/fakes?format=csv", token: marketing)
            #expect(report.text.contains("\(today),CN-44,suspicious,1,0"), "\(report.text)")
        }
    }
}

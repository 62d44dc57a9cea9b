import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OneCodeDomain
@testable import OneCodeService
import OneCodeSQLite
import OneCodeRulebook
import OneCodeStorage
import Testing

/// The attacks of the security review, each performed against the real application.
@Suite("Security: nobody takes a prize, a rating or a name that is not theirs")
struct SecurityTests {
    static func form(_ cookie: String?) -> HTTPFields {
        var headers = phone(cookie: cookie)
        headers[.contentType] = "application/x-www-form-urlencoded"
        return headers
    }

    @Test("a consumer id read from the API or a webhook cannot act as that consumer: the cookie's tag is checked", arguments: Backend.complete)
    func consumerIdIsNotACookie(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 4)
        defer { fixture.folder.cleanup() }
        let campaign = try await fixture.store.liveCampaign()
        let app = try fixture.app()
        let code = fixture.codes[0]
        try await app.test(.router) { client in
            let scan = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone())
            let winnerCookie = try #require(scan.cookie)
            // What marketing sees: the entry names the winner's consumer id.
            let entry = try #require(try await fixture.store.entries(of: campaign.id, after: 0, limit: 1).first)
            let winner = try #require(entry.consumer)
            #expect(winnerCookie.hasPrefix("__Host-oc_cid=\(winner).") && winnerCookie.count > "__Host-oc_cid=\(winner).".count + 20)
            // The attacker sets the id as the cookie, bare or with a made-up tag: neither is that consumer.
            for forged in ["__Host-oc_cid=\(winner)", "__Host-oc_cid=\(winner).00000000000000000000000000000000", "oc_cid=\(winner)." + String(repeating: "a", count: 32)] {
                let claim = try await client.execute(uri: "/s/\(code)", method: .post, headers: Self.form(forged),
                                                     body: ByteBuffer(string: "campaign=\(campaign.id)&name=Mallory&phone=13900000000&consent=yes"))
                #expect(claim.status == .badRequest && claim.text.lowercased().contains("scan the code first on this phone"), "\(forged): \(claim.status) \(claim.text)")
                // A scan with the forged cookie is a new phone: it is given a cookie of its own.
                let page = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(cookie: forged))
                #expect(page.cookie != nil && page.cookie != winnerCookie)
            }
            // The winner still claims with their own cookie; nothing of Mallory's was kept.
            let claim = try await client.execute(uri: "/s/\(code)", method: .post, headers: Self.form(winnerCookie),
                                                 body: ByteBuffer(string: "campaign=\(campaign.id)&name=Ann&phone=13812345678&consent=yes"))
            #expect(claim.status == .created && claim.headers[.cacheControl] == "no-store")
            // The redemption code, shown again in JSON, is not cached either; nor is what the API says of a consumer.
            let again = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(cookie: winnerCookie, json: true))
            #expect(again.headers[.cacheControl] == "no-store")
            let admin = try await fixture.token(.admin)
            let consumer = try await client.execute(uri: "/api/consumers/\(winner)", method: .get, headers: [.authorization: "Bearer \(admin)"])
            #expect(consumer.status == .ok && consumer.headers[.cacheControl] == "no-store")
        }
        let stored = try await backend.dump(["SELECT name FROM consumer_contact", "SELECT name FROM claim"], in: fixture.folder)
        #expect(stored == "Ann\n--\nAnn")
    }

    @Test("ratings only from a phone that scanned the code, only on live codes, once; comments lose control characters", arguments: Backend.complete)
    func feedbackIsReal(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 4)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        try await app.test(.router) { client in
            // 20 random phones that never scanned the code: none is counted.
            for _ in 0..<20 {
                let stranger = try #require(try await client.execute(uri: "/s/\(fixture.codes[3])", method: .get, headers: phone()).cookie)
                let rated = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .post, headers: Self.form(stranger),
                                                     body: ByteBuffer(string: "rating=1"))
                #expect(rated.status == .badRequest && rated.text.lowercased().contains("scan this item"), "\(rated.text)")
            }
            let mine = try #require(try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone()).cookie)
            let ok = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .post, headers: Self.form(mine),
                                              body: ByteBuffer(string: "rating=4&comment=ok%00%1B%5B31m%0D%0Aline+two"))
            #expect(ok.status == .created)
        }
        #expect(try await fixture.store.feedbackReport(byBatch: true).map(\.count) == [1])
        let comment = try await backend.query(backend == .sqlite ? "SELECT hex(comment) FROM feedback" : "SELECT upper(encode(convert_to(comment, 'UTF8'), 'hex')) FROM feedback",
                                        in: fixture.folder)
        #expect(comment == Array("ok[31m\nline two".utf8).hex.uppercased())

        // A code of a batch never activated cannot be rated, even by a phone that scanned it.
        let inactive = try await ServiceFixture(backend: backend, count: 2, activate: false)
        defer { inactive.folder.cleanup() }
        let inactiveApp = try inactive.app()
        try await inactiveApp.test(.router) { client in
            let cookie = try #require(try await client.execute(uri: "/s/\(inactive.codes[0])", method: .get, headers: phone()).cookie)
            let rated = try await client.execute(uri: "/s/\(inactive.codes[0])", method: .post, headers: Self.form(cookie),
                                                 body: ByteBuffer(string: "rating=5"))
            #expect(rated.status == .badRequest && rated.text.contains("cannot be rated"))
        }
        #expect(try await inactive.store.feedbackReport(byBatch: false).isEmpty)
    }

    @Test("names with terminal escape sequences are refused: campaigns, tiers, segments, products", arguments: [
        #"{"name": "Sum\u001b[2Jmer", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "tiers": [{"name": "A", "kind": "goods", "value": 1, "probability": 1, "stock": 1}]}"#,
        #"{"name": "Summer", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "tiers": [{"name": "A\u0007", "kind": "goods", "value": 1, "probability": 1, "stock": 1}]}"#,
    ])
    func controlCharactersInNames(definition: String) async throws {
        #expect { try CampaignDefinition.parse(Data(definition.utf8)) } throws: {
            ($0 as? InputError)?.message.contains("control characters") == true
        }
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let store = try SQLiteStore(path: folder.file("onecode.sqlite"))
        await #expect(throws: InputError.self) { _ = try await store.createSegment(name: "VIP\u{1B}]0;pwned\u{07}", rule: .consent(true), audit: .test) }
        #expect(throws: InputError.self) { _ = try NewProduct(name: "Tea\u{202E}", gtin: nil, sku: nil) }
    }

    @Test("every response carries nosniff, same-origin referrers and no framing; HTML a CSP of its own resources; personal replies are not cached", arguments: Backend.complete)
    func headers(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let admin = try await fixture.token(.admin)
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone())
            let api = try await client.execute(uri: "/api/leads", method: .get, headers: [.authorization: "Bearer \(admin)"])
            let missing = try await client.execute(uri: "/api/nothing", method: .get, headers: [.authorization: "Bearer \(admin)"])
            let refused = try await client.execute(uri: "/api/leads", method: .get)
            for (name, response) in [("page", page), ("api", api), ("404", missing), ("401", refused)] {
                #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff", "\(name)")
                #expect(response.headers[.init("Referrer-Policy")!] == "same-origin", "\(name)")
                #expect(response.headers[.init("X-Frame-Options")!] == "DENY", "\(name)")
                #expect(response.headers[.cacheControl] == "no-store", "\(name)")
            }
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
            #expect(!page.text.contains("<script>") && page.text.contains("<script src=\"/assets/location.js\""))
            #expect(page.headers[.setCookie]?.contains("Secure") == true)  // the public base URL is https
            let script = try await client.execute(uri: "/assets/location.js", method: .get)
            #expect(script.status == .ok && script.text.contains("navigator.geolocation"))
        }
    }

    @Test("public POSTs refuse other sites (Origin, Sec-Fetch-Site) and bodies of other types", arguments: Backend.complete)
    func crossSitePostsRefused(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let campaign = try await fixture.store.liveCampaign()
        let app = try fixture.app()
        let code = fixture.codes[0]
        try await app.test(.router) { client in
            let cookie = try #require(try await client.execute(uri: "/s/\(code)", method: .get, headers: phone()).cookie)
            let body = "campaign=\(campaign.id)&name=Ann&phone=13812345678&consent=yes"
            var evil = Self.form(cookie)
            evil[.origin] = "https://evil.example"
            var crossSite = Self.form(cookie)
            crossSite[.init("Sec-Fetch-Site")!] = "cross-site"
            for headers in [evil, crossSite] {
                let response = try await client.execute(uri: "/s/\(code)", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(response.status == .forbidden && response.text.contains("origin"))
                var location = headers
                location[.contentType] = "application/json"
                let located = try await client.execute(uri: "/s/\(code)/location", method: .post, headers: location,
                                                       body: ByteBuffer(string: #"{"latitude": 31.2, "longitude": 121.5}"#))
                #expect(located.status == .forbidden)
            }
            var plain = phone(cookie: cookie, json: true)
            plain[.contentType] = "text/plain"
            let json = #"{"campaign": \#(campaign.id), "name": "Ann", "phone": "13812345678", "consent": true}"#
            #expect(try await client.execute(uri: "/s/\(code)", method: .post, headers: plain, body: ByteBuffer(string: json)).status == .unsupportedMediaType)
            #expect(try await client.execute(uri: "/s/\(code)/location", method: .post, headers: plain,
                                             body: ByteBuffer(string: #"{"latitude": 31.2, "longitude": 121.5}"#)).status == .unsupportedMediaType)
            // From the service's own page it works.
            var same = Self.form(cookie)
            same[.origin] = "https://q.example.com"
            same[.init("Sec-Fetch-Site")!] = "same-origin"
            #expect(try await client.execute(uri: "/s/\(code)", method: .post, headers: same, body: ByteBuffer(string: body)).status == .created)
        }
        #expect(try await fixture.store.verdictCounts(batch: nil)[.genuine] == 1)
    }

    @Test("CSV cells a spreadsheet would run are written as text; phone numbers stay text", arguments: [
        ("+HYPERLINK(\"http://x\")", "\"'+HYPERLINK(\"\"http://x\"\")\""), ("-1+1", "'-1+1"), ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"), ("\rx", "\"'\rx\""), ("+8613812345678", "'+8613812345678"), ("王小明", "王小明"), ("a,b", "\"a,b\""),
    ])
    func csvInjection(cell: String, written: String) {
        #expect(CSV.field(cell) == written)
    }

    /// Found by a brand team: `'+8613812345678` showed in spreadsheets and broke CRM imports.
    @Test("a phone column keeps the number as a CRM imports it when it is + and digits; anything else in it is guarded as any cell", arguments: [
        ("+8613812345678", "+8613812345678"), ("13812345678", "13812345678"), ("+1", "'+1"), ("+86=1+1", "'+86=1+1"),
        ("+8613812345678,=x", "\"'+8613812345678,=x\""), ("", ""),
    ])
    func phoneCells(cell: String, written: String) {
        #expect(CSV.phone(cell) == written)
    }

    @Test("one deep segment rule cannot break the linker: limits at parse time, the others refresh, and it can be edited or deleted", arguments: Backend.complete)
    func deepSegmentRules(_ backend: Backend) async throws {
        let deep = String(repeating: #"{"all": ["#, count: 100) + #"{"consent": true}"# + String(repeating: "]}", count: 100)
        #expect { try SegmentRule.parse(Data(deep.utf8)) } throws: {
            ($0 as? InputError)?.message.contains("at most \(SegmentRule.maxDepth) levels") == true
        }
        let wide = #"{"any": ["# + Array(repeating: #"{"all": [{"consent": true}, {"consent": false}, {"wonPrize": true}, {"wonPrize": false}]}"#, count: 45).joined(separator: ",") + "]}"
        #expect { try SegmentRule.parse(Data(wide.utf8)) } throws: { ($0 as? InputError)?.message.contains("at most 200 rules") == true }

        var world = try await LinkerWorld(codes: 4, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let consumer = ConsumerID.random()
        try await world.scan(consumer, at: Date(), region: "CN-31")
        let good = try await world.store.createSegment(name: "Shanghai", rule: .region(["CN-31"]), audit: .test)
        // A rule stored before the limits (by an older version): the refresh reports it and goes on.
        let bad = try await world.store.createSegment(name: "Old", rule: .consent(true), audit: .test)
        _ = try await backend.query("UPDATE segment SET rules = '\(deep)' WHERE id = \(bad.id)", in: world.fixture.folder)
        let report = try await world.store.refreshLinker(now: Date(), full: false)
        #expect(try await world.members(good) == [consumer.value])
        #expect(report.failedSegments.count == 1 && report.failedSegments[0].hasPrefix("segment \(bad.id):"))
        #expect(!report.failedSegments[0].contains("SELECT"))
        let app = try world.fixture.app()
        let marketing = try await world.fixture.token(.marketing)
        try await app.test(.router) { client in
            let auth: HTTPFields = [.authorization: "Bearer \(marketing)", .contentType: "application/json"]
            let edited = try await client.execute(uri: "/api/segments/\(good.id)", method: .patch, headers: auth,
                                                  body: ByteBuffer(string: #"{"name": "East", "rules": {"region": ["CN"]}}"#))
            #expect(edited.status == .ok && edited.text.contains("East"))
            let tooDeep = try await client.execute(uri: "/api/segments/\(good.id)", method: .patch, headers: auth, body: ByteBuffer(string: #"{"rules": \#(deep)}"#))
            #expect(tooDeep.status == .badRequest && tooDeep.text.contains("levels"))
            #expect(try await client.execute(uri: "/api/segments/\(bad.id)", method: .delete, headers: auth).status == .noContent)
            #expect(try await client.execute(uri: "/api/segments/\(bad.id)", method: .get, headers: auth).status == .notFound)
        }
        let after = try await world.store.refreshLinker(now: Date(), full: false)
        #expect(after.failedSegments.isEmpty)
        #expect(try await world.store.segments().map(\.name) == ["East"])
    }

    @Test("a serial under another product's GTIN or another lot is unknown with its reason, and counts for nothing", arguments: Backend.complete)
    func gs1Mismatch(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2, lot: "L1")
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let serial = fixture.codes[0]
        try await app.test(.router) { client in
            for (uri, reason) in [("/01/04006381333931/21/\(serial)", "gtin-mismatch"), ("/01/06291041500213/10/L2/21/\(serial)", "lot-mismatch"),
                                  ("/01/4006381333931/10/L1/21/\(serial)", "gtin-mismatch")] {
                let response = try await client.execute(uri: uri, method: .get, headers: phone(json: true))
                #expect(response.status == .notFound, "\(uri)")
                let json = try response.json()
                #expect(json["verdict"] as? String == "unknown" && json["reason"] as? String == reason && json["product"] == nil, "\(uri): \(json)")
                let page = try await client.execute(uri: uri, method: .get, headers: phone(language: "zh"))
                #expect(page.text.contains("标签可能不是正品"))
            }
            let right = try await client.execute(uri: "/01/06291041500213/10/L1/21/\(serial)", method: .get, headers: phone(json: true))
            #expect(try right.json()["verdict"] as? String == "genuine")
            let short = try await client.execute(uri: "/01/6291041500213/21/\(fixture.codes[1])", method: .get, headers: phone(json: true))
            #expect(try short.json()["verdict"] as? String == "genuine")  // GTIN-13 in the path reads as the same GTIN
        }
        #expect(try await fixture.store.verdictCounts(batch: nil) == [.unknown: 6, .genuine: 2])
    }

    @Test("repeated failed authentications from one address are throttled; a valid token from that address still passes (failures sent in a victim's name lock nobody out)", arguments: Backend.complete)
    func authFailuresThrottled(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 1)
        defer { fixture.folder.cleanup() }
        let admin = try await fixture.token(.admin)
        // Time held still: five failures a minute refill one every 12 s, and a loaded machine can take that long
        // between two requests (CI saw the last guess answered 401 once).
        var deps = fixture.deps(try fixture.config(["rateLimit.authFailuresPerMinute": .init(.double(5), isSecret: false)]))
        deps.uptime = { 1_000_000_000 }
        try await buildApplication(deps).test(.router) { client in
            // A valid token works, and costs nothing.
            for _ in 0..<8 {
                #expect(try await client.execute(uri: "/api/products", method: .get, headers: [.authorization: "Bearer \(admin)"]).status == .ok)
            }
            var statuses: [Int] = []
            for guess in 0..<8 {
                statuses.append(try await client.execute(uri: "/api/products", method: .get,
                                                         headers: [.authorization: "Bearer oc_guess\(guess)"]).status.code)
            }
            #expect(statuses == [401, 401, 401, 401, 401, 429, 429, 429])
            // The attack pass: eleven bad tokens "from" a victim's address made the victim's valid token answer 429.
            let owner = try await client.execute(uri: "/api/products", method: .get, headers: [.authorization: "Bearer \(admin)"])
            #expect(owner.status == .ok)
            let guess = try await client.execute(uri: "/api/products", method: .get, headers: [.authorization: "Bearer oc_guess9"])
            #expect(guess.status == .tooManyRequests && Int(guess.headers[.retryAfter] ?? "") ?? 0 >= 1)
        }
    }

    /// SQLite only: it searches the database's files. PostgreSQL keeps erased values in dead tuples and
    /// WAL until vacuum and recycling, which README's erasure section states with what completes it.
    @Test("after an erasure the phone, name and comment are in no byte of the database files (the database, the linker's file, their WALs)")
    func erasureLeavesNoBytes() async throws {
        var world = try await LinkerWorld(codes: 6)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let campaign = try await store.liveCampaign()
        let consumer = ConsumerID.random()
        let (code, _) = try await world.scan(consumer, at: Date(), region: "CN-31")
        let name = "Zebedee Quux", phone = "13877770123", comment = "call me at home, zq-7781"
        _ = try await store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer,
                                  contact: try ContactDetails(name: name, phone: phone), consentVersion: "v1", consentText: "ok", marketing: .ok, at: Date())
        try await store.addFeedback(key: world.key(code), code: code, consumer: consumer, rating: 2, comment: comment, at: Date())
        _ = try await store.refreshLinker(now: Date(), full: false)  // the lead carries name and phone too
        // The linker's file too: leads and lead.created events pass through it on their way into the database.
        let files = ["onecode.sqlite", "onecode.sqlite-wal", "onecode.sqlite-linker", "onecode.sqlite-linker-wal"].map { world.fixture.folder.file($0) }
        func bytes() -> [UInt8] { files.flatMap { (try? Array(Data(contentsOf: URL(fileURLWithPath: $0)))) ?? [] } }
        func holds(_ text: String, _ haystack: [UInt8]) -> Bool {
            let needle = Array(text.utf8)
            guard haystack.count >= needle.count else { return false }
            return (0...(haystack.count - needle.count)).contains { haystack[$0] == needle[0] && Array(haystack[$0..<$0 + needle.count]) == needle }
        }
        let before = bytes()
        #expect(holds(phone, before) && holds(name, before) && holds(comment, before))  // the search can see them
        #expect(try await store.forgetConsumer(consumer.value))
        let after = bytes()
        for secret in [phone, "+86" + phone, name, comment] { #expect(!holds(secret, after), "\(secret) is still in the files") }
    }

    @Test("webhook URLs with credentials or query secrets are shown redacted in status, the API and errors", arguments: Backend.complete)
    func webhookURLsRedacted(_ backend: Backend) async throws {
        #expect(WebhookURL.redacted("https://crm:s3cret@hooks.example.com/in?token=abc&x=1") == "https://***@hooks.example.com/in?token=***&x=***")
        #expect(WebhookURL.redacted("https://hooks.example.com/in") == "https://hooks.example.com/in")
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        // Port 9 on loopback refuses the connection: every delivery fails, and its error is recorded and logged.
        let url = "http://crm:s3cret@127.0.0.1:9/hook?token=abc"
        let captured = CapturedLog()
        let deliverer = WebhookDeliverer(store: fixture.store, config: try WebhookTests.webhookConfig([url], maxAttempts: 3),
                                         logger: Logger(label: "test") { _ in CapturedLog.Handler(log: captured) })
        try await fixture.store.registerEndpoints([url])
        _ = try await fixture.store.liveCampaign()
        try await fixture.app().test(.router) { client in
            _ = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone())
        }
        try await deliverer.deliverDue()
        let raw = try #require(try await fixture.store.webhookStatus().first)
        #expect(raw.lastError != nil && raw.delivered == 0, "\(raw)")
        let status = try await fixture.store.webhookStatus().map(\.redacted)
        #expect(status.map(\.url) == ["http://***@127.0.0.1:9/hook?token=***"])
        #expect(status.allSatisfy { ($0.lastError ?? "").contains("s3cret") == false && ($0.lastError ?? "").contains("token=abc") == false })
        // What the deliverer logged about the failure names the endpoint only redacted.
        let logged = captured.all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!logged.isEmpty && !logged.contains("s3cret") && !logged.contains("token=abc"), "\(logged)")
        let admin = try await fixture.token(.admin)
        try await fixture.app().test(.router) { client in
            let response = try await client.execute(uri: "/api/webhooks", method: .get, headers: [.authorization: "Bearer \(admin)"])
            #expect(response.status == .ok && !response.text.contains("s3cret") && !response.text.contains("token=abc"), "\(response.text)")
            #expect(response.text.contains("127.0.0.1:9"))
        }
    }

    @Test("winsPerPhone: dropping the cookie gives a fresh consumer, but the phone number cannot claim past the campaign's limit", arguments: Backend.complete)
    func winsPerPhone(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 4)
        defer { fixture.folder.cleanup() }
        let campaign = try await fixture.store.createCampaign(try CampaignDefinition.parse(CampaignTests.definition(#", "limits": {"winsPerConsumer": 1, "winsPerPhone": 1}"#)), audit: .test)
        let app = try fixture.app()
        try await app.test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            var messages: [String] = []
            for code in fixture.codes.prefix(3) {
                // A new phone each time, as if the cookie were dropped: each wins under winsPerConsumer.
                let cookie = try #require(try await client.execute(uri: "/s/\(code)", method: .get, headers: phone()).cookie)
                let claim = try await client.execute(uri: "/s/\(code)", method: .post, headers: Self.form(cookie),
                                                     body: ByteBuffer(string: "campaign=\(campaign.id)&name=Ann&phone=138-1234-5678&consent=yes"))
                statuses.append(claim.status)
                messages.append(claim.text)
            }
            #expect(statuses == [.created, .conflict, .conflict])
            #expect(messages[1].contains("phone") && messages[1].contains("1 per phone"))
        }
    }
}

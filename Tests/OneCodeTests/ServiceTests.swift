import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OneCodeDomain
@testable import OneCodeService
import OneCodeRulebook
import OneCodeStorage
import Testing

/// Route tests against the real application builder, over a real SQLite file.
@Suite("Scan service routes")
struct ServiceTests {
    @Test("every verdict has its page, in both languages, with its status", arguments: Backend.complete, ["en", "zh"])
    func verdictPages(_ backend: Backend, language: String) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 6, activate: false)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app(["scan.maxScans": .init(.int(2), isSecret: false)])
        // What each page must tell a person, in the phone's language: written here from what each verdict
        // means (README's verdict table), not read from the page's own string table.
        let said: [String: String] = language == "zh" ? [
            "batch-not-active": "尚未放行", "first-scan": "第一次被扫描", "rescanned-by-you": "这部手机上验证过", "scanned-before": "之前已被扫描",
            "too-many-scans": "远超单件商品", "not-issued": "从未发放", "check-character": "检查是否输错", "blacklisted": "此码已被品牌方作废",
            "batch-void": "批次已被品牌方召回",
        ] : [
            "batch-not-active": "not been released for sale", "first-scan": "first time this code has been scanned",
            "rescanned-by-you": "on this phone before", "scanned-before": "scanned before", "too-many-scans": "far more often than one item",
            "not-issued": "never issued", "check-character": "check it for typos", "blacklisted": "This code has been withdrawn",
            "batch-void": "batch has been withdrawn",
        ]
        try await app.test(.router) { client in
            func visit(_ code: String, _ cookie: String? = nil) async throws -> TestResponse {
                try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(cookie: cookie, language: language))
            }
            func expect(_ response: TestResponse, _ verdict: String, _ reason: String, _ status: HTTPResponse.Status) {
                #expect(response.status == status, "\(verdict): \(response.status)")
                // Only widgets that work for the verdict, each labelled: a rating form on genuine and repeat pages only.
                let rateable = verdict == "genuine" || verdict == "repeat"
                // A code that is not the brand's (never issued; forged, but not a probable typo) can be reported instead.
                let reportable = verdict == "unknown" || (verdict == "forged" && reason != "check-character")
                #expect(response.text.contains("<textarea") == (rateable || reportable) && response.text.contains("class=\"feedback\"") == rateable
                        && response.text.contains("class=\"report\"") == reportable, "\(verdict) page widgets")
                for empty in ["<legend></legend>", "<button type=\"submit\"></button>", "<button type=\"button\" id=\"locate\"></button>",
                              "<label><br>", "data-thanks=\"\""] {
                    #expect(!response.text.contains(empty), "\(verdict) page has an unlabelled widget: \(empty)")
                }
                #expect(response.text.contains("data-verdict=\"\(verdict)\""), "\(verdict) page")
                #expect(response.text.contains(said[reason]!), "\(verdict): explanation for \(reason)")
            }
            expect(try await visit(fixture.codes[0]), "inactive", "batch-not-active", .forbidden)
            _ = try await fixture.store.setStatus(.active, of: fixture.batch.id, audit: .test)
            let first = try await visit(fixture.codes[1])
            expect(first, "genuine", "first-scan", .ok)
            expect(try await visit(fixture.codes[1], first.cookie), "repeat", "rescanned-by-you", .ok)
            expect(try await visit(fixture.codes[1]), "repeat", "scanned-before", .ok)
            let suspicious = try await visit(fixture.codes[1])
            expect(suspicious, "suspicious", "too-many-scans", .ok)
            // It says only what is true: nobody is told unless webhooks are configured and delivered.
            #expect(!suspicious.text.contains("notified") && !suspicious.text.contains("已收到提醒"))
            // Product names wrap between words; only long codes break anywhere.
            #expect(!suspicious.text.contains("break-all") && suspicious.text.contains("overflow-wrap:anywhere"))
            expect(try await visit(ServiceFixture.signer.code(for: CodeKey(rawValue: 4242))), "unknown", "not-issued", .notFound)
            var forged = Array(fixture.codes[2])
            forged[3] = forged[3] == "A" ? "B" : "A"
            expect(try await visit(String(forged)), "forged", "check-character", .notFound)
            guard case let .valid(key, _) = ServiceFixture.signer.check(fixture.codes[3]) else { Issue.record("bad code"); return }
            try await fixture.store.blacklist(key, reason: "stolen", audit: .test)
            expect(try await visit(fixture.codes[3]), "void", "blacklisted", .gone)
            _ = try await fixture.store.setStatus(.void, of: fixture.batch.id, audit: .test)
            expect(try await visit(fixture.codes[4]), "void", "batch-void", .gone)
        }
    }

    @Test("/ is the code-entry page: a code typed loosely opens its scan page; a typo is caught by the check symbol, said in the page's language", arguments: Backend.complete)
    func entryPage(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let code = fixture.codes[0]
        try await app.test(.router) { client in
            let empty = try await client.execute(uri: "/", method: .get, headers: phone(language: "zh-CN"))
            #expect(empty.status == .ok && empty.text.contains("<form method=\"get\" action=\"/\">") && empty.text.contains("标签上的码")
                    && empty.text.contains("<label for=\"code\">"), "\(empty.text)")
            // Lower case, dashes and spaces, I/L/O for 1/1/0: as a person copies a label.
            var typed = ""
            for (index, character) in code.lowercased().enumerated() {
                if index > 0 && index % 4 == 0 { typed += index % 8 == 0 ? " " : "-" }
                typed += character == "0" ? "o" : character == "1" ? "l" : String(character)
            }
            let query = typed.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? typed
            let opened = try await client.execute(uri: "/?code=\(query)", method: .get, headers: phone())
            #expect(opened.status == .seeOther && opened.headers[.location] == "/s/\(code)", "\(typed): \(opened.status) \(opened.headers)")
            // One symbol mistyped: the check symbol catches it; what was typed stays in the field.
            var wrong = Array(code)
            wrong[5] = wrong[5] == "X" ? "Y" : "X"
            let typo = try await client.execute(uri: "/?code=\(String(wrong))", method: .get, headers: phone(language: "zh-CN"))
            #expect(typo.status == .badRequest && typo.text.contains("此码校验不通过") && typo.text.contains("value=\"\(String(wrong))\"")
                    && typo.text.contains("aria-invalid=\"true\""), "\(typo.text)")
            let short = try await client.execute(uri: "/?code=ABC123", method: .get, headers: phone(language: "en"))
            #expect(short.status == .badRequest && short.text.contains("17 to 20 letters and digits; this has 6"), "\(short.text)")
            let hostile = try await client.execute(uri: "/?code=%3Cscript%3E", method: .get, headers: phone(language: "en"))
            #expect(hostile.status == .badRequest && !hostile.text.contains("<script>") && hostile.text.contains("&lt;script&gt;"))
        }
    }

    @Test("the brand on every page: name and logo (served here, no other site), colour, phone and contact link; none without configuration", arguments: Backend.complete)
    func brand(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let logo = fixture.folder.file("logo.svg")
        try ##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#0a7"/></svg>"##
            .write(toFile: logo, atomically: true, encoding: .utf8)
        let app = try fixture.app([
            "brand.name": .init(.string("Green Leaf Tea"), isSecret: false), "brand.color": .init(.string("#0a7f3b"), isSecret: false),
            "brand.logoFile": .init(.string(logo), isSecret: false), "brand.phone": .init(.string("400 800 1234"), isSecret: false),
            "brand.url": .init(.string("https://greenleaf.example/contact"), isSecret: false),
        ])
        try await app.test(.router) { client in
            let scan = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(language: "zh-CN"))
            for page in [scan, try await client.execute(uri: "/", method: .get, headers: phone())] {
                #expect(page.text.contains("<header class=\"brand\"><img src=\"/assets/logo\" alt=\"Green Leaf Tea\" height=\"40\"><span>Green Leaf Tea</span></header>"), "\(page.text)")
                #expect(page.text.contains("<a href=\"tel:4008001234\">400 800 1234</a>") && page.text.contains("href=\"https://greenleaf.example/contact\""))
                #expect(page.text.contains("border-bottom:3px solid #0a7f3b"))
            }
            #expect(scan.text.contains("联系我们"))
            let image = try await client.execute(uri: "/assets/logo", method: .get)
            #expect(image.status == .ok && image.headers[.contentType] == "image/svg+xml" && image.text.contains("<rect"))
            // An SVG opened on its own runs its scripts in this origin unless the policy sandboxes it (README: Security).
            let policy = image.headers[.contentSecurityPolicy] ?? ""
            #expect(policy.hasPrefix("sandbox") && policy.contains("default-src 'none'") && !policy.contains("script-src"), "\(policy)")
            #expect(image.headers[.xContentTypeOptions] == "nosniff")
        }
        // Without configuration: no header, no logo route.
        try await fixture.app().test(.router) { client in
            let plain = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone())
            #expect(!plain.text.contains("class=\"brand\"") && !plain.text.contains("/assets/logo"))
            #expect(try await client.execute(uri: "/assets/logo", method: .get).status == .notFound)
        }
        #expect(throws: InputError.self) { try fixture.config(["brand.color": .init(.string("green"), isSecret: false)]) }
        #expect(throws: InputError.self) { try fixture.config(["brand.logoFile": .init(.string(fixture.folder.file("none.png")), isSecret: false)]) }
    }

    @Test("verdict transitions: inactive → genuine → repeat → suspicious; void batch; blacklisted code", arguments: Backend.complete)
    func transitions(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, activate: false)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app(["scan.maxScans": .init(.int(4), isSecret: false), "scan.maxConsumers": .init(.int(2), isSecret: false)])
        let code = fixture.codes[0]
        try await app.test(.router) { client in
            // Not yet active: 403, recorded as evidence, not counted.
            var response = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(json: true))
            #expect(response.status == .forbidden)
            #expect(try response.json()["verdict"] as? String == "inactive")
            let cookie = try #require(response.cookie)
            _ = try await fixture.store.setStatus(.active, of: fixture.batch.id, audit: .test)
            response = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(cookie: cookie, json: true))
            #expect(response.status == .ok)
            #expect(try response.json()["verdict"] as? String == "genuine")
            #expect(try response.json()["scanCount"] as? Int == 1)
            // The same phone again, and again: its own rescans, read as such and never counted (maxScans 4).
            for _ in 0..<6 {
                response = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(cookie: cookie, json: true))
                let own = try response.json()
                #expect(response.status == .ok)
                #expect(own["verdict"] as? String == "repeat" && own["reason"] as? String == "rescanned-by-you" && own["scanCount"] as? Int == 1, "\(own)")
                #expect(own["firstScanAt"] as? String != nil)
                #expect(response.headers[.setCookie] == nil)  // the consumer keeps its id
            }
            let ownPage = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(cookie: cookie))
            #expect(ownPage.text.contains("checked before on this phone") && ownPage.text.contains("First scanned"), "\(ownPage.text)")
            // A second consumer is fine, a third is one too many (maxConsumers 2).
            response = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(json: true))
            #expect(try response.json()["verdict"] as? String == "repeat" && response.json()["reason"] as? String == "scanned-before")
            #expect(try response.json()["scanCount"] as? Int == 2)
            response = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(json: true))
            #expect(try response.json()["verdict"] as? String == "suspicious" && response.status == .ok)
            #expect(try response.json()["reason"] as? String == "too-many-consumers")
            // The first phone's rescan now shows the code as it stands: suspicious (others made it so).
            response = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(cookie: cookie, json: true))
            #expect(try response.json()["verdict"] as? String == "suspicious")
            // Too many scans (maxScans 4): more phones.
            for _ in 0..<2 { response = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(json: true)) }
            #expect(try response.json()["reason"] as? String == "too-many-scans", "\(response.text)")
            // Blacklist another code; void the batch.
            guard case let .valid(key, _) = ServiceFixture.signer.check(fixture.codes[1]) else { Issue.record("bad code"); return }
            try await fixture.store.blacklist(key, reason: "stolen pallet", audit: .test)
            response = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone(json: true))
            #expect(response.status == .gone)
            #expect(try response.json()["reason"] as? String == "blacklisted")
            _ = try await fixture.store.setStatus(.void, of: fixture.batch.id, audit: .test)
            response = try await client.execute(uri: "/s/\(fixture.codes[2])", method: .get, headers: phone(json: true))
            #expect(response.status == .gone)
            #expect(try response.json()["reason"] as? String == "batch-void")
        }
        let counts = try await fixture.store.verdictCounts(batch: fixture.batch.id)
        // Every scan is recorded (own rescans too: 7 of the 8 repeats), but only other phones made the code suspicious.
        #expect(counts == [.inactive: 1, .genuine: 1, .repeat: 8, .suspicious: 4, .void: 2], "\(counts)")
        #expect(try await fixture.scanCount(code) == 14)
    }

    @Test("unknown codes are recorded; forged codes are answered without touching the database", arguments: Backend.complete)
    func unknownAndForged(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let store = CountingScans(base: fixture.store)
        let app = try fixture.app(scans: store)
        let unknown = ServiceFixture.signer.code(for: CodeKey(rawValue: 12345))
        var forgedSymbols = Array(fixture.codes[0])
        forgedSymbols[5] = forgedSymbols[5] == "A" ? "B" : "A"
        let forged = String(forgedSymbols)
        let other = try CodeSigner(secret: Array("someone-elses-secret-0000".utf8)).code(for: CodeKey(rawValue: 999))
        try await app.test(.router) { client in
            let before = store.calls
            for fake in [forged, other, "NOTACODE", String(repeating: "Z", count: 17), "0000000000000000%21"] {
                let response = try await client.execute(uri: "/s/\(fake)", method: .get, headers: phone(json: true))
                #expect(response.status == .notFound)
                #expect(try response.json()["verdict"] as? String == "forged")
                let html = try await client.execute(uri: "/s/\(fake)", method: .get, headers: phone())
                #expect(html.status == .notFound && html.text.contains("Not a genuine code"))
            }
            let gs1 = try await client.execute(uri: "/01/06291041500213/21/\(other)", method: .get, headers: phone())
            #expect(gs1.status == .notFound)
            #expect(store.calls == before, "a forged code reached the store")
            let response = try await client.execute(uri: "/s/\(unknown)", method: .get, headers: phone(json: true))
            #expect(response.status == .notFound)
            #expect(try response.json()["verdict"] as? String == "unknown")
            #expect(store.recorded == 1)
        }
        #expect(try await fixture.scanCount(unknown) == 1)
        #expect(try await fixture.store.verdictCounts(batch: nil) == [.unknown: 1])
    }

    @Test("both URL forms, any case, query attributes ignored; bad GTINs are 400", arguments: Backend.complete)
    func urlForms(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let code = fixture.codes[3]
        try await app.test(.router) { client in
            for uri in ["/01/06291041500213/10/L1/21/\(code)", "/01/06291041500213/21/\(code.lowercased())?17=261231",
                        "/S/\(code.lowercased())", "/s/\(code)", "/01/6291041500213/21/\(code)"] {
                let response = try await client.execute(uri: uri, method: .get, headers: phone(json: true))
                #expect(response.status == .ok, "\(uri)")
                #expect(try response.json()["code"] as? String == code)
            }
            for uri in ["/01/06291041500214/21/\(code)", "/01/123/21/\(code)", "/01/0629104150021x/21/\(code)"] {
                let response = try await client.execute(uri: uri, method: .get, headers: phone())
                #expect(response.status == .badRequest, "\(uri)")
                #expect(response.text.contains("(01) GTIN"), "\(uri): \(response.text)")
            }
        }
        #expect(try await fixture.scanCount(code) == 5)
    }

    @Test("GS1 Digital Link syntax as GS1's engine checks it: each error a 400 naming what is wrong, nothing recorded; a trailing slash tolerated; a well-formed path with no link a 404 that says so",
          arguments: Backend.complete)
    func digitalLinkSyntax(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let code = fixture.codes[4]
        try await app.test(.router) { client in
            let refused: [(String, String)] = [
                ("/01/06291041500214/21/\(code)", "check digit"),
                ("/01/06291041500213/21/\(code)/foo", "/foo follows the last /AI/value pair"),
                ("/01/06291041500213/21/\(code)/10/L1", "/22/…, /10/…, /21/… in this order"),
                ("/01/06291041500213/21/" + String(repeating: "A", count: 21), "(21)"),  // a serial over 20 characters
                ("/01/06291041500213/10/L%7F1/21/\(code)", "(10)"),                     // a control character in the lot
                ("/01/06291041500213/21/\(code)?17=261399", "(17)"),                    // no 13th month
            ]
            for (uri, names) in refused {
                let response = try await client.execute(uri: uri, method: .get, headers: phone())
                #expect(response.status == .badRequest, "\(uri)")
                #expect(response.text.contains("GS1 Digital Link") && response.text.contains(names), "\(uri): \(response.text)")
            }
            let slash = try await client.execute(uri: "/01/06291041500213/21/\(code)/", method: .get, headers: phone(json: true))
            let slashCode = try slash.json()["code"] as? String
            #expect(slash.status == .ok && slashCode == code)
            for uri in ["/01/06291041500213/22/V1", "/01/06291041500213/235/X1"] {
                let response = try await client.execute(uri: uri, method: .get, headers: phone())
                #expect(response.status == .notFound, "\(uri)")
                #expect(response.text.contains("no link for (01)06291041500213"), "\(uri): \(response.text)")
            }
        }
        #expect(try await fixture.scanCount(code) == 1)
    }

    @Test("GS1 Digital Links as printed and as people mangle them: upper case, lots with '.', '-' and small letters, GTIN-8 and -12; another lot or GTIN, an unissued serial, a forged one",
          arguments: Backend.complete, [("96385074", "LOT-26.1A", true), ("036000291452", "b_7-x.2", false), ("6291041500213", "L1", true)])
    func gs1Links(_ backend: Backend, _ printed: (String, String, Bool)) async throws {
        let (gtin, lot, uppercase) = printed
        let fixture = try await ServiceFixture(backend: backend, count: 6, lot: lot, gtin: gtin, uppercase: uppercase)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let gtin14 = try GTIN(gtin).digits
        @Sendable func path(_ url: String) -> String { String(url.dropFirst("https://q.example.com".count)) }
        try await app.test(.router) { client in
            /// The status, verdict and reason a phone gets, as one line.
            func verdict(_ uri: String) async throws -> String {
                let response = try await client.execute(uri: uri, method: .get, headers: phone(json: true))
                let document = try response.json()
                return "\(response.status.code) \(document["verdict"] as? String ?? "-") \(document["reason"] as? String ?? "-")"
            }
            // The URL as printed (upper case when the batch is), and in lower case.
            #expect(fixture.urls[0] == (uppercase ? "HTTPS://Q.EXAMPLE.COM/01/\(gtin14)/10/\(lot.uppercased())/21/\(fixture.codes[0])"
                                                  : "https://q.example.com/01/\(gtin14)/10/\(lot)/21/\(fixture.codes[0])"))
            let printed = try await verdict(path(fixture.urls[0]))
            #expect(printed == "200 genuine first-scan", "\(fixture.urls[0])")
            let lower = try await verdict(path(fixture.urls[1]).lowercased())
            #expect(lower == "200 genuine first-scan")
            // The GTIN as the label's barcode carries it (8 or 12 digits), and as 14.
            let short = try await verdict("/01/\(gtin)/10/\(lot)/21/\(fixture.codes[2])")
            #expect(short == "200 genuine first-scan")
            let noLot = try await verdict("/01/\(gtin14)/21/\(fixture.codes[3])")  // without the lot
            #expect(noLot == "200 genuine first-scan")
            // A serial under another lot or GTIN was never issued so: unknown, with the reason.
            let otherLot = try await verdict("/01/\(gtin14)/10/OTHER-1/21/\(fixture.codes[4])")
            #expect(otherLot == "404 unknown lot-mismatch")
            let otherGTIN = try await verdict("/01/04006381333931/10/\(lot)/21/\(fixture.codes[4])")
            #expect(otherGTIN == "404 unknown gtin-mismatch")
            // A serial that checks but was never issued; one that does not check.
            let unissued = ServiceFixture.signer.code(for: CodeKey(rawValue: 0x0FED_CBA9_8765_4321))
            let never = try await verdict("/01/\(gtin14)/21/\(unissued)")
            #expect(never.hasPrefix("404 unknown"), "\(never)")
            var forged = Array(fixture.codes[5])
            forged[3] = forged[3] == "A" ? "B" : "A"
            let fake = try await verdict("/01/\(gtin14)/21/\(String(forged))")
            #expect(fake.hasPrefix("404 forged"), "\(fake)")
            // The mismatched scans were not counted against the real code: its own label still reads first.
            let real = try await verdict(path(fixture.urls[4]))
            #expect(real == "200 genuine first-scan")
        }
    }

    @Test("HEAD answers without counting; bots get the page but do not count", arguments: Backend.complete)
    func headAndBots(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let code = fixture.codes[4]
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/s/\(code)", method: .head, headers: phone()).status == .ok)
            #expect(try await client.execute(uri: "/s/AAAAAAAAAAAAAAAAA", method: .head, headers: phone()).status == .notFound)
            #expect(try await fixture.scanCount(code) == 0)
            for agent in ["facebookexternalhit/1.1", "WhatsApp/2.23", "Mozilla/5.0 (compatible; Googlebot/2.1)", "curl/8.0", ""] {
                let response = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(json: true, agent: agent))
                #expect(response.status == .ok)
                #expect(response.headers[.setCookie] == nil)
            }
            var prefetch = phone(json: true)
            prefetch[HTTPField.Name("Sec-Purpose")!] = "prefetch"
            #expect(try await client.execute(uri: "/s/\(code)", method: .get, headers: prefetch).status == .ok)
            // Still the first counted scan for a person.
            let response = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(json: true))
            #expect(try response.json()["verdict"] as? String == "genuine")
        }
        guard case let .valid(key, _) = ServiceFixture.signer.check(code) else { return }
        let scans = try await fixture.store.scans(of: key, limit: 100)
        #expect(scans.count == 7)
        #expect(scans.filter(\.bot).count == 6)
        #expect(scans.filter { !$0.bot }.count == 1)
        #expect(scans.allSatisfy { $0.bot == ($0.consumer == nil) })
    }

    @Test("HTML in the consumer's language, with product and batch, campaign and feedback places", arguments: Backend.complete)
    func htmlAndLanguage(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, lot: "LOT-7")
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        try await app.test(.router) { client in
            let zh = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(language: "zh-CN,zh;q=0.9,en;q=0.8"))
            #expect(zh.status == .ok)
            #expect(zh.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(zh.text.contains("<html lang=\"zh-CN\">") && zh.text.contains("正品") && zh.text.contains("批号"))
            #expect(zh.text.contains("LOT-7") && zh.text.contains("Tea 绿茶") && zh.text.contains(fixture.codes[0]))
            #expect(zh.text.contains("id=\"campaign\"") && zh.text.contains("id=\"feedback\""))
            #expect(!zh.text.contains("http://") && !zh.text.contains("https://"))  // no external assets
            let en = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone(language: "fr-FR, en;q=0.5, zh;q=0.1"))
            #expect(en.text.contains("Genuine product") && en.text.contains("<html lang=\"en\">"))
            let cookie = try #require(en.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age=63072000"))
            let repeatPage = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone())
            #expect(repeatPage.text.contains("scanned before") && repeatPage.text.contains("Times scanned"))
        }
        #expect(LandingPage.language(nil) == .en)
        #expect(LandingPage.language("zh-TW") == .zh)
        #expect(LandingPage.language("en;q=0.9, zh;q=0.95") == .zh)
        #expect(LandingPage.language("de, ja") == .en)
    }

    @Test("a product's name in the phone's language (the other's, then its name, when one is missing), its picture allowed by the page's policy alone", arguments: Backend.complete)
    func productNamesAndPicture(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let product = fixture.batch.productID
        _ = try await fixture.store.updateProduct(product, try ProductChange(nameZh: "绿茶 500 毫升", nameEn: "Green tea 500 ml",
                                                                             imageURL: "https://cdn.example.com:8443/tea.jpg"), audit: .test)
        let app = try fixture.app()
        try await app.test(.router) { client in
            let zh = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(language: "zh-CN"))
            #expect(zh.text.contains("绿茶 500 毫升") && !zh.text.contains("Green tea 500 ml") && !zh.text.contains("Tea 绿茶"))
            #expect(zh.text.contains(#"<img class="product" src="https://cdn.example.com:8443/tea.jpg" alt="绿茶 500 毫升""#))
            let policy = try #require(zh.headers[.contentSecurityPolicy])
            #expect(policy.contains("img-src 'self' data: https://cdn.example.com:8443;") && policy.contains("default-src 'none'"))
            let en = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone(language: "en-GB"))
            #expect(en.text.contains("Green tea 500 ml") && !en.text.contains("绿茶 500 毫升"))
            let document = try await client.execute(uri: "/s/\(fixture.codes[2])", method: .get, headers: phone(json: true, language: "en")).json()
            let shown = try #require(document["product"] as? [String: Any])
            #expect(shown["name"] as? String == "Green tea 500 ml" && shown["imageUrl"] as? String == "https://cdn.example.com:8443/tea.jpg")
        }
        // Without an English name an English phone reads the Chinese one; without either, the name; no picture, no other origin.
        _ = try await fixture.store.updateProduct(product, try ProductChange(nameEn: "", imageURL: ""), audit: .test)
        let later = try fixture.app()  // a new node: its catalogue reads the product as it is now
        try await later.test(.router) { client in
            let en = try await client.execute(uri: "/s/\(fixture.codes[3])", method: .get, headers: phone(language: "en"))
            #expect(en.text.contains("绿茶 500 毫升") && !en.text.contains("<img class=\"product\""))
            #expect(en.headers[.contentSecurityPolicy]?.contains("img-src 'self' data:;") == true)
        }
        _ = try await fixture.store.updateProduct(product, try ProductChange(nameZh: ""), audit: .test)
        try await fixture.app().test(.router) { client in
            let zh = try await client.execute(uri: "/s/\(fixture.codes[4])", method: .get, headers: phone(language: "zh"))
            #expect(zh.text.contains("Tea 绿茶"))
        }
        // What an image address must be.
        for bad in ["http://cdn.example.com/a.jpg", "https://", "javascript:alert(1)", "https://a.example/x y.jpg", "https://a.example/a;b",
                    "https://user@a.example/a.jpg", "https://a.example/\"onerror=x"] {
            #expect(throws: InputError.self, "\(bad)") { _ = try ProductChange(imageURL: bad) }
        }
        #expect(throws: InputError.self) { _ = try ProductChange() }  // nothing to change
        #expect(ProductImage.origin("https://CDN.example.com/a/b.png?x=1") == "https://cdn.example.com")
    }

    @Test("consented location: attached to the consumer's scan, region from the polygons; bad bodies are 400", arguments: Backend.complete)
    func location(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let code = fixture.codes[5]
        try await app.test(.router) { client in
            let scan = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone())
            let cookie = try #require(scan.cookie)
            var headers = phone(cookie: cookie)
            headers[.contentType] = "application/json"
            let ok = try await client.execute(uri: "/s/\(code)/location", method: .post, headers: headers,
                                              body: ByteBuffer(string: #"{"latitude": 31.23, "longitude": 121.47}"#))
            #expect(ok.status == .ok)
            #expect(try ok.json()["region"] as? String == "CN-31")
            for (body, field) in [(#"{"latitude": 91, "longitude": 0}"#, "latitude"), (#"{"latitude": 0, "longitude": -181}"#, "longitude"),
                                  (#"{"latitude": "x"}"#, "latitude"), ("not json", "body"), (#"{"longitude": 1}"#, "latitude")] {
                let response = try await client.execute(uri: "/s/\(code)/location", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.text.contains(field), "\(body): \(response.text)")
            }
            let big = ByteBuffer(string: #"{"latitude": 1, "longitude": 1, "pad": ""# + String(repeating: "x", count: 100_000) + "\"}")
            #expect(try await client.execute(uri: "/s/\(code)/location", method: .post, headers: headers, body: big).status == .contentTooLarge)
            var noCookie = phone()
            noCookie[.contentType] = "application/json"
            #expect(try await client.execute(uri: "/s/\(code)/location", method: .post, headers: noCookie,
                                             body: ByteBuffer(string: #"{"latitude": 1, "longitude": 1}"#)).status == .badRequest)
            let stranger = try await client.execute(uri: "/s/\(fixture.codes[6])/location", method: .post, headers: headers,
                                                    body: ByteBuffer(string: #"{"latitude": 1, "longitude": 1}"#))
            #expect(stranger.status == .notFound)
        }
        guard case let .valid(key, _) = ServiceFixture.signer.check(code) else { return }
        let stored = try #require(try await fixture.store.scans(of: key, limit: 1).first)
        #expect(stored.region == "CN-31" && stored.latitude == 31.23 && stored.longitude == 121.47)
    }

    @Test("bad input gets a 4xx, never a 5xx, and records nothing", arguments: Backend.complete, [
        "/s/" + String(repeating: "A", count: 65), "/s/%FF%FE", "/s/%00", "/01/06291041500213/21/%C3%28", "/s/", "/01/x",
        "/s/ABC/location", "/api", "/nothing", "/s/A4VGNXGZH9FV3EKFC/extra/path",
    ])
    func badInput(_ backend: Backend, uri: String) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 1)
        defer { fixture.folder.cleanup() }
        let store = CountingScans(base: fixture.store)
        let app = try fixture.app(scans: store)
        try await app.test(.router) { client in
            for method in [HTTPRequest.Method.get, .post, .put, .delete] {
                let response = try await client.execute(uri: uri, method: method, headers: phone())
                #expect((400..<500).contains(response.status.code), "\(method) \(uri): \(response.status)")
            }
        }
        #expect(store.recorded == 0)
    }

    @Test("per-IP rate limit answers 429 with Retry-After", arguments: Backend.complete)
    func rateLimit(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app(["rateLimit.perSecond": .init(.double(0.001), isSecret: false), "rateLimit.burst": .init(.double(3), isSecret: false)])
        try await app.test(.router) { client in
            var statuses: [Int] = []
            var retryAfter: String?
            for index in 0..<5 {
                let response = try await client.execute(uri: "/s/\(fixture.codes[index])", method: .get, headers: phone())
                statuses.append(response.status.code)
                if response.status == .tooManyRequests { retryAfter = response.headers[.retryAfter] }
            }
            #expect(statuses == [200, 200, 200, 429, 429])
            #expect(Int(retryAfter ?? "") ?? 0 >= 1)
        }
        #expect(try await fixture.store.verdictCounts(batch: nil)[.genuine] == 3)
    }

    @Test("a full writer queue answers 503 with Retry-After and the error body's code unavailable; every 200 is recorded", arguments: Backend.complete)
    func backpressure(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 40)
        defer { fixture.folder.cleanup() }
        let store = CountingScans(base: fixture.store, delay: .milliseconds(200))
        let app = try fixture.app(["writer.queueCapacity": .init(.int(4), isSecret: false), "writer.maxGroup": .init(.int(4), isSecret: false)], scans: store)
        try await app.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for code in fixture.codes {
                    group.addTask {
                        let response = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(json: true))
                        // README: a 503's body is the one error body, code `unavailable`.
                        let error = response.status == .serviceUnavailable ? try ReadmePromiseTests.error(response).code : nil
                        return (response.status.code, response.headers[.retryAfter].map { $0 + (error.map { " " + $0 } ?? "") })
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let ok = statuses.filter { $0.0 == 200 }.count
            let busy = statuses.filter { $0.0 == 503 }
            #expect(ok + busy.count == 40)
            #expect(!busy.isEmpty && busy.allSatisfy { $0.1 == "1 unavailable" }, "\(busy)")
            #expect(ok >= 4)
            #expect(try await fixture.store.verdictCounts(batch: nil)[.genuine] == ok)
        }
    }

    @Test("what a visitor typed is escaped on the page; pages are small and the first-scan time is shown", arguments: Backend.complete)
    func escapingAndSize(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        try await app.test(.router) { client in
            let evil = try await client.execute(uri: "/s/%3Cscript%3Ealert(1)%3C%2Fscript%3E", method: .get, headers: phone())
            #expect(evil.status == .notFound)
            #expect(!evil.text.lowercased().contains("<script>alert"))
            let quoted = try await client.execute(uri: "/s/%22%3E%3Cb%3Ex", method: .get, headers: phone())
            #expect(!quoted.text.contains("\"><B>") && !quoted.text.contains("\"><b>"))
            let first = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone())
            #expect(first.body.readableBytes < 8 * 1024)
            let again = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(cookie: first.cookie, language: "zh"))
            // The page shows Beijing time: take the year there, not in the machine's zone (they differ 16:00-24:00 UTC on 31 December).
            var beijing = Calendar(identifier: .gregorian)
            beijing.timeZone = TimeZone(identifier: "Asia/Shanghai")!
            let year = beijing.component(.year, from: Date())
            #expect(again.text.contains("首次扫码") && again.text.contains("\(year)-") && again.text.contains("(北京时间)"))
        }
        #expect(LandingPage.escape("<b>\"x\"&'") == "&lt;b&gt;&quot;x&quot;&amp;&#39;")
        // Both languages show the display zone's time, labelled (the English page said UTC before).
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!, utc = TimeZone(identifier: "UTC")!
        #expect(LandingPage.format(Date(timeIntervalSince1970: 0), .en, zone: shanghai) == "1970-01-01 08:00 (Beijing time)")
        #expect(LandingPage.format(Date(timeIntervalSince1970: 1_767_225_599), .zh, zone: shanghai) == "2026-01-01 07:59 (北京时间)")
        #expect(LandingPage.format(Date(timeIntervalSince1970: 951_782_400), .en, zone: utc) == "2000-02-29 00:00 UTC")
        // Summer and winter in Berlin; a zone west of UTC.
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        #expect(LandingPage.format(Date(timeIntervalSince1970: 1_782_900_000), .en, zone: berlin) == "2026-07-01 12:00 (UTC+02:00)")
        #expect(LandingPage.format(Date(timeIntervalSince1970: 1_767_225_599), .en, zone: berlin) == "2026-01-01 00:59 (UTC+01:00)")
        #expect(LandingPage.format(Date(timeIntervalSince1970: 0), .en, zone: TimeZone(identifier: "America/St_Johns")!) == "1969-12-31 20:30 (UTC-03:30)")
    }

    @Test("token bucket arithmetic, with the clock passed in")
    func tokenBucket() {
        let limiter = RateLimiter(rate: 2, burst: 2)
        let start: UInt64 = 1_000_000_000
        #expect(limiter.take("a", now: start) == nil)
        #expect(limiter.take("a", now: start) == nil)
        #expect(limiter.take("a", now: start) == 0.5)  // empty: the next token in half a second
        #expect(limiter.take("b", now: start) == nil)  // buckets are per client
        #expect(limiter.take("a", now: start + 500_000_000) == nil)
        #expect(limiter.take("a", now: start + 500_000_000) != nil)
        #expect(RateLimiter(rate: 0, burst: 1).take("a") == nil)  // 0 turns limiting off
    }
}


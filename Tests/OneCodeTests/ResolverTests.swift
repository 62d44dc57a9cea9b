import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OneCodeDomain
@testable import OneCodeService
import OneCodeStorage
import Testing

/// The GS1 Digital Link resolver: links by GS1 link type per GTIN and lot, the default link by language,
/// walk-up from a serial to its lot and GTIN, linksets valid against GS1's schema, the resolver
/// description; a resolution records no scan.
@Suite("GS1 resolver: links, default links, walk-up, linksets; a resolution is not a scan")
struct ResolverTests {
    static let gtin = "06291041500213"

    func link(_ type: String, _ href: String, lot: String? = nil, language: String? = nil, context: String? = nil, makeDefault: Bool = false) throws -> NewResolverLink {
        try NewResolverLink(gtin: Self.gtin, lot: lot, type: type, href: href, title: "\(type) \(language ?? "")", language: language, context: context,
                            makeDefault: makeDefault)
    }

    @Test("an item keeps exactly one default link: its first, or the one asked for; removing the default gives it to the oldest left; the schema refuses a second",
          arguments: Backend.complete)
    func defaults(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let store = fixture.store
        let first = try await store.addLink(try link("gs1:pip", "https://brand.example/en", language: "en"))
        let second = try await store.addLink(try link("gs1:pip", "https://brand.example/zh", language: "zh"))
        #expect(first.isDefault && !second.isDefault)
        let third = try await store.addLink(try link("gs1:instructions", "https://brand.example/how", makeDefault: true))
        let lotLink = try await store.addLink(try link("gs1:recallStatus", "https://brand.example/recall/L1", lot: "L1"))
        #expect(third.isDefault && lotLink.isDefault, "a lot is an item of its own: its first link is its default")
        var links = try await store.links(gtin: Self.gtin)
        #expect(links.filter { $0.lot == nil && $0.isDefault }.map(\.id) == [third.id])
        #expect(try await store.removeLink(third.id))
        links = try await store.links(gtin: Self.gtin)
        #expect(links.filter { $0.lot == nil && $0.isDefault }.map(\.id) == [first.id])
        #expect(try await !store.removeLink(third.id))
        // The schema keeps it too: a second default written behind the rules is refused.
        let sql = "UPDATE resolver_link SET is_default = \(backend == .sqlite ? "1" : "true") WHERE id = \(second.id)"
        await #expect(throws: (any Error).self) { try await backend.query(sql, in: fixture.folder) }
        #expect(try await store.links(gtin: nil).count == 3)
    }

    @Test("bad links are refused naming the field: a type outside GS1's vocabulary (with the nearest), a relative href, a lot outside GS1's characters, a bad GTIN")
    func validation() throws {
        #expect(throws: InputError("type", "'gs1:pipp' is not a GS1 link type (did you mean gs1:pip?); the types are GS1's Web Vocabulary's, e.g. gs1:pip, gs1:instructions")) {
            try link("gs1:pipp", "https://a.example")
        }
        #expect(throws: InputError("type", "gs1:productSustainabilityInfo is retired by GS1; use gs1:sustainabilityInfo")) {
            try link("productSustainabilityInfo", "https://a.example")
        }
        #expect(try link("https://gs1.org/voc/recipeInfo", "https://a.example").type == "gs1:recipeInfo")
        #expect(throws: InputError.self) { try link("gs1:pip", "/relative") }
        #expect(throws: InputError.self) { try link("gs1:pip", "javascript:alert(1)") }
        #expect(throws: InputError.self) { try link("gs1:pip", "https://a.example", lot: "L 1") }
        #expect(throws: InputError.self) { try link("gs1:pip", "https://a.example", language: "english") }
        #expect(throws: InputError.self) { try NewResolverLink(gtin: "06291041500214", lot: nil, type: "gs1:pip", href: "https://a.example", title: "t",
                                                              language: nil, context: nil, makeDefault: false) }
    }

    @Test("resolving over HTTP: default by Accept-Language, link types with 307/300/404, walk-up from a serial to its lot and GTIN, query passed on, linkset valid against GS1's schema, CORS, the description file; no scan recorded",
          arguments: Backend.complete)
    func resolving(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let store = fixture.store
        let code = fixture.codes[5]
        let app = try fixture.app()
        try await app.test(.router) { client in
            // No links yet: a plain product-level resolution has nowhere to go.
            let empty = try await client.execute(uri: "/01/\(Self.gtin)", method: .get, headers: phone())
            #expect(empty.status == .notFound && empty.text.contains("no default link"), "\(empty.text)")

            _ = try await store.addLink(try link("gs1:pip", "https://brand.example/en", language: "en"))
            _ = try await store.addLink(try link("gs1:pip", "https://brand.example/zh", language: "zh"))
            _ = try await store.addLink(try link("gs1:instructions", "https://brand.example/how", language: "en"))
            _ = try await store.addLink(try link("gs1:instructions", "https://brand.example/how-ios", language: "en", context: "ios"))
            _ = try await store.addLink(try link("gs1:recallStatus", "https://brand.example/recall/L1", lot: "L1"))

            func get(_ uri: String, _ headers: HTTPFields = phone()) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .get, headers: headers)
            }
            var response = try await get("/01/\(Self.gtin)", phone(language: "zh-CN,zh;q=0.9,en;q=0.5"))
            #expect(response.status == .temporaryRedirect && response.headers[.location] == "https://brand.example/zh")
            #expect(response.headers[values: HTTPField.Name("Link")!].contains { $0.contains("rel=\"linkset\"") && $0.contains("/01/\(Self.gtin)?linkType=linkset") })
            response = try await get("/01/\(Self.gtin)", phone(language: "fr, en;q=0.3"))
            #expect(response.headers[.location] == "https://brand.example/en")
            // Several instructions, nothing chooses: 300 with the list; a context chooses one.
            response = try await get("/01/\(Self.gtin)?linkType=gs1:instructions")
            #expect(response.status == .multipleChoices && response.text.contains("https://brand.example/how-ios") && response.text.contains("https://brand.example/how\""))
            response = try await get("/01/\(Self.gtin)?linkType=gs1:instructions&context=ios")
            #expect(response.status == .temporaryRedirect && response.headers[.location] == "https://brand.example/how-ios")
            // Lot level and walk-up: the lot's recall link; none at the GTIN's own level.
            response = try await get("/01/\(Self.gtin)/10/L1?linkType=gs1:recallStatus")
            #expect(response.status == .temporaryRedirect && response.headers[.location] == "https://brand.example/recall/L1")
            response = try await get("/01/\(Self.gtin)?linkType=gs1:recallStatus")
            #expect(response.status == .notFound && response.text.contains("no gs1:recallStatus link"), "\(response.text)")
            // From a serialised item (a till or an app asking for a link type): walk-up, the query passed on, no scan.
            response = try await get("/01/\(Self.gtin)/10/L1/21/\(code)?linkType=gs1:recallStatus")
            #expect(response.headers[.location] == "https://brand.example/recall/L1")
            response = try await get("/01/\(Self.gtin)/21/\(code)?linkType=pip&utm_source=till", phone(language: "en"))
            #expect(response.status == .temporaryRedirect && response.headers[.location] == "https://brand.example/en?utm_source=till")
            response = try await get("/01/\(Self.gtin)/21/\(code)?linkType=gs1:nonsense")
            #expect(response.status == .badRequest && response.text.contains("linkType"), "\(response.text)")
            #expect(try await fixture.scanCount(code) == 0)

            // The linkset, asked for by link type or by Accept, valid against GS1's schema.
            let linkset = try await get("/01/\(Self.gtin)/10/L1/21/\(code)?linkType=linkset")
            #expect(linkset.status == .ok && linkset.headers[.contentType] == "application/linkset+json")
            #expect(linkset.headers[values: HTTPField.Name("Link")!].contains { $0.contains("json-ld#context") })
            let document = try JSONSerialization.jsonObject(with: Data(linkset.text.utf8)) as? [String: Any]
            let entry = try #require((document?["linkset"] as? [[String: Any]])?.first)
            #expect((entry["anchor"] as? String)?.hasSuffix("/01/\(Self.gtin)/10/L1/21/\(code)") == true)
            #expect(((entry["https://gs1.org/voc/defaultLink"] as? [[String: Any]])?.first?["href"] as? String) == entry["anchor"] as? String,
                    "a serialised item's default link is its scan page")
            #expect((entry["https://gs1.org/voc/recallStatus"] as? [[String: Any]])?.count == 1)
            #expect((entry["https://gs1.org/voc/pip"] as? [[String: Any]])?.count == 2)
            let file = fixture.folder.file("linkset.json")
            try Data(linkset.text.utf8).write(to: URL(fileURLWithPath: file))
            let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Vectors/gs1-linkset-schema.json").path
            let checked = try await Run.run("/usr/bin/env", ["python3", "-c", """
                import json, sys, jsonschema
                jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))
                """, file, schema])
            #expect(checked.status == 0, "the linkset breaks GS1's schema: \(checked.stderr)")
            var accept = phone()
            accept[.accept] = "application/linkset+json"
            response = try await get("/01/\(Self.gtin)", accept)
            #expect(response.status == .ok && response.text.contains("https://gs1.org/voc/defaultLink") && response.text.contains("https://brand.example/en"))
            #expect(try await fixture.scanCount(code) == 0)

            // CORS for apps in browsers, and the description file.
            let options = try await client.execute(uri: "/01/\(Self.gtin)/21/\(code)", method: .options)
            #expect(options.status == .noContent && options.headers[.accessControlAllowOrigin] == "*")
            let description = try await get("/.well-known/gs1resolver")
            let described = try JSONSerialization.jsonObject(with: Data(description.text.utf8)) as? [String: Any]
            #expect(description.status == .ok && (described?["supportedPrimaryKeys"] as? [String]) == ["01"] && described?["resolverRoot"] as? String != nil)

            // A phone's plain scan of the serialised item is still a scan.
            response = try await get("/01/\(Self.gtin)/10/L1/21/\(code)", phone(json: true))
            #expect(response.status == .ok)
            #expect(try await fixture.scanCount(code) == 1)

            // The resolutions above by day and link type (a refused link type and the phone's scan are not resolutions).
            let report = try await ChannelTests.call(client, .get, "/api/reports/resolutions", token: try await fixture.token(.marketing))
            let items = try report.json()["items"] as? [[String: Any]] ?? []
            let counted = Dictionary(uniqueKeysWithValues: items.map { ($0["linkType"] as? String ?? "", $0["resolutions"] as? Int ?? 0) })
            #expect(counted == ["default": 3, "gs1:instructions": 2, "gs1:recallStatus": 3, "gs1:pip": 1, "linkset": 2], "\(report.text)")
            #expect(items.allSatisfy { $0["day"] as? String == Date.ISO8601FormatStyle.iso8601.year().month().day().format(Date()) })
        }
        let cli = try await Run.run(Run.onecode, ["report", "resolutions", "--format", "csv", "--database", try backend.database(fixture.folder)],
                                    cwd: fixture.folder.path, environment: ["ONECODE_CODES_SECRET": ServiceFixture.secret])
        #expect(cli.status == 0 && cli.stdout.contains("day (UTC),link type,resolutions") && cli.stdout.contains(",gs1:recallStatus,3"),
                "\(cli.stdout) \(cli.stderr)")
    }

    @Test("onecode link add, list and remove: the operator's view, errors named, on both backends", arguments: Backend.complete)
    func cli(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let database = try await backend.database(fixture.folder)
        let environment = DurabilityTests.environment.merging(["ONECODE_CODES_SECRET": ServiceFixture.secret]) { $1 }
        func onecode(_ arguments: [String]) async throws -> ProcessResult {
            try await Run.run(Run.onecode, arguments + ["--database", database], cwd: fixture.folder.path, environment: environment, timeout: 60)
        }
        let added = try await onecode(["link", "add", "--gtin", "6291041500213", "--type", "pip", "--href", "https://brand.example/tea", "--title", "Jasmine tea",
                                 "--language", "en"])
        #expect(added.status == 0 && added.stdout.contains("link 1: gs1:pip for GTIN 06291041500213 (default) → https://brand.example/tea"), "\(added)")
        let lot = try await onecode(["link", "add", "--gtin", "06291041500213", "--lot", "L1", "--type", "gs1:recallStatus", "--href", "https://brand.example/recall",
                               "--title", "Recall"])
        #expect(lot.status == 0, "\(lot.stderr)")
        let typo = try await onecode(["link", "add", "--gtin", "06291041500213", "--type", "gs1:instructons", "--href", "https://brand.example/how", "--title", "How"])
        #expect(typo.status == 1 && typo.stderr.contains("error: type: 'gs1:instructons' is not a GS1 link type (did you mean gs1:instructions?)"), "\(typo.stderr)")
        let relative = try await onecode(["link", "add", "--gtin", "06291041500213", "--type", "pip", "--href", "/tea", "--title", "Tea"])
        #expect(relative.status == 1 && relative.stderr.contains("error: href: must be an absolute http or https URL"), "\(relative.stderr)")
        let list = try await onecode(["link", "list", "--gtin", "06291041500213"])
        #expect(list.status == 0 && list.stdout.contains("gs1:recallStatus") && list.stdout.contains("L1") && list.stdout.contains("yes"), "\(list.stdout)")
        #expect(try await fixture.store.links(gtin: nil).count == 2)
        let removed = try await onecode(["link", "remove", "1"])
        #expect(removed.status == 0 && removed.stdout.contains("link 1 removed"))
        let again = try await onecode(["link", "remove", "1"])
        #expect(again.status == 1 && again.stderr.contains("error: id: no link with id 1"), "\(again.stderr)")
        #expect(try await fixture.store.links(gtin: nil).map(\.type) == ["gs1:recallStatus"])
    }

    @Test("a phone opening a serialised item's GS1 Digital Link: the scan recorded at resolution, a 307 to its verdict page on this origin, shown from a signed receipt (never recorded again, not replayable into another scan); errors answered at once",
          arguments: Backend.complete)
    func phoneRedirect(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let code = fixture.codes[6]
        let app = try fixture.app()
        try await app.test(.router) { client in
            let first = try await client.execute(uri: "/01/\(Self.gtin)/10/L1/21/\(code)", method: .get, headers: phone())
            #expect(first.status == .temporaryRedirect)
            let location = try #require(first.headers[.location])
            #expect(location.hasPrefix("/s/\(code)?r="), "\(location)")
            #expect(first.headers[values: HTTPField.Name("Link")!].contains { $0.contains("rel=\"linkset\"") })
            let cookie = try #require(first.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            #expect(try await fixture.scanCount(code) == 1, "the scan is recorded at resolution, before the answer")
            // The verdict page, from the receipt: the genuine page, the same consumer, nothing recorded again.
            let page = try await client.execute(uri: location, method: .get, headers: phone(cookie: cookie))
            #expect(page.status == .ok && page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains(code) && page.text.localizedCaseInsensitiveContains("genuine"), "\(page.text.prefix(400))")
            let again = try await client.execute(uri: location, method: .get, headers: phone(cookie: cookie))
            #expect(again.status == .ok && again.text == page.text)
            #expect(try await fixture.scanCount(code) == 1, "showing the receipt again records nothing")
            // A receipt changed by hand, one for another code, or one past its life: 410, nothing recorded.
            var tampered = Array(location)
            let index = tampered.index(tampered.startIndex, offsetBy: location.count / 2 + 10)
            tampered[index] = tampered[index] == "A" ? "B" : "A"
            let seal = ScanReceipt.Seal(signer: ServiceFixture.signer)
            let old = try seal.seal(ScanReceipt(ScanResult(scanID: 1, verdict: .genuine, reason: .firstScan, batchID: nil, scanCount: 1, firstScanAt: nil),
                                                code: code, at: Date() - 3600))
            let other = fixture.codes[7]
            for uri in [String(tampered), location.replacingOccurrences(of: "/s/\(code)", with: "/s/\(other)"), "/s/\(code)?r=\(old)"] {
                let refused = try await client.execute(uri: uri, method: .get, headers: phone(cookie: cookie))
                #expect(refused.status == .gone, "\(uri)")
            }
            #expect(try await fixture.scanCount(code) == 1)
            #expect(try await fixture.scanCount(other) == 0)
            // Errors are answered at once: a forged serial is a 404 page, never a redirect to a 200.
            let forged = try await client.execute(uri: "/01/\(Self.gtin)/21/\(String(code.dropLast()) + (code.hasSuffix("A") ? "B" : "A"))", method: .get, headers: phone())
            #expect(forged.status == .notFound && forged.headers[.location] == nil)
            // An app asking for JSON gets the verdict in the answer (one scan, no redirect).
            let json = try await client.execute(uri: "/01/\(Self.gtin)/21/\(fixture.codes[8])", method: .get, headers: phone(json: true))
            let verdict = try json.json()["verdict"] as? String
            #expect(json.status == .ok && verdict == "genuine")
        }
    }

    @Test("a receipt opens to exactly what was sealed (draws with a '|' in their names, no batch, points), only for its code, only untouched, only in its life")
    func receiptRoundTrip() throws {
        let seal = ScanReceipt.Seal(signer: ServiceFixture.signer)
        var draw = DrawOutcome(campaign: CampaignID(rawValue: 3), campaignName: "Spring | 春季", result: .won, tier: 0,
                               prize: PrizeTier(name: "Tea | 茶", kind: .goods, value: 1, probability: 0.1, stock: 10, dailyStock: nil), new: true, entryID: 42)
        draw.claimable = true
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let receipt = ScanReceipt(ScanResult(scanID: 7, verdict: .repeat, reason: .scannedBefore, batchID: BatchID(rawValue: 2), scanCount: 3,
                                             firstScanAt: Date(timeIntervalSince1970: 1_700_000_000.5), draws: [draw], points: 40),
                                  code: "ABC", at: now)
        let sealed = try seal.seal(receipt)
        #expect(seal.open(sealed, code: "ABC", at: now) == receipt)
        #expect(seal.open(sealed, code: "ABD", at: now) == nil)
        #expect(seal.open(sealed, code: "ABC", at: now + ScanReceipt.life + 1) == nil)
        #expect(seal.open("x" + sealed.dropFirst(), code: "ABC", at: now) == nil)
        let bare = ScanReceipt(ScanResult(scanID: 8, verdict: .genuine, reason: .firstScan, batchID: nil, scanCount: 1, firstScanAt: nil), code: "ABC", at: now)
        #expect(seal.open(try seal.seal(bare), code: "ABC", at: now) == bare)
        // Another secret's seal does not open.
        let other = ScanReceipt.Seal(signer: try CodeSigner(secret: [UInt8](repeating: 7, count: 32)))
        #expect(other.open(sealed, code: "ABC", at: now) == nil)
    }

    @Test("receipts' base64url is RFC 4648's: the same text as Foundation's base64 with - and _ and no padding, read back to the same bytes; other characters and impossible lengths are refused (seed printed)")
    func base64url() {
        let seed = TestSeed.make("base64url")
        var generator = SeededGenerator(seed: seed)
        for length in 0...80 {
            let bytes = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            // The independent reading: Foundation's base64, its alphabet's two symbols swapped and the padding dropped.
            let expected = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            let text = ScanReceipt.Seal.base64url(bytes)
            #expect(text == expected, "seed \(seed), length \(length)")
            #expect(ScanReceipt.Seal.data(base64url: Substring(text)) == bytes, "seed \(seed), length \(length)")
        }
        for bad in ["A", "AAAAA", "AB+C", "AB/C", "AB=C", "AB C", "Ab_é"] { #expect(ScanReceipt.Seal.data(base64url: Substring(bad)) == nil, "\(bad)") }
        #expect(ScanReceipt.Seal.data(base64url: "AA") == Data([0]) && ScanReceipt.Seal.data(base64url: "AB") == nil)  // "AB" leaves a bit set
    }
}

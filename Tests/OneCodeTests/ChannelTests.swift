import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OneCodeDomain
import OneCodeApplication
@testable import OneCodeService
import OneCodeStorage
import OneCodeRulebook
import Synchronization
import Testing

/// The channel: units packed into cases and pallets on the packing line, shipped to dealers with
/// territories, and a consumer scan outside the territory of the dealer an item was last shipped to
/// raising one diversion naming that dealer; on both backends, over a real HTTP server.
@Suite("Channel: packing, shipments, dealers and diversion")
struct ChannelTests {
    /// A JSON call to the admin API.
    static func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String,
                     _ body: Any? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
        }
        let started = Date()
        do {
            return try await client.execute(uri: uri, method: method, headers: headers, body: buffer)
        } catch {
            // Which request, and how long it waited: a timeout alone says neither.
            Issue.record("\(method) \(uri) failed after \(String(format: "%.1f", Date().timeIntervalSince(started))) s: \(error)")
            throw error
        }
    }

    /// Issues and activates a batch of `kind` over the API; returns its codes.
    static func issue(_ client: some TestClientProtocol, _ fixture: ServiceFixture, kind: String, count: Int, token: String) async throws -> [String] {
        let created = try await call(client, .post, "/api/batches", token: token, ["product": fixture.product.id.rawValue, "count": count, "kind": kind])
        #expect(created.status == .created, "\(created.text)")
        let batch = try created.json()
        #expect(batch["kind"] as? String == kind)
        let id = batch["id"] as? Int ?? 0
        #expect(try await call(client, .post, "/api/batches/\(id)/activate", token: token).status == .ok)
        let zip = try await call(client, .get, "/api/batches/\(id)/package.zip", token: token)
        let file = fixture.folder.file("batch-\(id).zip")
        try Data(buffer: zip.body).write(to: URL(fileURLWithPath: file))
        let csv = try await Run.run("/usr/bin/unzip", ["-p", file, "batch-\(id)/codes.csv"])
        return CodesCSV(text: csv.stdout).codes
    }

    static func events(_ fixture: ServiceFixture, _ type: String) async throws -> [[String: Any]] {
        try await fixture.store.events(after: 0, limit: 1000).filter { $0.type == type }.map {
            (try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any])?["data"] as? [String: Any] ?? [:]
        }
    }

    @Test("end to end: issue cases, pack units, ship to dealer A (CN-31); a scan in CN-44 raises exactly one diversion naming A; re-packing moves a bottle and its next scan follows the new case; a bad child leaves nothing written",
          arguments: Backend.complete)
    func endToEnd(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 24)
        defer { fixture.folder.cleanup() }
        try await GeoTests.makeMMDB(fixture.folder.file("geo.mmdb"))  // 127.0.0.0/8 is CN-44: every scan here surfaces in Guangdong
        let issuer = try await fixture.token(.issuer), sales = try await fixture.token(.sales)
        let units = fixture.codes
        try await fixture.app(["geoip.file": .init(.string(fixture.folder.file("geo.mmdb")), isSecret: false)]).test(.live) { client in
            let cases = try await Self.issue(client, fixture, kind: "case", count: 3, token: issuer)
            let pallets = try await Self.issue(client, fixture, kind: "pallet", count: 1, token: issuer)
            // The packing line: a pallet of two cases of ten bottles in one call (children as printed URLs, as scanners read them).
            let packed = try await Self.call(client, .post, "/api/aggregations", token: issuer, ["packings": [
                ["parent": cases[0], "children": Array(fixture.urls[0..<10])],
                ["parent": cases[1], "children": Array(units[10..<20])],
                ["parent": pallets[0], "children": [cases[0], cases[1]]],
            ]])
            #expect(packed.status == .created, "\(packed.text)")
            #expect(try packed.json()["bound"] as? Int == 22)

            // A bad child leaves nothing written: a forged code, an unknown code, a pallet in a case, a level refused with its position.
            let unknown = ServiceFixture.signer.code(for: CodeKey(rawValue: 0x0ABC_DEF0_1234_567))
            let forged = try CodeSigner(secret: Array("another-secret-0123456789".utf8)).code(for: CodeKey(rawValue: 42))
            for (children, position, message) in [
                ([units[20], units[21], forged], "children[2]", "fails the keyed check"),
                ([units[20], "ZZZZZZZZZZZZZZZZZ"], "children[1]", "mistyped"),
                ([units[20], unknown], "children[1]", "unknown"),
                ([units[20], pallets[0]], "children[1]", "holds only codes of a lower level"),
                ([units[20], units[0]], "children[1]", "already"),
            ] {
                let refused = try await Self.call(client, .post, "/api/aggregations", token: issuer, ["parent": cases[2], "children": children])
                #expect(refused.status == .badRequest || refused.status == .conflict, "\(refused.text)")
                #expect(refused.text.contains(position) && refused.text.contains(message), "\(refused.text)")
            }
            let empty = try await Self.call(client, .get, "/api/codes/\(cases[2])/chain", token: sales)
            #expect(try empty.json()["childCount"] as? Int == 0, "nothing of a refused call is written: \(empty.text)")

            let a = try await Self.call(client, .post, "/api/dealers", token: issuer, ["name": "Dealer A", "territory": "CN-31", "contact": "Wang 139"])
            let b = try await Self.call(client, .post, "/api/dealers", token: issuer, ["name": "Dealer B", "territory": ["CN-44", "CN-45"]])
            #expect(a.status == .created && b.status == .created, "\(a.text) \(b.text)")
            let dealerA = try a.json()["id"] as? Int ?? 0, dealerB = try b.json()["id"] as? Int ?? 0
            #expect(try await Self.call(client, .post, "/api/dealers", token: issuer, ["name": "Dealer C", "territory": "Shanghai"]).status == .badRequest)
            #expect(try await Self.call(client, .post, "/api/dealers", token: issuer, ["name": "Dealer A", "territory": "CN"]).status == .conflict)
            let warehouse = try await Self.call(client, .post, "/api/warehouses", token: issuer, ["name": "Suzhou DC", "region": "CN-32"])
            let warehouseID = try warehouse.json()["id"] as? Int ?? 0

            // The pallet (both cases, 20 bottles) to A; then A passes case 1 on to B; shipping the pallet again from the warehouse is refused.
            let shipped = try await Self.call(client, .post, "/api/shipments", token: issuer,
                                              ["dealer": dealerA, "warehouse": warehouseID, "codes": [pallets[0]]])
            #expect(shipped.status == .created, "\(shipped.text)")
            let again = try await Self.call(client, .post, "/api/shipments", token: issuer, ["dealer": dealerB, "codes": [pallets[0]]])
            #expect(again.status == .conflict && again.text.contains("codes[0]") && again.text.contains("Dealer A"), "\(again.text)")
            let passed = try await Self.call(client, .post, "/api/shipments", token: issuer, ["dealer": dealerB, "from": dealerA, "codes": [cases[1]]])
            #expect(passed.status == .created, "\(passed.text)")

            // A bottle of case 0 (A, CN-31) scanned in CN-44: one diversion naming A, however often it is scanned.
            #expect(try await client.execute(uri: "/s/\(units[3])", method: .get, headers: phone()).status == .ok)
            #expect(try await client.execute(uri: "/s/\(units[3])", method: .get, headers: phone()).status == .ok)
            // A bottle of case 1 (passed on to B, CN-44) scanned in CN-44: none.
            #expect(try await client.execute(uri: "/s/\(units[12])", method: .get, headers: phone()).status == .ok)
            var diversions = try await Self.events(fixture, "diversion.detected")
            #expect(diversions.count == 1, "\(diversions)")
            #expect(diversions.first?["code"] as? String == units[3] && diversions.first?["dealerId"] as? Int == dealerA
                    && diversions.first?["region"] as? String == "CN-44" && diversions.first?["territory"] as? [String] == ["CN-31"], "\(diversions)")

            // Re-packing: bottle 13 moves from case 1 (B) into case 0 (A), recorded; its next scan follows case 0 to A.
            let moved = try await Self.call(client, .post, "/api/aggregations", token: issuer, ["parent": cases[0], "children": [units[13]], "replace": true])
            #expect(try moved.json()["moved"] as? Int == 1, "\(moved.text)")
            let chain = try await Self.call(client, .get, "/api/codes/\(units[13])/chain", token: sales).json()
            #expect((chain["packedIn"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == [cases[0], pallets[0]], "\(chain)")
            #expect((chain["shippedTo"] as? [String: Any])?["dealerId"] as? Int == dealerA)
            #expect(try await client.execute(uri: "/s/\(units[13])", method: .get, headers: phone()).status == .ok)
            diversions = try await Self.events(fixture, "diversion.detected")
            #expect(diversions.map { $0["code"] as? String } == [units[3], units[13]], "\(diversions)")

            // The pallet's chain both ways, its cases paged; the report by dealer and region, as JSON and CSV.
            let page1 = try await Self.call(client, .get, "/api/codes/\(cases[0])/chain?limit=4", token: sales).json()
            #expect(page1["childCount"] as? Int == 11 && (page1["children"] as? [Any])?.count == 4)
            let next = page1["next"] as? String ?? ""
            let page2 = try await Self.call(client, .get, "/api/codes/\(cases[0])/chain?limit=4&after=\(next)", token: sales).json()
            let first = (page1["children"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            let second = (page2["children"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(second.count == 4 && Set(first).isDisjoint(with: second))
            let report = try await Self.call(client, .get, "/api/reports/dealer-diversion", token: sales).json()
            let rows = report["items"] as? [[String: Any]] ?? []
            #expect(rows.count == 1 && rows.first?["dealerId"] as? Int == dealerA && rows.first?["region"] as? String == "CN-44"
                    && rows.first?["units"] as? Int == 2, "\(report)")
            let csv = try await Self.call(client, .get, "/api/reports/dealer-diversion?format=csv", token: sales).text
            #expect(csv.hasPrefix("dealer_id,dealer,territory,region,units,first_at,last_at") && csv.contains("Dealer A,CN-31,CN-44,2,"), "\(csv)")
            // Scopes: sales reads, only issuers pack and ship.
            #expect(try await Self.call(client, .post, "/api/shipments", token: sales, ["dealer": dealerA, "codes": [units[22]]]).status == .forbidden)

            // The history as EPCIS 2.0, two events a page, following the Link header: 3 packings, an unpacking and a re-packing, 2 shipments.
            var events: [[String: Any]] = []
            var uri: String? = "/api/epcis/events?limit=2"
            var pages = 0
            while let next = uri, pages < 20 {
                let page = try await Self.call(client, .get, next, token: sales)
                #expect(page.status == .ok && page.headers[.contentType] == "application/ld+json", "\(page.text)")
                events += (try page.json()["epcisBody"] as? [String: Any])?["eventList"] as? [[String: Any]] ?? []
                uri = page.headers[.link].flatMap { $0.split(separator: ">").first.map { String($0.dropFirst()) } }
                pages += 1
            }
            #expect(pages == 4, "\(pages) pages")
            #expect(events.map { "\($0["type"]!) \($0["action"]!) \($0["bizStep"]!)" }.sorted() == [
                "AggregationEvent ADD packing", "AggregationEvent ADD packing", "AggregationEvent ADD packing", "AggregationEvent ADD packing",
                "AggregationEvent DELETE unpacking", "ObjectEvent OBSERVE shipping", "ObjectEvent OBSERVE shipping"], "\(events)")
            #expect(Set(events.compactMap { $0["eventID"] as? String }).count == 7)
            let repacked = events.first { $0["action"] as? String == "DELETE" }
            #expect((repacked?["childEPCs"] as? [String]) == ["https://q.example.com/01/06291041500213/21/\(units[13])"], "\(repacked ?? [:])")
            let document = EPCISExport.document(events)
            try EPCISExport.json(document).write(to: URL(fileURLWithPath: fixture.folder.file("epcis.json")))
            let valid = try await Run.run("python3", [ChannelTests.validator, fixture.folder.file("epcis.json"), ChannelTests.standards])
            #expect(valid.status == 0 && valid.stdout.contains("ok 7 events"), "\(valid.stdout) \(valid.stderr)")
            #expect(try await Self.call(client, .get, "/api/epcis/events?type=Shipping", token: sales).status == .badRequest)
            #expect(try await Self.call(client, .get, "/api/epcis/events?after=1.2", token: sales).status == .badRequest)
        }
        // The command line writes the same history as one document.
        let exported = try await Run.run(Run.onecode, ["epcis", "export", "--database", try backend.database(fixture.folder), "--type", "ObjectEvent",
                                                       "--out", fixture.folder.file("shipments.json")],
                                         cwd: fixture.folder.path, environment: ["ONECODE_CODES_SECRET": ServiceFixture.secret,
                                                                                 "ONECODE_CODES_BASE_URL": "https://q.example.com"])
        #expect(exported.status == 0 && exported.stderr.contains("wrote 2 EPCIS events"), "\(exported.stderr)")
        let shipments = try await Run.run("python3", [ChannelTests.validator, fixture.folder.file("shipments.json"), ChannelTests.standards])
        #expect(shipments.status == 0 && shipments.stdout.contains("ok 2 events"), "\(shipments.stdout) \(shipments.stderr)")
    }

    static let validator = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("epcis/validate.py").path
    static let standards = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/standards").path

    @Test("a dealer delivers a case to a store (CLI and API): the chain names the store, a scan with no region surfaces in the store's region, the case goes no further; a dealer is a lead with what sold through, its deliveries and diversions; EPCIS ships it to the store",
          arguments: Backend.complete)
    func storeDelivery(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 24)
        defer { fixture.folder.cleanup() }
        let issuer = try await fixture.token(.issuer), sales = try await fixture.token(.sales), marketing = try await fixture.token(.marketing)
        let store = try await fixture.store.addStore(name: "Canton Mart", region: "CN-44", tokenHash: TokenSecret.generate().hash, audit: .test)
        let units = fixture.codes
        try await fixture.app().test(.router) { client in
            let cases = try await Self.issue(client, fixture, kind: "case", count: 3, token: issuer)
            let packed = try await Self.call(client, .post, "/api/aggregations", token: issuer, ["packings": [
                ["parent": cases[0], "children": Array(units[0..<10])], ["parent": cases[1], "children": Array(units[10..<20])],
                ["parent": cases[2], "children": Array(units[20..<24])]]])
            #expect(packed.status == .created, "\(packed.text)")
            let dealer = try await Self.call(client, .post, "/api/dealers", token: issuer, ["name": "Shanghai Trading", "territory": "CN-31"])
            let dealerID = try dealer.json()["id"] as? Int ?? 0
            let other = try await Self.call(client, .post, "/api/dealers", token: issuer, ["name": "Suzhou Sub", "territory": "CN-32"])
            let otherID = try other.json()["id"] as? Int ?? 0
            #expect(try await Self.call(client, .post, "/api/shipments", token: issuer, ["dealer": dealerID, "codes": cases]).status == .created)

            // Refused, naming the field: no destination, both, a delivery without its dealer, from a warehouse.
            for (body, field) in [(["codes": [cases[1]]], "dealer"), (["dealer": dealerID, "store": store.id.rawValue, "codes": [cases[1]]], "store"),
                                  (["store": store.id.rawValue, "codes": [cases[1]]], "from"),
                                  (["store": store.id.rawValue, "from": dealerID, "warehouse": 1, "codes": [cases[1]]], "warehouse")] as [([String: Any], String)] {
                let refused = try await Self.call(client, .post, "/api/shipments", token: issuer, body)
                #expect(refused.status.code / 100 == 4 && refused.status != .created && refused.text.contains(field), "\(body): \(refused.text)")
            }
            let delivered = try await Self.call(client, .post, "/api/shipments", token: issuer,
                                                ["store": store.id.rawValue, "from": dealerID, "codes": [cases[0]]])
            let deliveredBody = try delivered.json()
            #expect(delivered.status == .created && deliveredBody["store"] as? Int == Int(store.id.rawValue) && deliveredBody["dealer"] as? Int == dealerID,
                    "\(delivered.text)")
            // Delivered: it goes no further, neither to the store again nor to a sub-dealer.
            for body in [["store": store.id.rawValue, "from": dealerID, "codes": [cases[0]]], ["dealer": otherID, "from": dealerID, "codes": [cases[0]]]] {
                let again = try await Self.call(client, .post, "/api/shipments", token: issuer, body)
                #expect(again.status == .conflict && again.text.contains("delivered to store \(store.id)"), "\(again.text)")
            }
            // The chain names the store; the dealer stays the shipment's.
            let chain = try await Self.call(client, .get, "/api/codes/\(units[0])/chain", token: issuer).json()["shippedTo"] as? [String: Any]
            #expect(chain?["storeId"] as? Int == Int(store.id.rawValue) && chain?["store"] as? String == "Canton Mart" && chain?["dealerId"] as? Int == dealerID,
                    "\(String(describing: chain))")

            // No GeoIP here: a delivered unit surfaces in the store's CN-44, outside the dealer's CN-31; an undelivered one has no region.
            for code in [units[0], units[1], units[10]] {
                #expect(try await client.execute(uri: "/s/\(code)", method: .get, headers: phone()).status == .ok)
            }
            let diversions = try await Self.events(fixture, "diversion.detected")
            #expect(diversions.compactMap { $0["code"] as? String }.sorted() == [units[0], units[1]].sorted()
                    && diversions.allSatisfy { $0["region"] as? String == "CN-44" && $0["dealerId"] as? Int == dealerID }, "\(diversions)")

            // Dealers' profiles and leads: what sold through, deliveries and diversions.
            let dealers = try await Self.call(client, .get, "/api/dealers", token: sales).json()["items"] as? [[String: Any]] ?? []
            let profile = dealers.first { $0["id"] as? Int == dealerID }
            #expect(profile?["shipments"] as? Int == 1 && profile?["codesShipped"] as? Int == 3 && profile?["unitsSold"] as? Int == 3
                    && profile?["deliveries"] as? Int == 1 && profile?["diversions"] as? Int == 2, "\(dealers)")
            #expect(try await Self.call(client, .post, "/api/segments/refresh", token: marketing).status == .ok)
            let leads = try await Self.call(client, .get, "/api/leads", token: sales).json()["items"] as? [[String: Any]] ?? []
            let lead = leads.first { $0["kind"] as? String == "dealer" && $0["id"] as? String == String(dealerID) }
            #expect(lead?["name"] as? String == "Shanghai Trading" && lead?["reasons"] as? [String] == [
                "1 shipment received (3 codes), 3 units of them sold through (scanned by consumers)", "1 delivery to a store",
                "2 units of its goods scanned outside its territory, in 1 region"], "\(leads)")
            #expect(lead?["score"] as? Double == 1.5, "\(String(describing: lead))")
            #expect(!leads.contains { $0["kind"] as? String == "dealer" && $0["id"] as? String == String(otherID) }, "nothing shipped to it: no lead")
            let created = try await Self.events(fixture, "lead.created").filter { $0["kind"] as? String == "dealer" }
            #expect(created.count == 1, "\(created)")

            // EPCIS: the delivery is an ObjectEvent shipping from the dealer to the store's location.
            let history = try await Self.call(client, .get, "/api/epcis/events?type=ObjectEvent", token: issuer)
            try Data(buffer: history.body).write(to: URL(fileURLWithPath: fixture.folder.file("deliveries.json")))
            let events = (try history.json()["epcisBody"] as? [String: Any])?["eventList"] as? [[String: Any]] ?? []
            let delivery = events.first { ($0["destinationList"] as? [[String: String]])?.first?["destination"] == "urn:onecode:store:\(store.id)" }
            #expect((delivery?["sourceList"] as? [[String: String]])?.first?["source"] == "urn:onecode:dealer:\(dealerID)", "\(events)")
            let valid = try await Run.run("python3", [ChannelTests.validator, fixture.folder.file("deliveries.json"), ChannelTests.standards])
            #expect(valid.status == 0 && valid.stdout.contains("ok 2 events"), "\(valid.stdout) \(valid.stderr)")

            // The command line: a delivery of the third case (and without its dealer, refused), and dealer list's columns.
            let environment = ["ONECODE_CODES_SECRET": ServiceFixture.secret], database = try await backend.database(fixture.folder)
            try (cases[2] + "\n").write(toFile: fixture.folder.file("third.txt"), atomically: true, encoding: .utf8)
            let noFrom = try await Run.run(Run.onecode, ["ship", "--store", String(store.id.rawValue), "--codes", fixture.folder.file("third.txt"),
                                                         "--database", database], cwd: fixture.folder.path, environment: environment)
            #expect(noFrom.status != 0 && noFrom.stderr.contains("from"), "\(noFrom.stderr)")
            let shipped = try await Run.run(Run.onecode, ["ship", "--store", String(store.id.rawValue), "--from", String(dealerID), "--codes",
                                                          fixture.folder.file("third.txt"), "--database", database],
                                            cwd: fixture.folder.path, environment: environment)
            #expect(shipped.status == 0 && shipped.stdout.contains("from dealer \(dealerID) to store \(store.id)"), "\(shipped.stdout) \(shipped.stderr)")
            let list = try await Run.run(Run.onecode, ["dealer", "list", "--database", database], cwd: fixture.folder.path, environment: environment)
            #expect(list.status == 0 && list.stdout.contains("sold through") && list.stdout.contains("to stores"), "\(list.stdout)")
        }
    }

    @Test("a location shared after the scan is judged when it arrives: outside the dealer's territory, one diversion", arguments: Backend.complete)
    func lateLocation(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 4)
        defer { fixture.folder.cleanup() }
        let issuer = try await fixture.token(.issuer)
        try await fixture.app().test(.router) { client in
            let dealer = try await Self.call(client, .post, "/api/dealers", token: issuer, ["name": "Shanghai Trading", "territory": "CN-31"])
            let dealerID = try dealer.json()["id"] as? Int ?? 0
            #expect(try await Self.call(client, .post, "/api/shipments", token: issuer, ["dealer": dealerID, "codes": Array(fixture.codes[0..<2])]).status == .created)
            for (code, latitude, longitude) in [(fixture.codes[0], 23.13, 113.26), (fixture.codes[1], 31.23, 121.47)] {  // Guangzhou, Shanghai
                let before = try await Self.events(fixture, "diversion.detected").count
                let scan = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone())
                #expect(try await Self.events(fixture, "diversion.detected").count == before, "no region yet, nothing to judge")
                let shared = try await client.execute(
                    uri: "/s/\(code)/location", method: .post,
                    headers: [.cookie: scan.cookie ?? "", .contentType: "application/json", .origin: "https://q.example.com"],
                    body: ByteBuffer(string: "{\"latitude\": \(latitude), \"longitude\": \(longitude)}"))
                #expect(shared.status == .ok, "\(shared.text)")
            }
            let diversions = try await Self.events(fixture, "diversion.detected")
            #expect(diversions.count == 1 && diversions.first?["code"] as? String == fixture.codes[0] && diversions.first?["region"] as? String == "CN-44",
                    "\(diversions)")
        }
    }
}

@Suite("Channel: store receipts, clerks and the ledger")
struct ReceiptClerkTests {
    @Test("a store confirms a case once (rebate), a second receipt is a 409 naming where and when, at once exactly one wins; a clerk bound to the case earns on consumers' first scans, never twice, capped per day; a blacklisted code earns nothing; the ledger, its balances and CSV; the receiving store's region judges diversion",
          arguments: Backend.complete)
    func receiptsAndClerks(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 24)
        defer { fixture.folder.cleanup() }
        let issuer = try await fixture.token(.issuer), sales = try await fixture.token(.sales), marketing = try await fixture.token(.marketing)
        let tokenA = TokenSecret.generate(), tokenB = TokenSecret.generate()
        let storeA = try await fixture.store.addStore(name: "Store A", region: "CN-31", tokenHash: tokenA.hash, audit: .test)
        _ = try await fixture.store.addStore(name: "Store B", region: "CN-44", tokenHash: tokenB.hash, audit: .test)
        let clerkToken = TokenSecret.generate(), otherClerkToken = TokenSecret.generate()
        let clerk = try await fixture.store.addClerk(store: storeA.id, name: "Xiao Li", tokenHash: clerkToken.hash, audit: .test)
        _ = try await fixture.store.addClerk(store: storeA.id, name: "Xiao Wang", tokenHash: otherClerkToken.hash, audit: .test)
        let units = fixture.codes
        let config: [String: ConfigValue] = ["channel.receiptRebate": .init(.int(500), isSecret: false), "channel.clerkReward": .init(.int(100), isSecret: false),
                                             "channel.clerkDailyCap": .init(.int(200), isSecret: false)]
        try await fixture.app(config).test(.router) { client in
            let cases = try await ChannelTests.issue(client, fixture, kind: "inner-case", count: 2, token: issuer)
            let packed = try await ChannelTests.call(client, .post, "/api/aggregations", token: issuer, ["packings": [
                ["parent": cases[0], "children": Array(units[0..<10])], ["parent": cases[1], "children": Array(units[10..<20])]]])
            #expect(packed.status == .created, "\(packed.text)")
            let dealer = try await ChannelTests.call(client, .post, "/api/dealers", token: issuer, ["name": "Canton Co", "territory": "CN-44"])
            #expect(try await ChannelTests.call(client, .post, "/api/shipments", token: issuer,
                                                ["dealer": try dealer.json()["id"] as? Int ?? 0, "codes": cases]).status == .created)

            // Receipts: once per case, by any store; a unit is not a case; a marketing token is not a store's.
            let received = try await ChannelTests.call(client, .post, "/api/receipts", token: tokenA.text, ["code": cases[0]])
            let rebate = try received.json()["rebate"] as? Int
            #expect(received.status == .created && rebate == 500, "\(received.text)")
            let second = try await ChannelTests.call(client, .post, "/api/receipts", token: tokenB.text, ["code": cases[0]])
            #expect(second.status == .conflict && second.text.contains("Store A") && second.text.contains("store \(storeA.id)"), "\(second.text)")
            let unit = try await ChannelTests.call(client, .post, "/api/receipts", token: tokenA.text, ["code": units[21]])
            #expect(unit.status == .badRequest && unit.text.contains("inner case"), "\(unit.text)")
            #expect(try await ChannelTests.call(client, .post, "/api/receipts", token: marketing, ["code": cases[1]]).status == .forbidden)
            // Two stores at once: exactly one wins.
            async let first = ChannelTests.call(client, .post, "/api/receipts", token: tokenA.text, ["code": cases[1]])
            async let other = ChannelTests.call(client, .post, "/api/receipts", token: tokenB.text, ["code": cases[1]])
            let racing = try await [first.status, other.status]
            #expect(racing.filter { $0 == .created }.count == 1 && racing.filter { $0 == .conflict }.count == 1, "\(racing)")

            // Clerks: one per case; binding again changes nothing.
            let bound = try await ChannelTests.call(client, .post, "/api/clerk-bindings", token: clerkToken.text, ["code": cases[0]])
            #expect(bound.status == .created, "\(bound.text)")
            #expect(try await ChannelTests.call(client, .post, "/api/clerk-bindings", token: clerkToken.text, ["code": cases[0]]).status == .ok)
            #expect(try await ChannelTests.call(client, .post, "/api/clerk-bindings", token: otherClerkToken.text, ["code": cases[0]]).status == .conflict)
            #expect(try await ChannelTests.call(client, .post, "/api/clerk-bindings", token: tokenA.text, ["code": cases[0]]).status == .forbidden)

            // A blacklisted bottle earns nothing; first scans of three bottles earn twice (the cap is 200 a day); rescans never.
            #expect(try await ChannelTests.call(client, .post, "/api/codes/\(units[3])/blacklist", token: issuer, ["reason": "stolen"]).status == .ok)
            #expect(try await client.execute(uri: "/s/\(units[3])", method: .get, headers: phone()).text.contains("void"))
            for code in [units[0], units[0], units[1], units[2], units[12]] {
                #expect(try await client.execute(uri: "/s/\(code)", method: .get, headers: phone()).status == .ok)
            }
            let rewards = try await ChannelTests.events(fixture, "clerk.rewarded")
            #expect(rewards.map { $0["code"] as? String } == [units[0], units[1]] && rewards.allSatisfy { $0["clerkId"] as? Int == Int(clerk.id.rawValue) },
                    "\(rewards)")
            #expect(try await ChannelTests.events(fixture, "receipt.confirmed").count == 2)

            // The ledger: the rebates and the rewards, balances by store and clerk, the settlement CSV.
            let ledger = try await ChannelTests.call(client, .get, "/api/ledger", token: sales).json()["items"] as? [[String: Any]] ?? []
            #expect(ledger.map { $0["cause"] as? String } == ["receipt-rebate", "receipt-rebate", "clerk-reward", "clerk-reward"], "\(ledger)")
            let balances = try await ChannelTests.call(client, .get, "/api/ledger/balances", token: sales).json()["items"] as? [[String: Any]] ?? []
            let clerkLine = balances.first { $0["clerkId"] as? Int == Int(clerk.id.rawValue) }
            #expect(clerkLine?["amount"] as? Int == 200 && clerkLine?["entries"] as? Int == 2, "\(balances)")
            #expect(balances.filter { $0["clerkId"] == nil }.map { $0["amount"] as? Int ?? 0 }.reduce(0, +) == 1000, "\(balances)")
            let csv = try await ChannelTests.call(client, .get, "/api/ledger?format=csv", token: sales)
            #expect(csv.status == .ok && csv.text.hasPrefix("id,at,store_id,store,clerk_id,clerk,amount,cause") && csv.text.contains(",clerk-reward,"),
                    "\(csv.text)")
            #expect(try await ChannelTests.call(client, .get, "/api/ledger?from=2026-13", token: sales).status == .badRequest)

            // No IP region here: the receiving store's region (CN-31) is where the units surfaced, outside Canton Co's CN-44.
            // (Case 1 went to whichever store won the race: Store A's bottles surfaced in CN-31 too, Store B's in CN-44, inside.)
            let diversions = try await ChannelTests.events(fixture, "diversion.detected")
            let expected: Set<String> = racing[0] == .created ? [units[0], units[1], units[2], units[12]] : [units[0], units[1], units[2]]
            #expect(Set(diversions.compactMap { $0["code"] as? String }) == expected && diversions.allSatisfy { $0["region"] as? String == "CN-31" },
                    "\(diversions)")

            // Profiles and leads know the channel: Store A's receipts and units sold through, the dealer's diversions.
            #expect(try await ChannelTests.call(client, .post, "/api/segments/refresh", token: marketing).status == .ok)
            let stores = try await ChannelTests.call(client, .get, "/api/stores", token: sales).json()["items"] as? [[String: Any]] ?? []
            let shopA = stores.first { ($0["store"] as? [String: Any])?["id"] as? Int == Int(storeA.id.rawValue) }
            #expect(shopA?["receipts"] as? Int == (racing[0] == .created ? 2 : 1) && shopA?["unitsSold"] as? Int == (racing[0] == .created ? 4 : 3),
                    "\(stores)")
            let leads = try await ChannelTests.call(client, .get, "/api/leads", token: sales).json()["items"] as? [[String: Any]] ?? []
            let storeLead = leads.first { $0["kind"] as? String == "store" && $0["id"] as? String == String(storeA.id.rawValue) }
            #expect((storeLead?["reasons"] as? [String])?.contains { $0.contains("received") && $0.contains("scanned by consumers") } == true, "\(leads)")
            let dealers = try await ChannelTests.call(client, .get, "/api/dealers", token: sales).json()["items"] as? [[String: Any]] ?? []
            #expect(dealers.first?["diversions"] as? Int == expected.count && dealers.first?["shipments"] as? Int == 1
                    && dealers.first?["diversionRegions"] as? Int == 1, "\(dealers)")

            // Receipts in the EPCIS history: ObjectEvents with bizStep receiving at the store.
            let history = try await ChannelTests.call(client, .get, "/api/epcis/events?type=ObjectEvent", token: issuer)
            try Data(buffer: history.body).write(to: URL(fileURLWithPath: fixture.folder.file("receipts.json")))
            let events = (try history.json()["epcisBody"] as? [String: Any])?["eventList"] as? [[String: Any]] ?? []
            #expect(events.compactMap { $0["bizStep"] as? String }.sorted() == ["receiving", "receiving", "shipping"], "\(events)")
            #expect(events.contains { ($0["bizLocation"] as? [String: String])?["id"] == "urn:onecode:store:\(storeA.id)" })
            let valid = try await Run.run("python3", [ChannelTests.validator, fixture.folder.file("receipts.json"), ChannelTests.standards])
            #expect(valid.status == 0 && valid.stdout.contains("ok 3 events"), "\(valid.stdout) \(valid.stderr)")
        }
    }
}

extension ReceiptClerkTests {
    @Test("two nodes at once (two stores of one PostgreSQL database): of two stores confirming the same case, exactly one succeeds and the other gets a 409 naming it; ten cases, each raced")
    func receiptsAcrossNodes() async throws {
        let fixture = try await ServiceFixture(backend: .postgres, count: 1)
        defer { fixture.folder.cleanup() }
        let issuer = try await fixture.token(.issuer)
        let shopA = try await fixture.store.addStore(name: "Store A", region: "CN-31", tokenHash: TokenSecret.generate().hash, audit: .test)
        let shopB = try await fixture.store.addStore(name: "Store B", region: "CN-44", tokenHash: TokenSecret.generate().hash, audit: .test)
        let issued = Mutex<[String]>([])
        try await fixture.app().test(.router) { client in
            let codes = try await ChannelTests.issue(client, fixture, kind: "inner-case", count: 10, token: issuer)
            issued.withLock { $0 = codes }
        }
        let cases = issued.withLock { $0 }
        let nodeB = try await Backend.postgres.open(fixture.folder)  // the same database, as a second node opens it
        for code in cases {
            let placed = try ChannelInput.place(code, at: "code", signer: ServiceFixture.signer)
            func receive(on node: any ChannelTransactions, as store: StoreID) async -> Result<Receipt, any Error> {
                do {
                    return .success(try await node.withChannelTransaction { tx in
                        try ChannelBook.receive(placed, store: store, rules: ChannelRules(receiptRebate: 100), at: Date(), in: tx)
                    })
                } catch {
                    return .failure(error)
                }
            }
            async let onA = receive(on: fixture.store, as: shopA.id)
            async let onB = receive(on: nodeB, as: shopB.id)
            let results = await [onA, onB]
            let won = results.compactMap { try? $0.get() }
            let refused = results.compactMap { result -> ConflictError? in if case let .failure(error as ConflictError) = result { error } else { nil } }
            #expect(won.count == 1 && refused.count == 1, "\(code): \(results)")
            if let receipt = won.first, let conflict = refused.first {
                #expect(conflict.description.contains(receipt.storeId == shopA.id ? "Store A" : "Store B"), "\(conflict)")
            }
        }
        #expect(try await Backend.postgres.count("receipt", in: fixture.folder) == 10)
        #expect(try await Backend.postgres.query("SELECT count(*) FROM ledger WHERE cause = 'receipt-rebate'", in: fixture.folder) == "10")
    }
}

@Suite("Hidden PINs: a campaign that asks for the PIN inside the pack")
struct HiddenPinTests {
    @Test("a PIN batch's package carries each unit's PIN; a requirePin campaign draws only after the right PIN, shows the same draw again, never draws for codes without PINs; wrong PINs are counted and the fifth locks the code (pin.locked)",
          arguments: Backend.complete)
    func pins(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let issuer = try await fixture.token(.issuer), marketing = try await fixture.token(.marketing)
        try await fixture.app().test(.router) { client in
            // A batch with 6-digit PINs: codes.csv has them, the pins/ layer draws them.
            let created = try await ChannelTests.call(client, .post, "/api/batches", token: issuer,
                                                      ["product": fixture.product.id.rawValue, "count": 3, "pin": 6, "qr": "svg"])
            let pinLength = try created.json()["pinLength"] as? Int
            #expect(created.status == .created && pinLength == 6, "\(created.text)")
            let id = try created.json()["id"] as? Int ?? 0
            #expect(try await ChannelTests.call(client, .post, "/api/batches/\(id)/activate", token: issuer).status == .ok)
            let zip = try await ChannelTests.call(client, .get, "/api/batches/\(id)/package.zip", token: issuer)
            try Data(buffer: zip.body).write(to: URL(fileURLWithPath: fixture.folder.file("pins.zip")))
            let csv = try await Run.run("/usr/bin/unzip", ["-p", fixture.folder.file("pins.zip"), "batch-\(id)/codes.csv"]).stdout
            let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            #expect(rows.first == ["sequence", "code", "url", "gtin", "lot", "pin"], "\(csv)")
            let codes = rows.dropFirst().map { $0[1] }, pins = rows.dropFirst().map { $0[5] }
            #expect(pins.count == 3 && pins.allSatisfy { $0.count == 6 && $0.allSatisfy(\.isNumber) })
            let layer = try await Run.run("/usr/bin/unzip", ["-p", fixture.folder.file("pins.zip"), "batch-\(id)/pins/000001.svg"]).stdout
            #expect(layer.contains(">\(pins[0])</text>"), "\(layer)")

            let definition = #"{"name": "Under the cap", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "status": "live", "requirePin": true, "tiers": [{"name": "Bottle", "kind": "goods", "value": 1, "probability": 1, "stock": 10}]}"#
            let campaign = try await client.execute(uri: "/api/campaigns", method: .post,
                                                    headers: [.authorization: "Bearer \(marketing)", .contentType: "application/json"],
                                                    body: ByteBuffer(string: definition))
            #expect(campaign.status == .created, "\(campaign.text)")

            // Scanned: the page asks for the PIN; nothing is drawn yet.
            let scan = try await client.execute(uri: "/s/\(codes[0])", method: .get, headers: phone())
            let cookie = scan.cookie ?? ""
            #expect(scan.text.contains("class=\"pin\"") && scan.text.contains("data-result=\"pin-required\""), "\(scan.text)")
            func post(_ code: String, _ pin: String, json: Bool = false, cookie: String = cookie) async throws -> TestResponse {
                var headers: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded", .origin: "https://q.example.com"]
                if json { headers[.accept] = "application/json" }
                return try await client.execute(uri: "/s/\(code)", method: .post, headers: headers, body: ByteBuffer(string: "pin=\(pin)"))
            }
            let wrongDigit = String(pins[0].dropLast()) + (pins[0].last == "1" ? "2" : "1")
            let wrong = try await post(codes[0], wrongDigit)
            #expect(wrong.status == .unprocessableContent && wrong.text.contains("4 tries left"), "\(wrong.text)")
            let right = try await post(codes[0], pins[0])
            #expect(right.status == .ok && right.text.contains("Congratulations, you won: Bottle") && right.text.contains("class=\"claim\""),
                    "\(right.status) \(right.text)")
            let shown = try await client.execute(uri: "/s/\(codes[0])", method: .get, headers: phone(cookie: cookie, json: true)).json()
            let draws = shown["campaign"] as? [[String: Any]] ?? []
            #expect(draws.first?["result"] as? String == "won", "\(shown)")
            let again = try await post(codes[0], pins[0], json: true).json()["campaign"] as? [[String: Any]] ?? []
            #expect(again.first?["result"] as? String == "won" && (again.first?["new"] as? NSNumber)?.intValue == 0, "\(again)")
            // A code without a PIN does not draw in this campaign.
            let plain = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(json: true)).json()
            #expect(plain["verdict"] as? String == "genuine" && ((plain["campaign"] as? [Any])?.isEmpty ?? true), "\(plain)")
            // Another phone that never scanned the code cannot type its PIN.
            #expect(try await post(codes[0], pins[0], json: true, cookie: "").status.code >= 400)

            // Five wrong PINs lock the code for draws, announced once; the right PIN then draws nothing.
            let second = try await client.execute(uri: "/s/\(codes[1])", method: .get, headers: phone())
            let secondCookie = second.cookie ?? ""
            var statuses: [Int] = []
            for _ in 1...5 { statuses.append(try await post(codes[1], "000000" == pins[1] ? "111111" : "000000", json: true, cookie: secondCookie).status.code) }
            #expect(statuses == [422, 422, 422, 422, 409], "\(statuses)")
            #expect(try await post(codes[1], pins[1], json: true, cookie: secondCookie).status == .conflict)
            let locked = try await client.execute(uri: "/s/\(codes[1])", method: .get, headers: phone(cookie: secondCookie))
            #expect(locked.text.contains("data-result=\"pin-locked\""), "\(locked.text)")
            let events = try await ChannelTests.events(fixture, "pin.locked")
            #expect(events.count == 1 && events.first?["code"] as? String == codes[1] && events.first?["wrongPins"] as? Int == 5, "\(events)")
            #expect(try await ChannelTests.events(fixture, "prize.won").count == 1)
            // Flagged where staff look: the code check names the lock.
            let check = try await Run.run(Run.onecode, ["code", "check", codes[1], "--database", try backend.database(fixture.folder)],
                                          cwd: fixture.folder.path, environment: ["ONECODE_CODES_SECRET": ServiceFixture.secret])
            #expect(check.status == 0 && check.stdout.contains("flagged: locked for draws after 5 wrong PINs"), "\(check.stdout) \(check.stderr)")
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OneCodeDomain
import OneCodeIssuing
@testable import OneCodeService
import OneCodeRulebook
import OneCodeStorage
import Testing

@Suite("Admin API")
struct APITests {
    /// Concrete values for a route's parameters.
    static func concrete(_ path: String, batch: BatchID, code: String) -> String {
        // A token id no token has: the walk's admin call must not revoke a token the walk goes on using.
        let id = path.hasPrefix("/api/campaigns") ? "1" : path.hasPrefix("/api/tokens") ? "999999" : batch.description
        return path.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{code}", with: code)
    }

    /// The real router, and every route under /api but the public description of them all.
    static func apiRoutes(_ fixture: ServiceFixture) throws -> (Router<AppRequestContext>, [(HTTPRequest.Method, String)]) {
        let config = try fixture.config()
        let writer = ScanWriter(store: fixture.store, rules: config.rules, capacity: 10, maxGroup: 10, logger: .init(label: "t"))
        let router = try buildRouter(fixture.deps(config), writer: writer)
        let routes = router.routes.filter { $0.path.description.hasPrefix("/api") && $0.path.description != "/api/openapi.json" }
            .map { ($0.method, $0.path.description) }
        return (router, routes)
    }

    @Test("every /api route refuses a missing or unknown token (401) and a token of the wrong scope (403)", arguments: Backend.complete)
    func authWalk(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let (router, routes) = try Self.apiRoutes(fixture)
        #expect(routes.count == 64)
        // What each route accepts, read from README's table (the documentation is the specification): the
        // walk below holds every route's answers to it, whatever the code believes it registered.
        let table = try Self.documentedScopes()
        var made: [TokenScope: String] = [:]
        for scope in TokenScope.allCases { made[scope] = try await fixture.token(scope) }
        let tokens = made
        let app = Application(router: router)
        try await app.test(.router) { client in
            for (method, path) in routes {
                let key = "\(method.rawValue) \(path)"
                let allowed = try #require(table[key], "route \(key) has no scope entry")
                let uri = Self.concrete(path, batch: fixture.batch.id, code: fixture.codes[0])
                let none = try await client.execute(uri: uri, method: method, headers: [:])
                #expect(none.status == .unauthorized, "\(key) without a token")
                #expect(none.headers[.wwwAuthenticate] != nil)
                let wrong = try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer oc_nottherealtoken"])
                #expect(wrong.status == .unauthorized, "\(key) with an unknown token")
                let basic = try await client.execute(uri: uri, method: method, headers: [.authorization: "Basic YWRtaW46YWRtaW4="])
                #expect(basic.status == .unauthorized, "\(key) with basic auth")
                for scope in [TokenScope.issuer, .marketing, .sales, .store] where !allowed.contains(scope) {
                    let response = try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(tokens[scope]!)"])
                    #expect(response.status == .forbidden, "\(key) with scope \(scope)")
                }
                // A token of an allowed scope (or admin) gets past authorisation.
                let admin = try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(tokens[.admin]!)"])
                #expect(admin.status != .unauthorized && admin.status != .forbidden, "\(key) with admin")
                #expect(admin.status.code < 500, "\(key) with admin: \(admin.status) \(admin.text)")
                if method == .post || method == .patch {
                    // Malformed and oversized bodies are the client's error, on every route that takes one.
                    let auth: HTTPFields = [.authorization: "Bearer \(tokens[.admin]!)", .contentType: "application/json"]
                    for body in ["{", "[1, 2", "null", #"{"name": 5}"#, String(repeating: "x", count: 3 << 20)] {
                        let response = try await client.execute(uri: uri, method: method, headers: auth, body: ByteBuffer(string: body))
                        #expect((200..<500).contains(response.status.code), "\(key) with body \(body.prefix(12)): \(response.status) \(response.text.prefix(200))")
                    }
                }
                for scope in allowed where scope != .store {
                    let response = try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(tokens[scope]!)"])
                    #expect(response.status != .forbidden && response.status.code < 500, "\(key) with scope \(scope): \(response.status)")
                }
            }
        }
        // Every scope entry is a registered route: the table and the router agree.
        #expect(Set(table.keys) == Set(routes.map { "\($0.0.rawValue) \($0.1)" }))
    }

    /// README's "admin API" table as data: "METHOD /api/path" → the scopes besides admin.
    static func documentedScopes() throws -> [String: Set<TokenScope>] {
        let readme = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md").path, encoding: .utf8)
        var table: [String: Set<TokenScope>] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") && line.contains(" /api/") {
            let cells = line.dropFirst(2).components(separatedBy: " | ")
            guard cells.count >= 2 else { continue }
            let scopeText = cells[1].lowercased()
            let scopes = scopeText.contains("admin only") ? Set<TokenScope>() : Set(TokenScope.allCases.filter { $0 != .admin && scopeText.contains($0.rawValue) })
            for span in cells[0].components(separatedBy: "`").enumerated().filter({ $0.offset % 2 == 1 }).map(\.element) {
                let words = span.split(separator: " ", maxSplits: 1)
                guard words.count == 2, ["GET", "POST", "PATCH", "DELETE", "PUT"].contains(String(words[0])) else { continue }
                let path = String(words[1].prefix { $0 != "?" && $0 != "[" && $0 != " " })
                // `pause\|resume\|end`: alternatives of the last segment.
                let alternatives = path.components(separatedBy: "\\|")
                let prefix = alternatives[0].split(separator: "/").dropLast().joined(separator: "/")
                for (index, alternative) in alternatives.enumerated() {
                    let full = index == 0 ? alternative : "/" + prefix + "/" + alternative
                    table["\(words[0]) \(full)"] = scopes
                }
            }
        }
        return table
    }

    @Test("one error body everywhere: code, message and field; unknown /api routes a JSON 404, a known route with another method 405 with Allow", arguments: Backend.complete)
    func errorBodies(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let issuer = try await fixture.token(.issuer)
        let headers: HTTPFields = [.authorization: "Bearer \(issuer)", .contentType: "application/json"]
        @Sendable func error(_ response: TestResponse) throws -> [String: Any] {
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            let object = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any]
            let error = try #require(object?["error"] as? [String: Any], "\(response.text)")
            #expect(Set(error.keys) == ["code", "message", "field"], "\(response.text)")
            return error
        }
        try await app.test(.router) { client in
            var response = try await client.execute(uri: "/api/nothing/here", method: .get)
            #expect(response.status == .notFound)
            var body = try error(response)
            #expect(body["code"] as? String == "not_found" && body["field"] is NSNull)
            response = try await client.execute(uri: "/api/products", method: .delete, headers: headers)
            #expect(response.status == .methodNotAllowed && response.headers[.allow] == "GET, POST")
            #expect(try error(response)["code"] as? String == "method_not_allowed")
            response = try await client.execute(uri: "/api/batches/7/activate", method: .get, headers: headers)
            #expect(response.status == .methodNotAllowed && response.headers[.allow] == "POST")
            response = try await client.execute(uri: "/api/products", method: .post, headers: headers, body: ByteBuffer(string: #"{"name": ""}"#))
            body = try error(response)
            #expect(response.status == .badRequest && body["code"] as? String == "invalid" && body["field"] as? String == "name")
            response = try await client.execute(uri: "/api/products", method: .post, headers: headers, body: ByteBuffer(string: #"{"name": "A", "gtin": "6291041500213"}"#))
            body = try error(response)
            #expect(response.status == .conflict && body["code"] as? String == "conflict" && body["field"] as? String == "gtin", "\(body)")
            response = try await client.execute(uri: "/api/products", method: .get)
            body = try error(response)
            #expect(response.status == .unauthorized && body["code"] as? String == "unauthorized")
            response = try await client.execute(uri: "/api/batches/99", method: .get, headers: headers)
            body = try error(response)
            #expect(response.status == .notFound && body["code"] as? String == "not_found" && body["field"] as? String == "id", "\(body)")
        }
    }

    @Test("the OpenAPI document describes every /api route with README's scopes, is served without a token, and is the repository's openapi.json", arguments: Backend.complete)
    func openAPI(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let (router, apiRoutes) = try Self.apiRoutes(fixture)
        let routes = apiRoutes.map { "\($0.0.rawValue) \($0.1)" }
        let app = Application(router: router)
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/api/openapi.json", method: .get)
            #expect(response.status == .ok)
            let document = try response.json()
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var described: [String: Set<String>] = [:]
            for (path, operations) in paths {
                for (method, operation) in operations {
                    let security = ((operation as? [String: Any])?["security"] as? [[String: [String]]])?.first?["bearer"] ?? []
                    described["\(method.uppercased()) \(path)"] = Set(security)
                }
            }
            #expect(Set(described.keys) == Set(routes), "undescribed: \(Set(routes).subtracting(described.keys).sorted()), stale: \(Set(described.keys).subtracting(routes).sorted())")
            for (route, scopes) in try Self.documentedScopes() {
                #expect(described[route] == Set(scopes.map(\.rawValue) + ["admin"]), "\(route): document \(described[route] ?? []), README \(scopes)")
            }
            // The repository keeps the same document (regenerate: onecode serve, then curl /api/openapi.json > openapi.json).
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let kept = try String(contentsOf: root.appendingPathComponent("openapi.json"), encoding: .utf8)
            let served = String(decoding: OpenAPIDocument.json(maxBatchCount: 10_000_000), as: UTF8.self)
            #expect(kept == served, "openapi.json differs from the served document; regenerate it")
        }
    }

    @Test("tokens are listed without secrets, with their last use, and a revoked one authenticates nothing (API and CLI)", arguments: Backend.complete)
    func tokenListAndRevoke(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let admin = try await fixture.token(.admin)
        let sales = try await fixture.token(.sales)
        try await app.test(.router) { client in
            let salesAuth: HTTPFields = [.authorization: "Bearer \(sales)"]
            #expect(try await client.execute(uri: "/api/products", method: .get, headers: salesAuth).status == .ok)
            let adminAuth: HTTPFields = [.authorization: "Bearer \(admin)"]
            var response = try await client.execute(uri: "/api/tokens", method: .get, headers: adminAuth)
            let items = try response.json()["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["scope"] as? String } == ["admin", "sales"] && items.allSatisfy { $0["lastUsedAt"] is String }, "\(response.text)")
            #expect(!response.text.contains(admin) && !response.text.contains(sales) && !response.text.contains("hash"))
            let salesID = try #require(items.last?["id"] as? Int)
            #expect(try await client.execute(uri: "/api/tokens", method: .get, headers: salesAuth).status == .forbidden)
            response = try await client.execute(uri: "/api/tokens/\(salesID)", method: .delete, headers: adminAuth)
            #expect(response.status == .noContent)
            #expect(try await client.execute(uri: "/api/products", method: .get, headers: salesAuth).status == .unauthorized)
            response = try await client.execute(uri: "/api/tokens/\(salesID)", method: .delete, headers: adminAuth)
            #expect(response.status == .notFound)
        }
        // The CLI on the same database: listed without secrets; revoking an unknown id names it.
        let environment = ["ONECODE_CONFIG": "", "ONECODE_CODES_SECRET": ServiceFixture.secret]
        let list = try await Run.run(Run.onecode, ["token", "list", "--database", try backend.database(fixture.folder)], cwd: fixture.folder.path, environment: environment)
        let lines = list.stdout.split(separator: "\n")
        #expect(list.status == 0 && lines.first?.hasPrefix("id  scope") == true && lines.first?.hasSuffix("last used (Beijing time)") == true, "\(list.stdout)")
        #expect(lines.count == 2 && lines[1].contains("admin") && lines[1].contains(" 20") && !list.stdout.contains(admin), "\(list.stdout) \(list.stderr)")
        #expect(!list.stdout.contains("sales"))
        let unknown = try await Run.run(Run.onecode, ["token", "revoke", "99", "--database", try backend.database(fixture.folder)], cwd: fixture.folder.path, environment: environment)
        #expect(unknown.status == 1 && unknown.stderr.hasPrefix("error: id: no token 99"), "\(unknown.stderr)")
    }

    @Test("every list answers {items, next}; limit and after are checked; next pages on; filters are honoured", arguments: Backend.complete)
    func paging(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 3)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let admin = try await fixture.token(.admin)
        let other = try await fixture.store.addProduct(try NewProduct(name: "Second tea", gtin: nil, sku: nil), audit: .test)
        let third = try await fixture.store.addProduct(try NewProduct(name: "Third tea", gtin: nil, sku: nil), audit: .test)
        _ = try await Issuer(store: fixture.store, signer: ServiceFixture.signer, baseURL: "https://q.example.com")
            .issue(try NewBatch(productID: other.id, count: 2, maxCount: 100), package: PackageOptions(directory: fixture.folder.file("p2")))
        _ = try await fixture.store.liveCampaign()
        _ = try await fixture.store.createSegment(name: "all", rule: .product([fixture.product.id]), audit: .test)
        let lists = ["/api/products", "/api/batches", "/api/campaigns", "/api/campaigns/1/entries", "/api/events", "/api/webhooks", "/api/tokens", "/api/feedback",
                     "/api/segments", "/api/segments/1/members", "/api/stores", "/api/leads", "/api/codes/\(fixture.codes[0])/scans",
                     "/api/reports/feedback", "/api/reports/scan-rate", "/api/reports/daily", "/api/reports/diversion"]
        try await app.test(.router) { client in
            let auth: HTTPFields = [.authorization: "Bearer \(admin)"]
            for list in lists {
                let page = try await client.execute(uri: list, method: .get, headers: auth)
                let body = try page.json()
                #expect(page.status == .ok && body["items"] is [Any] && body.keys.contains("next"), "\(list): \(page.text)")
                for (query, field) in [("limit=abc", "limit"), ("limit=0", "limit"), ("limit=99999999", "limit"), ("after=xyz", "after")]
                where !(list.hasSuffix("/members") && field == "after") {
                    let bad = try await client.execute(uri: list + "?" + query, method: .get, headers: auth)
                    let error = try bad.json()["error"] as? [String: Any]
                    #expect(bad.status == .badRequest && error?["field"] as? String == field, "\(list)?\(query): \(bad.text)")
                }
            }
            // Three products, two a page: the cursor leads on, and ends.
            var response = try await client.execute(uri: "/api/products?limit=2", method: .get, headers: auth)
            let first = try response.json()
            #expect((first["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [Int(fixture.product.id.rawValue), Int(other.id.rawValue)])
            let next = try #require(first["next"] as? String)
            response = try await client.execute(uri: "/api/products?limit=2&after=\(next)", method: .get, headers: auth)
            #expect((try response.json()["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [Int(third.id.rawValue)])
            #expect(try response.json()["next"] is NSNull, "\(response.text)")
            response = try await client.execute(uri: "/api/products?after=999", method: .get, headers: auth)
            let beyond = try response.json()
            #expect((beyond["items"] as? [Any])?.isEmpty == true && beyond["next"] is NSNull)
            // ?product= keeps that product's batches only.
            response = try await client.execute(uri: "/api/batches?product=\(other.id)", method: .get, headers: auth)
            let batches = try response.json()["items"] as? [[String: Any]] ?? []
            #expect(batches.count == 1 && batches.allSatisfy { $0["productId"] as? Int == Int(other.id.rawValue) }, "\(response.text)")
            response = try await client.execute(uri: "/api/batches?product=abc", method: .get, headers: auth)
            #expect(response.status == .badRequest && response.text.contains("product"))
            // One shape for a campaign everywhere; its definition's status is the campaign's.
            _ = try await client.execute(uri: "/api/campaigns/1/pause", method: .post, headers: auth)
            let listed = try await client.execute(uri: "/api/campaigns", method: .get, headers: auth)
            let got = try await client.execute(uri: "/api/campaigns/1", method: .get, headers: auth)
            let item = try #require((try listed.json()["items"] as? [[String: Any]])?.first)
            #expect(Set(item.keys) == Set(try got.json().keys) && Set(item.keys) == ["id", "status", "createdAt", "definition", "stock"])
            #expect((item["definition"] as? [String: Any])?["status"] as? String == "paused" && item["status"] as? String == "paused")
            // A segment's rules nest as JSON, not JSON in a string.
            let segment = try await client.execute(uri: "/api/segments/1", method: .get, headers: auth)
            #expect((try segment.json()["rules"] as? [String: Any])?["product"] != nil, "\(segment.text)")
        }
    }

    @Test("products, batch issuance with a downloadable package, lifecycle, blacklist, scans and statistics", arguments: Backend.complete)
    func lifecycle(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let issuer = try await fixture.token(.issuer)
        let marketing = try await fixture.token(.marketing)
        @Sendable func auth(_ token: String, json: Bool = false) -> HTTPFields {
            var headers: HTTPFields = [.authorization: "Bearer \(token)"]
            if json { headers[.contentType] = "application/json" }
            return headers
        }
        try await app.test(.router) { client in
            var response = try await client.execute(uri: "/api/products", method: .post, headers: auth(issuer, json: true),
                                                    body: ByteBuffer(string: #"{"name": "Oolong", "gtin": "4006381333931"}"#))
            #expect(response.status == .created)
            let product = try #require(try response.json()["id"] as? Int)
            response = try await client.execute(uri: "/api/products", method: .post, headers: auth(issuer, json: true),
                                                body: ByteBuffer(string: #"{"name": "Bad", "gtin": "4006381333932"}"#))
            #expect(response.status == .badRequest && response.text.contains("gtin"))
            response = try await client.execute(uri: "/api/batches", method: .post, headers: auth(issuer, json: true),
                                                body: ByteBuffer(string: #"{"product": \#(product), "count": 25, "lot": "A1", "urlForm": "gs1", "qr": "svg"}"#))
            #expect(response.status == .created, "\(response.text)")
            // The batch as every route shows it, with where its package is, and where it lives.
            let batch = try #require(try response.json()["id"] as? Int)
            #expect(try response.json()["package"] as? String == "/api/batches/\(batch)/package.zip" && response.headers[.location] == "/api/batches/\(batch)")
            #expect(try response.json()["productId"] as? Int == product && !response.text.contains("productID"), "\(response.text)")
            for (body, field) in [(#"{"product": \#(product), "count": 0}"#, "count"), (#"{"product": 999, "count": 5}"#, "product"),
                                  (#"{"count": 5}"#, "product"), (#"{"product": \#(product), "count": 5, "ec": "Z"}"#, "ec"),
                                  (#"{"product": \#(product), "count": "many"}"#, "count"),
                                  (#"{"product": \#(product), "count": 5, "qr": "pdf", "roll": "20x20"}"#, "roll: a 20 × 20 mm label cannot hold"),
                                  (#"{"product": \#(product), "count": 5, "qr": "svg", "roll": "40x30"}"#, "roll"),
                                  (#"{"product": \#(product), "count": 5, "qr": "pdf", "labelsPerFile": 0}"#, "labelsPerFile")] {
                let bad = try await client.execute(uri: "/api/batches", method: .post, headers: auth(issuer, json: true), body: ByteBuffer(string: body))
                #expect((400..<500).contains(bad.status.code) && bad.text.contains(field), "\(body): \(bad.text)")
            }
            // The package as a zip: unzip it and check the CSV.
            response = try await client.execute(uri: "/api/batches/\(batch)/package.zip", method: .get, headers: auth(issuer))
            #expect(response.status == .ok && response.headers[.contentType] == "application/zip")
            let zip = fixture.folder.file("package.zip")
            try Data(buffer: response.body).write(to: URL(fileURLWithPath: zip))
            let unzip = try await Run.run("/usr/bin/python3", ["-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist())); print(z.read('batch-\(batch)/codes.csv').decode().count('\\n'))", zip])
            #expect(unzip.stdout == "27\n26\n", "\(unzip.stdout)\(unzip.stderr)")  // csv + manifest + 25 svg; header + 25 rows
            // Kept in the library under the batch's id and creation time (PackageLibrary).
            let kept = try #require(try FileManager.default.contentsOfDirectory(atPath: fixture.folder.file("packages"))
                .first { $0.hasPrefix("batch-\(batch)-") && !$0.hasSuffix(".zip") })
            let code = try CodesCSV(fixture.folder.file("packages/\(kept)/codes.csv")).codes[0]
            // Inactive until activated; activate, scan, blacklist, void.
            #expect(try await client.execute(uri: "/s/\(code)", method: .get, headers: phone()).status == .forbidden)
            response = try await client.execute(uri: "/api/batches/\(batch)/activate", method: .post, headers: auth(issuer))
            #expect(try response.json()["status"] as? String == "active")
            #expect(try await client.execute(uri: "/s/\(code)", method: .get, headers: phone()).status == .ok)
            response = try await client.execute(uri: "/api/codes/\(code)/scans", method: .get, headers: auth(marketing))
            let scans = try response.json()["items"] as? [[String: Any]] ?? []
            #expect(scans.map { $0["verdict"] as? String } == ["inactive", "genuine"], "\(response.text)")
            response = try await client.execute(uri: "/api/codes/\(code)/blacklist", method: .post, headers: auth(issuer, json: true),
                                                body: ByteBuffer(string: #"{"reason": "found on a grey-market listing"}"#))
            #expect(response.status == .ok)
            #expect(try await client.execute(uri: "/s/\(code)", method: .get, headers: phone()).status == .gone)
            response = try await client.execute(uri: "/api/codes/\(code)/blacklist", method: .post, headers: auth(issuer, json: true),
                                                body: ByteBuffer(string: #"{"reason": ""}"#))
            #expect(response.status == .badRequest && response.text.contains("reason"))
            response = try await client.execute(uri: "/api/batches/\(batch)/void", method: .post, headers: auth(issuer))
            #expect(try response.json()["status"] as? String == "void")
            response = try await client.execute(uri: "/api/batches/\(batch)/activate", method: .post, headers: auth(issuer))
            #expect(response.status == .badRequest && response.text.contains("status"))
            response = try await client.execute(uri: "/api/stats/verdicts?batch=\(batch)", method: .get, headers: auth(marketing))
            let stats = try response.json()
            #expect(stats["genuine"] as? Int == 1 && stats["inactive"] as? Int == 1 && stats["void"] as? Int == 1)
            #expect(try await client.execute(uri: "/api/stats/verdicts?batch=x", method: .get, headers: auth(marketing)).status == .badRequest)
            #expect(try await client.execute(uri: "/api/batches/99", method: .get, headers: auth(marketing)).status == .notFound)
            #expect(try await client.execute(uri: "/api/codes/NOTACODE/scans", method: .get, headers: auth(marketing)).status == .notFound)
        }
    }

    @Test("tokens are stored only as hashes", arguments: Backend.complete)
    func hashedTokens(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let token = try await fixture.token(.sales)
        // A 32-byte binary hash (SHA-256), not text.
        let kind = try await backend.query(backend == .sqlite ? "SELECT typeof(hash) || length(hash) FROM api_token"
                                                        : "SELECT pg_typeof(hash)::text || length(hash) FROM api_token", in: fixture.folder)
        #expect(kind == (backend == .sqlite ? "blob32" : "bytea32"))
        // Nowhere in the whole database: every table, as text.
        let dump = try await backend.dumpAll(in: fixture.folder)
        #expect(dump.status == 0 && dump.stdout.contains("INSERT INTO ") && dump.stdout.contains("api_token"))
        #expect(!dump.stdout.contains(token) && !dump.stdout.contains(String(token.dropFirst(3))))
    }

    @Test("over a real connection a scan's address is kept as its /24 and shown so; the whole address is stored nowhere", arguments: Backend.complete)
    func truncatedAddress(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let marketing = try await fixture.token(.marketing)
        let code = fixture.codes[0]
        try await fixture.app().test(.live) { client in  // a real server on 127.0.0.1: the peer is this process
            #expect(try await client.execute(uri: "/s/\(code)", method: .get, headers: phone()).status == .ok)
            let response = try await client.execute(uri: "/api/codes/\(code)/scans", method: .get, headers: [.authorization: "Bearer \(marketing)"])
            let scans = try response.json()["items"] as? [[String: Any]] ?? []
            #expect(scans.count == 1 && scans.first?["ip"] as? String == "127.0.0.0/24", "\(response.text)")
        }
        let dump = try await backend.dumpAll(in: fixture.folder)
        #expect(dump.stdout.contains("127.0.0.0/24") && !dump.stdout.contains("127.0.0.1"))
    }
}

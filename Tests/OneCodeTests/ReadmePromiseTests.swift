import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OneCodeDomain
import OneCodeStorage
import OneCodePostgres
import OneCodeService
import Testing

/// Promises README makes that no other test held (issue 22's list), each test named after its promise;
/// the expected values are README's words.
@Suite("README's promises, each held by a test that names it")
struct ReadmePromiseTests {
    /// A command on the fixture's database, run without holding one of the test pool's threads while it runs.
    static func onecode(_ fixture: ServiceFixture, _ arguments: [String]) async throws -> ProcessResult {
        try await Run.run(Run.onecode, arguments + ["--database", try fixture.backend.database(fixture.folder)], cwd: fixture.folder.path,
                          environment: DurabilityTests.environment.merging(["ONECODE_CODES_SECRET": ServiceFixture.secret]) { $1 }, timeout: 60)
    }

    /// README, Admin API: `{"error": {"code": …, "message": …, "field": …}}`.
    static func error(_ response: TestResponse) throws -> (code: String?, field: String?, message: String?) {
        let body = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any]
        let error = body?["error"] as? [String: Any]
        return (error?["code"] as? String, error?["field"] as? String, error?["message"] as? String)
    }

    @Test("every error has one body: forbidden (403), gone (410), too_large (413), too_many_requests (429), each with its code", arguments: Backend.complete)
    func errorBodies(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let sales = try await fixture.token(.sales)
        let app = try fixture.app(["rateLimit.authFailuresPerMinute": .init(.double(2), isSecret: false)])
        try await app.test(.router) { client in
            let forbidden = try await client.execute(uri: "/api/products", method: .post, headers: [.authorization: "Bearer \(sales)", .contentType: "application/json"],
                                                     body: ByteBuffer(string: #"{"name": "Tea"}"#))
            let forbiddenError = try Self.error(forbidden)
            #expect(forbidden.status == .forbidden && forbiddenError.code == "forbidden", "\(forbidden.text)")
            let gone = try await client.execute(uri: "/s/\(fixture.codes[0])?r=stale.receipt", method: .get, headers: phone(json: true))
            let goneError = try Self.error(gone)
            #expect(gone.status == .gone && goneError.code == "gone" && goneError.field == "r", "\(gone.text)")
            let admin = try await fixture.token(.admin)
            let large = try await client.execute(uri: "/api/products", method: .post, headers: [.authorization: "Bearer \(admin)", .contentType: "application/json"],
                                                 body: ByteBuffer(string: #"{"name": ""# + String(repeating: "x", count: 70_000) + #""}"#))
            let largeError = try Self.error(large)
            #expect(large.status == .contentTooLarge && largeError.code == "too_large", "\(large.status) \(large.text.prefix(200))")
            // Failed authentications from one address beyond rateLimit.authFailuresPerMinute (2 here).
            var last: TestResponse?
            for _ in 0..<4 { last = try await client.execute(uri: "/api/products", method: .get, headers: [.authorization: "Bearer oc_not_a_token"]) }
            let limited = try #require(last)
            let limitedError = try Self.error(limited)
            #expect(limited.status == .tooManyRequests && limitedError.code == "too_many_requests", "\(limited.status) \(limited.text)")
        }
    }

    @Test("GET /ping is the cheapest route: 200, no database")
    func ping() async throws {
        let fixture = try await ServiceFixture(backend: .sqlite)
        defer { fixture.folder.cleanup() }
        try await fixture.app().test(.router) { client in
            let response = try await client.execute(uri: "/ping", method: .get)
            #expect(response.status == .ok)
        }
    }

    @Test("code check says unknown for a code that passes the keyed check and was never issued (exit not 0)", arguments: Backend.complete)
    func codeCheckUnknown(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let unknown = ServiceFixture.signer.code(for: CodeKey(rawValue: 987_654_321))
        let result = try await Self.onecode(fixture, ["code", "check", unknown])
        #expect(result.status != 0 && result.stdout.contains("unknown"), "\(result.stdout) \(result.stderr)")
        let valid = try await Self.onecode(fixture, ["code", "check", fixture.codes[0]])
        #expect(valid.status == 0 && valid.stdout.contains("valid"), "\(valid.stdout)")
    }

    @Test("segment list, show, edit and delete on the command line", arguments: Backend.complete)
    func segmentCommands(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let created = try await Self.onecode(fixture, ["segment", "create", "--name", "Shanghai", "--rules", #"{"region": ["CN-31"]}"#])
        #expect(created.status == 0, "\(created.stderr)")
        let list = try await Self.onecode(fixture, ["segment", "list"])
        #expect(list.status == 0 && list.stdout.contains("Shanghai") && list.stdout.contains("CN-31"), "\(list.stdout)")
        let edited = try await Self.onecode(fixture, ["segment", "edit", "1", "--name", "East", "--rules", #"{"region": ["CN-31", "CN-32"]}"#])
        #expect(edited.status == 0, "\(edited.stderr)")
        let show = try await Self.onecode(fixture, ["segment", "show", "1"])
        #expect(show.status == 0 && show.stdout.contains("East") && show.stdout.contains("CN-32") && !show.stdout.contains("Shanghai"), "\(show.stdout)")
        let deleted = try await Self.onecode(fixture, ["segment", "delete", "1"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let again = try await Self.onecode(fixture, ["segment", "show", "1"])
        #expect(again.status != 0 && again.stderr.contains("error: id:"), "\(again.stderr)")
        #expect(try await fixture.store.segments().isEmpty)
    }

    @Test("webhooks events lists the outbox as JSON lines, from --after N", arguments: Backend.complete)
    func webhookEvents(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let campaign = try await fixture.store.liveCampaign()
        let app = try fixture.app()
        try await app.test(.router) { client in
            for code in fixture.codes.prefix(3) { _ = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(json: true)) }
        }
        let all = try await Self.onecode(fixture, ["webhooks", "events"])
        let lines = all.stdout.split(separator: "\n").map(String.init)
        #expect(all.status == 0 && lines.count == 3, "\(all.stdout) \(all.stderr)")
        let events = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(events.allSatisfy { ($0["event"] as? [String: Any])?["type"] as? String == "prize.won" || $0["type"] as? String == "prize.won" }, "\(lines)")
        let sequences = events.compactMap { ($0["sequence"] as? Int) }
        let after = try await Self.onecode(fixture, ["webhooks", "events", "--after", String(sequences.first ?? 0)])
        #expect(after.stdout.split(separator: "\n").count == 2, "\(after.stdout)")
        _ = campaign
    }

    @Test("reports print as a table or JSON (--format table|json)", arguments: Backend.complete)
    func reportFormats(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let table = try await Self.onecode(fixture, ["report", "scan-rate", "--by", "batch", "--format", "table"])
        #expect(table.status == 0 && table.stdout.contains("batch 1") && table.stdout.contains(String(fixture.codes.count)), "\(table.stdout)")
        let json = try await Self.onecode(fixture, ["report", "scan-rate", "--by", "batch", "--format", "json"])
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(json.status == 0 && rows?.first?["issued"] as? Int == fixture.codes.count, "\(json.stdout)")
    }

    @Test("every file onecode makes is its owner's alone: a package's files and a backup are 0600")
    func privateFiles() async throws {
        let fixture = try await ServiceFixture(backend: .sqlite)
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("printer")
        let issued = try await Self.onecode(fixture, ["batch", "issue", "--product", "1", "--count", "5", "--out", out])
        #expect(issued.status == 0, "\(issued.stderr)")
        let backup = try await Self.onecode(fixture, ["backup", "--out", fixture.folder.file("copy.sqlite")])
        #expect(backup.status == 0, "\(backup.stderr)")
        var files = try FileManager.default.contentsOfDirectory(atPath: out).map { out + "/" + $0 }.filter { !$0.hasSuffix("/qr") }
        files.append(fixture.folder.file("copy.sqlite"))
        #expect(files.count >= 3)
        for file in files {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode & 0o077 == 0, "\(file) is \(String(mode, radix: 8))")
        }
    }

    /// A command in `folder` on its own SQLite file, with `environment` beside the test secret.
    static func run(_ folder: TemporaryFolder, _ arguments: [String], _ environment: [String: String] = [:]) async throws -> ProcessResult {
        try await Run.run(Run.onecode, arguments, cwd: folder.path,
                          environment: ["ONECODE_CODES_SECRET": "promise-secret-0123456789", "ONECODE_CONFIG": ""].merging(environment) { $1 }, timeout: 120)
    }

    @Test("batch issue --expiry and product --image-url reach the package and the scan page", arguments: Backend.complete)
    func expiryAndImage(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 1)
        defer { fixture.folder.cleanup() }
        let image = "https://img.brand.example/tea.png"
        #expect(try await Self.onecode(fixture, ["product", "update", "1", "--image-url", image]).status == 0)
        let out = fixture.folder.file("expiring")
        let issued = try await Self.onecode(fixture, ["batch", "issue", "--product", "1", "--count", "2", "--expiry", "2027-06-30", "--out", out])
        #expect(issued.status == 0, "\(issued.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as? [String: Any]
        #expect((manifest?["batch"] as? [String: Any])?["expiryDate"] as? String == "2027-06-30", "\(String(describing: manifest?["batch"]))")
        let code = try #require(try CodesCSV(out + "/codes.csv").codes.first)
        #expect(try await Self.onecode(fixture, ["batch", "activate", "2"]).status == 0)
        try await fixture.app().test(.router) { client in
            let page = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(json: true))
            let body = try JSONSerialization.jsonObject(with: Data(page.text.utf8)) as? [String: Any]
            #expect((body?["batch"] as? [String: Any])?["expiryDate"] as? String == "2027-06-30", "\(page.text)")
            #expect((body?["product"] as? [String: Any])?["imageUrl"] as? String == image, "\(page.text)")
        }
        let bad = try await Self.onecode(fixture, ["batch", "issue", "--product", "1", "--count", "2", "--expiry", "2027-02-30", "--out", out + "-bad"])
        #expect(bad.status != 0 && bad.stderr.contains("expiry"), "\(bad.stderr)")
    }

    @Test("--qr png and --qr pdf: a phone reads every PNG as its code's URL, labels.pdf is a PDF; one QR version per batch (every SVG the same size, the manifest's)")
    func qrForms() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        #expect(try await Self.run(folder, ["product", "add", "--name", "Tea"]).status == 0)
        for (form, count) in [("png", 3), ("pdf", 3), ("svg", 40)] {
            let issued = try await Self.run(folder, ["batch", "issue", "--product", "1", "--count", String(count), "--qr", form, "--out", folder.file(form)])
            #expect(issued.status == 0, "\(issued.stderr)")
        }
        let urls = try CodesCSV(folder.file("png/codes.csv")).urls
        let pngs = try FileManager.default.contentsOfDirectory(atPath: folder.file("png/qr")).filter { $0.hasSuffix(".png") }.sorted()
        #expect(pngs.count == 3)
        var read: [String] = []
        for png in pngs { read += try await Run.zbar(folder.file("png/qr/" + png)) }
        #expect(read.sorted() == urls.sorted(), "\(read) \(urls)")
        let pdf = try Data(contentsOf: URL(fileURLWithPath: folder.file("pdf/labels.pdf")))
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        // One version: every symbol of the batch has the manifest's modules per side (and the version's: 17 + 4·version).
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("svg/manifest.json")))) as? [String: Any]
        let spec = try #require(manifest?["printSpec"] as? [String: Any])
        let version = try #require(spec["qrVersion"] as? Int), modules = try #require(spec["modulesPerSide"] as? Int)
        let quiet = try #require(spec["quietZoneModules"] as? Int)
        #expect(modules == 17 + 4 * version)
        let svgs = try FileManager.default.contentsOfDirectory(atPath: folder.file("svg/qr")).filter { $0.hasSuffix(".svg") }
        #expect(svgs.count == 40)
        let boxes = try Set(svgs.map { name in
            let text = try String(contentsOfFile: folder.file("svg/qr/" + name), encoding: .utf8)
            return text.firstMatch(of: /viewBox="0 0 (\d+) (\d+)"/).map { "\($0.output.1) \($0.output.2)" } ?? "none"
        })
        #expect(boxes == ["\(modules + 2 * quiet) \(modules + 2 * quiet)"], "\(boxes)")
    }

    @Test("codes.length 18, 19 and 20 work end to end: issued at that length, checked valid, a changed symbol never valid")
    func codeLengths() async throws {
        for length in 18...20 {
            let folder = try TemporaryFolder()
            defer { folder.cleanup() }
            let environment = ["ONECODE_CODES_LENGTH": String(length)]
            #expect(try await Self.run(folder, ["product", "add", "--name", "Tea"], environment).status == 0)
            let issued = try await Self.run(folder, ["batch", "issue", "--product", "1", "--count", "5", "--out", folder.file("out")], environment)
            #expect(issued.status == 0, "\(issued.stderr)")
            #expect(try await Self.run(folder, ["batch", "activate", "1"], environment).status == 0)
            let codes = try CodesCSV(folder.file("out/codes.csv")).codes
            #expect(codes.count == 5 && codes.allSatisfy { $0.count == length }, "\(codes)")
            let valid = try await Self.run(folder, ["code", "check", codes[0]], environment)
            #expect(valid.status == 0 && valid.stdout.hasPrefix("valid"), "\(length): \(valid.stdout) \(valid.stderr)")
            let last = codes[0].last!, swapped = String(codes[0].dropLast()) + (last == "0" ? "1" : "0")
            let changed = try await Self.run(folder, ["code", "check", swapped], environment)
            #expect(changed.status != 0 && !changed.stdout.hasPrefix("valid"), "\(length): \(changed.stdout)")
        }
    }

    @Test("an option wins over the environment, the environment over the config file (codes.baseURL three ways)")
    func precedence() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try #"{"onecode": {"codes": {"baseURL": "https://file.brand.example"}}}"#.write(toFile: folder.file("onecode.json"), atomically: true, encoding: .utf8)
        let file = ["ONECODE_CONFIG": folder.file("onecode.json")]
        #expect(try await Self.run(folder, ["product", "add", "--name", "Tea"], file).status == 0)
        for (name, environment, option, expected) in [
            ("file", file, [String](), "https://file.brand.example/s/"),
            ("environment", file.merging(["ONECODE_CODES_BASE_URL": "https://env.brand.example"]) { $1 }, [], "https://env.brand.example/s/"),
            ("option", file.merging(["ONECODE_CODES_BASE_URL": "https://env.brand.example"]) { $1 }, ["--base-url", "https://option.brand.example"],
             "https://option.brand.example/s/"),
        ] {
            let issued = try await Self.run(folder, ["batch", "issue", "--product", "1", "--count", "1", "--out", folder.file(name)] + option, environment)
            #expect(issued.status == 0, "\(name): \(issued.stderr)")
            let url = try CodesCSV(folder.file(name + "/codes.csv")).urls.first
            #expect(url?.hasPrefix(expected) == true, "\(name): \(String(describing: url))")
        }
    }

    @Test("batch issue draws a progress bar on stderr when it is a terminal, and none when it is not")
    func progressBar() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        #expect(try await Self.run(folder, ["product", "add", "--name", "Tea"]).status == 0)
        // util-linux script(1) gives the command a terminal; its output is what the terminal showed.
        let command = "\(Run.onecode) batch issue --product 1 --count 3000 --out \(folder.file("tty")) > /dev/null"
        let onTerminal = try await Run.run("/usr/bin/script", ["-qec", command, "/dev/null"], cwd: folder.path,
                                           environment: ["ONECODE_CODES_SECRET": "promise-secret-0123456789", "ONECODE_CONFIG": ""])
        #expect(onTerminal.status == 0 && onTerminal.stdout.contains("100% 3000/3000 codes"), "\(onTerminal.stdout.suffix(300))")
        let piped = try await Self.run(folder, ["batch", "issue", "--product", "1", "--count", "3000", "--out", folder.file("pipe")])
        #expect(piped.status == 0 && !piped.stderr.contains("codes, "), "\(piped.stderr.suffix(300))")
    }

    @Test("PostgreSQL: two migrate at once both succeed and apply each migration once; scans live in monthly partitions; sslmode is checked")
    func postgresOperations() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let url = try await Backend.postgres.database(folder)
        async let first = Run.run(Run.onecode, ["migrate", "--database", url], cwd: folder.path, environment: ["ONECODE_CONFIG": ""])
        async let second = Run.run(Run.onecode, ["migrate", "--database", url], cwd: folder.path, environment: ["ONECODE_CONFIG": ""])
        let both = try await [first, second]
        #expect(both.allSatisfy { $0.status == 0 }, "\(both.map(\.stderr))")
        // Each migration once and none missing: as many rows as the highest version (`vN: …`).
        let applied = try await Backend.postgres.query(
            "SELECT count(*) || ' ' || max(substring(name FROM '^v([0-9]+):')::int) FROM onecode_migration", in: folder)
        let parts = applied.split(separator: " ")
        #expect(parts.count == 2 && parts[0] == parts[1] && (Int(parts[0]) ?? 0) > 10, "each migration once: \(applied)")
        let partitions = try await Backend.postgres.query("""
            SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'scan'
            """, in: folder)
        let month = Date.ISO8601FormatStyle.iso8601.year().month().format(Date()).replacingOccurrences(of: "-", with: "_")
        #expect(partitions.contains("scan_\(month)"), "\(partitions)")
        let unchecked = (url.split(separator: "?").first.map(String.init) ?? url) + "?sslmode=sometimes"
        let refused = try await Run.run(Run.onecode, ["batch", "list", "--database", unchecked],
                                        cwd: folder.path, environment: ["ONECODE_CONFIG": ""])
        #expect(refused.status != 0 && refused.stderr.contains("sslmode must be disable, prefer or require"), "\(refused.stderr)")
    }

    /// README's campaign example, the first JSON block under "Campaigns (scan-to-win)", as written.
    static func readmeCampaign() throws -> String {
        let readme = try String(contentsOfFile: DeploymentTests.root + "/README.md", encoding: .utf8)
        let section = try #require(readme.range(of: "## Campaigns (scan-to-win)"), "README has no campaigns section")
        let rest = readme[section.upperBound...]
        let open = try #require(rest.range(of: "```json\n")), close = try #require(rest[open.upperBound...].range(of: "```"))
        return String(rest[open.upperBound..<close.lowerBound])
    }

    @Test("README's campaign example, as written, goes live and draws: a scan of its batch 3 in its region draws once, a scan of batch 1 (outside its scope) does not",
          arguments: Backend.complete)
    func readmeCampaignDraws(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        try await GeoTests.makeMMDB(fixture.folder.file("geo.mmdb"))  // the phones are in CN-44: inside the example's "CN"
        let issuer = try await fixture.token(.issuer), marketing = try await fixture.token(.marketing)
        let example = try Self.readmeCampaign()
        try await fixture.app(["geoip.file": .init(.string(fixture.folder.file("geo.mmdb")), isSecret: false)]).test(.live) { client in
            // The example names product 1 and batches 3 and 4: batch 1 is the fixture's; 2, 3 and 4 are issued here.
            var batches: [[String]] = []
            for _ in 2...4 { batches.append(try await ChannelTests.issue(client, fixture, kind: "unit", count: 2, token: issuer)) }
            let created = try await ChannelTests.call(client, .post, "/api/campaigns", token: marketing,
                                                      try JSONSerialization.jsonObject(with: Data(example.utf8)))
            let status = try created.json()["status"] as? String
            #expect(created.status == .created && status == "live", "\(created.text)")
            let inScope = try await client.execute(uri: "/s/\(batches[1][0])", method: .get, headers: phone(json: true))
            let draws = try inScope.json()["campaign"] as? [[String: Any]] ?? []  // the scan's draws
            #expect(draws.count == 1 && draws.first?["new"] as? Bool == true && ["won", "lost"].contains(draws.first?["result"] as? String ?? ""),
                    "\(inScope.text)")
            let outside = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone(json: true))
            let outsideDraws = try outside.json()["campaign"] as? [Any] ?? []
            #expect(outside.status == .ok && outsideDraws.isEmpty, "\(outside.text)")
        }
        // The command line takes the same file.
        try example.write(toFile: fixture.folder.file("campaign.json"), atomically: true, encoding: .utf8)
        let cli = try await Self.onecode(fixture, ["campaign", "create", "--file", fixture.folder.file("campaign.json")])
        #expect(cli.status == 0, "\(cli.stderr)")
    }

    /// README's first code block in `language` whose text contains `marker`, as written.
    static func readmeBlock(_ language: String, containing marker: String) throws -> String {
        let readme = try String(contentsOfFile: DeploymentTests.root + "/README.md", encoding: .utf8)
        let blocks = readme.components(separatedBy: "```" + language + "\n").dropFirst().compactMap { $0.components(separatedBy: "```").first }
        return try #require(blocks.first { $0.contains(marker) }, "README has no \(language) block with \(marker)")
    }

    @Test("README's channel examples, as written: the packing line's aggregate lines pack a pallet of cases of bottles, the ship lines pass them from a warehouse to dealer 1, to sub-dealer 2, to store 3",
          arguments: Backend.complete)
    func readmeChannelExamples(_ backend: Backend) async throws {
        let (folder, environment) = try await CLITests.prepared(backend)
        defer { folder.cleanup() }
        func onecode(_ arguments: [String]) async throws -> String {
            let result = try await Run.run(Run.onecode, arguments, cwd: folder.path, environment: environment)
            #expect(result.status == 0, "onecode \(arguments.joined(separator: " ")): \(result.stderr)")
            return result.stdout
        }
        var codes: [String: [String]] = [:]
        for (number, (kind, count)) in [("unit", 4), ("case", 2), ("pallet", 1)].enumerated() {
            _ = try await onecode(["batch", "issue", "--product", "1", "--count", String(count), "--kind", kind, "--out", kind])
            _ = try await onecode(["batch", "activate", String(number + 1)])
            codes[kind] = try CodesCSV(folder.file(kind + "/codes.csv")).codes
        }
        let units = codes["unit"]!, cases = codes["case"]!, pallet = codes["pallet"]![0]
        // The files the examples read: two bottles for one case; a pallet of two cases, the second with two bottles.
        try "\(units[0])\n\(units[1])\n".write(toFile: folder.file("bottles.txt"), atomically: true, encoding: .utf8)
        try "\(pallet),\(cases[0])\n\(pallet),\(cases[1])\n\(cases[1]),\(units[2])\n\(cases[1]),\(units[3])\n"
            .write(toFile: folder.file("pallet.csv"), atomically: true, encoding: .utf8)
        try "\(pallet)\n".write(toFile: folder.file("pallets.txt"), atomically: true, encoding: .utf8)
        try "\(cases[1])\n".write(toFile: folder.file("cases.txt"), atomically: true, encoding: .utf8)
        // Run a block as a shell script, with `onecode` on the PATH (CASE_CODE is README's placeholder for a case's code).
        func run(_ block: String) async throws {
            let path = (Run.onecode as NSString).deletingLastPathComponent + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            let script = block.replacingOccurrences(of: "CASE_CODE", with: cases[0])
            let result = try await Run.run("/bin/bash", ["-euo", "pipefail", "-c", script], cwd: folder.path,
                                           environment: environment.merging(["PATH": path]) { $1 })
            #expect(result.status == 0, "\(script)\n\(result.stdout)\(result.stderr)")
        }
        let packing = try Self.readmeBlock("sh", containing: "onecode aggregate --parent CASE_CODE")
        try await run(packing)
        // What the ship example takes as there: warehouse 1, dealer 1, store 3 (its own first line adds dealer 2).
        _ = try await onecode(["warehouse", "add", "--name", "Shanghai DC"])
        _ = try await onecode(["dealer", "add", "--name", "Wholesale", "--territory", "CN"])
        for name in ["Store A", "Store B", "Store C"] { _ = try await onecode(["store", "add", "--name", name]) }
        let shipping = try Self.readmeBlock("sh", containing: "onecode ship --store 3 --from 2")
        #expect(shipping.contains("onecode dealer add --name \"East Trading\""))
        try await run(shipping)
        // Where each bottle is now: packed as the lines say, shipped as the lines say.
        func chain(_ code: String) async throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(try await onecode(["code", "check", code, "--json"]).utf8)) as? [String: Any])
        }
        let first = try await chain(units[0]), last = try await chain(units[3])
        #expect((first["packedIn"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == [cases[0], pallet], "\(first)")
        #expect((last["packedIn"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == [cases[1], pallet], "\(last)")
        let firstShipped = try #require(first["shippedTo"] as? [String: Any]), lastShipped = try #require(last["shippedTo"] as? [String: Any])
        #expect(firstShipped["dealerId"] as? Int == 1 && firstShipped["storeId"] == nil, "\(firstShipped)")
        #expect(lastShipped["dealer"] as? String == "East Trading" && lastShipped["storeId"] as? Int == 3, "\(lastShipped)")
    }

    @Test("README's webhook receiver, as written in Python, accepts a delivery's OneCode-Signature and refuses a changed body, another secret and an old timestamp")
    func readmeWebhookVerifier() async throws {
        let verifier = try Self.readmeBlock("python", containing: "def verify(")
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let secret = Array("whsec-readme-test-0123456789".utf8), body = Data(#"{"type":"scan.recorded","id":7}"#.utf8)
        let now = Int(Date().timeIntervalSince1970)
        let fresh = WebhookDeliverer.signature(secret: secret, timestamp: now, body: body)
        let old = WebhookDeliverer.signature(secret: secret, timestamp: now - 3_600, body: body)
        let script = verifier + """

            import sys
            secret, body = sys.argv[1].encode(), sys.argv[2].encode()
            print(verify(secret, sys.argv[3], body), verify(secret, sys.argv[3], body + b" "), verify(b"other", sys.argv[3], body),
                  verify(secret, sys.argv[4], body))
            """
        try script.write(toFile: folder.file("verify.py"), atomically: true, encoding: .utf8)
        let result = try await Run.run("/usr/bin/python3", [folder.file("verify.py"), String(decoding: secret, as: UTF8.self),
                                                            String(decoding: body, as: UTF8.self), fresh, old])
        #expect(result.stdout == "True False False False\n", "\(result.stdout)\(result.stderr)")
    }

    @Test("/readyz while stopping: on SIGTERM with http.drainSeconds, /readyz answers 503 `stopping` while scans are still taken and recorded; then every accepted scan is committed and serve exits 0")
    func readyzWhileStopping() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 2)
        let (server, base) = try await DurabilityTests.startServer(folder, extra: ["ONECODE_HTTP_DRAIN_SECONDS": "30"])
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        func get(_ path: String) async throws -> (status: Int, body: String) {
            var request = URLRequest(url: URL(string: base + path)!)
            request.setValue("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", forHTTPHeaderField: "User-Agent")
            request.setValue("application/json", forHTTPHeaderField: "Accept")
            let (data, response) = try await DurabilityTests.session.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        #expect(try await get("/readyz").status == 200)
        // A long drain: a busy machine (the whole suite on two cores) may not run this test for seconds at a time.
        kill(server.process.processIdentifier, SIGTERM)
        var ready = (status: 0, body: "")
        #expect(try await eventually(within: 25) { ready = try await get("/readyz"); return ready.status != 200 }, "\(ready)")
        #expect(ready.status == 503 && ready.body.contains(#""reason":"stopping""#), "\(ready)")
        // Still serving while it drains: a phone's scan is answered and recorded.
        let scan = try await get("/s/" + codes[0])
        #expect(scan.status == 200 && scan.body.contains("genuine"), "\(scan)")
        #expect(try await get("/healthz").status == 200)
        let result = await server.wait()
        #expect(result.status == 0 && result.stderr.contains("draining: /readyz answers 503 for 30.0 s"), "\(result.stderr)")
        #expect(result.stderr.contains("every accepted scan is committed"))
        let scans = try await Run.run(Run.onecode, ["scans", codes[0], "--json"], cwd: folder.path, environment: DurabilityTests.environment)
        #expect((try JSONSerialization.jsonObject(with: Data(scans.stdout.utf8)) as? [Any])?.count == 1, "\(scans.stdout)\(scans.stderr)")
    }

    /// Passwords are PostgreSQL's (SQLite has none): this test runs on PostgreSQL only. The test server
    /// (`scripts/pg-cluster`) trusts every role over loopback except `onecode_password`, which must give it.
    @Test("database.passwordFile: a role that must give its password connects with the file's (trimmed) or database.password's, is refused with another or none, and no message prints it")
    func passwordFile() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var location = try await PostgresLocation(url: try Backend.postgres.database(folder))
        let password = "pw-" + UUID().uuidString, wrong = "pw-wrong-" + UUID().uuidString
        let setUp = try await Run.run("/usr/bin/psql", [location.url, "-q", "-v", "ON_ERROR_STOP=1", "-c", """
            DO $$ BEGIN CREATE ROLE onecode_password LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            ALTER ROLE onecode_password PASSWORD '\(password)';
            ALTER DATABASE \(location.database) OWNER TO onecode_password;
            """])
        #expect(setUp.status == 0, "\(setUp.stderr)")
        location.user = "onecode_password"
        let url = location.url
        try "\(password)\n".write(toFile: folder.file("password"), atomically: true, encoding: .utf8)
        try "\(wrong)\n".write(toFile: folder.file("wrong"), atomically: true, encoding: .utf8)
        func onecode(_ arguments: [String], _ environment: [String: String]) async throws -> ProcessResult {
            try await Run.run(Run.onecode, arguments + ["--database", url], cwd: folder.path,
                              environment: DurabilityTests.environment.merging(environment) { $1 })
        }
        let refused = try await onecode(["migrate"], ["ONECODE_DATABASE_PASSWORD_FILE": folder.file("wrong")])
        try #require(refused.status != 0, "the test server must ask onecode_password for its password (start it with scripts/pg-cluster): \(refused.stdout)")
        #expect(!refused.stderr.contains(wrong) && refused.stderr.contains("onecode_password@127.0.0.1:\(location.port)/\(location.database)"),
                "\(refused.stderr)")
        let none = try await onecode(["migrate"], [:])
        #expect(none.status != 0, "\(none.stderr)")
        let migrated = try await onecode(["migrate"], ["ONECODE_DATABASE_PASSWORD_FILE": folder.file("password")])
        #expect(migrated.status == 0 && !migrated.stdout.contains(password) && !migrated.stderr.contains(password), "\(migrated.stderr)")
        let added = try await onecode(["product", "add", "--name", "Tea"], ["ONECODE_DATABASE_PASSWORD": password])
        #expect(added.status == 0, "\(added.stderr)")
        let check = try await onecode(["config", "check"], ["ONECODE_DATABASE_PASSWORD_FILE": folder.file("password")])
        #expect(check.status == 0 && !check.stdout.contains(password) && check.stdout.contains(folder.file("password")), "\(check.stdout)\(check.stderr)")
    }
}

import Foundation
import HummingbirdTesting
import OneCodeDomain
@testable import OneCodeService
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `onecode` binary, run as a user would, in a fresh folder with its default database.
@Suite("onecode CLI")
struct CLITests {
    static let secret = ["ONECODE_CODES_SECRET": "cli-test-secret-0123456789"]

    /// A folder with a database holding one product (id 1, with a GTIN).
    static func prepared() async throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        let added = try await Run.onecode(["product", "add", "--name", "Tea", "--gtin", "6291041500213"], cwd: folder.path, environment: secret)
        #expect(added.status == 0, "\(added.stderr)")
        return folder
    }

    /// The same on `backend`, with the environment that makes every command use its database (the folder's
    /// default SQLite file, or a PostgreSQL database of its own through `ONECODE_DATABASE_URL`).
    static func prepared(_ backend: Backend) async throws -> (TemporaryFolder, [String: String]) {
        let folder = try TemporaryFolder()
        var environment = secret
        if backend == .postgres {
            // As README's deployment on PostgreSQL has it: the schema is made with `migrate` first.
            environment["ONECODE_DATABASE_URL"] = try await backend.database(folder)
            let migrated = try await Run.run(Run.onecode, ["migrate"], cwd: folder.path, environment: environment)
            #expect(migrated.status == 0, "\(migrated.stderr)")
        }
        let added = try await Run.run(Run.onecode, ["product", "add", "--name", "Tea", "--gtin", "6291041500213"], cwd: folder.path, environment: environment)
        #expect(added.status == 0, "\(added.stderr)")
        return (folder, environment)
    }

    static func batchCount(_ folder: TemporaryFolder) async throws -> Int {
        let list = try await Run.onecode(["batch", "list", "--json"], cwd: folder.path, environment: secret)
        let batches = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [Any]
        return batches?.count ?? -1
    }

    @Test("the demo runs on a fresh folder and its codes check as valid")
    func demo() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let demo = try await Run.run(Run.onecode, ["--json"], cwd: folder.path)
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stderr.contains("generated a code secret"))
        let output = try #require(try JSONSerialization.jsonObject(with: Data(demo.stdout.utf8)) as? [String: Any])
        let urls = try #require(output["sampleUrls"] as? [String])
        #expect(urls.count == 3)
        let check = try await Run.run(Run.onecode, ["code", "check", urls[0]], cwd: folder.path)
        #expect(check.status == 0 && check.stdout.hasPrefix("valid:"), "\(check.stdout)\(check.stderr)")
        // A second demo reuses the secret and the product.
        let again = try await Run.run(Run.onecode, [], cwd: folder.path)
        #expect(again.status == 0 && !again.stderr.contains("generated"))
        #expect(try await Run.run(Run.onecode, ["product", "list", "--json"], cwd: folder.path).stdout.components(separatedBy: "\"id\"").count == 2)
        // The table's columns line up on a terminal under Chinese names (two columns a character).
        #expect(try await Run.run(Run.onecode, ["product", "add", "--name", "Oolong", "--name-zh", "乌龙茶", "--gtin", "4006381333931"], cwd: folder.path).status == 0)
        let table = try await Run.run(Run.onecode, ["product", "list"], cwd: folder.path).stdout.split(separator: "\n").map(String.init)
        func columns(_ text: Substring) -> Int { text.unicodeScalars.reduce(0) { $0 + ((0x4E00...0x9FFF).contains($1.value) ? 2 : 1) } }
        let starts = zip(table, ["gtin", "06291041500213", "04006381333931"]).map { line, cell in line.range(of: cell).map { columns(line[..<$0.lowerBound]) } }
        #expect(starts.count == 3 && Set(starts).count == 1 && starts[0] != nil, "\(table)")
    }

    @Test("issue, list, show and check a batch", arguments: Backend.complete)
    func lifecycle(_ backend: Backend) async throws {
        let (folder, environment) = try await Self.prepared(backend)
        defer { folder.cleanup() }
        func onecode(_ arguments: [String], environment: [String: String] = environment) async throws -> ProcessResult {
            try await Run.run(Run.onecode, arguments, cwd: folder.path, environment: environment)
        }
        let issue = try await onecode(["batch", "issue", "--product", "1", "--count", "50", "--lot", "L7", "--region", "CN-31",
                                     "--url-form", "gs1", "--out", "pkg", "--json"])
        #expect(issue.status == 0, "\(issue.stderr)")
        let csv = try CodesCSV(folder.file("pkg/codes.csv"))
        #expect(csv.rows.count == 50)
        let code = csv.codes[0]
        let show = try await onecode(["batch", "show", "1"])
        #expect(show.stdout.contains("50 (50 stored") && show.stdout.contains("CN-31") && show.stdout.contains("L7"))
        // The code's real state: not yet active (exit 1), valid once activated (exit 0), void once blacklisted (exit 1).
        let inactive = try await onecode(["code", "check", code.lowercased()])
        #expect(inactive.status == 1 && inactive.stdout.hasPrefix("inactive:") && inactive.stdout.contains("batch 1"), "\(inactive.stdout)")
        let activated = try await onecode(["batch", "activate", "1"])
        #expect(activated.status == 0)
        let valid = try await onecode(["code", "check", code.lowercased()])
        #expect(valid.status == 0 && valid.stdout.hasPrefix("valid:") && valid.stdout.contains("batch 1"))
        let blacklisted = try await onecode(["code", "blacklist", code, "--reason", "stolen pallet"])
        #expect(blacklisted.status == 0)
        let void = try await onecode(["code", "check", code])
        #expect(void.status == 1 && void.stdout.hasPrefix("void:") && void.stdout.contains("stolen pallet"), "\(void.stdout)")
        // Typed as people type it, as the code-entry page reads it: dashes, spaces, lower case.
        let typed = code.prefix(4).lowercased() + "-" + code.dropFirst(4).prefix(4) + " " + code.dropFirst(8)
        let spaced = try await onecode(["code", "check", typed])
        #expect(spaced.status == 1 && spaced.stdout.hasPrefix("void: \(code)"), "\(typed): \(spaced.stdout)")
        // One symbol wrong is a typo the check symbol catches, never called forged.
        var mistyped = Array(code)
        mistyped[3] = mistyped[3] == "A" ? "B" : "A"
        let bad = try await onecode(["code", "check", String(mistyped), "--json"])
        #expect(bad.status == 1 && bad.stdout.contains("\"verdict\" : \"typo\"") && !bad.stdout.contains("forged"), "\(bad.stdout)")
        let short = try await onecode(["code", "check", "ABC"])
        #expect(short.status == 1 && short.stdout == "malformed: ABC: a code has 17 to 20 letters and digits; this has 3\n", "\(short.stdout)")
        // Under another secret every code would read forged (the check is keyed): the database knows the
        // fingerprint of the secret its codes were issued under, and refuses to run with another.
        let other = try await onecode(["code", "check", code], environment: environment.merging(["ONECODE_CODES_SECRET": "another-secret-0123456789"]) { $1 })
        let theirs = try CodeSigner(secret: Array("another-secret-0123456789".utf8)).fingerprint
        let ours = try CodeSigner(secret: Array(Self.secret["ONECODE_CODES_SECRET"]!.utf8)).fingerprint
        #expect(other.status == 1 && other.stdout.isEmpty && other.stderr.hasPrefix("error: codes.secret: this database's codes were issued under the secret with fingerprint \(ours); the configured secret's fingerprint is \(theirs)"), "\(other.stderr)")
    }

    /// Each bad input: a non-zero exit, an error whose first line names the field, and nothing written.
    @Test("bad input is refused with the field named and nothing written, on each backend", arguments: [
        (["product", "add", "--name", "X", "--gtin", "6291041500214"], "gtin"),
        (["product", "add", "--name", "  "], "name"),
        (["batch", "issue", "--product", "1", "--count", "0", "--out", "pkg"], "count"),
        (["batch", "issue", "--product", "1", "--count=-5", "--out", "pkg"], "count"),
        (["batch", "issue", "--product", "1", "--count", "101", "--out", "pkg"], "count"),
        (["batch", "issue", "--product", "9", "--count", "5", "--out", "pkg"], "product"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "full"], "out"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "/proc/onecode-test/pkg"], "out"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg", "--ec", "X"], "--ec"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg", "--qr", "gif"], "--qr"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg", "--lot", "a b"], "lot"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg", "--production-date", "2026-02-30"], "production-date"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg", "--region", "china"], "region"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg", "--base-url", "ftp://x"], "base-url"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg", "--qr", "pdf", "--roll", "40by30"], "roll"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg", "--qr", "pdf", "--roll", "20x20"], "roll"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg", "--qr", "svg", "--roll", "40x30"], "roll"),
        (["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg", "--qr", "pdf", "--labels-per-file", "0"], "labels-per-file"),
        (["qr", String(repeating: "x", count: 3000), "--out", "big.png", "--ec", "H"], "text"),
        (["qr", "hello", "--out", "hello.gif"], "out"),
    ])
    func badInput(arguments: [String], field: String) async throws {
        for backend in Backend.complete {
            let (folder, environment) = try await Self.prepared(backend)
            defer { folder.cleanup() }
            try FileManager.default.createDirectory(atPath: folder.file("full"), withIntermediateDirectories: false)
            _ = FileManager.default.createFile(atPath: folder.file("full/x"), contents: Data())
            let before = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            let result = try await Run.run(Run.onecode, arguments, cwd: folder.path, environment: environment.merging(["ONECODE_BATCH_MAX_COUNT": "100"]) { $1 })
            #expect(result.status != 0, "\(backend)")
            let firstLine = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(firstLine.contains(field), "\(backend) stderr: \(result.stderr)")
            #expect(!firstLine.contains("Fatal") && result.reason == .exit)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == before, "\(backend): a file was left")
            let list = try await Run.run(Run.onecode, ["batch", "list", "--json"], cwd: folder.path, environment: environment)
            #expect((try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [Any])?.count == 0, "\(backend): \(list.stdout)")
        }
    }

    @Test("production mode refuses to issue without a secret")
    func productionNeedsSecret() async throws {
        let folder = try await Self.prepared()
        defer { folder.cleanup() }
        try? FileManager.default.removeItem(atPath: folder.file("data/secret"))
        let result = try await Run.run(Run.onecode, ["batch", "issue", "--product", "1", "--count", "5", "--out", "pkg"], cwd: folder.path,
                                     environment: ["ONECODE_MODE": "production"])
        #expect(result.status == 1 && result.stderr.hasPrefix("error: codes.secret:"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("pkg")))
        #expect(!FileManager.default.fileExists(atPath: folder.file("data/secret")))
    }

    /// Starts a large issuance and waits until it is writing codes.
    static func startLargeIssue(_ folder: TemporaryFolder) async throws -> Run.Started {
        let started = try Run.start(Run.onecode, ["batch", "issue", "--product", "1", "--count", "5000000", "--out", "pkg"],
                                    cwd: folder.path, environment: secret)
        let csv = folder.file(".pkg.partial/codes.csv")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let size = (try? FileManager.default.attributesOfItem(atPath: csv))?[.size] as? Int, size > 1_000_000 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(started.process.isRunning, "issuance ended before it could be interrupted")
        return started
    }

    @Test("Ctrl-C part-way: exit 130, no batch, no package, nothing left behind")
    func interrupt() async throws {
        let folder = try await Self.prepared()
        defer { folder.cleanup() }
        let started = try await Self.startLargeIssue(folder)
        kill(started.process.processIdentifier, SIGINT)
        let result = await started.wait()
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("interrupted"))
        #expect(try await Self.batchCount(folder) == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.file("pkg")))
        #expect(!FileManager.default.fileExists(atPath: folder.file(".pkg.partial")))
    }

    @Test("a crash part-way (SIGKILL) keeps no batch and no package; the next run succeeds")
    func crash() async throws {
        let folder = try await Self.prepared()
        defer { folder.cleanup() }
        let started = try await Self.startLargeIssue(folder)
        kill(started.process.processIdentifier, SIGKILL)
        let result = await started.wait()
        #expect(result.reason == .uncaughtSignal)
        #expect(try await Self.batchCount(folder) == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.file("pkg")))
        let again = try await Run.run(Run.onecode, ["batch", "issue", "--product", "1", "--count", "10", "--out", "pkg"], cwd: folder.path, environment: Self.secret)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try await Self.batchCount(folder) == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.file(".pkg.partial")))
    }

    /// The subcommands a command's `--help` lists.
    static func subcommands(_ help: String) -> [String] {
        guard let section = help.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first else { return [] }
        // The list ends at the first empty line ("See 'onecode help …'" follows it).
        let list = section.components(separatedBy: "\n\n").first ?? ""
        return list.split(separator: "\n").compactMap { line -> String? in
            // "  name (default)   Description": a name two spaces in; continuation lines are indented further.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { return nil }
            return String(name)
        }
    }

    @Test("every command explains itself with --help: the whole tree, walked from the top, each with an overview, usage and its options")
    func help() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var pending: [[String]] = [[]], seen: [[String]] = []
        while let command = pending.popLast(), seen.count < 500 {
            let result = try await Run.run(Run.onecode, command + ["--help"], cwd: folder.path)
            #expect(result.status == 0, "\(command)")
            #expect(result.stdout.contains("OVERVIEW:") && result.stdout.contains("USAGE: onecode"), "\(command): \(result.stdout)")
            let children = Self.subcommands(result.stdout)
            // A leaf says what it takes; every one shows --help itself.
            #expect(result.stdout.contains("-h, --help"), "\(command)")
            pending += children.map { command + [$0] }
            seen.append(command)
        }
        #expect(seen.count >= 58, "only \(seen.count) commands found")
        for expected in [["serve"], ["config", "check"], ["segment", "refresh"], ["leads", "export"], ["db", "copy"], ["webhooks", "retry"],
                         ["report", "diversion"], ["consumer", "forget"], ["migrate"]] {
            #expect(seen.contains(expected), "\(expected) missing from the tree")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("data")))
    }

    @Test("qr draws a symbol zbar reads, in each format")
    func qr() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        for file in ["a.png", "a.svg", "a.pdf"] {
            let result = try await Run.run(Run.onecode, ["qr", "https://example.com/s/HELLO", "--out", file, "--ec", "H"], cwd: folder.path)
            #expect(result.status == 0, "\(result.stderr)")
        }
        // Each file read back as a phone would see it: the PNG as is, the SVG and the PDF rasterised.
        #expect(try await Run.zbar(folder.file("a.png")) == ["https://example.com/s/HELLO"])
        try await Run.rasterise(svg: folder.file("a.svg"), png: folder.file("svg.png"))
        #expect(try await Run.zbar(folder.file("svg.png")) == ["https://example.com/s/HELLO"])
        let page = try await Run.run("/usr/bin/pdftoppm", ["-r", "300", "-gray", "-png", "-singlefile", folder.file("a.pdf"), folder.file("pdf")])
        #expect(page.status == 0, "\(page.stderr)")
        #expect(try await Run.zbar(folder.file("pdf.png")) == ["https://example.com/s/HELLO"])
        let exists = try await Run.run(Run.onecode, ["qr", "again", "--out", "a.png"], cwd: folder.path)
        #expect(exists.status == 1 && exists.stderr.contains("out:"))
    }

    @Test("lifecycle commands: activate, void, blacklist, scans, token create", arguments: Backend.complete)
    func lifecycleCommands(_ backend: Backend) async throws {
        let (folder, env) = try await Self.prepared(backend)
        defer { folder.cleanup() }
        let issued = try await Run.run(Run.onecode, ["batch", "issue", "--product", "1", "--count", "3", "--out", "pkg"], cwd: folder.path, environment: env)
        #expect(issued.status == 0, "\(issued.stderr)")
        let code = try CodesCSV(folder.file("pkg/codes.csv")).codes[0]
        var result = try await Run.run(Run.onecode, ["batch", "activate", "1"], cwd: folder.path, environment: env)
        #expect(result.status == 0 && result.stdout.contains("batch 1 is active"))
        let again = try await Run.run(Run.onecode, ["batch", "activate", "1"], cwd: folder.path, environment: env)
        #expect(again.status == 0)
        result = try await Run.run(Run.onecode, ["code", "blacklist", code, "--reason", "counterfeit sample", "--json"], cwd: folder.path, environment: env)
        #expect(result.status == 0 && result.stdout.contains("counterfeit sample"))
        result = try await Run.run(Run.onecode, ["code", "blacklist", "AAAAAAAAAAAAAAAAA", "--reason", "x"], cwd: folder.path, environment: env)
        #expect(result.status == 1 && result.stderr.hasPrefix("error: code:"))
        result = try await Run.run(Run.onecode, ["code", "blacklist", code, "--reason", "  "], cwd: folder.path, environment: env)
        #expect(result.status == 1 && result.stderr.hasPrefix("error: reason:"))
        result = try await Run.run(Run.onecode, ["scans", code], cwd: folder.path, environment: env)
        #expect(result.status == 0 && result.stdout.hasPrefix("no scans of \(code)"))
        // Voiding is final: refused without --yes when nobody can be asked; on a terminal, the batch id typed confirms.
        result = try await Run.run(Run.onecode, ["batch", "void", "1"], cwd: folder.path, environment: env)
        #expect(result.status == 1 && result.stderr.hasPrefix("error: yes:") && result.stderr.contains("--yes"), "\(result.stderr)")
        let declined = try await Run.run("/bin/sh", ["-c", "echo 2 | script -qec '\(Run.onecode) batch void 1' /dev/null"], cwd: folder.path, environment: env)
        #expect(declined.status == 1 && declined.stdout.contains("Type the batch id to confirm") && declined.stdout.contains("not confirmed"), "\(declined.stdout)")
        result = try await Run.run(Run.onecode, ["batch", "list"], cwd: folder.path, environment: env)
        #expect(!result.stdout.contains("void"), "\(result.stdout)")
        let confirmed = try await Run.run("/bin/sh", ["-c", "echo 1 | script -qec '\(Run.onecode) batch void 1' /dev/null"], cwd: folder.path, environment: env)
        #expect(confirmed.status == 0 && confirmed.stdout.contains("batch 1 is void"), "\(confirmed.stdout)")
        result = try await Run.run(Run.onecode, ["batch", "void", "1", "--yes"], cwd: folder.path, environment: env)
        #expect(result.status == 0 && result.stdout.contains("void"))
        result = try await Run.run(Run.onecode, ["batch", "activate", "1"], cwd: folder.path, environment: env)
        #expect(result.status == 1 && result.stderr.hasPrefix("error: status:"), "\(result.stderr)")
        result = try await Run.run(Run.onecode, ["batch", "activate", "7"], cwd: folder.path, environment: env)
        #expect(result.status == 1 && result.stderr.hasPrefix("error: id:"), "\(result.stderr)")
        result = try await Run.run(Run.onecode, ["token", "create", "--scope", "sales", "--name", "crm sync", "--json"], cwd: folder.path, environment: env)
        #expect(result.status == 0)
        let token = try #require((try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["token"] as? String)
        #expect(token.hasPrefix("oc_") && token.count == 55)
        let stored = try await backend.query("SELECT count(*) FROM api_token WHERE name = 'crm sync' AND scope = 'sales'", in: folder,
                                       name: backend == .sqlite ? "data/onecode.sqlite" : "onecode.sqlite")
        #expect(stored == "1")
        result = try await Run.run(Run.onecode, ["token", "create", "--scope", "root", "--name", "x"], cwd: folder.path, environment: env)
        #expect(result.status != 0 && result.stderr.contains("--scope"))
    }

    @Test("`onecode serve` on a fresh folder: demo data, scan URLs and an admin token that work; SIGTERM exits 0")
    func serveDemo() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // --port 0: the server picks a free port; the demo's lines name the one it got.
        let server = try Run.start(Run.onecode, ["serve", "--port", "0"], cwd: folder.path)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }  // on every path
        var stderr = ""
        _ = try await eventually {
            stderr = (try? String(contentsOfFile: server.err, encoding: .utf8)) ?? ""
            return stderr.contains("/api/stats/verdicts") || !server.process.isRunning
        }
        let listening = try #require(stderr.split(separator: "\n").first { $0.hasPrefix("onecode: listening on http://127.0.0.1:") }, "\(stderr)")
        let port = try #require(Int(listening.split(separator: ":").last ?? ""))
        #expect(port != 0 && !stderr.contains("127.0.0.1:0/"), "\(stderr)")
        let base = "http://127.0.0.1:\(port)"
        let url = try #require(stderr.split(separator: "\n").first { $0.contains("/01/06291041500213/") }?.trimmingCharacters(in: .whitespaces))
        let token = try String(contentsOfFile: folder.file("data/demo-admin-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(stderr.contains(token))
        // In demo mode the printed URLs follow the port served.
        #expect(url.hasPrefix("http://127.0.0.1:\(port)/01/"), "\(url)")
        var request = URLRequest(url: URL(string: url)!)
        request.setValue("Mozilla/5.0 (iPhone)", forHTTPHeaderField: "User-Agent")
        let (page, response) = try await DurabilityTests.session.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: page, as: UTF8.self).contains("Genuine product"))
        var api = URLRequest(url: URL(string: base + "/api/stats/verdicts")!)
        api.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (stats, statsResponse) = try await DurabilityTests.session.data(for: api)
        #expect((statsResponse as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: stats, as: UTF8.self).contains("\"genuine\":1"))
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.wait().status == 0)
    }

    @Test("a batch issued on the command line is downloadable from the API, byte for byte as written to --out")
    func cliPackageOverAPI() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        _ = try await DurabilityTests.prepare(folder, count: 5)
        let created = try await Run.run(Run.onecode, ["token", "create", "--scope", "issuer", "--name", "print house"], cwd: folder.path, environment: DurabilityTests.environment)
        let token = try #require(created.stdout.split(separator: "\n").first { $0.hasPrefix("oc_") }.map(String.init))
        let (server, base) = try await DurabilityTests.startServer(folder)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        var request = URLRequest(url: URL(string: base + "/api/batches/1/package.zip")!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (zip, response) = try await DurabilityTests.session.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        try zip.write(to: URL(fileURLWithPath: folder.file("package.zip")))
        let unzip = try await Run.run("/usr/bin/python3", ["-c", """
            import sys, zipfile, hashlib
            z = zipfile.ZipFile(sys.argv[1])
            for name in ("codes.csv", "manifest.json"):
                print(hashlib.sha256(z.read("batch-1/" + name)).hexdigest() == hashlib.sha256(open(sys.argv[2] + "/" + name, "rb").read()).hexdigest())
            """, folder.file("package.zip"), folder.file("pkg")])
        #expect(unzip.stdout == "True\nTrue\n", "\(unzip.stdout) \(unzip.stderr)")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.wait().status == 0)
    }

    @Test("a bad command line is one error line in the common style, naming the option, with a did-you-mean; exit 64")
    func usageErrors() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        for (arguments, expected) in [
            (["batch", "issue", "--product", "1", "--cuont", "5"], "error: cuont: `onecode batch issue` has no option --cuont (did you mean --count?)"),
            (["batch", "issue", "--product", "1", "--out", "x"], "error: count: is required (--count)"),
            (["product", "ad"], "error: ad: not a command of `onecode product` (did you mean add?)"),
            // A mistyped command with more after it (found by a brand team: "2 unexpected arguments").
            (["campain", "list", "--database", "x.sqlite"], "error: campain: not a command of `onecode` (did you mean campaign?)"),
            (["campaign", "lst"], "error: lst: not a command of `onecode campaign` (did you mean list?)"),
            (["batch", "issue", "--product", "x", "--count", "5", "--out", "y"], "error: product: 'x' is not a valid value for --product <id>"),
            (["token", "revoke"], "error: id: is required"),
            (["--frobnicate"], "error: frobnicate: unknown option"),
        ] {
            let result = try await Run.run(Run.onecode, arguments, cwd: folder.path, timeout: 60)
            #expect(result.status == 64 && result.stderr.hasPrefix(expected), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("--help`") && !result.stderr.contains("Error:"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.file("data")), "\(arguments) made a database")
        }
        // Help and version are not errors.
        #expect(try await Run.run(Run.onecode, ["batch", "issue", "--help"], cwd: folder.path).status == 0)
        #expect(try await Run.run(Run.onecode, ["--version"], cwd: folder.path).status == 0)
    }

    @Test("`onecode serve` in demo mode on a database that holds data adds no demo data and no token, and says how to make one")
    func serveDemoOnData() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        #expect(try await Run.run(Run.onecode, ["product", "add", "--name", "Real tea"], cwd: folder.path).status == 0)
        let server = try Run.start(Run.onecode, ["serve", "--port", "0"], cwd: folder.path)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        let base = try await server.listening() ?? "http://127.0.0.1:1"
        #expect(try await eventually(every: .milliseconds(50)) {
            (try? await DurabilityTests.session.data(from: URL(string: "\(base)/healthz")!)) != nil
        })
        kill(server.process.processIdentifier, SIGTERM)
        let result = await server.wait()
        #expect(result.status == 0)
        // Said once listening; read after the stop, when every line is written.
        #expect(result.stderr.contains("no demo token is made") && result.stderr.contains("onecode token create"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("data/demo-admin-token")))
        let counts = try await Run.run("/usr/bin/sqlite3", [folder.file("data/onecode.sqlite"), "SELECT count(*) FROM api_token; SELECT count(*) FROM product"]).stdout
        #expect(counts == "0\n1\n")
    }

    @Test("files are their owner's alone from the start; production refuses a secret others can read or one of too little entropy")
    func privateFiles() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        func mode(_ name: String) throws -> Int {
            ((try FileManager.default.attributesOfItem(atPath: folder.file(name))[.posixPermissions]) as? NSNumber)?.intValue ?? -1
        }
        #expect(try await Run.run(Run.onecode, ["product", "add", "--name", "Tea"], cwd: folder.path).status == 0)
        #expect(try await Run.run(Run.onecode, ["batch", "issue", "--product", "1", "--count", "5", "--out", folder.file("pkg")], cwd: folder.path).status == 0)
        #expect(try await Run.run(Run.onecode, ["leads", "export", "--format", "csv", "--out", folder.file("leads.csv")], cwd: folder.path).status == 0)
        #expect(try mode("data") == 0o700)
        for file in ["data/onecode.sqlite", "data/secret", "pkg/codes.csv", "pkg/manifest.json", "leads.csv"] {
            let found = try mode(file)
            #expect(found == 0o600, "\(file): \(String(found, radix: 8))")
        }
        if FileManager.default.fileExists(atPath: folder.file("data/onecode.sqlite-wal")) { #expect(try mode("data/onecode.sqlite-wal") == 0o600) }

        // Names reach terminals: one with an escape sequence is refused.
        let shop = try await Run.run(Run.onecode, ["store", "add", "--name", "Shop\u{1B}[2J"], cwd: folder.path)
        #expect(shop.status != 0 && shop.stderr.contains("name: must not contain control characters"))

        // `onecode secret generate`: 64 hex digits; --out writes a new 0600 file.
        let generated = try await Run.run(Run.onecode, ["secret", "generate"], cwd: folder.path)
        let secret = generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(generated.status == 0 && secret.count == 64 && secret.allSatisfy(\.isHexDigit))
        #expect(try await Run.run(Run.onecode, ["secret", "generate", "--out", folder.file("prod-secret")], cwd: folder.path).status == 0)
        #expect(try mode("prod-secret") == 0o600)

        let production = ["ONECODE_MODE": "production", "ONECODE_CODES_SECRET_FILE": folder.file("prod-secret")]
        #expect(try await Run.run(Run.onecode, ["code", "check", "0000000000000000A"], cwd: folder.path, environment: production).stderr.contains("codes.secretFile") == false)
        chmod(folder.file("prod-secret"), 0o644)
        let readable = try await Run.run(Run.onecode, ["batch", "issue", "--product", "1", "--count", "1", "--out", folder.file("p2")], cwd: folder.path, environment: production)
        #expect(readable.status != 0 && readable.stderr.contains("codes.secretFile") && readable.stderr.contains("chmod 600"), "\(readable.stderr)")
        let weak = try await Run.run(Run.onecode, ["batch", "issue", "--product", "1", "--count", "1", "--out", folder.file("p3")], cwd: folder.path,
                                   environment: ["ONECODE_MODE": "production", "ONECODE_CODES_SECRET": String(repeating: "a", count: 32)])
        #expect(weak.status != 0 && weak.stderr.contains("codes.secret") && weak.stderr.contains("onecode secret generate"), "\(weak.stderr)")

        // Codes that point at this machine open on no phone: refused in production, a warning in demo mode.
        // (A database of its own: the folder's codes are the demo secret's, and no other secret may touch them.)
        let good = ["ONECODE_MODE": "production", "ONECODE_CODES_SECRET": secret, "ONECODE_DATABASE_PATH": folder.file("prod.sqlite")]
        for arguments in [["migrate"], ["product", "add", "--name", "Tea"]] {
            let result = try await Run.run(Run.onecode, arguments, cwd: folder.path, environment: good)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        for base in ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"] {
            let loopback = try await Run.run(Run.onecode, ["batch", "issue", "--product", "1", "--count", "1", "--out", folder.file("p4"),
                                                         "--base-url", base], cwd: folder.path, environment: good)
            #expect(loopback.status == 1 && loopback.stderr.contains("error: base-url: \(base) is this machine"), "\(base): \(loopback.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.file("p4")))
        }
        let public_ = try await Run.run(Run.onecode, ["batch", "issue", "--product", "1", "--count", "1", "--out", folder.file("p5"),
                                                    "--base-url", "https://q.brand.example"], cwd: folder.path, environment: good)
        #expect(public_.status == 0 && !public_.stderr.contains("warning"), "\(public_.stderr)")
        let demo = try await Run.run(Run.onecode, ["batch", "issue", "--product", "1", "--count", "1", "--out", folder.file("p6")], cwd: folder.path)
        #expect(demo.status == 0 && demo.stderr.contains("warning: the codes point at http://127.0.0.1:8080, this machine"), "\(demo.stderr)")
    }

    @Test("`onecode --version`, `/healthz` and the build_info metric name this build's version")
    func version() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let printed = try await Run.run(Run.onecode, ["--version"], cwd: folder.path)
        #expect(printed.status == 0 && printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == OneCodeVersion.current)
        let fixture = try await ServiceFixture(count: 1)
        defer { fixture.folder.cleanup() }
        try await fixture.app().test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            let healthJSON = try health.json()
            #expect(health.status == .ok && healthJSON["version"] as? String == OneCodeVersion.current)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.text.contains("onecode_build_info{version=\"\(OneCodeVersion.current)\"} 1"))
        }
    }
}

import Crypto
import Foundation
import HummingbirdOTP
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import OneCodeApplication
import OneCodeDomain
import OneCodeStorage
@testable import OneCodeService

/// A browser's view of the console without the browser: a cookie jar, forms posted as a browser posts
/// them, redirects not followed (each answer is read as it comes).
final class ConsoleClient: @unchecked Sendable {
    let base: String
    private(set) var cookies: [String: String] = [:]
    /// Every `Set-Cookie` line seen, newest last.
    private(set) var setCookies: [String] = []
    nonisolated(unsafe) static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForRequest = 30
        return URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }()

    final class NoRedirects: NSObject, URLSessionTaskDelegate {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) { completionHandler(nil) }
    }

    init(_ base: String) { self.base = base }

    /// Takes a cookie another client was given (the same browser talking to another node).
    func adopt(_ name: String, _ value: String) { cookies[name] = value }

    struct Answer {
        var status: Int
        var body: String
        var headers: [String: String]
        var location: String? { headers["Location"] }
    }

    func get(_ path: String, language: String = "en") async throws -> Answer {
        var request = URLRequest(url: URL(string: base + path)!)
        request.setValue(language, forHTTPHeaderField: "Accept-Language")
        return try await send(request)
    }

    func post(_ path: String, _ fields: [(String, String)]) async throws -> Answer {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        request.httpBody = Data(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&").utf8)
        return try await send(request)
    }

    private func send(_ original: URLRequest) async throws -> Answer {
        var request = original
        if !cookies.isEmpty { request.setValue(cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "), forHTTPHeaderField: "Cookie") }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields { headers["\(name)"] = "\(value)" }
        // Each Set-Cookie separately (Foundation joins them with ", ").
        for line in http.value(forHTTPHeaderField: "Set-Cookie").map(Self.splitCookies) ?? [] {
            setCookies.append(line)
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if line.contains("Max-Age=0") || line.contains("Expires=Thu, 01 Jan 1970") { cookies[pair[0]] = nil } else { cookies[pair[0]] = pair[1] }
        }
        return Answer(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: headers)
    }

    static func splitCookies(_ joined: String) -> [String] {
        // "a=1; Path=/, b=2; Expires=Mon, 07 Dec 2026 …": a comma starts a new cookie only before "name=".
        var lines: [String] = [], current = ""
        for part in joined.components(separatedBy: ", ") {
            if let equals = part.firstIndex(of: "="), !part[..<equals].contains(" "), !part[..<equals].contains(";"), !current.isEmpty,
               !(current.hasSuffix("Expires=Mon") || current.hasSuffix("Expires=Tue") || current.hasSuffix("Expires=Wed")
                 || current.hasSuffix("Expires=Thu") || current.hasSuffix("Expires=Fri") || current.hasSuffix("Expires=Sat") || current.hasSuffix("Expires=Sun")) {
                lines.append(current)
                current = part
            } else {
                current = current.isEmpty ? part : current + ", " + part
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// The value of the hidden `csrf` field of the page's first form.
    static func csrf(_ page: String) -> String? {
        guard let range = page.range(of: #"name="csrf" value=""#) else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Signs in as `name`: the sign-in page, then its form posted.
    @discardableResult
    func signIn(_ name: String, _ password: String) async throws -> Answer {
        let form = try await get("/console/login")
        return try await post("/console/login", [("csrf", Self.csrf(form.body) ?? ""), ("name", name), ("password", password), ("next", "")])
    }
}

@Suite("The console: sign-in, sessions, roles and forms", .serialized)
struct ConsoleTests {
    /// A prepared folder (`prepared`) with `files` written in it, the `onecode` commands `before` run in it, and
    /// `onecode serve` on it.
    final class Served: Sendable {
        let folder: TemporaryFolder, environment: [String: String], server: Run.Started, base: String
        init(folder: TemporaryFolder, environment: [String: String], server: Run.Started, base: String) {
            (self.folder, self.environment, self.server, self.base) = (folder, environment, server, base)
        }
        /// Stops the server (by its PID) and removes the folder.
        func close() {
            if server.process.isRunning { kill(server.process.processIdentifier, SIGTERM); _ = server.waitBlocking() }
            folder.cleanup()
        }
    }

    static func served(_ backend: Backend, files: [String: String] = [:], before commands: [[String]] = [],
                       serverEnvironment: [String: String] = [:]) async throws -> Served {
        let (folder, environment) = try await prepared(backend)
        for (name, text) in files { try text.write(toFile: folder.file(name), atomically: true, encoding: .utf8) }
        for arguments in commands {
            let result = try await Run.run(Run.onecode, arguments, cwd: folder.path, environment: environment)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let (server, base) = try await DurabilityTests.startServer(folder, extra: environment.merging(serverEnvironment) { _, b in b })
        return Served(folder: folder, environment: environment, server: server, base: base)
    }

    /// The database `CLITests.prepared` made: SQLite's where `serve` finds it, PostgreSQL's by the folder.
    static func name(_ backend: Backend) -> String { backend == .sqlite ? "data/onecode.sqlite" : "onecode.sqlite" }

    /// A folder with a demo batch and two console users (an admin and a marketer), on `backend`.
    static func prepared(_ backend: Backend) async throws -> (TemporaryFolder, [String: String]) {
        let (folder, environment) = try await CLITests.prepared(backend)
        for (name, role, password) in [("alice", "admin", "correct horse battery"), ("mona", "marketing", "marketing pass 1")] {
            try password.write(toFile: folder.file("\(name).pw"), atomically: true, encoding: .utf8)
            let added = try await Run.run(Run.onecode, ["user", "add", "--name", name, "--role", role, "--password-file", folder.file("\(name).pw")],
                                          cwd: folder.path, environment: environment)
            #expect(added.status == 0, "\(added.stderr)")
        }
        return (folder, environment)
    }

    @Test("sign-in: a session cookie HttpOnly, SameSite=Strict, path /console; the database holds its SHA-256, not the id; sign-out ends it", arguments: Backend.complete)
    func sessions(backend: Backend) async throws {
        let world = try await Self.served(backend)
        defer { world.close() }
        let (folder, environment, server, base) = (world.folder, world.environment, world.server, world.base)
        let browser = ConsoleClient(base)
        let first = try await browser.get("/console/overview")
        #expect(first.status == 303 && first.location == "/console/login?next=/console/overview", "\(first.status) \(first.headers)")
        let signedIn = try await browser.signIn("alice", "correct horse battery")
        #expect(signedIn.status == 303 && signedIn.location == "/console/overview", "\(signedIn.status) \(signedIn.body)")
        let cookie = try #require(browser.setCookies.last { $0.hasPrefix("onecode_console=") })
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"), "\(cookie)")
        #expect(!cookie.contains("Secure"), "not Secure over plain http unless cookie.secure says so")
        let id = try #require(browser.cookies["onecode_console"])
        let hash = SHA256.hash(data: Data("console.\(id)".utf8)).map { String(format: "%02x", $0) }.joined()
        let dump = try await backend.dumpAll(in: folder, name: Self.name(backend)).stdout
        #expect(!dump.contains(id), "the session id itself is stored")
        #expect(dump.lowercased().contains(hash), "the session's hash is not stored")
        let overview = try await browser.get("/console/overview")
        #expect(overview.status == 200 && overview.body.contains(#"id="signed-in-as">alice · administrator"#), "\(overview.body.prefix(600))")
        #expect(overview.headers["Content-Security-Policy"]?.contains("script-src 'self'") == true)
        #expect(overview.body.contains("Days are UTC days: each runs from 08:00 to 08:00 (Beijing time)."), "\(overview.body.prefix(3000))")
        let css = try await browser.get("/console/static/console.css")
        #expect(css.status == 200 && css.headers["Content-Type"]?.hasPrefix("text/css") == true && css.body.contains("nav.areas"))
        // Sign-out needs the form's token; then the session is gone from the database and the cookie signs no one in.
        let refused = try await browser.post("/console/logout", [("csrf", "wrong")])
        #expect(refused.status == 403)
        #expect(try await browser.get("/console/overview").status == 200, "a refused sign-out ended the session")
        let out = try await browser.post("/console/logout", [("csrf", ConsoleClient.csrf(overview.body) ?? "")])
        #expect(out.status == 303 && out.location == "/console/login")
        #expect(try await backend.count("console_session", in: folder, name: Self.name(backend)) == 0)
        let stale = ConsoleClient(base)
        _ = try await stale.get("/console/login")
        let replay = try await { () async throws -> ConsoleClient.Answer in
            var request = URLRequest(url: URL(string: base + "/console/overview")!)
            request.setValue("onecode_console=\(id)", forHTTPHeaderField: "Cookie")
            let (_, response) = try await ConsoleClient.session.data(for: request)
            return .init(status: (response as! HTTPURLResponse).statusCode, body: "", headers: [:])
        }()
        #expect(replay.status == 303, "the old session id still signs in")
        // The audit log has the sign-in, with the user as its actor.
        let audit = try await backend.query("SELECT actor_kind || ':' || actor_name || ':' || action FROM audit_log WHERE action = 'user.signin'", in: folder, name: Self.name(backend))
        #expect(audit == "user:alice:user.signin", "\(audit)")
    }

    @Test("a wrong password five times throttles the account (the right one too) on every node; the address's failures count across names", arguments: Backend.complete)
    func throttle(backend: Backend) async throws {
        let world = try await Self.served(backend)
        defer { world.close() }
        let (folder, environment, server, base) = (world.folder, world.environment, world.server, world.base)
        let browser = ConsoleClient(base)
        for attempt in 1...5 {
            let wrong = try await browser.signIn("alice", "guess \(attempt)")
            #expect(wrong.status == 401 && wrong.body.contains("do not match"), "attempt \(attempt): \(wrong.status)")
            #expect(wrong.body.contains(#"value="alice""#), "the name is kept in the form")
        }
        let throttled = try await browser.signIn("alice", "correct horse battery")
        #expect(throttled.status == 429 && throttled.headers["Retry-After"] == "900" && throttled.body.contains("Try again in 15 minutes"),
                "\(throttled.status) \(throttled.headers)")
        // The other node (PostgreSQL) or the restarted one (SQLite) refuses alike: the failures are in the database.
        kill(server.process.processIdentifier, SIGTERM)
        _ = await server.wait()
        let (again, base2) = try await DurabilityTests.startServer(folder, extra: environment)
        defer { kill(again.process.processIdentifier, SIGTERM); _ = again.waitBlocking() }
        let elsewhere = try await ConsoleClient(base2).signIn("alice", "correct horse battery")
        #expect(elsewhere.status == 429, "\(elsewhere.status)")
        // Another account from the same address is not locked out by alice's failures (5 < 20).
        let mona = try await ConsoleClient(base2).signIn("mona", "marketing pass 1")
        #expect(mona.status == 303, "\(mona.status)")
        // Without the sign-in form's token the post is refused before the password is read.
        let bare = try await ConsoleClient(base2).post("/console/login", [("name", "mona"), ("password", "marketing pass 1")])
        #expect(bare.status == 403 && bare.body.contains("expired"), "\(bare.status)")
        #expect(try await backend.query("SELECT count(*) FROM sign_in_failure WHERE account = 'alice'", in: folder, name: Self.name(backend)) == "5")
    }

    @Test("roles: marketing sees the overview and not admin; admin adds a user by form (CSRF checked, errors beside the field); a session made on one node is valid on the other", arguments: Backend.complete)
    func roles(backend: Backend) async throws {
        let world = try await Self.served(backend)
        defer { world.close() }
        let (folder, environment, server, base) = (world.folder, world.environment, world.server, world.base)
        let mona = ConsoleClient(base)
        try await mona.signIn("mona", "marketing pass 1")
        let page = try await mona.get("/console/overview")
        #expect(page.status == 200 && page.body.contains(#"id="nav-overview""#) && !page.body.contains(#"id="nav-admin""#))
        let forbidden = try await mona.get("/console/admin/users")
        #expect(forbidden.status == 403 && forbidden.body.contains("does not include"), "\(forbidden.status)")
        let post = try await mona.post("/console/admin/users", [("csrf", ConsoleClient.csrf(page.body) ?? ""), ("name", "eve"), ("role", "admin"),
                                                               ("password", "long enough password")])
        #expect(post.status == 403)
        let alice = ConsoleClient(base)
        try await alice.signIn("alice", "correct horse battery")
        let users = try await alice.get("/console/admin/users")
        let token = try #require(ConsoleClient.csrf(users.body))
        let noToken = try await alice.post("/console/admin/users", [("name", "sam"), ("role", "sales"), ("password", "long enough password")])
        #expect(noToken.status == 403 && noToken.body.contains("security token"), "\(noToken.status)")
        let wrong = try await alice.post("/console/admin/users", [("csrf", token), ("name", "x"), ("role", "sales"), ("password", "long enough password")])
        #expect(wrong.status == 400 && wrong.body.contains(#"id="error-name""#) && wrong.body.contains(#"value="x""#), "\(wrong.status)")
        let added = try await alice.post("/console/admin/users", [("csrf", token), ("name", "sam"), ("role", "sales"), ("password", "long enough password")])
        #expect(added.status == 201 && added.body.contains("User added."), "\(added.status)")
        #expect(try await backend.query("SELECT role FROM console_user WHERE name = 'sam'", in: folder, name: Self.name(backend)) == "sales")
        #expect(try await backend.query("SELECT count(*) FROM console_user WHERE name = 'eve'", in: folder, name: Self.name(backend)) == "0")
        let audit = try await alice.get("/console/admin/audit")
        #expect(audit.status == 200 && audit.body.contains("user: alice") && audit.body.contains("user.add"), "\(audit.body.suffix(800))")
        // The zh catalogue on asking; the choice is kept in a cookie.
        let zh = try await alice.get("/console/overview?lang=zh")
        #expect(zh.body.contains(#"<html lang="zh-CN">"#) && zh.body.contains("概览"))
        // Days are UTC days, said in the display zone's time (Beijing is UTC+8, so a day starts at 08:00 there).
        #expect(zh.body.contains("日期按 UTC 计：每天从 08:00 到次日 08:00"), "\(zh.body.prefix(3000))")
        #expect(try await alice.get("/console/overview").body.contains("概览"))
        // A form's error in the page's language, beside its field.
        let wrongZh = try await alice.post("/console/admin/users", [("csrf", token), ("name", "x"), ("role", "sales"), ("password", "long enough password")])
        #expect(wrongZh.status == 400 && wrongZh.body.contains(#"id="error-name""#) && wrongZh.body.contains("name：须为 3 到 64 个小写字母"), "\(wrongZh.body.suffix(1500))")
        // A second node (PostgreSQL) or the same after a restart (SQLite) knows the session.
        let (other, otherBase) = try await backend == .postgres
            ? DurabilityTests.startServer(folder, extra: environment) : { () async throws -> (Run.Started, String) in
                kill(server.process.processIdentifier, SIGTERM)
                _ = await server.wait()
                return try await DurabilityTests.startServer(folder, extra: environment)
            }()
        defer { kill(other.process.processIdentifier, SIGTERM); _ = other.waitBlocking() }
        let moved = ConsoleClient(otherBase)
        for (name, value) in alice.cookies { moved.adopt(name, value) }
        let there = try await moved.get("/console/admin/users")
        #expect(there.status == 200 && there.body.contains("sam"), "\(there.status)")
    }
}

extension ConsoleTests {
    @Test("code lookup: a typed code or its URL shows its state, batch, scans and draws; forged, typo and malformed are said; marketing reads, an admin blacklists with a reason (audited), marketing cannot", arguments: Backend.complete)
    func codeLookup(backend: Backend) async throws {
        let (world, _) = try await ConsoleRedeemTests.claimed(backend, count: 2)
        defer { world.close() }
        let (folder, base) = (world.folder, world.base)
        let csv = try CodesCSV(folder.file("pkg/codes.csv"))
        let code = csv.codes[0]
        let mona = ConsoleClient(base)
        try await mona.signIn("mona", "marketing pass 1")
        let byURL = try await mona.get("/console/codes?q=" + csv.urls[0].addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        #expect(byURL.status == 200 && byURL.body.contains(#"data-verdict="valid""#) && byURL.body.contains("<code>\(code)</code>"), "\(byURL.status)")
        #expect(byURL.body.contains(#"id="code-scans""#) && byURL.body.contains("genuine") && byURL.body.contains("Free bottle"), "\(byURL.body.suffix(1500))")
        #expect(byURL.body.contains("Summer") && !byURL.body.contains(#"id="blacklist-form""#), "marketing may not blacklist")
        // Typed as people type: lower case in groups.
        let typed = stride(from: 0, to: code.count, by: 4).map { String(Array(code)[$0..<min($0 + 4, code.count)]) }.joined(separator: " ").lowercased()
        let loose = try await mona.get("/console/codes?q=" + typed.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        #expect(loose.body.contains(#"data-verdict="valid""#))
        var wrong = Array(code)
        wrong[3] = wrong[3] == "A" ? "B" : "A"
        let typo = try await mona.get("/console/codes?q=\(String(wrong))")
        #expect(typo.body.contains(#"data-verdict="typo""#) || typo.body.contains(#"data-verdict="forged""#), "\(typo.body.suffix(600))")
        let malformed = try await mona.get("/console/codes?q=%E4%BD%A0")
        #expect(malformed.status == 200 && malformed.body.contains(#"data-verdict="malformed""#))
        let forbidden = try await mona.post("/console/codes/blacklist", [("csrf", ConsoleClient.csrf(byURL.body) ?? ""), ("code", code), ("reason", "x")])
        #expect(forbidden.status == 403)
        let alice = ConsoleClient(base)
        try await alice.signIn("alice", "correct horse battery")
        let page = try await alice.get("/console/codes?q=\(code)")
        #expect(page.body.contains(#"id="blacklist-form""#))
        let token = try #require(ConsoleClient.csrf(page.body))
        let empty = try await alice.post("/console/codes/blacklist", [("csrf", token), ("code", code), ("reason", "  ")])
        #expect(empty.status == 400 && empty.body.contains(#"id="error-reason""#), "\(empty.status)")
        let done = try await alice.post("/console/codes/blacklist", [("csrf", token), ("code", code), ("reason", "label reported stolen")])
        #expect(done.status == 200 && done.body.contains(#"data-verdict="void""#) && done.body.contains("label reported stolen"), "\(done.status)")
        #expect(try await backend.query("SELECT actor_name || ':' || action || ':' || detail FROM audit_log WHERE action = 'code.blacklist'",
                                  in: folder, name: Self.name(backend)) == "alice:code.blacklist:label reported stolen")
    }
}

extension ConsoleTests {
    @Test("products and batches: an admin adds a product (GTIN checked beside its field), issues a batch with PDF artwork (count checked), downloads its zip, voids only when confirmed; audited; marketing reads and cannot issue", arguments: Backend.complete)
    func productsAndBatches(backend: Backend) async throws {
        // A small batch's page comes at once (waited for up to 30 s here: a loaded machine is slow).
        let world = try await Self.served(backend, serverEnvironment: ["ONECODE_CONSOLE_ISSUE_WAIT_SECONDS": "30"])
        defer { world.close() }
        let (folder, environment, server, base) = (world.folder, world.environment, world.server, world.base)
        let alice = ConsoleClient(base)
        try await alice.signIn("alice", "correct horse battery")
        let page = try await alice.get("/console/products")
        #expect(page.status == 200 && page.body.contains(#"id="issue-form""#) && page.body.contains(#"id="product-form""#))
        let token = try #require(ConsoleClient.csrf(page.body))
        let badGTIN = try await alice.post("/console/products", [("csrf", token), ("name", "Oolong"), ("gtin", "6291041500214")])
        #expect(badGTIN.status == 400 && badGTIN.body.contains(#"id="error-gtin""#) && badGTIN.body.contains(#"value="Oolong""#), "\(badGTIN.status)")
        let added = try await alice.post("/console/products", [("csrf", token), ("name", "Oolong"), ("nameZh", "乌龙茶"), ("gtin", "")])
        #expect(added.status == 201 && added.body.contains("乌龙茶"), "\(added.status)")
        let zero = try await alice.post("/console/batches", [("csrf", token), ("product", "2"), ("count", "0"), ("qr", "pdf")])
        #expect(zero.status == 400 && zero.body.contains(#"id="error-count""#), "\(zero.status) \(zero.body.suffix(400))")
        let issued = try await alice.post("/console/batches", [("csrf", token), ("product", "1"), ("count", "12"), ("lot", "L-7"), ("qr", "pdf"),
                                                               ("ec", "Q"), ("kind", "unit"), ("urlForm", "gs1")])
        #expect(issued.status == 201 && issued.body.contains(#"data-status="issued""#) && issued.body.contains(#"id="download-package""#),
                "\(issued.status) \(issued.body.suffix(600))")
        let zip = try await alice.get("/console/batches/1/package.zip")
        #expect(zip.status == 200 && zip.headers["Content-Type"] == "application/zip" && zip.body.hasPrefix("PK"))
        #expect(try await backend.query("SELECT actor_kind || ':' || actor_name || ':' || subject_id || ':' || detail FROM audit_log WHERE action = 'batch.issue'",
                                  in: folder, name: Self.name(backend)) == "user:alice:1:12 codes")
        let unconfirmed = try await alice.post("/console/batches/1/void", [("csrf", token)])
        #expect(unconfirmed.status == 400 && unconfirmed.body.contains(#"id="error-confirm""#) && unconfirmed.body.contains(#"data-status="issued""#))
        let activated = try await alice.post("/console/batches/1/activate", [("csrf", token)])
        #expect(activated.status == 200 && activated.body.contains(#"data-status="active""#) && !activated.body.contains(#"id="activate-form""#))
        let voided = try await alice.post("/console/batches/1/void", [("csrf", token), ("confirm", "yes")])
        #expect(voided.status == 200 && voided.body.contains(#"data-status="void""#) && !voided.body.contains(#"id="void-form""#))
        #expect(try await backend.query("SELECT status FROM batch WHERE id = 1", in: folder, name: Self.name(backend)) == "void")
        let mona = ConsoleClient(base)
        try await mona.signIn("mona", "marketing pass 1")
        let read = try await mona.get("/console/products")
        #expect(read.status == 200 && read.body.contains("L-7") && !read.body.contains(#"id="issue-form""#))
        let batchPage = try await mona.get("/console/batches/1")
        #expect(batchPage.status == 200 && !batchPage.body.contains(#"id="download-package""#))
        let monaToken = try #require(ConsoleClient.csrf(read.body))
        #expect(try await mona.post("/console/batches", [("csrf", monaToken), ("product", "1"), ("count", "5")]).status == 403)
        #expect(try await mona.get("/console/batches/1/package.zip").status == 403)
        #expect(try await backend.count("batch", in: folder, name: Self.name(backend)) == 1)
    }
}

extension ConsoleTests {
    @Test("issuing with progress: a batch not done within console.issueWaitSeconds (0 here) goes on in the background; its progress page (reloading itself, while it runs) leads to the batch's page; an unknown job is a 404, a marketer's look a 403; the progress is read from the database", arguments: Backend.complete)
    func issueProgress(backend: Backend) async throws {
        let world = try await Self.served(backend, serverEnvironment: ["ONECODE_CONSOLE_ISSUE_WAIT_SECONDS": "0"])
        defer { world.close() }
        let alice = ConsoleClient(world.base)
        try await alice.signIn("alice", "correct horse battery")
        let token = try #require(ConsoleClient.csrf(try await alice.get("/console/products").body))
        let started = try await alice.post("/console/batches", [("csrf", token), ("product", "1"), ("count", "3000"), ("qr", "svg"), ("lot", "BIG")])
        let location = try #require(started.headers["Location"], "\(started.status) \(started.body.suffix(500))")
        #expect(started.status == 303 && location.hasPrefix("/console/issues/") && location.count == "/console/issues/".count + 40)
        var page = try await alice.get(location)
        let done = try await eventually(every: .milliseconds(100)) {
            page = try await alice.get(location)
            if page.status == 200 {
                #expect(page.body.contains(#"id="issue-bar""#) && page.body.contains("/ 3000") && page.headers["Refresh"] == "2", "\(page.body.suffix(800))")
            }
            return page.status == 303
        }
        #expect(done && page.headers["Location"] == "/console/batches/1", "\(page.status) \(page.headers)")
        let batch = try await alice.get("/console/batches/1")
        #expect(batch.status == 200 && batch.body.contains("BIG") && batch.body.contains("3000"))
        #expect(try await backend.query("SELECT done || '/' || total || ':' || batch_id FROM issue_job", in: world.folder, name: Self.name(backend)) == "3000/3000:1")
        #expect(try await alice.get("/console/issues/" + String(repeating: "0", count: 40)).status == 404)
        let mona = ConsoleClient(world.base)
        try await mona.signIn("mona", "marketing pass 1")
        #expect(try await mona.get(location).status == 403)
    }

    @Test("campaigns: marketing creates one by form (a wrong probability named beside its tier, then right), scans draw from its stock, pause and end (end only when confirmed); audited; sales reads and cannot change it", arguments: Backend.complete)
    func campaigns(backend: Backend) async throws {
        let world = try await Self.served(backend, files: ["sam.pw": "sales pass 1234"], before: [
            ["batch", "issue", "--product", "1", "--count", "4", "--out", "pkg"], ["batch", "activate", "1"],
            ["user", "add", "--name", "sam", "--role", "sales", "--password-file", "sam.pw"],
        ])
        defer { world.close() }
        let (folder, base) = (world.folder, world.base)
        let mona = ConsoleClient(base)
        try await mona.signIn("mona", "marketing pass 1")
        let list = try await mona.get("/console/campaigns")
        #expect(list.status == 200 && list.body.contains(#"id="campaign-form""#))
        let token = try #require(ConsoleClient.csrf(list.body))
        var fields = [("csrf", token), ("name", "Winter"), ("start", "2020-01-01T00:00"), ("end", "2099-01-01T00:00"), ("timeZone", "Asia/Shanghai"),
                      ("status", "live"), ("tier0_name", "Free bottle"), ("tier0_kind", "goods"), ("tier0_value", "1"), ("tier0_probability", "1.5"),
                      ("tier0_stock", "2"), ("tier1_kind", "goods"), ("product_1", "yes"), ("winsPerConsumer", "")]
        let wrong = try await mona.post("/console/campaigns", fields)
        #expect(wrong.status == 400 && wrong.body.contains(#"id="error-tier0""#) && wrong.body.contains("tiers[0].probability"), "\(wrong.status) \(wrong.body.suffix(300))")
        #expect(wrong.body.contains(#"value="Free bottle""#) && wrong.body.contains(#"value="1.5""#), "what was typed is kept")
        fields[9] = ("tier0_probability", "1")
        let created = try await mona.post("/console/campaigns", fields)
        #expect(created.status == 201 && created.body.contains(#"data-status="live""#) && created.body.contains("Free bottle"), "\(created.status) \(created.body.suffix(400))")
        #expect(try await backend.query("SELECT actor_name || ':' || action FROM audit_log WHERE action = 'campaign.create'", in: folder, name: Self.name(backend))
                == "mona:campaign.create")
        // Three phones scan three codes: two prizes, then the stock is gone.
        let codes = try CodesCSV(folder.file("pkg/codes.csv")).codes
        _ = await DurabilityTests.scan(base, Array(codes.prefix(3)), concurrency: 1)
        let page = try await mona.get("/console/campaigns/1")
        #expect(page.body.contains(#"<td>Free bottle</td><td class="num">2</td><td class="num">2</td>"#), "\(page.body)")
        let overview = try await mona.get("/console/overview")
        #expect(overview.body.contains("<td>Winter</td><td>Free bottle</td><td class=\"num\">2</td><td class=\"num\">2</td><td class=\"num\">0</td>"), "\(overview.body)")
        let paused = try await mona.post("/console/campaigns/1/status", [("csrf", token), ("to", "paused")])
        #expect(paused.status == 200 && paused.body.contains(#"data-status="paused""#))
        let unconfirmed = try await mona.post("/console/campaigns/1/status", [("csrf", token), ("to", "ended")])
        #expect(unconfirmed.status == 400 && unconfirmed.body.contains(#"id="error-confirm""#) && unconfirmed.body.contains(#"data-status="paused""#))
        let ended = try await mona.post("/console/campaigns/1/status", [("csrf", token), ("to", "ended"), ("confirm", "yes")])
        #expect(ended.status == 200 && ended.body.contains(#"data-status="ended""#) && !ended.body.contains(#"id="campaign-form""#))
        let sam = ConsoleClient(base)
        try await sam.signIn("sam", "sales pass 1234")
        // Sales reads campaigns and their stock, as the API's sales scope does, and has no form to change them.
        let samList = try await sam.get("/console/campaigns")
        #expect(samList.status == 200 && samList.body.contains(#"href="/console/campaigns/1""#) && !samList.body.contains(#"id="campaign-form""#),
                "\(samList.status) \(samList.body.suffix(1500))")
        let samCampaign = try await sam.get("/console/campaigns/1")
        #expect(samCampaign.status == 200 && samCampaign.body.contains(#"data-status="ended""#) && !samCampaign.body.contains(#"id="campaign-form""#))
        let samPage = try await sam.get("/console/overview")
        #expect(try await sam.post("/console/campaigns/1/status", [("csrf", ConsoleClient.csrf(samPage.body) ?? ""), ("to", "live")]).status == 403)
    }
}

extension ConsoleTests {
    @Test("leads: filtered by score (a wrong one named beside its field), shown with their reasons, exported as CSV with Excel's BOM and as JSON lines (each export audited with its count); a clerk has no leads", arguments: Backend.complete)
    func leads(backend: Backend) async throws {
        let (world, _) = try await ConsoleRedeemTests.claimed(backend, count: 2, marketing: true)
        defer { world.close() }
        let refreshed = try await Run.run(Run.onecode, ["segment", "refresh"], cwd: world.folder.path, environment: world.environment)
        #expect(refreshed.status == 0, "\(refreshed.stderr)")
        let alice = ConsoleClient(world.base)
        try await alice.signIn("alice", "correct horse battery")
        let page = try await alice.get("/console/leads")
        #expect(page.status == 200 && page.body.contains("Ann 0") && page.body.contains("Ann 1") && page.body.contains("+86138123456"), "\(page.body.suffix(1200))")
        let wrong = try await alice.get("/console/leads?minScore=abc")
        #expect(wrong.status == 400 && wrong.body.contains(#"id="error-minScore""#))
        let none = try await alice.get("/console/leads?minScore=100")
        #expect(none.status == 200 && none.body.contains("No leads match"))
        let csv = try await alice.get("/console/leads/export?format=csv")
        #expect(csv.status == 200 && csv.headers["Content-Type"] == "text/csv; charset=utf-8" && csv.headers["Content-Disposition"]?.contains("leads.csv") == true)
        #expect(csv.body.hasPrefix("\u{FEFF}cursor,kind,id,name,phone") && csv.body.contains("Ann 1"), "\(csv.body.prefix(300))")
        let jsonl = try await alice.get("/console/leads/export?format=jsonl")
        #expect(jsonl.status == 200 && jsonl.body.split(separator: "\n").count == 2, "\(jsonl.body)")
        #expect(try await backend.query("SELECT actor_name || ':' || detail FROM audit_log WHERE action = 'leads.export' ORDER BY id",
                                  in: world.folder, name: Self.name(backend)) == "alice:csv, 2 leads\nalice:jsonl, 2 leads")
        let carl = ConsoleClient(world.base)
        try await carl.signIn("carl", "clerk password 1")
        #expect(try await carl.get("/console/leads").status == 403)
        #expect(try await carl.get("/console/leads/export?format=csv").status == 403)
    }

    @Test("segments: marketing builds one by form (a wrong number named beside its condition, bad JSON beside the JSON), sees its JSON, its members after a refresh with their profiles and its size by day; renames it, a taken name refused, deletes it only when confirmed; audited; a clerk has no segments", arguments: Backend.complete)
    func segments(backend: Backend) async throws {
        let (world, _) = try await ConsoleRedeemTests.claimed(backend, count: 2, marketing: true)
        defer { world.close() }
        let mona = ConsoleClient(world.base)
        try await mona.signIn("mona", "marketing pass 1")
        let list = try await mona.get("/console/segments")
        #expect(list.status == 200 && list.body.contains(#"id="segment-form""#) && list.body.contains("No segments yet"))
        let token = try #require(ConsoleClient.csrf(list.body))
        func builder(_ name: String, _ extra: [(String, String)]) -> [(String, String)] {
            [("csrf", token), ("name", name), ("mode", "builder"), ("combine", "all"), ("regions", ""), ("scansAtLeast", ""), ("scansDays", ""), ("lapsedDays", ""),
             ("wonPrize", ""), ("consent", ""), ("ratingAtMost", ""), ("rules", "")].filter { key, _ in !extra.contains { $0.0 == key } } + extra
        }
        let wrong = try await mona.post("/console/segments", builder("Fans", [("scansAtLeast", "many"), ("scansDays", "30")]))
        #expect(wrong.status == 400 && wrong.body.contains(#"id="error-scans""#) && wrong.body.contains("must be a whole number from 1 to 1000000"),
                "\(wrong.body.suffix(3000))")
        #expect(wrong.body.contains(#"value="many""#), "the form keeps what was typed")
        let nothing = try await mona.post("/console/segments", builder("Fans", []))
        #expect(nothing.status == 400 && nothing.body.contains(#"id="error-rules""#) && nothing.body.contains("choose at least one condition"))
        let badJSON = try await mona.post("/console/segments", builder("Fans", [("mode", "json"), ("rules", #"{"scans": {"atLeast": 1}}"#)]))
        #expect(badJSON.status == 400 && badJSON.body.contains(#"id="error-rules""#) && badJSON.body.contains("rules.scans.days"), "\(badJSON.body.suffix(2500))")
        let made = try await mona.post("/console/segments", builder("Fans", [("scansAtLeast", "1"), ("scansDays", "30"), ("consent", "yes"),
                                                                              ("product_1", "yes")]))
        #expect(made.status == 201 && made.body.contains(#"id="segment-json""#), "\(made.body.suffix(2500))")
        #expect(made.body.contains("&quot;consent&quot; : true") && made.body.contains("&quot;atLeast&quot; : 1") && made.body.contains("&quot;product&quot; : ["),
                "\(made.body)")
        let taken = try await mona.post("/console/segments", builder("Fans", [("consent", "yes")]))
        #expect(taken.status == 409 && taken.body.contains(#"id="error-name""#) && taken.body.contains("exists already"))

        let refreshed = try await Run.run(Run.onecode, ["segment", "refresh"], cwd: world.folder.path, environment: world.environment)
        #expect(refreshed.status == 0, "\(refreshed.stderr)")
        let page = try await mona.get("/console/segments/1")
        #expect(page.status == 200 && page.body.contains(#"<dd id="segment-members">2</dd>"#), "\(page.body.suffix(4000))")
        let rows = page.body.components(separatedBy: "<tr><td><code>").count - 1
        #expect(rows == 2, "two members with their profiles: \(page.body)")
        #expect(page.body.contains("<polyline") && page.body.contains("+2</td>"), "the size by day and today's joins")
        #expect(page.body.contains(#"id="g-mode-builder" checked"#) && page.body.contains(#"id="g-consent""#), "a builder rule is shown in the builder")

        let renamed = try await mona.post("/console/segments/1", builder("Consenting scanners", [("scansAtLeast", "1"), ("scansDays", "30"), ("consent", "yes")]))
        #expect(renamed.status == 200 && renamed.body.contains("Segment saved") && renamed.body.contains("<h2>Consenting scanners</h2>"), "\(renamed.body.suffix(2000))")
        let unconfirmed = try await mona.post("/console/segments/1/delete", [("csrf", token)])
        #expect(unconfirmed.status == 400 && unconfirmed.body.contains(#"id="error-confirm""#))
        let deleted = try await mona.post("/console/segments/1/delete", [("csrf", token), ("confirm", "yes")])
        #expect(deleted.status == 200 && deleted.body.contains("Segment deleted") && deleted.body.contains("No segments yet"))
        #expect(try await mona.get("/console/segments/1").status == 404)
        #expect(try await backend.query("SELECT actor_name || ':' || action FROM audit_log WHERE subject = 'segment' ORDER BY id",
                                  in: world.folder, name: Self.name(backend)) == "mona:segment.create\nmona:segment.edit\nmona:segment.delete")
        let noToken = try await mona.post("/console/segments", builder("Sneaky", [("consent", "yes")]).filter { $0.0 != "csrf" })
        #expect(noToken.status == 403)
        let carl = ConsoleClient(world.base)
        try await carl.signIn("carl", "clerk password 1")
        #expect(try await carl.get("/console/segments").status == 403)
    }

    @Test("admin: an API token made by form (scope checked) is shown once and authenticates; revoked only when confirmed, then refused; webhooks show each endpoint's deliveries (URL redacted) and given-up ones are queued again; each audited; marketing has neither; the overview lists the suspicious scan among its newest alerts", arguments: Backend.complete)
    func tokensAndWebhooks(backend: Backend) async throws {
        let reserved = try DurabilityTests.ReservedPort()  // held, nothing listens: every delivery is refused
        defer { reserved.release() }
        let world = try await Self.served(backend, before: [["batch", "issue", "--product", "1", "--count", "2", "--out", "pkg"], ["batch", "activate", "1"]],
                                          serverEnvironment: ["ONECODE_WEBHOOKS_URLS": "http://127.0.0.1:\(reserved.port)/hook?key=hook-secret-value",
                                                              "ONECODE_WEBHOOKS_SECRET": "console-webhook-secret-0123", "ONECODE_WEBHOOKS_POLL_SECONDS": "0.05",
                                                              "ONECODE_WEBHOOKS_MAX_ATTEMPTS": "1", "ONECODE_SCAN_MAX_SCANS": "1"])
        defer { world.close() }
        let alice = ConsoleClient(world.base)
        try await alice.signIn("alice", "correct horse battery")
        let page = try await alice.get("/console/admin/tokens")
        #expect(page.status == 200 && page.body.contains("No API tokens yet") && page.body.contains(#"<option value="store""#) == false)
        let token = try #require(ConsoleClient.csrf(page.body))
        let wrong = try await alice.post("/console/admin/tokens", [("csrf", token), ("name", "CRM"), ("scope", "store")])
        #expect(wrong.status == 400 && wrong.body.contains(#"id="error-scope""#) && wrong.body.contains(#"value="CRM""#))
        let made = try await alice.post("/console/admin/tokens", [("csrf", token), ("name", "CRM"), ("scope", "sales")])
        #expect(made.status == 201 && made.headers["Cache-Control"] == "no-store")
        let secret = try #require(made.body.range(of: #"<code id="token-secret-value">"#).map { String(made.body[$0.upperBound...].prefix { $0 != "<" }) })
        func leads(_ bearer: String) async throws -> Int {
            var request = URLRequest(url: URL(string: world.base + "/api/leads")!)
            request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization")
            return (try await ConsoleClient.session.data(for: request).1 as? HTTPURLResponse)?.statusCode ?? 0
        }
        #expect(try await leads(secret) == 200, "the secret shown authenticates as a sales token")
        let listed = try await alice.get("/console/admin/tokens")
        #expect(!listed.body.contains(secret) && listed.body.contains(#"<tr id="token-1">"#), "the secret is shown once, never again")
        let unconfirmed = try await alice.post("/console/admin/tokens/1/revoke", [("csrf", token)])
        let stillValid = try await leads(secret)
        #expect(unconfirmed.status == 400 && unconfirmed.body.contains(#"id="error-form""#) && stillValid == 200)
        let revoked = try await alice.post("/console/admin/tokens/1/revoke", [("csrf", token), ("confirm", "yes")])
        let afterRevoke = try await leads(secret)
        #expect(revoked.status == 200 && revoked.body.contains("Token revoked") && afterRevoke == 401)
        #expect(try await alice.post("/console/admin/tokens/1/revoke", [("csrf", token), ("confirm", "yes")]).status == 404)

        // Two suspicious scans: two events, each given up after its one attempt.
        try await PostgresWebhookTests.suspicious(world.base, Array(try CodesCSV(world.folder.file("pkg/codes.csv")).codes.prefix(1)))
        var hooks = try await alice.get("/console/admin/webhooks")
        _ = try await eventually(every: .milliseconds(100)) {
            hooks = try await alice.get("/console/admin/webhooks")
            return hooks.body.contains(#"id="retry-1""#)
        }
        #expect(hooks.status == 200 && hooks.body.contains("key=***") && !hooks.body.contains("hook-secret-value"), "\(hooks.body.suffix(2500))")
        #expect(hooks.body.contains(#"id="retry-1""#) && hooks.body.contains(#"id="retry-all""#), "a given-up delivery offers a retry")
        let overview = try await alice.get("/console/overview")
        let suspiciousCode = try CodesCSV(world.folder.file("pkg/codes.csv")).codes[0]
        #expect(overview.body.contains(#"<tr class="alert-scan.suspicious">"#) && overview.body.contains("Suspicious scan")
                    && overview.body.contains("<code>\(suspiciousCode)</code>") && overview.body.contains("scanned too many times"),
                "the overview's newest alerts show the suspicious scan: \(overview.body.suffix(3000))")
        let badRetry = try await alice.post("/console/admin/webhooks/retry", [("csrf", token), ("endpoint", "7")])
        #expect(badRetry.status == 400 && badRetry.body.contains("endpoint: must be an endpoint") && badRetry.body.contains("number, 1 to 1 (got"))
        let retried = try await alice.post("/console/admin/webhooks/retry", [("csrf", token), ("endpoint", "1")])
        #expect(retried.status == 200 && retried.body.range(of: #"[1-9]\d* given-up deliveries queued again"#, options: .regularExpression) != nil, "\(retried.body.prefix(3000))")
        #expect(try await backend.query("SELECT actor_name || ':' || action FROM audit_log WHERE subject IN ('token', 'webhook') ORDER BY id",
                                  in: world.folder, name: Self.name(backend)) == "alice:token.create\nalice:token.revoke\nalice:webhook.retry")
        let mona = ConsoleClient(world.base)
        try await mona.signIn("mona", "marketing pass 1")
        #expect(try await mona.get("/console/admin/tokens").status == 403)
        #expect(try await mona.get("/console/admin/webhooks").status == 403)
    }

    @Test("regions: scans outside their batch's intended region on the map of provinces and by batch and province (GeoIP puts the test's scans in Guangdong); a batch meant for all of CN is not outside; a wrong window is named; the map of all scans; the names in Chinese", arguments: Backend.complete)
    func regions(backend: Backend) async throws {
        let geo = try TemporaryFolder()
        defer { geo.cleanup() }
        try await GeoTests.makeMMDB(geo.file("geo.mmdb"))  // 127.0.0.1 is CN-44
        let world = try await Self.served(backend, before: [
            ["batch", "issue", "--product", "1", "--count", "2", "--region", "CN-31", "--lot", "SH", "--out", "sh"], ["batch", "activate", "1"],
            ["batch", "issue", "--product", "1", "--count", "1", "--region", "CN", "--lot", "ALL", "--out", "cn"], ["batch", "activate", "2"],
        ], serverEnvironment: ["ONECODE_GEOIP_FILE": geo.file("geo.mmdb")])
        defer { world.close() }
        for code in try CodesCSV(world.folder.file("sh/codes.csv")).codes + CodesCSV(world.folder.file("cn/codes.csv")).codes {
            var scan = URLRequest(url: URL(string: world.base + "/s/\(code)")!)
            scan.setValue("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", forHTTPHeaderField: "User-Agent")
            #expect((try await ConsoleClient.session.data(for: scan).1 as? HTTPURLResponse)?.statusCode == 200)
        }
        let mona = ConsoleClient(world.base)
        try await mona.signIn("mona", "marketing pass 1")
        let page = try await mona.get("/console/regions")
        #expect(page.status == 200, "\(page.body.suffix(2000))")
        #expect(page.body.contains(#"id="map-CN-44" data-count="2""#) && page.body.contains(#"id="map-CN-31" data-count="0""#),
                "Guangdong shows the Shanghai batch's two scans; the CN batch's is not outside")
        #expect(page.body.components(separatedBy: "<path id=\"map-CN-").count - 1 == 34, "every province, Hong Kong, Macao and Taiwan drawn")
        let row = try #require(page.body.range(of: #"<tr id="region-batch-1">"#).map { String(page.body[$0.lowerBound...].prefix { $0 != "\n" }.prefix(600)) })
        #expect(row.contains("Shanghai (CN-31)") && row.contains(#"<td class="num">2</td><td class="num">2</td><td class="num">100.0%</td>"#)
                    && row.contains("Guangdong (CN-44) 2"), "\(row)")
        let cnRow = try #require(page.body.range(of: #"<tr id="region-batch-2">"#).map { String(page.body[$0.lowerBound...].prefix(300)) })
        #expect(cnRow.contains(#"<td class="num">1</td><td class="num">0</td><td class="num">0.0%</td>"#), "\(cnRow)")
        #expect(page.body.contains(#"<tr id="region-CN-44"><td>Guangdong (CN-44)</td><td class="num">3</td><td class="num">2</td></tr>"#))
        let all = try await mona.get("/console/regions?view=all&days=7")
        #expect(all.status == 200 && all.body.contains(#"id="map-CN-44" data-count="3""#))
        let zh = try await mona.get("/console/regions?lang=zh")
        #expect(zh.body.contains("<title>广东 (CN-44): 2</title>") && zh.body.contains("上海 (CN-31)"))
        let wrong = try await mona.get("/console/regions?days=12")
        #expect(wrong.status == 400 && wrong.body.contains(#"id="error-days""#))
    }

    @Test("second factor: an admin turns on TOTP by typing the current code (a wrong one named), the database keeps the secret sealed; signing in then asks for a code (the half-signed session opens nothing), a wrong code is refused, a right one signs in once and not again; `user reset-second-factor` turns it off; audited", arguments: Backend.complete)
    func secondFactor(backend: Backend) async throws {
        let world = try await Self.served(backend)
        defer { world.close() }
        let alice = ConsoleClient(world.base)
        try await alice.signIn("alice", "correct horse battery")
        let page = try await alice.get("/console/admin/security")
        #expect(page.status == 200 && page.body.contains(#"id="second-factor-qr"><svg"#) && page.headers["Cache-Control"] == "no-store")
        let token = try #require(ConsoleClient.csrf(page.body))
        let secret = try #require(page.body.range(of: #"name="secret" value=""#).map { String(page.body[$0.upperBound...].prefix { $0 != "\"" }) })
        #expect(secret.count == 32)
        // The QR code an authenticator app scans, read back by zbar: the otpauth URL of this secret.
        let svg = try #require(page.body.range(of: "<svg").flatMap { start in page.body.range(of: "</svg>", range: start.lowerBound..<page.body.endIndex)
            .map { String(page.body[start.lowerBound..<$0.upperBound]) } })
        try svg.write(toFile: world.folder.file("totp.svg"), atomically: true, encoding: .utf8)
        try await Run.rasterise(svg: world.folder.file("totp.svg"), png: world.folder.file("totp.png"))
        let scanned = try await Run.zbar(world.folder.file("totp.png"))
        let typed = try #require(page.body.range(of: #"<code id="second-factor-typed">"#).map { String(page.body[$0.upperBound...].prefix { $0 != "<" }) })
        #expect(scanned.count == 1 && scanned[0].hasPrefix("otpauth://totp/OneCode:alice?secret=")
                    && scanned[0].contains("secret=" + typed.replacingOccurrences(of: " ", with: "") + "&issuer=OneCode"), "\(scanned) \(typed)")
        let totp = TOTP(secret: secret)
        func code(_ offset: Double = 0) -> String { String(format: "%06d", totp.compute(date: Date().addingTimeInterval(offset))) }
        let wrong = try await alice.post("/console/admin/security/enable", [("csrf", token), ("secret", secret), ("code", code(-600))])
        #expect(wrong.status == 400 && wrong.body.contains(#"id="error-code""#) && wrong.body.contains(secret), "the same secret is offered again")
        let on = try await alice.post("/console/admin/security/enable", [("csrf", token), ("secret", secret), ("code", code())])
        #expect(on.status == 200 && on.body.contains("Second factor on") && on.body.contains(#"id="second-factor-off""#), "\(on.body.suffix(1500))")
        let hex = backend == .sqlite ? "hex(totp_sealed)" : "upper(encode(totp_sealed, 'hex'))"
        let stored = try await backend.query("SELECT \(hex) FROM console_user WHERE name = 'alice'", in: world.folder, name: Self.name(backend))
        let secretHex = Data(secret.utf8).map { String(format: "%02X", $0) }.joined()
        #expect(stored.count > 64 && !stored.uppercased().contains(secretHex), "sealed, not the secret: \(stored)")

        // A new sign-in: the password, then the code.
        let again = ConsoleClient(world.base)
        let password = try await again.signIn("alice", "correct horse battery")
        #expect(password.status == 303 && password.headers["Location"] == "/console/login/code", "\(password.headers)")
        #expect(try await again.get("/console/overview").status == 303, "half signed in opens nothing")
        let form = try await again.get("/console/login/code")
        let formToken = try #require(ConsoleClient.csrf(form.body))
        let refused = try await again.post("/console/login/code", [("csrf", formToken), ("code", code(-600)), ("next", "")])
        #expect(refused.status == 401 && refused.body.contains(#"id="code-error""#))
        let next = code(30)  // the enabling code's step is used; the next one is still accepted (one step of drift)
        let signedIn = try await again.post("/console/login/code", [("csrf", formToken), ("code", next), ("next", "")])
        #expect(signedIn.status == 303 && signedIn.headers["Location"] == "/console/overview")
        #expect(try await again.get("/console/overview").status == 200)
        let replay = ConsoleClient(world.base)
        _ = try await replay.signIn("alice", "correct horse battery")
        let replayForm = try await replay.get("/console/login/code")
        let replayed = try await replay.post("/console/login/code", [("csrf", ConsoleClient.csrf(replayForm.body) ?? ""), ("code", next), ("next", "")])
        #expect(replayed.status == 401, "a code signs in once")

        let reset = try await Run.run(Run.onecode, ["user", "reset-second-factor", "--name", "alice"], cwd: world.folder.path, environment: world.environment)
        #expect(reset.status == 0 && reset.stdout.contains("alice: second factor off"), "\(reset.stderr)")
        let again2 = try await Run.run(Run.onecode, ["user", "reset-second-factor", "--name", "alice"], cwd: world.folder.path, environment: world.environment)
        #expect(again2.status != 0 && again2.stderr.contains("has no second factor"))
        let plain = ConsoleClient(world.base)
        let direct = try await plain.signIn("alice", "correct horse battery")
        #expect(direct.status == 303 && direct.headers["Location"] == "/console/overview")
        let audit = try await backend.query("SELECT actor_kind || ':' || action || ':' || coalesce(detail, '') FROM audit_log WHERE action LIKE 'user.%' AND action <> 'user.add' AND subject_id = '1' ORDER BY id",
                                      in: world.folder, name: Self.name(backend)).split(separator: "\n").map(String.init)
        #expect(audit == ["user:user.signin:127.0.0.0/24", "user:user.secondFactor.enable:alice", "user:user.signin:127.0.0.0/24, second factor",
                          "cli:user.secondFactor.disable:alice", "user:user.signin:127.0.0.0/24"], "\(audit)")
        // Not an admin: no second factor to set up.
        let mona = ConsoleClient(world.base)
        try await mona.signIn("mona", "marketing pass 1")
        #expect(try await mona.get("/console/admin/security").status == 403)
    }
}

extension ConsoleTests {
    /// A phone scans `code` and rates it: the cookie it was given, then the rating form posted as the page posts it.
    static func rate(_ base: String, _ code: String, stars: Int, comment: String) async throws {
        var scan = URLRequest(url: URL(string: base + "/s/\(code)")!)
        scan.setValue("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", forHTTPHeaderField: "User-Agent")
        let (_, response) = try await ConsoleClient.session.data(for: scan)
        let cookie = try #require((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Set-Cookie")?.split(separator: ";").first)
        var rate = URLRequest(url: URL(string: base + "/s/\(code)")!)
        rate.httpMethod = "POST"
        rate.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        rate.setValue(String(cookie), forHTTPHeaderField: "Cookie")
        rate.setValue("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", forHTTPHeaderField: "User-Agent")
        rate.httpBody = Data("rating=\(stars)&comment=\(comment.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)".utf8)
        let (_, rated) = try await ConsoleClient.session.data(for: rate)
        #expect((rated as? HTTPURLResponse)?.statusCode == 201)
    }

    @Test("the feedback inbox: low ratings first, service marks one handled with a cause (audited), it leaves the waiting list, the causes by product count it; marketing reads and cannot handle", arguments: Backend.complete)
    func feedbackInbox(backend: Backend) async throws {
        let world = try await Self.served(backend, files: ["sue.pw": "service pass 123"], before: [
            ["batch", "issue", "--product", "1", "--count", "3", "--out", "pkg"], ["batch", "activate", "1"],
            ["user", "add", "--name", "sue", "--role", "service", "--password-file", "sue.pw"],
        ])
        defer { world.close() }
        let codes = try CodesCSV(world.folder.file("pkg/codes.csv")).codes
        try await Self.rate(world.base, codes[0], stars: 4, comment: "fine")
        try await Self.rate(world.base, codes[1], stars: 1, comment: "cap was leaking")
        try await Self.rate(world.base, codes[2], stars: 2, comment: "too sweet")
        let sue = ConsoleClient(world.base)
        try await sue.signIn("sue", "service pass 123")
        let inbox = try await sue.get("/console/feedback")
        #expect(inbox.status == 200)
        let order = ["cap was leaking", "too sweet", "fine"].map { inbox.body.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order[0]! < order[1]! && order[1]! < order[2]!, "lowest first: \(inbox.body.suffix(1500))")
        let token = try #require(ConsoleClient.csrf(inbox.body))
        let id = try await backend.query("SELECT id FROM feedback WHERE rating = 1", in: world.folder, name: Self.name(backend))
        let long = try await sue.post("/console/feedback/\(id)/handle", [("csrf", token), ("cause", String(repeating: "x", count: 41))])
        #expect(long.status == 400 && long.body.contains(#"id="error-form""#))
        let handled = try await sue.post("/console/feedback/\(id)/handle", [("csrf", token), ("cause", "  Leaking cap ")])
        #expect(handled.status == 200 && !handled.body.contains("cap was leaking") && handled.body.contains("<td>Tea</td><td>leaking cap</td><td class=\"num\">1</td>"),
                "\(handled.body.suffix(1500))")
        let all = try await sue.get("/console/feedback?show=all&maxRating=2")
        #expect(all.body.contains("cap was leaking") && all.body.contains("Handled by sue") && !all.body.contains("fine"))
        #expect(try await backend.query("SELECT actor_name || ':' || subject_id || ':' || detail FROM audit_log WHERE action = 'feedback.handle'",
                                  in: world.folder, name: Self.name(backend)) == "sue:\(id):leaking cap")
        #expect(try await sue.post("/console/feedback/999/handle", [("csrf", token)]).status == 404)
        let mona = ConsoleClient(world.base)
        try await mona.signIn("mona", "marketing pass 1")
        let read = try await mona.get("/console/feedback")
        #expect(read.status == 200 && read.body.contains("too sweet") && !read.body.contains(#"id="handle-"#) && read.body.contains("leaking cap"))
        #expect(try await mona.post("/console/feedback/\(id)/handle", [("csrf", ConsoleClient.csrf(read.body) ?? ""), ("cause", "x")]).status == 403)
    }
}

extension ConsoleTests {
    @Test("stores: an admin adds one (a wrong region named beside its field), its API token is shown once and authenticates; audited; sales reads the list and has no form", arguments: Backend.complete)
    func stores(backend: Backend) async throws {
        let world = try await Self.served(backend, files: ["sam.pw": "sales pass 1234"],
                                          before: [["user", "add", "--name", "sam", "--role", "sales", "--password-file", "sam.pw"]])
        defer { world.close() }
        let alice = ConsoleClient(world.base)
        try await alice.signIn("alice", "correct horse battery")
        let page = try await alice.get("/console/stores")
        #expect(page.status == 200 && page.body.contains("No stores yet.") && page.body.contains(#"id="store-form""#))
        let token = try #require(ConsoleClient.csrf(page.body))
        let wrong = try await alice.post("/console/stores", [("csrf", token), ("name", "Corner shop"), ("region", "Shanghai")])
        #expect(wrong.status == 400 && wrong.body.contains(#"id="error-region""#) && wrong.body.contains(#"value="Corner shop""#))
        let added = try await alice.post("/console/stores", [("csrf", token), ("name", "Corner shop"), ("region", "CN-31")])
        #expect(added.status == 201 && added.headers["Cache-Control"] == "no-store")
        let range = try #require(added.body.range(of: #"<code id="store-token-value">"#))
        let secret = String(added.body[range.upperBound...].prefix { $0 != "<" })
        #expect(secret.hasPrefix("oc_") && secret.count > 40, "\(secret)")
        #expect(!(try await alice.get("/console/stores").body.contains(secret)), "the token is shown once")
        var api = URLRequest(url: URL(string: world.base + "/api/stores")!)
        api.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        let (_, response) = try await ConsoleClient.session.data(for: api)
        #expect((response as? HTTPURLResponse)?.statusCode == 403, "a store's token is known, and scoped to its store")
        #expect(try await backend.query("SELECT actor_name || ':' || action || ':' || detail FROM audit_log WHERE action = 'store.add'",
                                  in: world.folder, name: Self.name(backend)) == "alice:store.add:Corner shop")
        let sam = ConsoleClient(world.base)
        try await sam.signIn("sam", "sales pass 1234")
        let read = try await sam.get("/console/stores")
        #expect(read.status == 200 && read.body.contains("Corner shop") && !read.body.contains(#"id="store-form""#))
        #expect(try await sam.post("/console/stores", [("csrf", ConsoleClient.csrf(read.body) ?? ""), ("name", "X")]).status == 403)
    }
}

@Suite("The console in a real browser", .serialized)
struct ConsoleBrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("browser/console.py").path

    @Test("Chromium at 1280 px: admin signs in, sees the scans counted, adds a user (wrong, then right), reads the audit log, switches to Chinese; marketing sees only its parts; screenshots in test-artifacts", arguments: Backend.complete)
    func console(backend: Backend) async throws {
        let world = try await ConsoleTests.served(backend, before: [["batch", "issue", "--product", "1", "--count", "10", "--out", "pkg"], ["batch", "activate", "1"]])
        defer { world.close() }
        let base = world.base, codes = try CodesCSV(world.folder.file("pkg/codes.csv")).codes
        // Four codes scanned, one of them twice: 5 scans today, 4 of 10 codes scanned.
        let statuses = await DurabilityTests.scan(base, Array(codes.prefix(4)) + [codes[0]], concurrency: 1)
        #expect(statuses == [200, 200, 200, 200, 200])
        try FileManager.default.createDirectory(atPath: BrowserTests.artifacts, withIntermediateDirectories: true)
        let result = try await Run.run("python3", [Self.script, base, BrowserTests.artifacts, codes[0]])
        #expect(result.status == 0, "browser: \(result.stderr.suffix(2000))")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect((seen["adminLanded"] as? String)?.hasSuffix("/console/overview") == true)
        #expect(seen["adminNav"] as? [String] == ["nav-overview", "nav-products", "nav-codes", "nav-campaigns", "nav-stores", "nav-redeem", "nav-segments", "nav-leads", "nav-feedback", "nav-regions", "nav-admin"], "\(seen["adminNav"] ?? "")")
        let issued = seen["issued"] as? [String: String]
        #expect(issued?["status"] == "issued" && issued?["notice"]?.hasPrefix("Batch issued.") == true, "\(issued ?? [:])")
        let zip = seen["zip"] as? [String: Any]
        #expect(zip?["status"] as? Int == 200 && zip?["type"] as? String == "application/zip" && zip?["magic"] as? String == "PK"
                && (zip?["size"] as? Int ?? 0) > 10_000, "\(zip ?? [:])")
        let lookup = seen["lookup"] as? [String: Any]
        #expect(lookup?["verdict"] as? String == "valid" && lookup?["scans"] as? Int == 2, "\(lookup ?? [:])")
        #expect(seen["figures"] as? [String: String] == ["scans-today": "5", "scans-7": "5", "scans-30": "5"], "\(seen["figures"] ?? "")")
        #expect((seen["batchRows"] as? [String])?.first?.contains("10 4 40.0%") == true, "\(seen["batchRows"] ?? "")")
        #expect(seen["chartBars"] as? Int == 30)
        #expect(seen["styled"] as? String == "8px", "the stylesheet did not apply (CSP or path)")
        #expect((seen["nameError"] as? String)?.contains("3 to 64") == true, "\(seen["nameError"] ?? "")")
        #expect(seen["notice"] as? String == "User added.")
        #expect((seen["users"] as? [String])?.contains { $0.hasPrefix("sam sales") } == true, "\(seen["users"] ?? "")")
        let audit = (seen["audit"] as? [String]) ?? []
        #expect(audit.contains { $0.contains("user: alice") && $0.contains("user.add") && $0.contains("sales: sam") }, "\(audit)")
        #expect(audit.contains { $0.contains("user: alice") && $0.contains("user.signin") }, "\(audit)")
        #expect(audit.contains { $0.contains("cli:") && $0.contains("user.add") }, "\(audit)")
        #expect(seen["zh"] as? [String: String] == ["lang": "zh-CN", "h1": "概览"], "\(seen["zh"] ?? "")")
        #expect((seen["signedOut"] as? String)?.hasSuffix("/console/login") == true)
        #expect(seen["marketingNav"] as? [String] == ["nav-overview", "nav-products", "nav-codes", "nav-campaigns", "nav-stores", "nav-segments", "nav-feedback", "nav-regions"], "\(seen["marketingNav"] ?? "")")
        #expect((seen["campaignError"] as? String)?.contains("tiers[0].probability") == true, "\(seen["campaignError"] ?? "")")
        #expect(seen["campaign"] as? String == "live")
        #expect((seen["segmentError"] as? String)?.contains("from 1 to") == true, "\(seen["segmentError"] ?? "")")
        let segment = seen["segment"] as? [String: Any]
        #expect((segment?["json"] as? String)?.contains(#""consent" : true"#) == true && segment?["chart"] as? Int == 1, "\(segment ?? [:])")
        #expect((seen["tokenSecret"] as? Int ?? 0) >= 32, "the new token's secret is shown: \(seen["tokenSecret"] ?? "")")
        #expect(seen["mapProvinces"] as? Int == 34, "\(seen["mapProvinces"] ?? "")")
        #expect(seen["marketingAdmin"] as? String == "Your role does not include this part of the console.")
        #expect(seen["pages"] as? [String: String] == ["campaigns": "Campaigns", "stores": "Stores", "segments": "Segments", "leads": "Leads",
                                                        "feedback": "Feedback", "redeem": "Redeem a prize"], "\(seen["pages"] ?? "")")
        // A screenshot of every page (the clerk's phone-size screen is ConsoleRedeemTests').
        for name in ["console-login", "console-overview", "console-code-lookup", "console-products", "console-batch", "console-campaign-error", "console-campaign",
                     "console-users-error", "console-users", "console-audit", "console-tokens", "console-webhooks", "console-security", "console-regions",
                     "console-campaigns", "console-stores", "console-segments", "console-leads", "console-feedback", "console-redeem", "console-segment",
                     "console-overview-zh"] {
            let png = try Data(contentsOf: URL(fileURLWithPath: BrowserTests.artifacts + "/\(name).png"))
            #expect(png.count > 5000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name)")
        }
    }
}

@Suite("The console: a store clerk redeems", .serialized)
struct ConsoleRedeemTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("browser/console_redeem.py").path

    /// A server with a live campaign that always wins, a store with its clerk `carl`, and `count` claimed prizes;
    /// the redemption codes.
    static func claimed(_ backend: Backend, count: Int, marketing: Bool = false) async throws -> (ConsoleTests.Served, [String]) {
        let world = try await ConsoleTests.served(
            backend, files: ["campaign.json": String(decoding: CampaignTests.definition(), as: UTF8.self), "carl.pw": "clerk password 1"],
            before: [["batch", "issue", "--product", "1", "--count", "\(count)", "--out", "pkg"], ["batch", "activate", "1"],
                     ["campaign", "create", "--file", "campaign.json"], ["store", "add", "--name", "Corner shop"],
                     ["user", "add", "--name", "carl", "--role", "clerk", "--store", "1", "--password-file", "carl.pw"]])
        let (folder, base) = (world.folder, world.base)
        var codes: [String] = []
        for (index, code) in try CodesCSV(folder.file("pkg/codes.csv")).codes.enumerated() {
            var scan = URLRequest(url: URL(string: base + "/s/\(code)")!)
            scan.setValue("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", forHTTPHeaderField: "User-Agent")
            let (_, response) = try await ConsoleClient.session.data(for: scan)
            let cookie = try #require((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Set-Cookie")?.split(separator: ";").first)
            var claim = URLRequest(url: URL(string: base + "/s/\(code)")!)
            claim.httpMethod = "POST"
            claim.setValue("application/json", forHTTPHeaderField: "Content-Type")
            claim.setValue("application/json", forHTTPHeaderField: "Accept")
            claim.setValue(String(cookie), forHTTPHeaderField: "Cookie")
            claim.setValue("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", forHTTPHeaderField: "User-Agent")
            claim.httpBody = Data(#"{"campaign": 1, "name": "Ann \#(index)", "phone": "1381234567\#(index)", "consent": true, "marketing": \#(marketing)}"#.utf8)
            let (body, _) = try await ConsoleClient.session.data(for: claim)
            let json = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            codes.append(try #require(json?["redemptionCode"] as? String, "\(String(decoding: body, as: UTF8.self))"))
        }
        return (world, codes)
    }

    @Test("over HTTP: a clerk checks a code (its prize shown), redeems it once as their store (audited), a second time is refused; an admin names the store; a wrong code is named beside the field", arguments: Backend.complete)
    func redeem(backend: Backend) async throws {
        let (world, codes) = try await Self.claimed(backend, count: 2)
        defer { world.close() }
        let (folder, base) = (world.folder, world.base)
        let carl = ConsoleClient(base)
        let landed = try await carl.signIn("carl", "clerk password 1")
        #expect(landed.location == "/console/redeem")
        let page = try await carl.get("/console/redeem")
        #expect(page.status == 200 && !page.body.contains(#"id="redeem-store""#) && !page.body.contains(#"id="nav-overview""#))
        let token = try #require(ConsoleClient.csrf(page.body))
        let unknown = try await carl.post("/console/redeem", [("csrf", token), ("step", "check"), ("redemptionCode", "ZZZZ9999")])
        #expect(unknown.status == 404 && unknown.body.contains(#"id="error-redemptionCode""#), "\(unknown.status)")
        let check = try await carl.post("/console/redeem", [("csrf", token), ("step", "check"), ("redemptionCode", codes[0].lowercased())])
        #expect(check.status == 200 && check.body.contains("Free bottle") && check.body.contains(#"id="redeem-button""#), "\(check.status)")
        #expect(try await backend.count("redemption", in: folder, name: ConsoleTests.name(backend)) == 0, "checking redeemed it")
        let done = try await carl.post("/console/redeem", [("csrf", token), ("step", "redeem"), ("redemptionCode", codes[0])])
        #expect(done.status == 201 && done.body.contains(#"id="redeemed""#), "\(done.status)")
        let again = try await carl.post("/console/redeem", [("csrf", token), ("step", "redeem"), ("redemptionCode", codes[0])])
        #expect(again.status == 200 && again.body.contains(#"id="already""#) && !again.body.contains(#"id="redeem-button""#), "\(again.status)")
        #expect(try await backend.query("SELECT count(*) || ':' || min(store_id) FROM redemption", in: folder, name: ConsoleTests.name(backend)) == "1:1")
        #expect(try await backend.query("SELECT actor_kind || ':' || actor_name || ':' || subject_id FROM audit_log WHERE action = 'prize.redeem'",
                                  in: folder, name: ConsoleTests.name(backend)) == "user:carl:\(codes[0])")
        // An admin redeems on behalf of a store it names; an unknown store is named beside its field.
        let alice = ConsoleClient(base)
        try await alice.signIn("alice", "correct horse battery")
        let adminPage = try await alice.get("/console/redeem")
        let adminToken = try #require(ConsoleClient.csrf(adminPage.body))
        #expect(adminPage.body.contains(#"id="redeem-store""#))
        let noStore = try await alice.post("/console/redeem", [("csrf", adminToken), ("step", "redeem"), ("redemptionCode", codes[1]), ("store", "9")])
        #expect(noStore.status == 404 && noStore.body.contains(#"id="error-store""#), "\(noStore.status)")
        let byAdmin = try await alice.post("/console/redeem", [("csrf", adminToken), ("step", "redeem"), ("redemptionCode", codes[1]), ("store", "1")])
        #expect(byAdmin.status == 201, "\(byAdmin.status)")
        // Marketing has no redemption screen.
        let mona = ConsoleClient(base)
        try await mona.signIn("mona", "marketing pass 1")
        #expect(try await mona.get("/console/redeem").status == 403)
    }

    @Test("in Chromium at phone size: the clerk types the code as people do, sees the prize, redeems it, and is told when it was redeemed already; screenshots in test-artifacts")
    func redeemInBrowser() async throws {
        let (world, codes) = try await Self.claimed(.sqlite, count: 1)
        defer { world.close() }
        let base = world.base
        try FileManager.default.createDirectory(atPath: BrowserTests.artifacts, withIntermediateDirectories: true)
        let result = try await Run.run("python3", [Self.script, base, codes[0], BrowserTests.artifacts])
        #expect(result.status == 0, "browser: \(result.stderr.suffix(2000))")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect((seen["landed"] as? String)?.hasSuffix("/console/redeem") == true)
        #expect(seen["nav"] as? [String] == ["nav-redeem"] && seen["storeField"] as? Bool == false, "\(seen)")
        #expect(seen["prize"] as? String == "Free bottle" && seen["fits"] as? Bool == true, "\(seen)")
        #expect((seen["done"] as? String)?.hasPrefix("Redeemed.") == true)
        #expect((seen["again"] as? String)?.contains("redeemed already") == true && seen["againButton"] as? Bool == false, "\(seen)")
    }
}

@Suite("The console's segment form")
struct SegmentFormTests {
    @Test("the builder reads into the rule the API reads from the same JSON; a rule the builder can show comes back in it, one it cannot is edited as JSON; errors name the builder's field")
    func builder() throws {
        let fields = ["mode": "builder", "combine": "any", "regions": "CN-31, CN-44", "product_2": "yes", "product_1": "yes", "product_3": "no",
                      "scansAtLeast": "3", "scansDays": "30", "lapsedDays": "", "wonPrize": "no", "consent": "yes", "ratingAtMost": "2"]
        let rule = try SegmentForm.rule(fields)
        let api = try SegmentRule.parse(Data(#"{"any": [{"region": ["CN-31", "CN-44"]}, {"product": [1, 2]}, {"scans": {"atLeast": 3, "days": 30}}, {"wonPrize": false}, {"consent": true}, {"rating": {"atMost": 2}}]}"#.utf8))
        #expect(rule == api)
        let back = SegmentForm.values(rule)
        #expect(back["mode"] == "builder" && back["combine"] == "any" && back["regions"] == "CN-31, CN-44" && back["product_1"] == "yes"
                    && back["product_2"] == "yes" && back["scansAtLeast"] == "3" && back["scansDays"] == "30" && back["wonPrize"] == "no"
                    && back["consent"] == "yes" && back["ratingAtMost"] == "2")
        #expect(try SegmentForm.rule(back.merging(["mode": "builder"]) { _, b in b }) == rule, "shown back and posted again: the same rule")
        #expect(try SegmentForm.rule(["mode": "builder", "consent": "yes"]) == .consent(true), "one condition is the rule itself")

        let nested = try SegmentRule.parse(Data(#"{"all": [{"any": [{"region": ["CN-31"]}, {"consent": true}]}, {"lapsed": {"days": 60}}]}"#.utf8))
        #expect(SegmentForm.values(nested)["mode"] == "json" && SegmentForm.values(nested)["rules"]?.contains("\"lapsed\"") == true)
        let twice = SegmentRule.all([.region(["CN-31"]), .region(["CN-44"])])
        #expect(SegmentForm.values(twice)["mode"] == "json", "one kind twice is not the builder's one field")
        #expect(try SegmentForm.rule(["mode": "json", "rules": SegmentForm.values(nested)["rules"]!]) == nested)

        for (typed, field) in [(["scansAtLeast": "0", "scansDays": "7"], "scans"), (["regions": "Shanghai"], "regions"), (["lapsedDays": "-1"], "lapsed"),
                               (["wonPrize": "maybe"], "wonPrize"), (["combine": "some", "consent": "yes", "wonPrize": "yes"], "combine"), ([:], "rules")] {
            let error = #expect(throws: InputError.self) { try SegmentForm.rule(typed.merging(["mode": "builder"]) { a, _ in a }) }
            #expect(error?.field == field, "\(typed): \(String(describing: error))")
        }
    }
}

@Suite("The console's roles and the API's scopes")
struct ConsoleScopeTests {
    /// A console role's API scope (service and clerk have none of the API's: the feedback inbox and a store's
    /// redemptions are theirs in the console only).
    static func scope(of role: ConsoleRole) -> TokenScope? {
        switch role {
        case .admin: .admin
        case .issuer: .issuer
        case .marketing: .marketing
        case .sales: .sales
        case .service, .clerk: nil
        }
    }

    @Test("each console part and task that has an API route gives the roles the API's scopes give for it (README's table): the same checks as the API")
    func sameAsTheAPI() throws {
        let api = try APITests.documentedScopes()
        let pairs: [(String, Set<ConsoleRole>, String)] = [
            ("task blacklist", ConsoleTask.blacklist.roles, "POST /api/codes/{code}/blacklist"),
            ("task issue", ConsoleTask.issue.roles, "POST /api/batches"),
            ("task runCampaigns", ConsoleTask.runCampaigns.roles, "POST /api/campaigns"),
            ("area products", ConsoleArea.products.roles, "GET /api/batches"),
            ("area campaigns", ConsoleArea.campaigns.roles, "GET /api/campaigns"),
            ("area segments", ConsoleArea.segments.roles, "POST /api/segments"),
            ("area leads", ConsoleArea.leads.roles, "GET /api/leads"),
            ("area stores", ConsoleArea.stores.roles, "GET /api/stores"),
            ("area feedback", ConsoleArea.feedback.roles, "GET /api/feedback"),
            ("area regions", ConsoleArea.regions.roles, "GET /api/reports/diversion"),
            ("area codes", ConsoleArea.codes.roles, "GET /api/codes/{code}/scans"),
            ("area admin", ConsoleArea.admin.roles, "GET /api/audit"),
        ]
        for (name, roles, route) in pairs {
            let scopes = try #require(api[route], "README's table has no \(route)")
            let mapped = Set(roles.compactMap(Self.scope(of:)))
            #expect(mapped == scopes.union([.admin]), "\(name): the console gives \(mapped.map(\.rawValue).sorted()), \(route) takes \(scopes.union([.admin]).map(\.rawValue).sorted())")
        }
    }
}

@Suite("The console's errors in Chinese")
struct ConsoleErrorTextTests {
    /// The error a rule throws for `input` (each rule below is the one a console form calls).
    static func error(_ work: () throws -> Void) -> (any FieldError)? {
        do { try work(); return nil } catch let error as any FieldError { return error } catch { return nil }
    }

    /// The issue form's request with one field changed from a valid one (product 1, one code, a cap of 10).
    static func issue(count: Int = 1, productionDate: String? = nil, region: String? = nil, ec: String? = nil) throws -> Actions.IssueRequest {
        try Actions.IssueRequest(product: 1, count: count, lot: nil, productionDate: productionDate, expiryDate: nil, region: region, urlForm: nil,
                                 uppercase: nil, kind: nil, pin: nil, qr: nil, ec: ec, roll: nil, labelsPerFile: nil, maxCount: 10)
    }

    @Test("the errors the console's forms show come in Chinese on a Chinese page: each a real rule's error, its field kept, no English left")
    func chinese() throws {
        let views = try ConsoleViews(brand: .none, time: DisplayTime(TimeZone(identifier: "UTC")!))
        let campaign = { (json: String) in { _ = try CampaignDefinition.parse(Data(json.utf8)) } }
        let errors: [(String, (any FieldError)?)] = [
            ("product name", Self.error { _ = try NewProduct(name: "", gtin: nil, sku: nil) }),
            ("gtin", Self.error { _ = try NewProduct(name: "Tea", gtin: "6291041500214", sku: nil) }),
            ("image", Self.error { _ = try NewProduct(name: "Tea", gtin: nil, sku: nil, imageURL: "http://x") }),
            ("count", Self.error { _ = try Self.issue(count: 0) }),
            ("cap", Self.error { _ = try Self.issue(count: 11) }),
            ("region", Self.error { _ = try Self.issue(region: "Shanghai") }),
            ("date", Self.error { _ = try Self.issue(productionDate: "2026-13-01") }),
            ("ec", Self.error { _ = try Self.issue(ec: "X") }),
            ("user name", Self.error { _ = try Actions.NewUser(name: "x", role: .sales, store: nil, password: "long enough password") }),
            ("password", Self.error { _ = try Actions.NewUser(name: "sam", role: .sales, store: nil, password: "short") }),
            ("clerk store", Self.error { _ = try Actions.NewUser(name: "sam", role: .clerk, store: nil, password: "long enough password") }),
            ("tiers", Self.error(campaign(#"{"name": "C", "start": "2026-12-01T00:00:00", "end": "2030-01-01T00:00:00", "timeZone": "Asia/Shanghai", "tiers": []}"#))),
            ("probability", Self.error(campaign(#"{"name": "C", "start": "2026-12-01T00:00:00", "end": "2030-01-01T00:00:00", "timeZone": "Asia/Shanghai", "tiers": [{"name": "A", "kind": "points", "value": 1, "probability": 2, "stock": 1}]}"#))),
            ("time zone", Self.error(campaign(#"{"name": "C", "start": "2026-12-01T00:00:00", "end": "2030-01-01T00:00:00", "timeZone": "Mars/Base", "tiers": [{"name": "A", "kind": "points", "value": 1, "probability": 0.5, "stock": 1}]}"#))),
            ("end", Self.error(campaign(#"{"name": "C", "start": "2026-12-01T00:00:00", "end": "2026-11-01T00:00:00", "timeZone": "Asia/Shanghai", "tiers": [{"name": "A", "kind": "points", "value": 1, "probability": 0.5, "stock": 1}]}"#))),
            ("kind", Self.error(campaign(#"{"name": "C", "start": "2026-12-01T00:00:00", "end": "2030-01-01T00:00:00", "timeZone": "Asia/Shanghai", "tiers": [{"name": "A", "kind": "cars", "value": 1, "probability": 0.5, "stock": 1}]}"#))),
            ("segment", Self.error { _ = try SegmentRule.parse(Data(#"{"scans": {"atLeast": "many", "days": 7}}"#.utf8)) }),
            ("segment kind", Self.error { _ = try SegmentRule.parse(Data(#"{"colour": "red"}"#.utf8)) }),
        ]
        for (name, error) in errors {
            let error = try #require(error, "\(name): the rule threw no error")
            let zh = views.say(error, .zh)
            #expect(zh.hasPrefix(error.field + "："), "\(name): \(zh)")
            let words = zh.dropFirst(error.field.count + 1)
            #expect(words.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "\(name): no Chinese in \(zh) (English: \(error.message))")
            #expect(!words.contains("must") && !words.contains("got "), "\(name): English left in \(zh)")
            #expect(views.say(error, .en) == error.description)
        }
    }
}

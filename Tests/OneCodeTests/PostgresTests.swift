import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `onecode` on PostgreSQL as an operator runs it: `migrate`, the catalogue commands, and two `serve`
/// nodes on one database behind no balancer, scanned at once.
@Suite("PostgreSQL: several nodes on one database", .serialized)
struct PostgresTests {
    /// A fresh database and the environment that selects it.
    static func database(_ folder: TemporaryFolder) async throws -> [String: String] {
        let location = try await TestPostgres.database(folder.path)
        return DurabilityTests.environment.merging(["ONECODE_DATABASE_URL": location.url]) { $1 }
    }

    @Test("commands refuse a database without the schema and name `onecode migrate`; migrate applies it once and reports it")
    func migrateFirst() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let environment = try await Self.database(folder)
        for arguments in [["product", "list"], ["serve", "--port", "0"]] {
            let refused = try await Run.run(Run.onecode, arguments, cwd: folder.path, environment: environment)
            #expect(refused.status == 1, "\(arguments)")
            #expect(refused.stderr.contains("out of date") && refused.stderr.contains("run `onecode migrate`"), "\(refused.stderr)")
        }
        let status = try await Run.run(Run.onecode, ["migrate", "--status", "--json"], cwd: folder.path, environment: environment)
        #expect(status.status == 0 && status.stdout.contains("\"pending\" : [\n    \"v1"), "\(status.stdout)")
        let applied = try await Run.run(Run.onecode, ["migrate"], cwd: folder.path, environment: environment)
        #expect(applied.status == 0 && applied.stdout.contains("applied now: v1"), "\(applied.stdout) \(applied.stderr)")
        let again = try await Run.run(Run.onecode, ["migrate"], cwd: folder.path, environment: environment)
        #expect(again.status == 0 && again.stdout.contains("up to date") && !again.stdout.contains("applied now"), "\(again.stdout)")
        // The password never appears where the database is named.
        let withPassword = environment.merging(["ONECODE_DATABASE_URL": environment["ONECODE_DATABASE_URL"]!
            .replacingOccurrences(of: "onecode@", with: "onecode:hunter2@")]) { $1 }
        let listed = try await Run.run(Run.onecode, ["migrate", "--status"], cwd: folder.path, environment: withPassword)
        #expect(listed.status == 0 && !(listed.stdout + listed.stderr).contains("hunter2"), "\(listed.stdout) \(listed.stderr)")
        // No SQLite file was made on the way.
        #expect(!FileManager.default.fileExists(atPath: folder.file("data/onecode.sqlite")))
    }

    @Test("two serve nodes on one database, every code scanned on both at once: exactly one genuine per code; the linker answers on both")
    func twoNodes() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let (environment, codes) = try await PostgresWebhookTests.world(folder, count: 300)
        #expect(codes.count == 300)
        let token = try await Run.run(Run.onecode, ["token", "create", "--scope", "admin", "--name", "ops"], cwd: folder.path, environment: environment)
        let secret = try #require(token.stdout.split(separator: "\n").first { $0.hasPrefix("oc_") }.map(String.init), "\(token.stdout)")

        // Node A writes three groups at once, B one: concurrent groups of one node and of two nodes race alike.
        let (a, baseA) = try await DurabilityTests.startServer(folder, extra: environment.merging(["ONECODE_DATABASE_WRITERS": "3"]) { $1 })
        let (b, baseB) = try await DurabilityTests.startServer(folder, extra: environment)
        defer {
            for node in [a, b] where node.process.isRunning { kill(node.process.processIdentifier, SIGKILL) }
        }
        async let fromA = DurabilityTests.verdicts(baseA, codes)
        async let fromB = DurabilityTests.verdicts(baseB, codes)
        let verdicts = await fromA + fromB
        #expect(verdicts.count == 600)
        #expect(verdicts.filter { $0.verdict == "genuine" }.count == 300)
        #expect(verdicts.filter { $0.verdict == "repeat" }.count == 300)
        #expect(Set(verdicts.filter { $0.verdict == "genuine" }.map(\.code)).count == 300)

        // A segment made on one node is refreshed and read on the other.
        var create = URLRequest(url: URL(string: baseA + "/api/segments")!)
        create.httpMethod = "POST"
        create.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        create.setValue("application/json", forHTTPHeaderField: "Content-Type")
        create.httpBody = Data(#"{"name": "all tea", "rules": {"product": [1]}}"#.utf8)
        let (created, createdResponse) = try await URLSession.shared.data(for: create)
        #expect((createdResponse as? HTTPURLResponse)?.statusCode == 201, "\(String(decoding: created, as: UTF8.self))")
        var refresh = URLRequest(url: URL(string: baseB + "/api/segments/refresh")!)
        refresh.httpMethod = "POST"
        refresh.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        let (refreshed, refreshResponse) = try await URLSession.shared.data(for: refresh)
        #expect((refreshResponse as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: refreshed, as: UTF8.self))")
        var list = URLRequest(url: URL(string: baseA + "/api/segments")!)
        list.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        let (segments, _) = try await URLSession.shared.data(for: list)
        // Scans carry no consumer here (no cookie), so the segment is refreshed and empty.
        #expect(String(decoding: segments, as: UTF8.self).contains(#""refreshedAt""#), "\(String(decoding: segments, as: UTF8.self))")

        for node in [a, b] { kill(node.process.processIdentifier, SIGTERM) }
        for node in [a, b] {
            let ended = await node.wait()
            #expect(ended.status == 0)
            let errors = ended.stderr.split(separator: "\n").filter { $0.contains("error") }
            #expect(errors.isEmpty, "\(errors.prefix(3))")
        }
        let stored = try await Run.run("/usr/bin/psql", [environment["ONECODE_DATABASE_URL"]!, "-tAc",
                                                       "SELECT count(*) FILTER (WHERE verdict = 'genuine'), count(*) FROM scan"])
        #expect(stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "300|600")
    }
}

extension DurabilityTests {
    /// Scans each code once (a phone), `concurrency` at a time; the verdict of each answer.
    static func verdicts(_ base: String, _ codes: [String], concurrency: Int = 16) async -> [(code: String, verdict: String)] {
        await scanEach(base, codes, concurrency: concurrency).map { answer in
            let object = answer.body.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            return (answer.code, object?["verdict"] as? String ?? "failed")
        }
    }
}

/// Behind a load balancer: forwarded client addresses only from configured proxies.
@Suite("Trusted proxies: forwarded addresses only from configured peers", .serialized)
struct TrustedProxyTests {
    static func scan(_ base: String, _ code: String, headers: [String: String] = [:]) async throws -> Int {
        var request = URLRequest(url: URL(string: "\(base)/s/\(code)")!)
        request.setValue("Mozilla/5.0 (iPhone) proxy-test", forHTTPHeaderField: "User-Agent")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (_, response) = try await DurabilityTests.session.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// The stored address of the code's newest scan.
    static func storedIP(_ folder: TemporaryFolder, _ code: String) async throws -> String? {
        let result = try await Run.onecode(["scans", code, "--json", "--limit", "1"], cwd: folder.path, environment: DurabilityTests.environment)
        let scans = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        return scans?.first?["ip"] as? String
    }

    @Test("a spoofed X-Forwarded-For from an untrusted peer is ignored (address and rate limit); from a trusted proxy it names the client")
    func forwardedHeaders() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 20)
        let limits = ["ONECODE_RATE_LIMIT_PER_SECOND": "0.01", "ONECODE_RATE_LIMIT_BURST": "2"]

        // No proxy configured: the header changes nothing, neither the stored address nor the bucket.
        let (plain, base) = try await DurabilityTests.startServer(folder, extra: limits)
        #expect(try await Self.scan(base, codes[0], headers: ["X-Forwarded-For": "203.0.113.7"]) == 200)
        #expect(try await Self.scan(base, codes[1], headers: ["X-Forwarded-For": "203.0.113.8"]) == 200)
        #expect(try await Self.scan(base, codes[2], headers: ["X-Forwarded-For": "198.51.100.9", "Forwarded": "for=198.51.100.9"]) == 429)
        kill(plain.process.processIdentifier, SIGTERM)
        #expect(await plain.wait().status == 0)
        #expect(try await Self.storedIP(folder, codes[0]) == "127.0.0.0/24")

        // 127.0.0.1 is the balancer: the rightmost address it did not add is the client, bucketed on its own.
        let (proxied, viaProxy) = try await DurabilityTests.startServer(
            folder, extra: limits.merging(["ONECODE_HTTP_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"]) { $1 })
        defer { if proxied.process.isRunning { kill(proxied.process.processIdentifier, SIGKILL) } }
        #expect(try await Self.scan(viaProxy, codes[3], headers: ["X-Forwarded-For": "192.0.2.1, 203.0.113.7, 10.1.2.3"]) == 200)
        // An IPv6 client named by the proxy's header (a client's own `Forwarded` is not read: HardeningTests).
        #expect(try await Self.scan(viaProxy, codes[4], headers: ["X-Forwarded-For": "2001:db8:cafe::17"]) == 200)
        #expect(try await Self.scan(viaProxy, codes[5], headers: ["X-Forwarded-For": "203.0.113.7"]) == 200)
        #expect(try await Self.scan(viaProxy, codes[6], headers: ["X-Forwarded-For": "203.0.113.7"]) == 429)
        #expect(try await Self.scan(viaProxy, codes[7], headers: ["X-Forwarded-For": "198.51.100.20"]) == 200)
        kill(proxied.process.processIdentifier, SIGTERM)
        #expect(await proxied.wait().status == 0)
        #expect(try await Self.storedIP(folder, codes[3]) == "203.0.113.0/24")
        #expect(try await Self.storedIP(folder, codes[4]) == "2001:db8:cafe::/48")
        #expect(try await Self.storedIP(folder, codes[7]) == "198.51.100.0/24")
    }

    @Test("a trustedProxies entry that is not an address or CIDR is refused, naming the key")
    func badEntry() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let result = try await Run.run(Run.onecode, ["serve", "--port", "0"], cwd: folder.path,
                                     environment: DurabilityTests.environment.merging(["ONECODE_HTTP_TRUSTED_PROXIES": "10.0.0.0/33"]) { $1 })
        #expect(result.status == 1)
        #expect(result.stderr.contains("http.trustedProxies") && result.stderr.contains("10.0.0.0/33"), "\(result.stderr)")
    }
}

@Suite("Readiness: /readyz answers what a load balancer needs", .serialized)
struct ReadinessTests {
    static func ready(_ base: String) async throws -> (Int, String) {
        let (body, response) = try await DurabilityTests.session.data(from: URL(string: base + "/readyz")!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: body, as: UTF8.self))
    }

    @Test("SQLite: 503 within the bound while another process holds the write lock, 200 again once it lets go; /healthz stays 200")
    func sqliteLock() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        _ = try await DurabilityTests.prepare(folder, count: 5)
        let (server, base) = try await DurabilityTests.startServer(folder)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        #expect(try await Self.ready(base).0 == 200)
        let holder = try Run.start("python3", ["-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
            c.execute('BEGIN IMMEDIATE')
            print('locked', flush=True)
            time.sleep(120)
            """, folder.file("data/onecode.sqlite")])
        defer { if holder.process.isRunning { kill(holder.process.processIdentifier, SIGKILL) } }
        try #require(try await eventually { fileContains(holder.out, "locked") }, "the helper never took the write lock")
        let (status, body) = try await Self.ready(base)
        #expect(status == 503, "\(body)")
        #expect(body.contains("no write transaction within"), "\(body)")
        // The answer came while the lock was still held (the holder keeps it until killed): /readyz is
        // bounded, not waiting for the lock. No clock is read: this machine's timings are too noisy.
        #expect(holder.process.isRunning)
        // /healthz answers 200 meanwhile (the process is up; `is HTTPURLResponse` held for any status).
        #expect((try await DurabilityTests.session.data(from: URL(string: base + "/healthz")!).1 as? HTTPURLResponse)?.statusCode == 200)
        kill(holder.process.processIdentifier, SIGKILL)
        _ = await holder.wait()
        #expect(try await eventually(every: .milliseconds(100)) { try await Self.ready(base).0 == 200 })
    }

    @Test("PostgreSQL: 200 on the schema this binary knows, 503 naming the cause once the database was upgraded past it")
    func postgresSchema() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let environment = try await PostgresTests.database(folder)
        #expect(try await Run.run(Run.onecode, ["migrate"], cwd: folder.path, environment: environment).status == 0)
        let (server, base) = try await DurabilityTests.startServer(folder, extra: environment)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        #expect(try await Self.ready(base).0 == 200)
        let url = environment["ONECODE_DATABASE_URL"]!
        #expect(try await Run.run("/usr/bin/psql", [url, "-qc", "INSERT INTO onecode_migration VALUES ('v99: from the future', now())"]).status == 0)
        let (status, body) = try await Self.ready(base)
        #expect(status == 503 && body.contains("newer OneCode"), "\(body)")
    }
}

@Suite("PostgreSQL webhooks: each delivery sent by one node at a time, taken over when that node dies", .serialized)
struct PostgresWebhookTests {
    static let secret = "webhook-secret-0123456789"

    /// A migrated database with an active batch; the environment for it, and the codes.
    static func world(_ folder: TemporaryFolder, count: Int) async throws -> ([String: String], [String]) {
        let environment = try await PostgresTests.database(folder)
        #expect(try await Run.onecode(["migrate"], cwd: folder.path, environment: environment).status == 0)
        return (environment, try await DurabilityTests.prepare(folder, count: count, environment: environment))
    }

    /// Two scans of each code: with one scan allowed, the second is suspicious, and each writes an event.
    static func suspicious(_ base: String, _ codes: [String]) async throws {
        for code in codes {
            var scan = URLRequest(url: URL(string: "\(base)/s/\(code)")!)
            scan.setValue(ServiceFixture.phone, forHTTPHeaderField: "User-Agent")
            for _ in 0..<2 { _ = try await DurabilityTests.session.data(for: scan) }
        }
    }

    @Test("two nodes delivering from one outbox: every event reaches the receiver exactly once")
    func onceAcrossNodes() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let (database, codes) = try await Self.world(folder, count: 30)
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let environment = database.merging([
            "ONECODE_WEBHOOKS_URLS": await receiver.url, "ONECODE_WEBHOOKS_SECRET": Self.secret, "ONECODE_SCAN_MAX_SCANS": "1",
            "ONECODE_WEBHOOKS_POLL_SECONDS": "0.05",
            // A lease (timeout + 2 s) no loaded machine outlasts: a delivery that timed out is retried, by design
            // (at least once, same idempotency key), and would count twice here without being the fault under test.
            "ONECODE_WEBHOOKS_TIMEOUT_SECONDS": "60",
        ]) { $1 }
        let (a, baseA) = try await DurabilityTests.startServer(folder, extra: environment)
        let (b, baseB) = try await DurabilityTests.startServer(folder, extra: environment)
        defer { for node in [a, b] where node.process.isRunning { kill(node.process.processIdentifier, SIGKILL) } }
        async let fromA: Void = Self.suspicious(baseA, Array(codes[..<15]))
        async let fromB: Void = Self.suspicious(baseB, Array(codes[15...]))
        _ = try await (fromA, fromB)
        let received = try await receiver.wait { $0.count >= 30 }
        // Exactly once is counted after every deliverer has finished: both nodes stopped (SIGTERM: a node
        // finishes what it is delivering, then exits).
        for node in [a, b] { kill(node.process.processIdentifier, SIGTERM) }
        #expect(try await eventually(within: 60) { !a.process.isRunning && !b.process.isRunning }, "both nodes stop")
        let all = await receiver.received
        #expect(received.count >= 30)
        #expect(all.count == 30)
        #expect(Set(all.compactMap { $0.headers["idempotency-key"] }).count == 30)
    }

    @Test("a node killed with SIGKILL while delivering: another node sends the delivery once its lease ends")
    func takeover() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let (database, codes) = try await Self.world(folder, count: 2)
        // A receiver that takes the connection and never answers: node A's attempt hangs. It takes a port
        // the system picks (and says which); the real receiver takes the port over after it is killed.
        let hanging = try Run.start("python3", ["-c", """
            import socket, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(16)
            print("listening", s.getsockname()[1], flush=True)
            held = []
            while True:
                c, _ = s.accept(); held.append(c); print("accepted", flush=True)
            """])
        defer { if hanging.process.isRunning { kill(hanging.process.processIdentifier, SIGKILL) } }
        let port = try #require(try await DurabilityTests.reportedPort(hanging, in: hanging.out, after: "listening"))
        let environment = database.merging([
            "ONECODE_WEBHOOKS_URLS": "http://127.0.0.1:\(port)/hook", "ONECODE_WEBHOOKS_SECRET": Self.secret, "ONECODE_SCAN_MAX_SCANS": "1",
            "ONECODE_WEBHOOKS_POLL_SECONDS": "0.05", "ONECODE_WEBHOOKS_TIMEOUT_SECONDS": "2",
        ]) { $1 }
        let (a, baseA) = try await DurabilityTests.startServer(folder, extra: environment)
        defer { if a.process.isRunning { kill(a.process.processIdentifier, SIGKILL) } }
        try await Self.suspicious(baseA, [codes[0]])
        #expect(try await eventually { fileContains(hanging.out, "accepted") }, "the delivery never reached the hanging receiver")
        kill(a.process.processIdentifier, SIGKILL)
        _ = await a.wait()
        kill(hanging.process.processIdentifier, SIGKILL)
        _ = await hanging.wait()
        // The dead node's lease on the delivery, as the database holds it.
        let lease = try await Run.run("/usr/bin/psql", [database["ONECODE_DATABASE_URL"]!, "-tAc",
                                                      "SELECT extract(epoch FROM next_at) FROM webhook_delivery WHERE delivered_at IS NULL"])
        let leaseEnd = try #require(Double(lease.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(lease.stdout) \(lease.stderr)")

        let receiver = WebhookReceiver(port: port)
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let (b, _) = try await DurabilityTests.startServer(folder, extra: environment)
        defer { if b.process.isRunning { kill(b.process.processIdentifier, SIGKILL) } }
        // Taken over once the lease ends (the wait's deadline is generous: a loaded machine is slow to start
        // node B, and a timing bound in a test fails on noise, not on a bug).
        let received = try await receiver.wait(seconds: 30) { !$0.isEmpty }
        #expect(received.count == 1)
        // Never inside the dead node's lease (one clock: this machine's).
        let arrived = try #require(received.first).at.timeIntervalSince1970
        #expect(arrived >= leaseEnd, "delivered \(leaseEnd - arrived) s before the dead node's lease ended")
        // Once, counted after the deliverer has finished: node B stopped (SIGTERM).
        kill(b.process.processIdentifier, SIGTERM)
        #expect(try await eventually(within: 60) { !b.process.isRunning }, "node B stops")
        #expect(await receiver.received.count == 1)
    }
}

@Suite("Moving a deployment: onecode db copy from SQLite to PostgreSQL", .serialized)
struct DatabaseCopyTests {
    @Test("every table copied with counts checked; a second run copies nothing; on PostgreSQL scans go on where they were, tokens work")
    func copy() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 20)
        let token = try await Run.run(Run.onecode, ["token", "create", "--scope", "admin", "--name", "ops"], cwd: folder.path, environment: DurabilityTests.environment)
        let secret = try #require(token.stdout.split(separator: "\n").first { $0.hasPrefix("oc_") }.map(String.init), "\(token.stdout)")
        let (sqlite, base) = try await DurabilityTests.startServer(folder)
        defer { if sqlite.process.isRunning { kill(sqlite.process.processIdentifier, SIGKILL) } }
        let first = await DurabilityTests.verdicts(base, Array(codes[..<5]) + [codes[0]], concurrency: 1)
        #expect(first.map(\.verdict) == ["genuine", "genuine", "genuine", "genuine", "genuine", "repeat"])
        kill(sqlite.process.processIdentifier, SIGTERM)
        #expect(await sqlite.wait().status == 0)
        // The linker's own records: a segment people wrote, and a lead whose cursor a CRM holds.
        #expect(try await Run.run(Run.onecode, ["segment", "create", "--name", "Tea buyers", "--rules", #"{"product": [1]}"#], cwd: folder.path,
                                environment: DurabilityTests.environment).status == 0)
        _ = try await Run.run("/usr/bin/sqlite3", [folder.file("data/onecode.sqlite"), """
            INSERT INTO lead (kind, ref, name, phone, score, reasons, source, created_at, updated_at, seq)
            VALUES ('store', '9', 'Shop', NULL, 12.5, '[]', '{}', 1700000000, 1700000000, 41);
            UPDATE linker_state SET lead_seq = 41
            """])

        // The channel's records: a dealer goods are shipped to.
        #expect(try await Run.run(Run.onecode, ["dealer", "add", "--name", "Dealer A", "--territory", "CN-31"], cwd: folder.path,
                                environment: DurabilityTests.environment).status == 0)

        let environment = try await PostgresTests.database(folder)
        let url = environment["ONECODE_DATABASE_URL"]!
        #expect(try await Run.run(Run.onecode, ["migrate", "--database", url], cwd: folder.path, environment: DurabilityTests.environment).status == 0)
        let copied = try await Run.run(Run.onecode, ["db", "copy", "--from", "data/onecode.sqlite", "--to", url, "--json"], cwd: folder.path,
                                     environment: DurabilityTests.environment)
        #expect(copied.status == 0, "\(copied.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(copied.stdout.utf8)) as? [String: Any])
        let tables = try #require(report["tables"] as? [[String: Any]])
        func row(_ name: String) -> [String: Int] {
            (tables.first { $0["table"] as? String == name } ?? [:]).compactMapValues { $0 as? Int }
        }
        #expect(row("scan") == ["source": 6, "copied": 6, "target": 6])
        #expect(row("code") == ["source": 20, "copied": 20, "target": 20])
        #expect(row("api_token") == ["source": 1, "copied": 1, "target": 1])
        #expect(row("segment") == ["source": 1, "copied": 1, "target": 1])
        #expect(row("lead") == ["source": 1, "copied": 1, "target": 1])
        #expect(row("dealer") == ["source": 1, "copied": 1, "target": 1])
        #expect(tables.count == 42)
        let again = try await Run.run(Run.onecode, ["db", "copy", "--from", "data/onecode.sqlite", "--to", url, "--json"], cwd: folder.path,
                                    environment: DurabilityTests.environment)
        #expect(again.status == 0 && !again.stdout.contains("\"copied\" : 1") && again.stdout.contains("\"copied\" : 0"), "\(again.stdout)")

        let (postgres, pgBase) = try await DurabilityTests.startServer(folder, extra: environment)
        defer { if postgres.process.isRunning { kill(postgres.process.processIdentifier, SIGKILL) } }
        let next = await DurabilityTests.verdicts(pgBase, [codes[0], codes[10]], concurrency: 1)
        #expect(next.map(\.verdict) == ["repeat", "genuine"])
        var request = URLRequest(url: URL(string: pgBase + "/api/stats/verdicts")!)
        request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        let (body, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains("\"genuine\":6"), "\(String(decoding: body, as: UTF8.self))")
        kill(postgres.process.processIdentifier, SIGTERM)
        #expect(await postgres.wait().status == 0)
        let ids = try await Run.run("/usr/bin/psql", [url, "-tAc", "SELECT string_agg(id::text, ',' ORDER BY id) FROM scan"])
        #expect(ids.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1,2,3,4,5,6,7,8")
        // The linker on the target: the copied segment refreshes, a new segment takes the next id, lead cursors go on after 41.
        let refreshed = try await Run.run(Run.onecode, ["segment", "refresh", "--database", url, "--json"], cwd: folder.path, environment: DurabilityTests.environment)
        #expect(refreshed.status == 0 && refreshed.stdout.contains(#""full" : true"#), "\(refreshed.stdout) \(refreshed.stderr)")
        let second = try await Run.run(Run.onecode, ["segment", "create", "--name", "Shanghai", "--rules", #"{"region": ["CN-31"]}"#, "--database", url, "--json"],
                                     cwd: folder.path, environment: DurabilityTests.environment)
        #expect(second.status == 0 && second.stdout.contains(#""id" : 2"#), "\(second.stdout) \(second.stderr)")
        let state = try await Run.run("/usr/bin/psql", [url, "-tAc", "SELECT lead_seq || '|' || (SELECT max(seq) FROM lead) FROM linker_state"])
        #expect(state.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "41|41")
    }
}

@Suite("Several nodes behind nginx on one PostgreSQL", .serialized)
struct BalancedNodesTests {
    /// nginx in front of `upstreams`, on a free port; stopped by its PID.
    static func balancer(_ folder: TemporaryFolder, _ upstreams: [String]) async throws -> (Run.Started, String) {
        // Held until nginx listens beside the hold (reuseport): no other test can bind it meanwhile.
        let reserved = try DurabilityTests.ReservedPort()
        defer { reserved.release() }
        let port = reserved.port
        let prefix = folder.file("nginx")
        try FileManager.default.createDirectory(atPath: prefix, withIntermediateDirectories: true)
        chmod(prefix, 0o777)
        let conf = """
            daemon off;
            worker_processes 2;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/error.log;
            events { worker_connections 1024; }
            http {
              access_log off;
              client_body_temp_path \(prefix); proxy_temp_path \(prefix); fastcgi_temp_path \(prefix); uwsgi_temp_path \(prefix); scgi_temp_path \(prefix);
              upstream onecode { \(upstreams.map { "server \($0.replacingOccurrences(of: "http://", with: "")) max_fails=1 fail_timeout=30s;" }.joined(separator: " ")) keepalive 32; }
              server {
                listen 127.0.0.1:\(port) reuseport;
                location / {
                  proxy_pass http://onecode;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                }
              }
            }
            """
        try conf.write(toFile: folder.file("nginx.conf"), atomically: true, encoding: .utf8)
        let nginx = try Run.start("/usr/sbin/nginx", ["-c", folder.file("nginx.conf"), "-p", prefix])
        let base = "http://127.0.0.1:\(port)"
        _ = try await eventually(every: .milliseconds(50)) {
            ((try? await URLSession.shared.data(from: URL(string: base + "/healthz")!))?.1 as? HTTPURLResponse)?.statusCode == 200
        }
        return (nginx, base)
    }

    @Test("two nodes behind nginx: 10,000 scans over 2,000 codes give exactly 2,000 genuine and 100 winners of 100; kill -9 of one under load loses no acknowledged scan and the other keeps answering; every event delivered")
    func balanced() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let (database, codes) = try await PostgresWebhookTests.world(folder, count: 2_000)
        try """
            {"name": "Hundred", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "status": "live",
             "tiers": [{"name": "Bottle", "kind": "goods", "value": 1, "probability": 1, "stock": 100}]}
            """.write(toFile: folder.file("campaign.json"), atomically: true, encoding: .utf8)
        #expect(try await Run.run(Run.onecode, ["campaign", "create", "--file", "campaign.json"], cwd: folder.path, environment: database).status == 0)
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let environment = database.merging([
            "ONECODE_WEBHOOKS_URLS": await receiver.url, "ONECODE_WEBHOOKS_SECRET": PostgresWebhookTests.secret,
            "ONECODE_WEBHOOKS_POLL_SECONDS": "0.1", "ONECODE_HTTP_TRUSTED_PROXIES": "127.0.0.1",
        ]) { $1 }
        let (a, baseA) = try await DurabilityTests.startServer(folder, extra: environment)
        let (b, baseB) = try await DurabilityTests.startServer(folder, extra: environment)
        defer { for node in [a, b] where node.process.isRunning { kill(node.process.processIdentifier, SIGKILL) } }
        let (nginx, base) = try await Self.balancer(folder, [baseA, baseB])
        defer { if nginx.process.isRunning { kill(nginx.process.processIdentifier, SIGTERM); _ = nginx.waitBlocking() } }
        let url = database["ONECODE_DATABASE_URL"]!
        func value(_ sql: String) async throws -> String {
            try await Run.program("/usr/bin/psql", [url, "-tAc", sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        // Each code five times, 64 at once, through the balancer: every code is scanned on both nodes.
        let load = (0..<5).flatMap { _ in codes.shuffled() }
        let verdicts = await DurabilityTests.verdicts(base, load, concurrency: 64)
        #expect(verdicts.filter { $0.verdict == "genuine" }.count == 2_000)
        #expect(verdicts.filter { $0.verdict == "repeat" }.count == 8_000)
        #expect(try await value("SELECT count(*) FROM (SELECT code FROM scan WHERE verdict = 'genuine' GROUP BY code HAVING count(*) = 1) c") == "2000")
        #expect(try await value("SELECT count(*) || ' ' || count(DISTINCT code_key) || ' ' || count(*) FILTER (WHERE result = 'won') FROM entry") == "2000 2000 100")
        #expect(try await value("SELECT awarded FROM campaign_tier") == "100")
        #expect(try await value("SELECT count(DISTINCT batch_id) FROM scan") == "1")

        // kill -9 of node A after 1,000 more answers: every acknowledged scan is a row; B keeps answering.
        let before = try await Int(value("SELECT count(*) FROM scan")) ?? -1
        let killed = Counter(), victim = a.process.processIdentifier
        let statuses = await DurabilityTests.scanCodes(base, Array((codes + codes).shuffled().prefix(3_000)), concurrency: 32) { done in
            if done == 1_000 && killed.increment() == 1 { kill(victim, SIGKILL) }
        }
        let acknowledged = statuses.filter { (200..<300).contains($0.status) }
        if killed.increment() == 1 { kill(victim, SIGKILL) }  // had the load ended before 1,000 answers
        #expect(await a.wait().reason == .uncaughtSignal)
        #expect(acknowledged.count >= 2_900, "\(statuses.filter { !(200..<300).contains($0.status) }.count) failed")
        let after = try await Int(value("SELECT count(*) FROM scan")) ?? -1
        #expect(after - before >= acknowledged.count)
        let stored = await Set(try value("SELECT string_agg(code, ',') FROM scan").split(separator: ",").map(String.init))
        #expect(Set(acknowledged.map(\.code)).isSubset(of: stored))
        // (Scans from new phones each time: past five phones a code is suspicious.)
        #expect(["repeat", "suspicious"].contains(try #require(await DurabilityTests.verdicts(base, [codes[0]]).first).verdict))

        // Every prize.won event reaches the receiver (B delivers what A left); duplicates only with the same key.
        @Sendable func prizes(_ received: [WebhookReceiver.Received]) -> Set<String> {
            Set(received.filter { $0.headers["onecode-event"] == "prize.won" }.compactMap { $0.headers["idempotency-key"] })
        }
        let received = try await receiver.wait(seconds: 30) { prizes($0).count >= 100 }
        #expect(prizes(received).count == 100)
        kill(b.process.processIdentifier, SIGTERM)
        #expect(await b.wait().status == 0)
    }
}

@Suite("serve's start-up errors")
struct ServeStartTests {
    @Test("a port another process holds: one line naming http.port, exit 1, nothing prepared")
    func portTaken() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // The holder takes a port the system picks and says which.
        let holder = try Run.start("python3", ["-c", """
            import socket, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print("listening", s.getsockname()[1], flush=True); time.sleep(600)
            """])
        defer { if holder.process.isRunning { kill(holder.process.processIdentifier, SIGKILL) } }
        let port = try #require(try await DurabilityTests.reportedPort(holder, in: holder.out, after: "listening"))
        // It must refuse at once; were it to serve (the holder gone, a check lost), it is killed after 60 s and this fails.
        let result = try await Run.run(Run.onecode, ["serve", "--port", String(port)], cwd: folder.path, timeout: 60)
        #expect(holder.process.isRunning, "the port's holder ended before serve tried the port")
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("error: http.port: cannot listen on 127.0.0.1:\(port) (another process uses it)"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("data")))
    }
}

extension ServeStartTests {
    @Test("a value of the wrong type is an error naming its key, not the default: environment and config file", arguments: [
        (["ONECODE_HTTP_PORT": "abc"], nil as String?, "http.port: must be a whole number (got 'abc')"),
        ([:], #"{"onecode": {"http": {"port": "18082"}}}"#, "http.port: must be a whole number (got '18082')"),
        (["ONECODE_RATE_LIMIT_PER_SECOND": "fast"], nil, "rateLimit.perSecond: must be a number (got 'fast')"),
        (["ONECODE_WEBHOOKS_MAX_ATTEMPTS": "many"], nil, "webhooks.maxAttempts: must be a whole number (got 'many')"),
        (["ONECODE_CODES_LENGTH": "x17"], nil, "codes.length: must be a whole number (got 'x17')"),
    ])
    func wrongTypes(environment: [String: String], file: String?, message: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var environment = environment
        if let file {
            try file.write(toFile: folder.file("onecode.json"), atomically: true, encoding: .utf8)
            environment["ONECODE_CONFIG"] = folder.file("onecode.json")
        }
        // No --port here: the option would win over the value under test. A server that starts anyway is stopped.
        let server = try Run.start(Run.onecode, ["serve"], cwd: folder.path, environment: environment)
        _ = try await eventually { !server.process.isRunning }
        if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
        let result = await server.wait()
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: " + message), "\(result.stderr)")
    }
}

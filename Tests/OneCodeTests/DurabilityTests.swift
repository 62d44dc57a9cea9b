import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The real `onecode serve` process under concurrent load: every 2xx is a durable row, group commit
/// groups, and SIGTERM stops accepting, commits what was accepted and exits 0.
@Suite("Scan durability and shutdown", .serialized)
struct DurabilityTests {
    static let environment = [
        "ONECODE_CODES_SECRET": "durability-secret-0123456789",
        "ONECODE_RATE_LIMIT_PER_SECOND": "0",
    ]

    /// A port held for a test: bound on 127.0.0.1 (SO_REUSEPORT) but not listening, so connections to it
    /// are refused, no other test's bind can take it, and a server started with `reuseport` may listen
    /// on it beside the hold. Released when closed.
    final class ReservedPort: @unchecked Sendable {
        let port: Int
        private var fd: Int32

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            guard bound == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            port = Int(UInt16(bigEndian: address.sin_port))
            self.fd = fd
        }

        func release() {
            if fd >= 0 { close(fd) }
            fd = -1
        }

        deinit { release() }
    }

    /// The port a process reports once it listens: a line of its output (`file`) with `marker` followed
    /// by the port (`onecode: listening on http://127.0.0.1:PORT`, a helper's `listening PORT`).
    static func reportedPort(_ started: Run.Started, in file: String, after marker: String) async throws -> Int? {
        var port: Int?
        _ = try await eventually {
            let log = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            if let line = log.split(separator: "\n").first(where: { $0.contains(marker) }) {
                port = Int(line.split(separator: marker).last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "")
            }
            return port != nil || !started.process.isRunning
        }
        return port
    }

    /// A folder with an active batch of `count` codes (in the database `environment` names); returns the codes.
    static func prepare(_ folder: TemporaryFolder, count: Int, environment: [String: String] = environment) async throws -> [String] {
        for arguments in [["product", "add", "--name", "Tea"], ["batch", "issue", "--product", "1", "--count", String(count), "--out", "pkg"],
                          ["batch", "activate", "1"]] {
            let result = try await Run.run(Run.onecode, arguments, cwd: folder.path, environment: environment)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        return try CodesCSV(folder.file("pkg/codes.csv")).codes
    }

    /// Starts `onecode serve` on a port it picks itself (`--port 0`) and reads the port from its
    /// "listening on" line: no other process can take the port between a probe and the bind.
    static func startServer(_ folder: TemporaryFolder, extra: [String: String] = [:]) async throws -> (Run.Started, String) {
        let server = try Run.start(Run.onecode, ["serve", "--port", "0"], cwd: folder.path,
                                   environment: environment.merging(["ONECODE_MODE": "production",
                                                                     "ONECODE_REGIONS_FILE": ServiceFixture.regionsFile]) { $1 }
                                       .merging(extra) { $1 })
        if let base = try await server.listening() { return (server, base) }
        Issue.record("server did not start: \((try? String(contentsOfFile: server.err, encoding: .utf8)) ?? "")")
        return (server, "http://127.0.0.1:1")
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForRequest = 30
        return URLSession(configuration: configuration)
    }()

    /// Sends one scan per code, `concurrency` at a time; returns the status codes (0 for a failed request).
    /// `answered` is told after each 2xx, with how many there have been.
    static func scan(_ base: String, _ codes: [String], concurrency: Int = 64, answered: @escaping @Sendable (Int) -> Void = { _ in }) async -> [Int] {
        await scanCodes(base, codes, concurrency: concurrency, answered: answered).map(\.status)
    }

    /// Like `scan`, with each code beside its status.
    static func scanCodes(_ base: String, _ codes: [String], concurrency: Int = 64,
                          answered: @escaping @Sendable (Int) -> Void = { _ in }) async -> [(code: String, status: Int)] {
        await scanEach(base, codes, concurrency: concurrency, answered: answered).map { ($0.code, $0.status) }
    }

    /// Sends one scan per code (a phone, JSON), `concurrency` at a time; each code with its status (0 for a
    /// failed request) and body. `answered` is told after each 2xx, with how many there have been.
    static func scanEach(_ base: String, _ codes: [String], concurrency: Int,
                         answered: @escaping @Sendable (Int) -> Void = { _ in }) async -> [(code: String, status: Int, body: Data?)] {
        let done = Counter()
        return await withTaskGroup(of: (String, Int, Data?).self) { group in
            var results: [(code: String, status: Int, body: Data?)] = []
            var iterator = codes.makeIterator()
            func add() -> Bool {
                guard let code = iterator.next() else { return false }
                group.addTask {
                    var request = URLRequest(url: URL(string: "\(base)/s/\(code)")!)
                    request.setValue("Mozilla/5.0 (iPhone) durability-test", forHTTPHeaderField: "User-Agent")
                    request.setValue("application/json", forHTTPHeaderField: "Accept")
                    guard let (data, response) = try? await session.data(for: request) else { return (code, 0, nil) }
                    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                    if (200..<300).contains(status) { answered(done.increment()) }
                    return (code, status, data)
                }
                return true
            }
            for _ in 0..<concurrency where add() {}
            for await result in group {
                results.append(result)
                _ = add()
            }
            return results
        }
    }

    static func rows(_ folder: TemporaryFolder) async throws -> Int {
        let result = try await Run.program("/usr/bin/sqlite3", [folder.file("data/onecode.sqlite"), "SELECT count(*) FROM scan"])
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    static func metric(_ text: String, _ name: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(name) }.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    @Test("every 2xx under concurrent load is in the database, and one commit covers many scans")
    func durableUnderLoad() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await Self.prepare(folder, count: 3000)
        let (server, base) = try await Self.startServer(folder)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }  // on every path
        let statuses = await Self.scan(base, codes)
        let ok = statuses.filter { (200..<300).contains($0) }.count
        #expect(ok == 3000, "statuses: \(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        let (data, _) = try await URLSession.shared.data(from: URL(string: base + "/metrics")!)
        let metrics = String(decoding: data, as: UTF8.self)
        let commits = Self.metric(metrics, "onecode_writer_commits_total")
        let genuine = Self.metric(metrics, "onecode_scans_total{verdict=\"genuine\"}")
        #expect(genuine == 3000)
        #expect(commits > 0 && commits < 3000 / 2, "group commit should put several scans in one transaction: \(commits) commits")
        #expect(metrics.contains("onecode_writer_group_size") && metrics.contains("onecode_writer_commit_seconds"))
        #expect(metrics.contains("http_server_request_duration_bucket"))
        kill(server.process.processIdentifier, SIGTERM)
        let result = await server.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try await Self.rows(folder) == ok)
    }

    @Test("SIGTERM during load: accepted scans are committed, the process exits 0, nothing acknowledged is lost")
    func gracefulShutdown() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await Self.prepare(folder, count: 4000)
        let (server, base) = try await Self.startServer(folder)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }  // on every path
        let pid = server.process.processIdentifier
        // The signal goes after the 1,000th answer, so the load is surely still running (no timing guess).
        let statuses = await Self.scan(base, codes, concurrency: 32) { answered in
            if answered == 1000 { kill(pid, SIGTERM) }
        }
        let result = await server.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("every accepted scan is committed"))
        // Checkpointed on the way out (TRUNCATE): the WAL is empty, the database file alone holds every scan.
        let wal = folder.file("data/onecode.sqlite-wal")
        let walBytes = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        #expect(walBytes == 0, "\(walBytes) bytes left in the WAL after SIGTERM")
        let ok = statuses.filter { (200..<300).contains($0) }.count
        #expect(ok > 0)
        #expect(ok < 4000, "the load should still be running when SIGTERM arrives")
        #expect(try await Self.rows(folder) == ok, "acknowledged \(ok); statuses \(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
    }

    @Test("SIGKILL mid-load: every code whose scan was acknowledged is in the database; nothing answered before it was durable")
    func killedMidLoad() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await Self.prepare(folder, count: 4000)
        let (server, base) = try await Self.startServer(folder)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }  // on every path
        let pid = server.process.processIdentifier
        let results = await Self.scanCodes(base, codes, concurrency: 48) { answered in
            if answered == 1500 { kill(pid, SIGKILL) }
        }
        _ = await server.wait()
        let acknowledged = Set(results.filter { (200..<300).contains($0.status) }.map(\.code))
        let stored = Set(try await Run.run("/usr/bin/sqlite3", [folder.file("data/onecode.sqlite"), "SELECT code FROM scan"]).stdout
            .split(separator: "\n").map(String.init))
        #expect(acknowledged.count >= 1500 && acknowledged.count < 4000, "\(acknowledged.count) acknowledged")
        #expect(acknowledged.subtracting(stored).isEmpty, "acknowledged but not stored: \(acknowledged.subtracting(stored).count)")
        // A scan may be committed and its answer lost with the process: stored may hold more, never less.
        #expect(stored.isSubset(of: Set(codes)))
    }
}

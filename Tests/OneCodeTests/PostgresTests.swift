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
    static func database(_ folder: TemporaryFolder) throws -> [String: String] {
        let location = try TestPostgres.database(folder.path)
        return DurabilityTests.environment.merging(["ONECODE_DATABASE_URL": location.url]) { $1 }
    }

    @Test("commands refuse a database without the schema and name `onecode migrate`; migrate applies it once and reports it")
    func migrateFirst() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let environment = try Self.database(folder)
        for arguments in [["product", "list"], ["serve", "--port", "0"]] {
            let refused = try Run.onecode(arguments, cwd: folder.path, environment: environment)
            #expect(refused.status == 1, "\(arguments)")
            #expect(refused.stderr.contains("out of date") && refused.stderr.contains("run `onecode migrate`"), "\(refused.stderr)")
        }
        let status = try Run.onecode(["migrate", "--status", "--json"], cwd: folder.path, environment: environment)
        #expect(status.status == 0 && status.stdout.contains("\"pending\" : [\n    \"v1"), "\(status.stdout)")
        let applied = try Run.onecode(["migrate"], cwd: folder.path, environment: environment)
        #expect(applied.status == 0 && applied.stdout.contains("applied now: v1"), "\(applied.stdout) \(applied.stderr)")
        let again = try Run.onecode(["migrate"], cwd: folder.path, environment: environment)
        #expect(again.status == 0 && again.stdout.contains("up to date") && !again.stdout.contains("applied now"), "\(again.stdout)")
        // The password never appears where the database is named.
        let withPassword = environment.merging(["ONECODE_DATABASE_URL": environment["ONECODE_DATABASE_URL"]!
            .replacingOccurrences(of: "onecode@", with: "onecode:hunter2@")]) { $1 }
        let listed = try Run.onecode(["migrate", "--status"], cwd: folder.path, environment: withPassword)
        #expect(listed.status == 0 && !(listed.stdout + listed.stderr).contains("hunter2"), "\(listed.stdout) \(listed.stderr)")
        // No SQLite file was made on the way.
        #expect(!FileManager.default.fileExists(atPath: folder.file("data/onecode.sqlite")))
    }

    @Test("two serve nodes on one database, every code scanned on both at once: exactly one genuine per code; the linker answers 501")
    func twoNodes() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let environment = try Self.database(folder)
        #expect(try Run.onecode(["migrate"], cwd: folder.path, environment: environment).status == 0)
        for arguments in [["product", "add", "--name", "Tea"], ["batch", "issue", "--product", "1", "--count", "300", "--out", "pkg"],
                          ["batch", "activate", "1"]] {
            let result = try Run.onecode(arguments, cwd: folder.path, environment: environment)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let codes = try String(contentsOfFile: folder.file("pkg/codes.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { String($0.split(separator: ",")[1]) }
        #expect(codes.count == 300)
        let token = try Run.onecode(["token", "create", "--scope", "admin", "--name", "ops"], cwd: folder.path, environment: environment)
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

        var request = URLRequest(url: URL(string: baseA + "/api/segments")!)
        request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        let (body, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 501)
        #expect(String(decoding: body, as: UTF8.self).contains("does not run on PostgreSQL yet"))

        for node in [a, b] { kill(node.process.processIdentifier, SIGTERM) }
        for node in [a, b] {
            let ended = node.wait()
            #expect(ended.status == 0)
            let errors = ended.stderr.split(separator: "\n").filter { $0.contains("error") }
            #expect(errors.isEmpty, "\(errors.prefix(3))")
        }
        let stored = try Run.program("/usr/bin/psql", [environment["ONECODE_DATABASE_URL"]!, "-tAc",
                                                       "SELECT count(*) FILTER (WHERE verdict = 'genuine'), count(*) FROM scan"])
        #expect(stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "300|600")
    }
}

extension DurabilityTests {
    /// Scans each code once (a phone), `concurrency` at a time; the verdict of each answer.
    static func verdicts(_ base: String, _ codes: [String], concurrency: Int = 16) async -> [(code: String, verdict: String)] {
        await withTaskGroup(of: (String, String).self) { group in
            var results: [(code: String, verdict: String)] = []
            var iterator = codes.makeIterator()
            func add() -> Bool {
                guard let code = iterator.next() else { return false }
                group.addTask {
                    var request = URLRequest(url: URL(string: "\(base)/s/\(code)")!)
                    request.setValue("Mozilla/5.0 (iPhone) two-nodes-test", forHTTPHeaderField: "User-Agent")
                    request.setValue("application/json", forHTTPHeaderField: "Accept")
                    guard let (data, _) = try? await session.data(for: request),
                          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                          let verdict = object["verdict"] as? String else { return (code, "failed") }
                    return (code, verdict)
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
}

import Crypto
import Foundation
import OneCodePostgres
import Synchronization

/// The PostgreSQL server the tests use: the one named by `ONECODE_TEST_POSTGRES` (`.ci/run` starts one
/// with `scripts/pg-cluster`), or else a throwaway cluster this test process starts once, on 127.0.0.1 and
/// a free port, stopped once the process has ended. Each test gets databases of its own.
enum TestPostgres {
    static let clusterFolder = NSTemporaryDirectory() + "onecode-test-pg-\(getpid())"

    static let server: Result<PostgresLocation, TestPostgresError> = {
        if let url = ProcessInfo.processInfo.environment["ONECODE_TEST_POSTGRES"], !url.isEmpty {
            return Result { try PostgresLocation(url: url) }.mapError { TestPostgresError(message: "ONECODE_TEST_POSTGRES: \($0)") }
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/pg-cluster").path
        // The script's watcher stops the cluster when this process ends, however it ends.
        // Blocking, once per test process (and never under `.ci/run`, which names its server).
        let process = try? Run.start(script, ["start", clusterFolder, "--while", String(getpid())])
        guard let started = process?.waitBlocking(), started.status == 0 else {
            return .failure(TestPostgresError(message: "could not start a PostgreSQL cluster with scripts/pg-cluster (scripts/setup installs the server)"))
        }
        return Result { try PostgresLocation(url: started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .mapError { TestPostgresError(message: "\($0)") }
    }()

    static let created = Mutex<Set<String>>([])

    /// The database named for `label` (made on first use): the same label gives the same database, as
    /// two nodes of one deployment share one.
    static func database(_ label: String) async throws -> PostgresLocation {
        let server = try server.get()
        let digest = SHA256.hash(data: Data(label.utf8)).prefix(10).map { String(format: "%02x", $0) }.joined()
        let name = "t_" + digest
        let isNew = created.withLock { $0.insert(name).inserted }
        if isNew {
            let result = try await Run.program("/usr/bin/psql", [server.with(database: "postgres").url, "-q", "-c", "CREATE DATABASE \(name)"])
            guard result.status == 0 else { throw TestPostgresError(message: "CREATE DATABASE: \(result.stderr)") }
        }
        return server.with(database: name)
    }
}

struct TestPostgresError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

extension PostgresLocation {
    /// The URL for psql (tests use trust authentication: no password).
    var url: String { "postgresql://\(user)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)" }
}

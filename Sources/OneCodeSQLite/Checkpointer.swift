import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Copies the write-ahead log back into the database file from its own connection, beside the
/// writer, so that scan commits never wait for a checkpoint. A long-running service with a busy
/// writer runs it; short commands leave SQLite's automatic checkpoints on.
public struct Checkpointer: Service {
    let path: String
    let interval: Duration
    let logger: Logger

    public init(path: String, interval: Duration = .milliseconds(250), logger: Logger) {
        self.path = path
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        func checkpoint(_ mode: String) async {
            do {
                try await connection.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(\(mode))") }
            } catch {
                logger.warning("checkpoint failed", metadata: ["error": "\(error)"])
            }
        }
        // Stops with the service group; the last checkpoint leaves the WAL small for the next start. It runs
        // synchronously, so a cancelled group (a server that could not bind) still gets it.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            await checkpoint("PASSIVE")
        }
        func truncate() throws { try connection.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") } }
        do {
            try truncate()
        } catch {
            logger.warning("checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}

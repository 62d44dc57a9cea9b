import Foundation
import Logging
import ServiceLifecycle

/// Makes the scan partitions of this month and the next two, at start and then every six hours, so a
/// month's scans never arrive before their partition.
public struct PartitionKeeper: Service {
    let store: PostgresStore

    public init(store: PostgresStore) { self.store = store }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await PostgresSchema.ensurePartitions(store, around: Date())
            } catch {
                store.logger.error("scan partitions: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(6 * 3600)) }
        }
    }
}

/// The store's connection pool as one of `serve`'s services: listed first, it stops last, once the scan
/// writer has committed what it accepted and the deliverer has written its bookkeeping; then the pool
/// closes its connections (the PostgresClient runs from the moment the store opens, since `serve`
/// checks the database and its schema before the service group starts).
public struct PostgresPool: Service {
    let store: PostgresStore

    public init(store: PostgresStore) { self.store = store }

    public func run() async throws {
        try? await gracefulShutdown()
        await store.close()
    }
}

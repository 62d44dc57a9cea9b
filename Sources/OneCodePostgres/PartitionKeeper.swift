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

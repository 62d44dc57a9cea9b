import OneCodeDomain
import OneCodeStorage
import Synchronization

/// Products and batches by batch id, for the scan page. Only fields that never change are read from
/// here (names, lot, dates); a batch's status always comes from the scan's own transaction.
final class CatalogCache: Sendable {
    let store: any CatalogStore
    private let entries = Mutex<[BatchID: (Batch, Product)]>([:])

    init(store: any CatalogStore) { self.store = store }

    func entry(_ batch: BatchID) async throws -> (Batch, Product)? {
        if let hit = entries.withLock({ $0[batch] }) { return hit }
        guard let found = try await store.batch(batch), let product = try await store.product(found.productID) else { return nil }
        entries.withLock { $0[batch] = (found, product) }
        return (found, product)
    }
}

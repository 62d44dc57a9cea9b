import OneCodeDomain
import OneCodeStorage
import Synchronization

/// Products and batches by batch id, for the scan page. Only catalogue fields are read from here (names,
/// image, lot, dates); a batch's status always comes from the scan's own transaction. A product's names
/// and image can change (on any node), so an entry is read again after `lifetime`.
final class CatalogCache: Sendable {
    let store: any CatalogStore
    let lifetime: Duration
    private let entries = Mutex<[BatchID: (Batch, Product, ContinuousClock.Instant)]>([:])

    init(store: any CatalogStore, lifetime: Duration = .seconds(60)) {
        self.store = store
        self.lifetime = lifetime
    }

    func entry(_ batch: BatchID) async throws -> (Batch, Product)? {
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[batch] }), now - hit.2 < lifetime { return (hit.0, hit.1) }
        guard let found = try await store.batch(batch), let product = try await store.product(found.productID) else { return nil }
        entries.withLock { $0[batch] = (found, product, now) }
        return (found, product)
    }

    /// Forgets a product's entries (changed on this node: its pages show the change at once).
    func forget(product: ProductID) {
        entries.withLock { $0 = $0.filter { $0.value.1.id != product } }
    }
}

import OneCodeDomain
import OneCodeStorage
import Synchronization

/// Products and batches by batch id, for the scan page. Only catalogue fields are read from here (names,
/// image, lot, dates); a batch's status always comes from the scan's own transaction. A product's names
/// and image can change (on any node), so an entry is read again after `lifetime`.
final class CatalogCache: Sendable {
    /// A batch, its product, and the scan page's Content-Security-Policy for the product's picture (made
    /// once here, not on every scan; nil: the default policy).
    struct Entry: Sendable {
        let batch: Batch
        let product: Product
        let imagePolicy: String?
        let loaded: ContinuousClock.Instant
    }

    let store: any CatalogStore
    let lifetime: Duration
    private let entries = Mutex<[BatchID: Entry]>([:])

    init(store: any CatalogStore, lifetime: Duration = .seconds(60)) {
        self.store = store
        self.lifetime = lifetime
    }

    func entry(_ batch: BatchID) async throws -> Entry? {
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[batch] }), now - hit.loaded < lifetime { return hit }
        guard let found = try await store.batch(batch), let product = try await store.product(found.productID) else { return nil }
        let entry = Entry(batch: found, product: product,
                          imagePolicy: product.imageURL.flatMap(ProductImage.origin).map(SecurityHeadersMiddleware.contentSecurityPolicy(imagesFrom:)),
                          loaded: now)
        entries.withLock { $0[batch] = entry }
        return entry
    }

    /// Forgets a product's entries (changed on this node: its pages show the change at once).
    func forget(product: ProductID) {
        entries.withLock { $0 = $0.filter { $0.value.product.id != product } }
    }
}

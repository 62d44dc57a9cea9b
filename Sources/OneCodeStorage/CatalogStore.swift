import Foundation
import OneCodeDomain

/// Receives the codes of a batch being issued, inside the issuing transaction.
public protocol CodeSink: AnyObject {
    /// Stores one code of the batch.
    /// - Returns: `false` when the key is already taken (the caller draws another key).
    func insert(_ key: CodeKey, sequence: Int) throws -> Bool
}

/// A key of the batch being issued is held by another batch. A backend that writes codes in chunks
/// (rather than answering each `CodeSink.insert`) throws this from `issueBatch`; the issuer then
/// issues again with fresh keys, as when `insert` answers `false`.
public struct CodeKeyTaken: Error {
    public init() {}
}

/// Where a code belongs: its batch, that batch's product, and its place in the batch.
public struct CodeRecord: Sendable, Equatable {
    public var key: CodeKey
    public var sequence: Int
    public var batch: Batch
    public var product: Product
    /// Why the code was blacklisted, when it was.
    public var blacklistReason: String?
    /// Wrong hidden PINs typed for it, and when they locked it for draws.
    public var wrongPins: Int
    public var pinLockedAt: Date?

    public init(key: CodeKey, sequence: Int, batch: Batch, product: Product, blacklistReason: String? = nil, wrongPins: Int = 0,
                pinLockedAt: Date? = nil) {
        self.wrongPins = wrongPins
        self.pinLockedAt = pinLockedAt
        self.blacklistReason = blacklistReason
        self.key = key
        self.sequence = sequence
        self.batch = batch
        self.product = product
    }
}

/// The catalogue: products, batches and their codes. Feature code calls this; only storage targets see SQL.
///
/// Each method is one transaction that keeps the invariants it names.
public protocol CatalogStore: Sendable {
    /// Registers a product, `audit` (its id filled in) in the same transaction.
    /// - Throws: `ConflictError("gtin", …)` when another product has the GTIN.
    func addProduct(_ product: NewProduct, audit: AuditEntry) async throws -> Product
    /// Every product, oldest first.
    func products() async throws -> [Product]
    func product(_ id: ProductID) async throws -> Product?
    /// Changes a product's names per language and image, `audit` in the same transaction; nil (and no audit
    /// entry) when there is no such product.
    func updateProduct(_ id: ProductID, _ change: ProductChange, audit: AuditEntry) async throws -> Product?

    /// Issues a batch all-or-nothing.
    ///
    /// Creates the batch, then lends `body` a sink for its codes. When `body` throws, nothing of the
    /// batch is kept; when it returns, the batch and every code it inserted are issued together. A
    /// backend may write the codes in several transactions (SQLite does, so scans never wait behind a
    /// large batch): until the issue ends the batch is not listed, cannot change status, and is taken
    /// back if the issue fails.
    /// `audit` (its id the batch's) is written with the issue's last transaction: an issue that fails leaves none.
    /// - Throws: `NotFoundError("product", …)` for an unknown product, or what `body` throws.
    func issueBatch<T: Sendable>(
        _ batch: NewBatch, codeLength: Int, audit: AuditEntry?,
        _ body: @escaping @Sendable (Batch, Product, any CodeSink) throws -> T
    ) async throws -> (Batch, T)

    /// The fingerprint of the secret this database's codes were issued under (`CodeSigner.fingerprint`),
    /// nil before the first issue (or in a database from before fingerprints, with no batch yet).
    func secretFingerprint() async throws -> String?
    /// Records `fingerprint` unless one is recorded; returns the fingerprint recorded (the earlier one
    /// when it differs: the caller refuses to go on).
    func recordSecretFingerprint(_ fingerprint: String) async throws -> String

    /// Batches, newest first, optionally of one product.
    func batches(product: ProductID?) async throws -> [Batch]
    func batch(_ id: BatchID) async throws -> Batch?
    /// Counts the codes stored for a batch.
    func codeCount(batch: BatchID) async throws -> Int

    /// The record of an issued code: one index lookup by key.
    func code(_ key: CodeKey) async throws -> CodeRecord?
}

extension CatalogStore {
    /// Issues a batch all-or-nothing, with no audit entry (tests and the demo).
    public func issueBatch<T: Sendable>(
        _ batch: NewBatch, codeLength: Int, _ body: @escaping @Sendable (Batch, Product, any CodeSink) throws -> T
    ) async throws -> (Batch, T) {
        try await issueBatch(batch, codeLength: codeLength, audit: nil, body)
    }
}

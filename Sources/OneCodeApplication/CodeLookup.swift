import Foundation
import OneCodeDomain
import OneCodeStorage

/// What is known of a typed code, as `onecode code check` prints it and the console's code lookup shows it:
/// read the one way typed codes are read (`CodeSigner.read`), then its batch, product, place in the channel
/// and hidden-PIN state when it was issued.
public struct CodeReport: Encodable, Sendable {
    /// `valid`, `inactive`, `void`, `unknown`, `forged`, `typo` or `malformed`.
    public var code: String
    public var verdict: String
    public var reason: String?
    public var batch: Batch?
    public var product: Product?
    public var sequence: Int?
    /// The case, then the pallet, it is packed in.
    public var packedIn: [ChainLink]?
    /// How many codes are packed in it, and the first of them.
    public var holds: Int?
    public var contents: [ChainLink]?
    public var shippedTo: ShippedTo?
    /// Wrong hidden PINs typed for it, and when they locked it for draws (flagged).
    public var wrongPins: Int?
    public var pinLockedAt: Date?

    public struct ChainLink: Encodable, Sendable { public var code: String; public var kind: BatchKind; public var batchId: BatchID }
    public struct ShippedTo: Encodable, Sendable {
        public var dealerId: DealerID; public var dealer: String; public var territory: [String]; public var shipmentId: Int64; public var at: Date
        public var via: String
        /// The store the dealer delivered it to.
        public var storeId: StoreID?; public var store: String?
    }

    /// The code's key when it was read whole and passes the keyed check (issued or not).
    public var key: CodeKey? { storedKey }
    var storedKey: CodeKey?
    enum CodingKeys: String, CodingKey {
        case code, verdict, reason, batch, product, sequence, packedIn, holds, contents, shippedTo, wrongPins, pinLockedAt
    }

    init(code: String, verdict: String, reason: String? = nil, key: CodeKey? = nil) {
        self.code = code
        self.verdict = verdict
        self.reason = reason
        storedKey = key
    }
}

public struct CodeLookup: Sendable {
    let store: any OneCodeStore
    let signer: CodeSigner

    public init(store: any OneCodeStore, signer: CodeSigner) {
        self.store = store
        self.signer = signer
    }

    /// Reads `typed` (a code, or a URL ending in one; spaces, dashes and any case as on the code-entry page).
    public func report(_ typed: String) async throws -> CodeReport {
        let text = typed.split(separator: "/").last.map(String.init) ?? typed
        switch signer.read(typed: typed) {
        case .empty, .symbols, .length:
            return CodeReport(code: text, verdict: "malformed", reason: signer.read(typed: typed).problem)
        case let .typo(canonical):
            return CodeReport(code: canonical, verdict: "typo", reason: "check-character")
        case let .read(.forged(reason)):
            return CodeReport(code: Crockford.canonical(text) ?? text, verdict: "forged", reason: reason.rawValue)
        case let .read(.valid(key, canonical)):
            guard let record = try await store.code(key) else { return CodeReport(code: canonical, verdict: "unknown", reason: "not-issued", key: key) }
            // The state a scan would find, as VerdictRules reads it.
            let (verdict, reason): (String, String?) = record.blacklistReason.map { ("void", "blacklisted: \($0)") }
                ?? (record.batch.status == .void ? ("void", "batch-void")
                    : record.batch.status == .issued ? ("inactive", "batch-not-active") : ("valid", nil))
            var found = CodeReport(code: canonical, verdict: verdict, reason: reason, key: key)
            found.batch = record.batch
            found.product = record.product
            found.sequence = record.sequence
            let chain = try await store.chain(of: key, childrenAfter: nil, limit: 10)
            func link(_ link: CodeChain.Link) -> CodeReport.ChainLink {
                CodeReport.ChainLink(code: signer.code(for: link.key), kind: link.kind, batchId: link.batch)
            }
            if !chain.parents.isEmpty { found.packedIn = chain.parents.map(link) }
            if chain.childCount > 0 || record.batch.kind != .unit {
                found.holds = chain.childCount
                found.contents = chain.children.map(link)
            }
            found.shippedTo = chain.shipment.map {
                CodeReport.ShippedTo(dealerId: $0.dealer, dealer: $0.dealerName, territory: $0.territory.regions, shipmentId: $0.shipment, at: $0.at,
                                     via: signer.code(for: $0.via), storeId: $0.store, store: $0.storeName)
            }
            if record.wrongPins > 0 { found.wrongPins = record.wrongPins }
            found.pinLockedAt = record.pinLockedAt
            return found
        }
    }
}

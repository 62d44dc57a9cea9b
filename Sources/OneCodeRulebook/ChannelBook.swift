import Foundation
import OneCodeDomain
import OneCodeStorage

/// A code named in a request, with where it stood there (`children[17]`, `line 18`), so a refusal names it.
public struct PlacedCode: Sendable {
    public var key: CodeKey
    public var code: String
    public var position: String
    public init(key: CodeKey, code: String, position: String) {
        self.key = key
        self.code = code
        self.position = position
    }
}

/// Children to bind to one parent, as a packing-line scanner reports them.
public struct Packing: Sendable {
    public var parent: PlacedCode
    public var children: [PlacedCode]
    public init(parent: PlacedCode, children: [PlacedCode]) {
        self.parent = parent
        self.children = children
    }
}

/// What an aggregation call did.
public struct AggregationOutcome: Sendable, Codable, Equatable {
    /// The `add` events recorded (one per parent that gained children).
    public var aggregations: [Int64]
    /// Children bound now (moved ones included).
    public var bound: Int
    /// Children taken out of another parent first (`replace`).
    public var moved: Int
    /// Children already in the parent they were named with (sent again by the line): nothing written.
    public var unchanged: Int
}

/// The channel's rules for every backend, over the transaction the backend lends (`ChannelTransaction`):
/// packing codes into cases and pallets, shipping them to dealers, and diversion on scans.
public enum ChannelBook {
    /// The most codes one call may name: a call is one transaction, and its input sits in memory.
    public static let maxCodesPerCall = 100_000

    /// Binds each packing's children to its parent, all or nothing.
    ///
    /// A child has one parent at a time: one packed elsewhere is refused unless `replace`, which unpacks
    /// it first (recorded as a `delete` aggregation of its old parent). A parent's level is above each
    /// child's (`BatchKind.level`). Unknown, inactive, void and blacklisted codes are refused, naming
    /// their position. A child sent again with the parent it is in changes nothing.
    /// - Parameter naming: the printed code of a key (for refusals that name a code the input did not).
    public static func aggregate(_ packings: [Packing], replace: Bool, at: Date, in tx: any ChannelTransaction,
                                 naming: (CodeKey) -> String) throws -> AggregationOutcome {
        guard !packings.isEmpty else { throw InputError("children", "must list at least one child code") }
        let total = packings.reduce(0) { $0 + $1.children.count + 1 }
        guard total <= maxCodesPerCall else {
            throw InputError("children", "at most \(maxCodesPerCall) codes per call (got \(total)); send the rest in another call")
        }
        var seenChild: [CodeKey: String] = [:]
        for packing in packings {
            guard !packing.children.isEmpty else { throw InputError(packing.parent.position, "lists no child codes") }
            for child in packing.children {
                if child.key == packing.parent.key { throw InputError(child.position, "\(child.code) cannot be packed in itself") }
                if let earlier = seenChild.updateValue(child.position, forKey: child.key) {
                    throw InputError(child.position, "\(child.code) is listed twice (also at \(earlier))")
                }
            }
        }
        let keys = Array(Set(packings.flatMap { [$0.parent.key] + $0.children.map(\.key) }))
        let codes = try tx.channelCodes(keys)
        func usable(_ placed: PlacedCode) throws -> ChannelCode {
            guard let code = codes[placed.key] else {
                throw InputError(placed.position, "\(placed.code) is unknown: it passes the keyed check but was never issued")
            }
            try movable(code, placed)
            return code
        }
        var moves: [CodeKey: [CodeKey]] = [:]
        var binds: [(parent: CodeKey, children: [CodeKey])] = []
        var unchanged = 0
        for packing in packings {
            let parent = try usable(packing.parent)
            var fresh: [CodeKey] = []
            for placed in packing.children {
                let child = try usable(placed)
                guard parent.kind.level > child.kind.level else {
                    throw InputError(placed.position, "\(placed.code) is a \(child.kind.words) (batch \(child.batch)); a \(parent.kind.words) "
                                     + "(\(packing.parent.code), batch \(parent.batch)) holds only codes of a lower level: "
                                     + BatchKind.allCases.map(\.rawValue).joined(separator: " < "))
                }
                if child.parent == parent.key { unchanged += 1; continue }
                if let old = child.parent {
                    guard replace else {
                        throw ConflictError(placed.position, "\(placed.code) is packed in \(naming(old)) already; re-packing unpacks it "
                                            + "from there first (replace: true, or --replace)")
                    }
                    moves[old, default: []].append(child.key)
                }
                fresh.append(child.key)
            }
            if !fresh.isEmpty { binds.append((parent.key, fresh)) }
        }
        var moved = 0
        for (old, children) in moves.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            _ = try tx.insertAggregation(parent: old, action: .delete, children: children, at: at)
            try tx.unbind(children)
            moved += children.count
        }
        var ids: [Int64] = []
        for (parent, children) in binds {
            let id = try tx.insertAggregation(parent: parent, action: .add, children: children, at: at)
            try tx.bind(children, to: parent, aggregation: id)
            ids.append(id)
        }
        return AggregationOutcome(aggregations: ids, bound: binds.reduce(0) { $0 + $1.children.count }, moved: moved, unchanged: unchanged)
    }

    /// Where a shipment goes: a dealer, or a store a dealer delivers to.
    public enum Destination: Sendable, Equatable {
        case dealer(DealerID)
        case store(StoreID)

        /// The destination a request names: a dealer or a store, exactly one, each a positive id.
        public static func named(dealer: Int64?, store: Int64?) throws -> Destination {
            switch (dealer, store) {
            case let (dealer?, nil):
                guard dealer > 0 else { throw InputError("dealer", "must be a positive id (got \(dealer))") }
                return .dealer(DealerID(rawValue: dealer))
            case let (nil, store?):
                guard store > 0 else { throw InputError("store", "must be a positive id (got \(store))") }
                return .store(StoreID(rawValue: store))
            case (nil, nil): throw InputError("dealer", "name the dealer the goods go to, or the store a dealer delivers them to (store)")
            case (_?, _?): throw InputError("store", "a shipment goes to a dealer or to a store, not both")
            }
        }
    }

    /// Ships codes (cases, pallets, or units) to a dealer, and with them everything packed in them; or
    /// delivers them from a dealer to a store.
    ///
    /// From a warehouse (`from` nil) a code must not have been shipped before; a dealer passing goods on
    /// (`from`) ships only what was last shipped to it and not yet delivered to a store. A delivery to a
    /// store names its dealer (`from`); the goods stay that dealer's (its territory still judges
    /// diversion), and the store's region is where they are. All or nothing.
    public static func ship(_ codes: [PlacedCode], to destination: Destination, from: DealerID?, warehouse: WarehouseID?, at: Date,
                            in tx: any ChannelTransaction) throws -> Shipment {
        guard !codes.isEmpty else { throw InputError("codes", "must list at least one case, pallet or unit code") }
        guard codes.count <= maxCodesPerCall else {
            throw InputError("codes", "at most \(maxCodesPerCall) codes per shipment (got \(codes.count)); ship the rest in another")
        }
        let dealerID: DealerID, storeID: StoreID?
        switch destination {
        case let .dealer(id):
            guard try tx.dealer(id) != nil else { throw NotFoundError("dealer", "no dealer \(id); see `onecode dealer list`") }
            dealerID = id
            storeID = nil
        case let .store(id):
            guard try tx.store(id) != nil else { throw NotFoundError("store", "no store \(id); see `onecode store list`") }
            guard let from else { throw InputError("from", "a delivery to a store names the dealer it comes from (from, or --from)") }
            guard warehouse == nil else {
                throw InputError("warehouse", "a delivery to a store comes from a dealer (from), not a warehouse: ship to the store's dealer first")
            }
            dealerID = from
            storeID = id
        }
        if let from, storeID == nil {
            guard from != dealerID else { throw InputError("from", "a dealer cannot ship to itself (dealer \(from))") }
        }
        if let from {
            guard try tx.dealer(from) != nil else { throw NotFoundError("from", "no dealer \(from); see `onecode dealer list`") }
        }
        if let warehouse, try tx.warehouse(warehouse) == nil {
            throw NotFoundError("warehouse", "no warehouse \(warehouse); see `onecode dealer warehouses`")
        }
        var seen: [CodeKey: String] = [:]
        for placed in codes {
            if let earlier = seen.updateValue(placed.position, forKey: placed.key) {
                throw InputError(placed.position, "\(placed.code) is listed twice (also at \(earlier))")
            }
        }
        let keys = codes.map(\.key)
        let found = try tx.channelCodes(keys)
        for placed in codes {
            guard let code = found[placed.key] else {
                throw InputError(placed.position, "\(placed.code) is unknown: it passes the keyed check but was never issued")
            }
            try movable(code, placed)
        }
        let last = try tx.lastShipments(keys)
        for placed in codes {
            let earlier = last[placed.key]
            switch (from, earlier) {
            case (nil, let earlier?):
                throw ConflictError(placed.position, "\(placed.code) was shipped to dealer \(earlier.dealer) (\(earlier.dealerName)) already; "
                                    + "a dealer passing goods on ships them with from: \(earlier.dealer)")
            case (let from?, nil):
                throw ConflictError(placed.position, "\(placed.code) was never shipped to dealer \(from); ship it from the warehouse first")
            case (let from?, let earlier?) where earlier.dealer != from:
                throw ConflictError(placed.position, "\(placed.code) was last shipped to dealer \(earlier.dealer) (\(earlier.dealerName)), "
                                    + "not dealer \(from)")
            case (_?, let earlier?) where earlier.store != nil:
                throw ConflictError(placed.position, "\(placed.code) was delivered to store \(earlier.store!) (\(earlier.storeName ?? "")) already "
                                    + "by dealer \(earlier.dealer)")
            default: break
            }
        }
        // A dealer's delivery is recorded under the dealer whose goods they stay, with the store it went to.
        return try tx.insertShipment(dealer: dealerID, from: storeID == nil ? from : nil, warehouse: warehouse, store: storeID, codes: keys, at: at)
    }

    /// Judges a consumer's scan against the dealer the item was last shipped to: a region outside its
    /// territory is a diversion, written (and announced as `diversion.detected`) once per unit and dealer.
    /// - Returns: the dealer the item was diverted from, when this scan found it so.
    @discardableResult
    public static func judge(scan: Int64, key: CodeKey, code: String, region: String?, at: Date,
                             in tx: any ScanTransaction) throws -> DealerID? {
        // Where it surfaced: the scan's region, else the region of the store it was delivered to or that received its case.
        guard let shipment = try tx.lastShipment(of: key), let region = try region ?? shipment.storeRegion ?? tx.receiptRegion(of: key),
              !shipment.territory.covers(region) else { return nil }
        let row = DiversionRow(key: key, code: code, dealer: shipment.dealer, shipment: shipment.shipment, scan: scan, region: region,
                               territory: shipment.territory, at: at)
        guard try tx.insertDiversion(row) else { return nil }
        try tx.emit(.diversionDetected, at: at, data: Events.diversionDetected(row, shipment: shipment))
        return shipment.dealer
    }

    /// Judges a region a consumer shared after their scan (a location arriving later), as `judge` does
    /// on the scan: only a live code, only once anything was shipped.
    @discardableResult
    public static func judgeShared(scan: Int64, key: CodeKey, code: String, region: String, at: Date,
                                   in tx: any ScanTransaction) throws -> DealerID? {
        guard try tx.anyShipments(), let facts = try tx.code(key), facts.status == .active, !facts.blacklisted else { return nil }
        return try judge(scan: scan, key: key, code: code, region: region, at: at, in: tx)
    }

    /// A store confirms it received a case (an inner case or an outer case), once: a second receipt by any
    /// store is refused naming where and when it was received (the schema keeps one per case, so two nodes
    /// at once cannot both succeed). Earns the configured rebate, written to the ledger and announced.
    public static func receive(_ placed: PlacedCode, store: StoreID, rules: ChannelRules, at: Date, in tx: any ChannelTransaction) throws -> Receipt {
        guard try tx.store(store) != nil else { throw NotFoundError("store", "no store \(store); see `onecode store list`") }
        try sellingCase(placed, in: tx, for: "a store confirms receipt of")
        func taken(_ earlier: ReceiptFacts) -> ConflictError {
            ConflictError(placed.position, "\(placed.code) was received already, by store \(earlier.store) (\(earlier.storeName)) at "
                          + ISO8601DateFormatter().string(from: earlier.at))
        }
        if let earlier = try tx.receipt(of: placed.key) { throw taken(earlier) }
        guard let id = try tx.insertReceipt(placed.key, store: store, at: at) else {
            // Another node's receipt committed between the read and the write.
            throw try tx.receipt(of: placed.key).map(taken) ?? ConflictError(placed.position, "\(placed.code) was received already")
        }
        if rules.receiptRebate > 0 {
            _ = try tx.insertLedger(LedgerRow(at: at, store: store, clerk: nil, amount: rules.receiptRebate, cause: .receiptRebate, receipt: id,
                                              scan: nil, code: placed.code))
        }
        let receipt = Receipt(id: id, code: placed.code, storeId: store, at: at, rebate: rules.receiptRebate)
        try tx.emit(.receiptConfirmed, at: at, data: Events.receiptConfirmed(receipt))
        return receipt
    }

    /// Binds a clerk to a case they sell from: one clerk per case (the schema keeps it); binding again is
    /// no change. - Returns: whether the binding is new.
    @discardableResult
    public static func bindClerk(_ placed: PlacedCode, clerk clerkID: ClerkID, at: Date, in tx: any ChannelTransaction) throws -> Bool {
        guard try tx.clerk(clerkID) != nil else { throw NotFoundError("clerk", "no clerk \(clerkID)") }
        try sellingCase(placed, in: tx, for: "a clerk binds to")
        if let bound = try tx.clerk(boundTo: placed.key) {
            guard bound == clerkID else { throw ConflictError(placed.position, "\(placed.code) is bound to another clerk (\(bound))") }
            return false
        }
        guard try tx.bindClerk(clerkID, to: placed.key, at: at) else {
            throw ConflictError(placed.position, "\(placed.code) was bound to another clerk at the same time")
        }
        return true
    }

    /// A consumer's first counted scan of a unit pays the clerk bound to its case the configured reward,
    /// in the scan's transaction, unless the clerk's day is at its cap. - Returns: the ledger line's id.
    @discardableResult
    public static func reward(scan: Int64, key: CodeKey, code: String, at: Date, rules: ChannelRules, in tx: any ScanTransaction) throws -> Int64? {
        guard rules.clerkReward > 0, let binding = try tx.clerkBinding(of: key) else { return nil }
        let cap = rules.clerkDailyCap > 0 ? rules.clerkDailyCap : Int.max / 2
        guard try tx.takeClerkReward(binding.clerk, day: rules.day(of: at), amount: rules.clerkReward, cap: cap) else { return nil }
        let id = try tx.insertLedger(LedgerRow(at: at, store: binding.store, clerk: binding.clerk, amount: rules.clerkReward, cause: .clerkReward,
                                               receipt: nil, scan: scan, code: code))
        try tx.emit(.clerkRewarded, at: at, data: Events.clerkRewarded(id: id, binding: binding, amount: rules.clerkReward, code: code, scan: scan))
        return id
    }

    /// Refuses what is not an issued, live inner case or case: what stores receive and clerks sell from.
    /// - Parameter what: who does what with it, for the refusal (`a store confirms receipt of`).
    static func sellingCase(_ placed: PlacedCode, in tx: any ChannelTransaction, for what: String) throws {
        guard let code = try tx.channelCodes([placed.key])[placed.key] else {
            throw NotFoundError(placed.position, "\(placed.code) is unknown: it passes the keyed check but was never issued")
        }
        try movable(code, placed)
        guard code.kind == .innerCase || code.kind == .case else {
            throw InputError(placed.position, "\(placed.code) is a \(code.kind.words) code; \(what) an inner case or a case")
        }
    }

    /// Refuses a code that may not move: its batch not active (issued or void), or the code blacklisted.
    static func movable(_ code: ChannelCode, _ placed: PlacedCode) throws {
        if code.blacklisted { throw InputError(placed.position, "\(placed.code) is blacklisted") }
        switch code.status {
        case .active: break
        case .issued: throw InputError(placed.position, "\(placed.code) is inactive: batch \(code.batch) is not activated yet")
        case .void: throw InputError(placed.position, "\(placed.code) is void: batch \(code.batch) was voided")
        }
    }
}

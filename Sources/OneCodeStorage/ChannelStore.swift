import Foundation
import OneCodeDomain

// MARK: - Rows the channel rules read and write

/// What the channel rules need to know of a code: its level, whether it may move, and where it sits.
public struct ChannelCode: Sendable, Equatable {
    public var key: CodeKey
    public var batch: BatchID
    public var kind: BatchKind
    public var status: BatchStatus
    public var blacklisted: Bool
    /// The code it is packed in now, if any.
    public var parent: CodeKey?

    public init(key: CodeKey, batch: BatchID, kind: BatchKind, status: BatchStatus, blacklisted: Bool, parent: CodeKey?) {
        self.key = key
        self.batch = batch
        self.kind = kind
        self.status = status
        self.blacklisted = blacklisted
        self.parent = parent
    }
}

/// Where a code's item was last shipped: the newest shipment of the code or of any package it is in.
public struct ShipmentFacts: Sendable, Equatable {
    public var shipment: Int64
    public var dealer: DealerID
    public var dealerName: String
    public var territory: Territory
    /// The code the shipment named (the item itself, its case or its pallet).
    public var via: CodeKey
    public var at: Date
    /// When the dealer delivered it to a store: the store, its name and region (the item stays the dealer's).
    public var store: StoreID?
    public var storeName: String?
    public var storeRegion: String?

    public init(shipment: Int64, dealer: DealerID, dealerName: String, territory: Territory, via: CodeKey, at: Date,
                store: StoreID? = nil, storeName: String? = nil, storeRegion: String? = nil) {
        self.shipment = shipment
        self.dealer = dealer
        self.dealerName = dealerName
        self.territory = territory
        self.via = via
        self.at = at
        self.store = store
        self.storeName = storeName
        self.storeRegion = storeRegion
    }
}

/// Which shipment an item goes by, for every backend: of its own newest shipment and each package's it
/// is in (read one per level by the backend), the newest wins; a case passed on to a sub-dealer, or a
/// bottle re-packed into another case, so follows its new way.
public enum ShipmentRule {
    /// Inlinable: the scan path calls it for every scan of a shipped item (specialised, no generic lookups).
    @inlinable
    public static func newest<Candidate>(_ candidates: some Sequence<Candidate>, shipment: (Candidate) -> Int64) -> Candidate? {
        candidates.max { shipment($0) < shipment($1) }
    }
}

/// A diversion found on a scan, to be written once per unit and dealer.
public struct DiversionRow: Sendable {
    public var key: CodeKey
    public var code: String
    public var dealer: DealerID
    public var shipment: Int64
    public var scan: Int64
    public var region: String
    public var territory: Territory
    public var at: Date

    public init(key: CodeKey, code: String, dealer: DealerID, shipment: Int64, scan: Int64, region: String, territory: Territory, at: Date) {
        self.key = key
        self.code = code
        self.dealer = dealer
        self.shipment = shipment
        self.scan = scan
        self.region = region
        self.territory = territory
        self.at = at
    }
}

/// A packing (children bound to a parent) or an unpacking, as recorded.
public struct Aggregation: Sendable, Codable, Equatable {
    public enum Action: String, Sendable, Codable { case add, delete }
    public var id: Int64
    public var parent: String
    public var action: Action
    public var at: Date
    public var children: Int

    public init(id: Int64, parent: String, action: Action, at: Date, children: Int) {
        self.id = id
        self.parent = parent
        self.action = action
        self.at = at
        self.children = children
    }
}

/// A shipment as recorded: to a dealer (from a warehouse, or passed on by another dealer), or a dealer's
/// delivery to a store (`store`; `dealer` is then the dealer delivering, whose goods they stay).
public struct Shipment: Sendable, Codable, Equatable {
    public var id: Int64
    public var dealer: DealerID
    /// The dealer that passed the goods on, or nil when they left a warehouse.
    public var fromDealer: DealerID?
    public var warehouse: WarehouseID?
    public var at: Date
    /// The codes the shipment names (cases, pallets or units), not the units inside them.
    public var codes: Int
    /// The store a dealer delivered to.
    public var store: StoreID?

    public init(id: Int64, dealer: DealerID, fromDealer: DealerID?, warehouse: WarehouseID?, at: Date, codes: Int, store: StoreID? = nil) {
        self.store = store
        self.id = id
        self.dealer = dealer
        self.fromDealer = fromDealer
        self.warehouse = warehouse
        self.at = at
        self.codes = codes
    }
}

/// One row of the diversion report by dealer: units of a dealer's goods scanned in a region outside its territory.
public struct DealerDiversion: Sendable, Codable, Equatable {
    public var dealerId: Int64
    public var dealer: String
    public var territory: String
    public var region: String
    public var units: Int
    public var firstAt: Date
    public var lastAt: Date

    public init(dealerId: Int64, dealer: String, territory: String, region: String, units: Int, firstAt: Date, lastAt: Date) {
        self.dealerId = dealerId
        self.dealer = dealer
        self.territory = territory
        self.region = region
        self.units = units
        self.firstAt = firstAt
        self.lastAt = lastAt
    }
}

/// A code's place in the channel: the packages it is in (innermost first), the codes packed in it (a
/// page), and where it was last shipped.
public struct CodeChain: Sendable, Equatable {
    public struct Link: Sendable, Equatable {
        public var key: CodeKey
        public var kind: BatchKind
        public var batch: BatchID
        public init(key: CodeKey, kind: BatchKind, batch: BatchID) {
            self.key = key
            self.kind = kind
            self.batch = batch
        }
    }
    public var parents: [Link]
    public var children: [Link]
    /// The number of codes packed directly in this one.
    public var childCount: Int
    public var shipment: ShipmentFacts?

    public init(parents: [Link], children: [Link], childCount: Int, shipment: ShipmentFacts?) {
        self.parents = parents
        self.children = children
        self.childCount = childCount
        self.shipment = shipment
    }
}

/// A clerk of a store.
public struct Clerk: Sendable, Codable, Equatable {
    public var id: ClerkID
    public var storeId: StoreID
    public var name: String
    public var createdAt: Date
    public init(id: ClerkID, storeId: StoreID, name: String, createdAt: Date) {
        self.id = id
        self.storeId = storeId
        self.name = name
        self.createdAt = createdAt
    }
}

/// Who confirmed a case's receipt, and when.
public struct ReceiptFacts: Sendable, Equatable {
    public var id: Int64
    public var store: StoreID
    public var storeName: String
    public var at: Date
    public init(id: Int64, store: StoreID, storeName: String, at: Date) {
        self.id = id
        self.store = store
        self.storeName = storeName
        self.at = at
    }
}

/// A confirmed receipt, as the API answers it.
public struct Receipt: Sendable, Codable, Equatable {
    public var id: Int64
    public var code: String
    public var storeId: StoreID
    public var at: Date
    /// The rebate it earned (0: none configured).
    public var rebate: Int
    public init(id: Int64, code: String, storeId: StoreID, at: Date, rebate: Int) {
        self.id = id
        self.code = code
        self.storeId = storeId
        self.at = at
        self.rebate = rebate
    }
}

/// The clerk bound to a unit's case (or any package it is in).
public struct ClerkBinding: Sendable, Equatable {
    public var clerk: ClerkID
    public var store: StoreID
    /// The package the clerk is bound to.
    public var via: CodeKey
    public init(clerk: ClerkID, store: StoreID, via: CodeKey) {
        self.clerk = clerk
        self.store = store
        self.via = via
    }
}

/// A ledger line to write: money the channel owes a store or a clerk, and what earned it.
public struct LedgerRow: Sendable {
    public var at: Date
    public var store: StoreID
    public var clerk: ClerkID?
    public var amount: Int
    public var cause: LedgerCause
    public var receipt: Int64?
    public var scan: Int64?
    public var code: String
    public init(at: Date, store: StoreID, clerk: ClerkID?, amount: Int, cause: LedgerCause, receipt: Int64?, scan: Int64?, code: String) {
        self.at = at
        self.store = store
        self.clerk = clerk
        self.amount = amount
        self.cause = cause
        self.receipt = receipt
        self.scan = scan
        self.code = code
    }
}

/// A ledger line as written.
public struct LedgerEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Date
    public var storeId: StoreID
    public var store: String
    public var clerkId: ClerkID?
    public var clerk: String?
    public var amount: Int
    public var cause: LedgerCause
    public var receiptId: Int64?
    public var scanId: Int64?
    public var code: String
    public init(id: Int64, at: Date, storeId: StoreID, store: String, clerkId: ClerkID?, clerk: String?, amount: Int, cause: LedgerCause,
                receiptId: Int64?, scanId: Int64?, code: String) {
        self.id = id
        self.at = at
        self.storeId = storeId
        self.store = store
        self.clerkId = clerkId
        self.clerk = clerk
        self.amount = amount
        self.cause = cause
        self.receiptId = receiptId
        self.scanId = scanId
        self.code = code
    }
}

/// What the channel owes one store (its rebates) or one of its clerks (their rewards).
public struct LedgerBalance: Sendable, Codable, Equatable {
    public var storeId: StoreID
    public var store: String
    public var clerkId: ClerkID?
    public var clerk: String?
    public var amount: Int
    public var entries: Int
    public init(storeId: StoreID, store: String, clerkId: ClerkID?, clerk: String?, amount: Int, entries: Int) {
        self.storeId = storeId
        self.store = store
        self.clerkId = clerkId
        self.clerk = clerk
        self.amount = amount
        self.entries = entries
    }
}

/// Where the channel's supply-chain events come from: each is read in id order, for the EPCIS export.
public enum ChannelRecordSource: Int, Sendable, CaseIterable {
    case aggregation, shipment, receipt
}

/// One recorded channel event: a packing or unpacking, a shipment, or a receipt.
public struct ChannelRecord: Sendable, Equatable {
    public var source: ChannelRecordSource
    public var id: Int64
    public var at: Date
    /// For a packing: `add` or `delete`.
    public var action: Aggregation.Action?
    public var parent: CodeKey?
    /// A packing's children, a shipment's codes, a receipt's case.
    public var codes: [CodeKey]
    public var dealer: DealerID?
    public var fromDealer: DealerID?
    public var warehouse: WarehouseID?
    public var store: StoreID?

    public init(source: ChannelRecordSource, id: Int64, at: Date, action: Aggregation.Action? = nil, parent: CodeKey? = nil, codes: [CodeKey],
                dealer: DealerID? = nil, fromDealer: DealerID? = nil, warehouse: WarehouseID? = nil, store: StoreID? = nil) {
        self.source = source
        self.id = id
        self.at = at
        self.action = action
        self.parent = parent
        self.codes = codes
        self.dealer = dealer
        self.fromDealer = fromDealer
        self.warehouse = warehouse
        self.store = store
    }
}

/// The channel's facts about stores and dealers as SQL both backends run unchanged (one text: the same
/// meaning on SQLite and PostgreSQL), for profiles and leads.
public enum ChannelFactsSQL {
    /// Per store: `store_id`, `receipts` (cases it confirmed), `units_sold` (units of those cases a consumer
    /// scanned: a first counted scan, one or two packing levels down).
    public static let stores = """
        SELECT r.store_id, count(DISTINCT r.code_key) AS receipts, count(DISTINCT l.code_key) AS units_sold
        FROM receipt r
        LEFT JOIN code_parent p1 ON p1.parent_key = r.code_key
        LEFT JOIN code_parent p2 ON p2.parent_key = p1.child_key
        LEFT JOIN code_log l ON l.code_key = coalesce(p2.child_key, p1.child_key) AND l.slot = 1
        GROUP BY r.store_id
        """

    /// Per dealer: `dealer_id`, `shipments` received, `codes` shipped to it, `diversions` (units of its goods
    /// scanned outside its territory), `regions` (distinct regions they surfaced in), `deliveries` (its
    /// deliveries to stores), `units_sold` (units of what was shipped to it that a consumer scanned: a first
    /// counted scan, up to three packing levels down).
    public static let dealers = """
        SELECT d.id AS dealer_id,
               (SELECT count(*) FROM shipment s WHERE s.dealer_id = d.id AND s.store_id IS NULL) AS shipments,
               (SELECT coalesce(sum(s.codes), 0) FROM shipment s WHERE s.dealer_id = d.id AND s.store_id IS NULL) AS codes,
               (SELECT count(*) FROM diversion v WHERE v.dealer_id = d.id) AS diversions,
               (SELECT count(DISTINCT v.region) FROM diversion v WHERE v.dealer_id = d.id) AS regions,
               (SELECT count(*) FROM shipment s WHERE s.dealer_id = d.id AND s.store_id IS NOT NULL) AS deliveries,
               (SELECT count(DISTINCT l.code_key)
                FROM shipment s JOIN shipment_code sc ON sc.shipment_id = s.id
                LEFT JOIN code_parent p1 ON p1.parent_key = sc.code_key
                LEFT JOIN code_parent p2 ON p2.parent_key = p1.child_key
                LEFT JOIN code_parent p3 ON p3.parent_key = p2.child_key
                JOIN code_log l ON l.code_key = coalesce(p3.child_key, p2.child_key, p1.child_key, sc.code_key) AND l.slot = 1
                WHERE s.dealer_id = d.id AND s.store_id IS NULL) AS units_sold
        FROM dealer d ORDER BY d.id
        """
}

/// A dealer and what the channel knows of it: a dealer's profile, and what its lead is scored on.
public struct DealerProfile: Sendable, Codable, Equatable {
    public var dealer: Dealer
    /// Shipments it received (from a warehouse or another dealer).
    public var shipments: Int
    /// Codes (cases, pallets, units) shipped to it.
    public var codesShipped: Int
    /// Units of its goods scanned outside its territory, and the regions they surfaced in.
    public var diversions: Int
    public var diversionRegions: Int
    /// Its deliveries to stores.
    public var deliveries: Int
    /// Units of what was shipped to it that consumers scanned (sold through).
    public var unitsSold: Int

    public init(dealer: Dealer, shipments: Int, codesShipped: Int, diversions: Int, diversionRegions: Int, deliveries: Int = 0, unitsSold: Int = 0) {
        self.dealer = dealer
        self.shipments = shipments
        self.codesShipped = codesShipped
        self.diversions = diversions
        self.diversionRegions = diversionRegions
        self.deliveries = deliveries
        self.unitsSold = unitsSold
    }

    /// A profile from `ChannelFactsSQL.dealers`' columns after `dealer_id` (absent: a dealer with no facts).
    public init(dealer: Dealer, facts: [Int]?) {
        let facts = facts ?? []
        func at(_ index: Int) -> Int { index < facts.count ? facts[index] : 0 }
        self.init(dealer: dealer, shipments: at(0), codesShipped: at(1), diversions: at(2), diversionRegions: at(3), deliveries: at(4), unitsSold: at(5))
    }
}

// MARK: - Ports

/// The channel's records: dealers, warehouses, and what the packing line and shipments wrote.
public protocol ChannelStore: Sendable {
    /// - Throws: `ConflictError("name", …)` when a dealer has the name.
    func addDealer(_ dealer: NewDealer) async throws -> Dealer
    func dealers() async throws -> [Dealer]
    /// Dealers with their shipments and diversions, in id order.
    func dealerProfiles() async throws -> [DealerProfile]
    /// - Throws: `ConflictError("name", …)` when a warehouse has the name.
    func addWarehouse(_ warehouse: NewWarehouse) async throws -> Warehouse
    func warehouses() async throws -> [Warehouse]
    /// The packages a code is in, the codes packed in it (`limit` of them after `after`, in key order),
    /// and its last shipment.
    func chain(of key: CodeKey, childrenAfter after: CodeKey?, limit: Int) async throws -> CodeChain
    /// Shipments, newest first.
    func shipments(limit: Int) async throws -> [Shipment]
    /// Diversion events counted by dealer and region, dealers in id order.
    func dealerDiversion() async throws -> [DealerDiversion]
    /// Adds a clerk to a store with the hash of their token (scope `clerk`).
    /// - Throws: `NotFoundError("store", …)` for an unknown store.
    /// `audit` (the clerk's id filled in) in the same transaction.
    func addClerk(store: StoreID, name: String, tokenHash: [UInt8], audit: AuditEntry) async throws -> Clerk
    /// Clerks, of one store or all, in id order.
    func clerks(store: StoreID?) async throws -> [Clerk]
    /// Ledger lines written in `[from, to)`, in id order, after `after`, at most `limit`.
    func ledger(from: Date, to: Date, after: Int64, limit: Int) async throws -> [LedgerEntry]
    /// Every store's rebates and every clerk's rewards, summed (stores first, by id).
    func balances() async throws -> [LedgerBalance]
    /// Records of one source with ids after `after` and times in `[from, to)`, in id order, at most `limit`.
    func channelRecords(_ source: ChannelRecordSource, from: Date, to: Date, after: Int64, limit: Int) async throws -> [ChannelRecord]
    /// The GTIN (14 digits) of each code's product, for the codes whose product has one.
    func gtins(of keys: [CodeKey]) async throws -> [CodeKey: String]
}

/// Writes ledger lines (in the transaction of what earned them).
public protocol LedgerTransaction {
    /// - Throws: `ConflictError("code", …)` when the unit has a clerk reward already (the schema keeps one).
    func insertLedger(_ row: LedgerRow) throws -> Int64
}

/// The write transaction a backend lends to the channel rules (`ChannelBook`): rows only.
public protocol ChannelTransaction: EventTransaction, LedgerTransaction {
    /// The codes among `keys` that were issued, with their level, state and parent.
    func channelCodes(_ keys: [CodeKey]) throws -> [CodeKey: ChannelCode]
    /// Records an aggregation event and its children; returns its id.
    func insertAggregation(parent: CodeKey, action: Aggregation.Action, children: [CodeKey], at: Date) throws -> Int64
    /// Unbinds the children from their parents.
    func unbind(_ children: [CodeKey]) throws
    /// Binds the children to the parent.
    /// - Throws: `ConflictError("children", …)` when a child got a parent meanwhile (the schema keeps one).
    func bind(_ children: [CodeKey], to parent: CodeKey, aggregation: Int64) throws
    func dealer(_ id: DealerID) throws -> Dealer?
    func warehouse(_ id: WarehouseID) throws -> Warehouse?
    /// Where each code (or a package it is in) was last shipped.
    func lastShipments(_ keys: [CodeKey]) throws -> [CodeKey: ShipmentFacts]
    /// Records a shipment to `dealer`, or with `store` the dealer's delivery to that store.
    func insertShipment(dealer: DealerID, from: DealerID?, warehouse: WarehouseID?, store: StoreID?, codes: [CodeKey], at: Date) throws -> Shipment
    /// The receipt of a case, if a store confirmed it.
    func receipt(of key: CodeKey) throws -> ReceiptFacts?
    /// Writes a receipt unless the case has one (the schema keeps one per case). - Returns: its id, or nil when it had one.
    func insertReceipt(_ key: CodeKey, store: StoreID, at: Date) throws -> Int64?
    func store(_ id: StoreID) throws -> Store?
    func clerk(_ id: ClerkID) throws -> Clerk?
    /// The clerk bound to exactly this package.
    func clerk(boundTo key: CodeKey) throws -> ClerkID?
    /// Binds a clerk to a package unless another is (the schema keeps one). - Returns: false when one was.
    func bindClerk(_ clerk: ClerkID, to key: CodeKey, at: Date) throws -> Bool
}

/// The scan transaction's part for the channel: where the item was shipped, and diversions found.
public protocol ChannelScanTransaction: LedgerTransaction {
    /// Whether anything was ever shipped (the scan path asks no more when not).
    func anyShipments() throws -> Bool
    /// The newest shipment of the code or of a package it is in.
    func lastShipment(of key: CodeKey) throws -> ShipmentFacts?
    /// The region of the store that confirmed receipt of the code's case (or any package it is in; the
    /// innermost): where it surfaced when its scan has no region.
    func receiptRegion(of key: CodeKey) throws -> String?
    /// Writes the diversion unless one of the unit and dealer is written (the schema keeps one).
    /// - Returns: whether it was written.
    func insertDiversion(_ row: DiversionRow) throws -> Bool
    /// Whether any clerk was ever bound to a package (the scan path asks no more when not).
    func anyClerkBindings() throws -> Bool
    /// The clerk bound to the unit's case (or any package it is in; the innermost wins).
    func clerkBinding(of key: CodeKey) throws -> ClerkBinding?
    /// Adds `amount` to the clerk's rewards of `day` unless that would pass `cap`: a guarded update the
    /// schema backs, so two nodes cannot both take the last of a day. - Returns: whether it was added.
    func takeClerkReward(_ clerk: ClerkID, day: String, amount: Int, cap: Int) throws -> Bool
}

/// A backend that lends the channel rules their transaction.
public protocol ChannelTransactions: Sendable {
    func withChannelTransaction<T: Sendable>(_ body: @escaping @Sendable (any ChannelTransaction) throws -> T) async throws -> T
}

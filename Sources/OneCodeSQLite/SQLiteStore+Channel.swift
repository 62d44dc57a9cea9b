import Foundation
import GRDB
import GRDBSQLite
import Synchronization
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage

// The channel's rows on SQLite: the SQL behind `ChannelBook`, deciding nothing.

extension SQLiteStore {

    /// The code's shipment (`ShipmentRule`): the code and up to three packages above it (one flat
    /// statement down code_parent), each with its newest shipment: from `shipped` when the caller synced
    /// it in this transaction (the scan path, `ShippedCodes`), else one step down shipment_code a level.
    /// The shipment's dealer and territory are read once per open database (shipments and dealers never change).
    static func lastShipment(_ db: Database, of key: CodeKey, cache shipments: ShipmentCache, shipped: ShippedCodes? = nil) throws -> ShipmentFacts? {
        var levels: [(shipment: Int64, via: Int64)] = []
        if let shipped {
            // Every scan of a shipped item comes here inside the writer's transaction: the statement is stepped
            // by hand (no row copied), and each level's shipment is read from `shipped`.
            let statement = try db.cachedStatement(sql: """
                SELECT p1.parent_key, p2.parent_key, p3.parent_key FROM code_parent p1
                LEFT JOIN code_parent p2 ON p2.child_key = p1.parent_key LEFT JOIN code_parent p3 ON p3.child_key = p2.parent_key
                WHERE p1.child_key = ?
                """)
            let handle = statement.sqliteStatement
            sqlite3_reset(handle)
            sqlite3_bind_int64(handle, 1, key.rawValue)
            defer { sqlite3_reset(handle) }
            levels.reserveCapacity(4)
            if let id = shipped.newest[key.rawValue] { levels.append((id, key.rawValue)) }
            switch sqlite3_step(handle) {
            case SQLITE_ROW:
                for column: Int32 in 0..<3 where sqlite3_column_type(handle, column) != SQLITE_NULL {
                    let via = sqlite3_column_int64(handle, column)
                    if let id = shipped.newest[via] { levels.append((id, via)) }
                }
            case SQLITE_DONE: break
            case let code: throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
            }
        } else {
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT x.k, p1.parent_key, p2.parent_key, p3.parent_key,
                       (SELECT max(shipment_id) FROM shipment_code WHERE code_key = x.k),
                       (SELECT max(shipment_id) FROM shipment_code WHERE code_key = p1.parent_key),
                       (SELECT max(shipment_id) FROM shipment_code WHERE code_key = p2.parent_key),
                       (SELECT max(shipment_id) FROM shipment_code WHERE code_key = p3.parent_key)
                FROM (SELECT ? AS k) x LEFT JOIN code_parent p1 ON p1.child_key = x.k
                LEFT JOIN code_parent p2 ON p2.child_key = p1.parent_key LEFT JOIN code_parent p3 ON p3.child_key = p2.parent_key
                """), arguments: [key.rawValue]) else { return nil }
            levels = (0..<4).compactMap { level in
                guard let via = row[level] as Int64?, let id = row[4 + level] as Int64? else { return nil }
                return (id, via)
            }
        }
        guard let best = ShipmentRule.newest(levels, shipment: \.shipment) else { return nil }
        var facts: ShipmentFacts
        if let known = shipments.facts.withLock({ $0[best.shipment] }) {
            facts = known
        } else {
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT s.dealer_id, d.name, d.territory, s.at, s.store_id, st.name, st.region
                FROM shipment s JOIN dealer d ON d.id = s.dealer_id LEFT JOIN store st ON st.id = s.store_id WHERE s.id = ?
                """), arguments: [best.shipment]) else { return nil }
            facts = ShipmentFacts(shipment: best.shipment, dealer: DealerID(rawValue: row[0]), dealerName: row[1], territory: try Territory(row[2]),
                                  via: CodeKey(rawValue: best.via), at: Date(timeIntervalSince1970: row[3]),
                                  store: (row[4] as Int64?).map(StoreID.init(rawValue:)), storeName: row[5], storeRegion: row[6])
            shipments.facts.withLock { cache in
                if cache.count >= 100_000 { cache.removeAll() }
                cache[best.shipment] = facts
            }
        }
        facts.via = CodeKey(rawValue: best.via)
        return facts
    }

    static func dealer(from row: Row) throws -> Dealer {
        Dealer(id: DealerID(rawValue: row["id"]), name: row["name"], territory: try Territory(row["territory"]), contact: row["contact"],
               createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    static func warehouse(from row: Row) -> Warehouse {
        Warehouse(id: WarehouseID(rawValue: row["id"]), name: row["name"], region: row["region"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    static func insertLedger(_ db: Database, _ row: LedgerRow) throws -> Int64 {
        try conflicts(as: ConflictError("code", "\(row.code) earned its clerk a reward already")) {
            try db.cachedStatement(sql: """
                INSERT INTO ledger (at, store_id, clerk_id, amount, cause, receipt_id, scan_id, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [row.at.timeIntervalSince1970, row.store.rawValue, row.clerk?.rawValue, row.amount, row.cause.rawValue,
                                          row.receipt, row.scan, row.code])
        }
        return db.lastInsertedRowID
    }

    static func clerk(from row: Row) -> Clerk {
        Clerk(id: ClerkID(rawValue: row["id"]), storeId: StoreID(rawValue: row["store_id"]), name: row["name"],
              createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    static func shipment(from row: Row) -> Shipment {
        Shipment(id: row["id"], dealer: DealerID(rawValue: row["dealer_id"]), fromDealer: (row["from_dealer_id"] as Int64?).map(DealerID.init(rawValue:)),
                 warehouse: (row["warehouse_id"] as Int64?).map(WarehouseID.init(rawValue:)), at: Date(timeIntervalSince1970: row["at"]),
                 codes: row["codes"], store: (row["store_id"] as Int64?).map(StoreID.init(rawValue:)))
    }
}

extension SQLiteTransaction {
    /// Brings the shipped codes up to date for this transaction's scans (once a group).
    func anyShipments() throws -> Bool {
        let (any, codes) = try shipments.syncShipped(db)
        shipped = codes
        return any
    }

    /// The code and the packages it is in, innermost first: one keyed lookup a level (on the scan path this
    /// costs a fraction of `lastShipmentSQL`'s recursive statement).
    func packages(of key: CodeKey) throws -> [Int64] {
        let parent = try db.cachedStatement(sql: "SELECT parent_key FROM code_parent WHERE child_key = ?")
        var chain = [key.rawValue]
        while chain.count < 5, let next = try Int64.fetchOne(parent, arguments: [chain[chain.count - 1]]) { chain.append(next) }
        return chain
    }

    func lastShipment(of key: CodeKey) throws -> ShipmentFacts? {
        try SQLiteStore.lastShipment(db, of: key, cache: shipments, shipped: shipped)
    }

    func receiptRegion(of key: CodeKey) throws -> String? {
        let region = try db.cachedStatement(sql: """
            SELECT st.region FROM receipt r JOIN store st ON st.id = r.store_id WHERE r.code_key = ? AND st.region IS NOT NULL
            """)
        for package in try packages(of: key) {
            if let found = try String.fetchOne(region, arguments: [package]) { return found }
        }
        return nil
    }

    func insertDiversion(_ row: DiversionRow) throws -> Bool {
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO diversion (code_key, dealer_id, shipment_id, scan_id, at, region, territory) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [row.key.rawValue, row.dealer.rawValue, row.shipment, row.scan, row.at.timeIntervalSince1970, row.region,
                                     row.territory.description])
        return db.changesCount == 1
    }

    func anyClerkBindings() throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM clerk_case)")) ?? false
    }

    func clerkBinding(of key: CodeKey) throws -> ClerkBinding? {
        let bound = try db.cachedStatement(sql: "SELECT cc.clerk_id, k.store_id FROM clerk_case cc JOIN clerk k ON k.id = cc.clerk_id WHERE cc.code_key = ?")
        for package in try packages(of: key) {
            if let row = try Row.fetchOne(bound, arguments: [package]) {
                return ClerkBinding(clerk: ClerkID(rawValue: row[0]), store: StoreID(rawValue: row[1]), via: CodeKey(rawValue: package))
            }
        }
        return nil
    }

    func takeClerkReward(_ clerk: ClerkID, day: String, amount: Int, cap: Int) throws -> Bool {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO clerk_day (clerk_id, day, amount) VALUES (?, ?, 0)").execute(arguments: [clerk.rawValue, day])
        try db.cachedStatement(sql: "UPDATE clerk_day SET amount = amount + ?1 WHERE clerk_id = ?2 AND day = ?3 AND amount + ?1 <= ?4")
            .execute(arguments: [amount, clerk.rawValue, day, cap])
        return db.changesCount == 1
    }

    func insertLedger(_ row: LedgerRow) throws -> Int64 { try SQLiteStore.insertLedger(db, row) }
}

/// Shipments' dealers and territories by shipment id, read once per open database: neither changes once
/// written, and the scan path asks for them on every scan of a shipped item.
final class ShipmentCache: Sendable {
    let facts = Mutex<[Int64: ShipmentFacts]>([:])
    let shipped = Mutex(ShippedCodes())

    /// The codes shipments named, brought up to date with the database in the caller's transaction: the
    /// shipments written since the last sync (by this process or another) are read, and only they; nil
    /// when nothing was ever shipped, or when more codes were shipped than the cache holds (then callers
    /// read shipment_code per scan); and whether anything was shipped at all.
    func syncShipped(_ db: Database) throws -> (any: Bool, codes: ShippedCodes?) {
        let last = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM shipment")) ?? 0
        return try shipped.withLock { codes -> (any: Bool, codes: ShippedCodes?) in
            if last < codes.through { codes = ShippedCodes() }  // shipments deleted by hand: read them again
            if last > codes.through, !codes.overflow {
                let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT code_key, shipment_id FROM shipment_code WHERE shipment_id > ?"),
                                               arguments: [codes.through])
                while let row = try rows.next() {
                    let key: Int64 = row[0], id: Int64 = row[1]
                    if id > codes.newest[key, default: 0] { codes.newest[key] = id }
                    if codes.newest.count > ShippedCodes.capacity { codes.newest = [:]; codes.overflow = true; break }
                }
            }
            codes.through = last
            return (last > 0, last == 0 || codes.overflow ? nil : codes)
        }
    }
}

/// Every code a shipment named (cases and pallets mostly, never the units inside them), with its newest
/// shipment, through shipment `through`: what the scan path looks items' packages up in, instead of an
/// index probe a level. Shipments are only ever added, so a sync reads the new ones only.
struct ShippedCodes: Sendable {
    /// Beyond this many shipped codes (about 100 MB) the cache gives up and scans read shipment_code.
    static let capacity = 2_000_000
    var newest: [Int64: Int64] = [:]
    var through: Int64 = 0
    var overflow = false
}

/// The channel rows for `ChannelBook`, in the writer's transaction.
struct SQLiteChannelTransaction: ChannelTransaction {
    let db: Database
    let shipments: ShipmentCache

    func emit(_ type: EventType, at: Date, data: EventJSON) throws { try SQLiteStore.emit(db, type, at: at, data: data) }

    func channelCodes(_ keys: [CodeKey]) throws -> [CodeKey: ChannelCode] {
        let statement = try db.cachedStatement(sql: """
            SELECT c.batch_id, b.kind, b.status, c.blacklist_reason IS NOT NULL, p.parent_key
            FROM code c JOIN batch b ON b.id = c.batch_id LEFT JOIN code_parent p ON p.child_key = c.key WHERE c.key = ?
            """)
        var found: [CodeKey: ChannelCode] = [:]
        for key in keys {
            guard let row = try Row.fetchOne(statement, arguments: [key.rawValue]) else { continue }
            found[key] = ChannelCode(key: key, batch: BatchID(rawValue: row[0]), kind: BatchKind(rawValue: row[1]) ?? .unit,
                                     status: BatchStatus(rawValue: row[2]) ?? .void, blacklisted: row[3],
                                     parent: (row[4] as Int64?).map(CodeKey.init(rawValue:)))
        }
        return found
    }

    func insertAggregation(parent: CodeKey, action: Aggregation.Action, children: [CodeKey], at: Date) throws -> Int64 {
        try db.execute(sql: "INSERT INTO aggregation (parent_key, action, at, children) VALUES (?, ?, ?, ?)",
                       arguments: [parent.rawValue, action.rawValue, at.timeIntervalSince1970, children.count])
        let id = db.lastInsertedRowID
        let child = try db.cachedStatement(sql: "INSERT INTO aggregation_child (aggregation_id, child_key) VALUES (?, ?)")
        for key in children { try child.execute(arguments: [id, key.rawValue]) }
        return id
    }

    func unbind(_ children: [CodeKey]) throws {
        let statement = try db.cachedStatement(sql: "DELETE FROM code_parent WHERE child_key = ?")
        for key in children { try statement.execute(arguments: [key.rawValue]) }
    }

    func bind(_ children: [CodeKey], to parent: CodeKey, aggregation: Int64) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO code_parent (child_key, parent_key, aggregation_id) VALUES (?, ?, ?)")
        try SQLiteStore.conflicts(as: ConflictError("children", "a child was packed elsewhere at the same time; send the call again")) {
            for key in children { try statement.execute(arguments: [key.rawValue, parent.rawValue, aggregation]) }
        }
    }

    func dealer(_ id: DealerID) throws -> Dealer? {
        try Row.fetchOne(db, sql: "SELECT * FROM dealer WHERE id = ?", arguments: [id.rawValue]).map(SQLiteStore.dealer(from:))
    }

    func warehouse(_ id: WarehouseID) throws -> Warehouse? {
        try Row.fetchOne(db, sql: "SELECT * FROM warehouse WHERE id = ?", arguments: [id.rawValue]).map(SQLiteStore.warehouse(from:))
    }

    func lastShipments(_ keys: [CodeKey]) throws -> [CodeKey: ShipmentFacts] {
        var found: [CodeKey: ShipmentFacts] = [:]
        for key in keys { found[key] = try SQLiteStore.lastShipment(db, of: key, cache: shipments) }
        return found
    }

    func insertShipment(dealer: DealerID, from: DealerID?, warehouse: WarehouseID?, store: StoreID?, codes: [CodeKey], at: Date) throws -> Shipment {
        try db.execute(sql: "INSERT INTO shipment (dealer_id, from_dealer_id, warehouse_id, store_id, at, codes) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [dealer.rawValue, from?.rawValue, warehouse?.rawValue, store?.rawValue, at.timeIntervalSince1970, codes.count])
        let id = db.lastInsertedRowID
        let statement = try db.cachedStatement(sql: "INSERT INTO shipment_code (code_key, shipment_id) VALUES (?, ?)")
        for key in codes { try statement.execute(arguments: [key.rawValue, id]) }
        return Shipment(id: id, dealer: dealer, fromDealer: from, warehouse: warehouse, at: at, codes: codes.count, store: store)
    }

    func receipt(of key: CodeKey) throws -> ReceiptFacts? {
        try Row.fetchOne(db, sql: "SELECT r.id, r.store_id, s.name, r.at FROM receipt r JOIN store s ON s.id = r.store_id WHERE r.code_key = ?",
                         arguments: [key.rawValue]).map {
            ReceiptFacts(id: $0[0], store: StoreID(rawValue: $0[1]), storeName: $0[2], at: Date(timeIntervalSince1970: $0[3]))
        }
    }

    func insertReceipt(_ key: CodeKey, store: StoreID, at: Date) throws -> Int64? {
        try db.execute(sql: "INSERT OR IGNORE INTO receipt (code_key, store_id, at) VALUES (?, ?, ?)",
                       arguments: [key.rawValue, store.rawValue, at.timeIntervalSince1970])
        return db.changesCount == 1 ? db.lastInsertedRowID : nil
    }

    func store(_ id: StoreID) throws -> Store? {
        try Row.fetchOne(db, sql: "SELECT id, name, region, created_at FROM store WHERE id = ?", arguments: [id.rawValue]).map {
            Store(id: StoreID(rawValue: $0[0]), name: $0[1], region: $0[2], createdAt: Date(timeIntervalSince1970: $0[3]))
        }
    }

    func clerk(_ id: ClerkID) throws -> Clerk? {
        try Row.fetchOne(db, sql: "SELECT * FROM clerk WHERE id = ?", arguments: [id.rawValue]).map(SQLiteStore.clerk(from:))
    }

    func clerk(boundTo key: CodeKey) throws -> ClerkID? {
        try Int64.fetchOne(db, sql: "SELECT clerk_id FROM clerk_case WHERE code_key = ?", arguments: [key.rawValue]).map(ClerkID.init(rawValue:))
    }

    func bindClerk(_ clerk: ClerkID, to key: CodeKey, at: Date) throws -> Bool {
        try db.execute(sql: "INSERT OR IGNORE INTO clerk_case (code_key, clerk_id, at) VALUES (?, ?, ?)",
                       arguments: [key.rawValue, clerk.rawValue, at.timeIntervalSince1970])
        return db.changesCount == 1
    }

    func insertLedger(_ row: LedgerRow) throws -> Int64 { try SQLiteStore.insertLedger(db, row) }
}

extension SQLiteStore: ChannelStore, ChannelTransactions {
    public func withChannelTransaction<T: Sendable>(_ body: @escaping @Sendable (any ChannelTransaction) throws -> T) async throws -> T {
        try await writer.write { db in try body(SQLiteChannelTransaction(db: db, shipments: shipments)) }
    }

    public func addDealer(_ dealer: NewDealer) async throws -> Dealer {
        try await writer.write { db in
            let now = Date()
            try Self.conflicts(as: ConflictError("name", "a dealer is named '\(dealer.name)' already")) {
                try db.execute(sql: "INSERT INTO dealer (name, territory, contact, created_at) VALUES (?, ?, ?, ?)",
                               arguments: [dealer.name, dealer.territory.description, dealer.contact, now.timeIntervalSince1970])
            }
            return Dealer(id: DealerID(rawValue: db.lastInsertedRowID), name: dealer.name, territory: dealer.territory, contact: dealer.contact,
                          createdAt: now)
        }
    }

    public func dealers() async throws -> [Dealer] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM dealer ORDER BY id").map(Self.dealer(from:)) }
    }

    public func dealerProfiles() async throws -> [DealerProfile] {
        try await writer.read { db in try Self.dealerProfiles(db) }
    }

    /// Every dealer with what the channel knows of it (`ChannelFactsSQL.dealers`), in id order.
    static func dealerProfiles(_ db: Database) throws -> [DealerProfile] {
        let facts = try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: ChannelFactsSQL.dealers).map { row in
            (row[0] as Int64, (1..<row.count).map { row[$0] as Int })
        })
        return try Row.fetchAll(db, sql: "SELECT * FROM dealer ORDER BY id").map {
            let dealer = try Self.dealer(from: $0)
            return DealerProfile(dealer: dealer, facts: facts[dealer.id.rawValue])
        }
    }

    public func addWarehouse(_ warehouse: NewWarehouse) async throws -> Warehouse {
        try await writer.write { db in
            let now = Date()
            try Self.conflicts(as: ConflictError("name", "a warehouse is named '\(warehouse.name)' already")) {
                try db.execute(sql: "INSERT INTO warehouse (name, region, created_at) VALUES (?, ?, ?)",
                               arguments: [warehouse.name, warehouse.region, now.timeIntervalSince1970])
            }
            return Warehouse(id: WarehouseID(rawValue: db.lastInsertedRowID), name: warehouse.name, region: warehouse.region, createdAt: now)
        }
    }

    public func warehouses() async throws -> [Warehouse] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM warehouse ORDER BY id").map(Self.warehouse(from:)) }
    }

    public func chain(of key: CodeKey, childrenAfter after: CodeKey?, limit: Int) async throws -> CodeChain {
        try await writer.read { db in
            func link(_ row: Row) -> CodeChain.Link {
                CodeChain.Link(key: CodeKey(rawValue: row[0]), kind: BatchKind(rawValue: row[1]) ?? .unit, batch: BatchID(rawValue: row[2]))
            }
            let parents = try Row.fetchAll(db, sql: """
                WITH RECURSIVE up(key, depth) AS (
                    SELECT parent_key, 1 FROM code_parent WHERE child_key = ?
                    UNION ALL SELECT p.parent_key, up.depth + 1 FROM code_parent p JOIN up ON p.child_key = up.key WHERE up.depth < 4)
                SELECT up.key, b.kind, b.id FROM up JOIN code c ON c.key = up.key JOIN batch b ON b.id = c.batch_id ORDER BY up.depth
                """, arguments: [key.rawValue]).map(link)
            let children = try Row.fetchAll(db, sql: """
                SELECT p.child_key, b.kind, b.id FROM code_parent p JOIN code c ON c.key = p.child_key JOIN batch b ON b.id = c.batch_id
                WHERE p.parent_key = ? AND p.child_key > ? ORDER BY p.child_key LIMIT ?
                """, arguments: [key.rawValue, after?.rawValue ?? Int64.min, limit]).map(link)
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM code_parent WHERE parent_key = ?", arguments: [key.rawValue]) ?? 0
            let shipment = try Self.lastShipment(db, of: key, cache: shipments)
            return CodeChain(parents: parents, children: children, childCount: count, shipment: shipment)
        }
    }

    public func shipments(limit: Int) async throws -> [Shipment] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM shipment ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.shipment(from:))
        }
    }

    public func dealerDiversion() async throws -> [DealerDiversion] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT v.dealer_id, d.name, d.territory, v.region, count(*), min(v.at), max(v.at)
                FROM diversion v JOIN dealer d ON d.id = v.dealer_id GROUP BY v.dealer_id, v.region ORDER BY v.dealer_id, v.region
                """).map {
                DealerDiversion(dealerId: $0[0], dealer: $0[1], territory: $0[2], region: $0[3], units: $0[4],
                                firstAt: Date(timeIntervalSince1970: $0[5]), lastAt: Date(timeIntervalSince1970: $0[6]))
            }
        }
    }

    public func addClerk(store: StoreID, name: String, tokenHash: [UInt8], audit: AuditEntry) async throws -> Clerk {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM store WHERE id = ?)", arguments: [store.rawValue]) == true else {
                throw NotFoundError("store", "no store \(store); see `onecode store list`")
            }
            let now = Date()
            try db.execute(sql: "INSERT INTO clerk (store_id, name, created_at) VALUES (?, ?, ?)", arguments: [store.rawValue, name, now.timeIntervalSince1970])
            let clerk = Clerk(id: ClerkID(rawValue: db.lastInsertedRowID), storeId: store, name: name, createdAt: now)
            try db.execute(sql: "INSERT INTO api_token (name, scope, hash, created_at, store_id, clerk_id) VALUES (?, 'clerk', ?, ?, ?, ?)",
                           arguments: ["clerk \(clerk.id) \(name)", Data(tokenHash), now.timeIntervalSince1970, store.rawValue, clerk.id.rawValue])
            try Self.append(audit.created(clerk.id.rawValue), db)
            return clerk
        }
    }

    public func clerks(store: StoreID?) async throws -> [Clerk] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM clerk WHERE ?1 IS NULL OR store_id = ?1 ORDER BY id", arguments: [store?.rawValue])
                .map(Self.clerk(from:))
        }
    }

    public func ledger(from: Date, to: Date, after: Int64, limit: Int) async throws -> [LedgerEntry] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT l.id, l.at, l.store_id, s.name, l.clerk_id, k.name, l.amount, l.cause, l.receipt_id, l.scan_id, l.code
                FROM ledger l JOIN store s ON s.id = l.store_id LEFT JOIN clerk k ON k.id = l.clerk_id
                WHERE l.at >= ? AND l.at < ? AND l.id > ? ORDER BY l.id LIMIT ?
                """, arguments: [from.timeIntervalSince1970, to.timeIntervalSince1970, after, limit]).map {
                LedgerEntry(id: $0[0], at: Date(timeIntervalSince1970: $0[1]), storeId: StoreID(rawValue: $0[2]), store: $0[3],
                            clerkId: ($0[4] as Int64?).map(ClerkID.init(rawValue:)), clerk: $0[5], amount: $0[6],
                            cause: LedgerCause(rawValue: $0[7]) ?? .receiptRebate, receiptId: $0[8], scanId: $0[9], code: $0[10])
            }
        }
    }

    public func balances() async throws -> [LedgerBalance] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT l.store_id, s.name, l.clerk_id, k.name, sum(l.amount), count(*)
                FROM ledger l JOIN store s ON s.id = l.store_id LEFT JOIN clerk k ON k.id = l.clerk_id
                GROUP BY l.store_id, l.clerk_id ORDER BY l.store_id, l.clerk_id IS NOT NULL, l.clerk_id
                """).map {
                LedgerBalance(storeId: StoreID(rawValue: $0[0]), store: $0[1], clerkId: ($0[2] as Int64?).map(ClerkID.init(rawValue:)), clerk: $0[3],
                              amount: $0[4], entries: $0[5])
            }
        }
    }

    public func channelRecords(_ source: ChannelRecordSource, from: Date, to: Date, after: Int64, limit: Int) async throws -> [ChannelRecord] {
        try await writer.read { db in
            let window: [any DatabaseValueConvertible] = [after, from.timeIntervalSince1970, to.timeIntervalSince1970, limit]
            func codes(_ sql: String, _ ids: [Int64]) throws -> [Int64: [CodeKey]] {
                guard !ids.isEmpty else { return [:] }
                var found: [Int64: [CodeKey]] = [:]
                for row in try Row.fetchAll(db, sql: sql + " IN (\(databaseQuestionMarks(count: ids.count))) ORDER BY 1, 2",
                                            arguments: StatementArguments(ids)) {
                    found[row[0], default: []].append(CodeKey(rawValue: row[1]))
                }
                return found
            }
            switch source {
            case .aggregation:
                let rows = try Row.fetchAll(db, sql: """
                    SELECT id, at, action, parent_key FROM aggregation WHERE id > ? AND at >= ? AND at < ? ORDER BY id LIMIT ?
                    """, arguments: StatementArguments(window))
                let children = try codes("SELECT aggregation_id, child_key FROM aggregation_child WHERE aggregation_id", rows.map { $0[0] })
                return rows.map {
                    ChannelRecord(source: .aggregation, id: $0[0], at: Date(timeIntervalSince1970: $0[1]), action: Aggregation.Action(rawValue: $0[2]),
                                  parent: CodeKey(rawValue: $0[3]), codes: children[$0[0]] ?? [])
                }
            case .shipment:
                let rows = try Row.fetchAll(db, sql: """
                    SELECT id, at, dealer_id, from_dealer_id, warehouse_id, store_id FROM shipment WHERE id > ? AND at >= ? AND at < ? ORDER BY id LIMIT ?
                    """, arguments: StatementArguments(window))
                let shipped = try codes("SELECT shipment_id, code_key FROM shipment_code WHERE shipment_id", rows.map { $0[0] })
                return rows.map {
                    ChannelRecord(source: .shipment, id: $0[0], at: Date(timeIntervalSince1970: $0[1]), codes: shipped[$0[0]] ?? [],
                                  dealer: DealerID(rawValue: $0[2]), fromDealer: ($0[3] as Int64?).map(DealerID.init(rawValue:)),
                                  warehouse: ($0[4] as Int64?).map(WarehouseID.init(rawValue:)), store: ($0[5] as Int64?).map(StoreID.init(rawValue:)))
                }
            case .receipt:
                return try Row.fetchAll(db, sql: """
                    SELECT id, at, code_key, store_id FROM receipt WHERE id > ? AND at >= ? AND at < ? ORDER BY id LIMIT ?
                    """, arguments: StatementArguments(window)).map {
                    ChannelRecord(source: .receipt, id: $0[0], at: Date(timeIntervalSince1970: $0[1]), codes: [CodeKey(rawValue: $0[2])],
                                  store: StoreID(rawValue: $0[3]))
                }
            }
        }
    }

    public func gtins(of keys: [CodeKey]) async throws -> [CodeKey: String] {
        try await writer.read { db in
            let statement = try db.cachedStatement(sql: """
                SELECT p.gtin FROM code c JOIN batch b ON b.id = c.batch_id JOIN product p ON p.id = b.product_id WHERE c.key = ? AND p.gtin IS NOT NULL
                """)
            var found: [CodeKey: String] = [:]
            for key in Set(keys) { if let gtin = try String.fetchOne(statement, arguments: [key.rawValue]) { found[key] = gtin } }
            return found
        }
    }
}

// MARK: - Fake scans counted

extension SQLiteStore: FakeStore {
    public func addFakeCounts(_ counts: [FakeCount]) async throws {
        guard !counts.isEmpty else { return }
        try await writer.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO fake_count (day, region, verdict, scans) VALUES (?, ?, ?, ?)
                ON CONFLICT (day, region, verdict) DO UPDATE SET scans = scans + excluded.scans
                """)
            for count in counts { try statement.execute(arguments: [count.day, count.region, count.verdict.rawValue, count.scans]) }
        }
    }

    public func fakeCounts(from: String, to: String) async throws -> [FakeCount] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: FakeReportSQL.counts(from: "?1", to: "?2"), arguments: [from, to]).map {
                FakeCount(day: $0[0], region: $0[1], verdict: Verdict(rawValue: $0[2]) ?? .forged, scans: $0[3], reports: $0[4])
            }
        }
    }

    public func addFakeReport(_ new: NewFakeReport) async throws -> Int64 {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO fake_report (at, day, code, verdict, region, where_bought, comment, phone, contact_consent_at, consumer, ip)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [new.at.timeIntervalSince1970, new.day, new.code, new.verdict.rawValue, new.region, new.report.whereBought,
                                 new.report.comment, new.report.phone, new.contactConsentAt?.timeIntervalSince1970, new.consumer, new.ip])
            return db.lastInsertedRowID
        }
    }

    public func fakeReports(before: Int64?, limit: Int) async throws -> [FakeReport] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, at, code, verdict, region, where_bought, comment, phone, contact_consent_at FROM fake_report
                WHERE id < ? ORDER BY id DESC LIMIT ?
                """, arguments: [before ?? Int64.max, limit]).map {
                FakeReport(id: $0[0], at: Date(timeIntervalSince1970: $0[1]), code: $0[2], verdict: Verdict(rawValue: $0[3]) ?? .forged, region: $0[4],
                           whereBought: $0[5], comment: $0[6], phone: $0[7], contactConsentAt: ($0[8] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
        }
    }
}

extension SQLiteStore: ResolutionStore {
    public func addResolutionCounts(_ counts: [ResolutionCount]) async throws {
        guard !counts.isEmpty else { return }
        try await writer.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO resolution_count (day, link_type, resolutions) VALUES (?, ?, ?)
                ON CONFLICT (day, link_type) DO UPDATE SET resolutions = resolutions + excluded.resolutions
                """)
            for count in counts { try statement.execute(arguments: [count.day, count.linkType, count.resolutions]) }
        }
    }

    public func resolutionCounts(from: String, to: String) async throws -> [ResolutionCount] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT day, link_type, resolutions FROM resolution_count WHERE day >= ? AND day <= ? ORDER BY day, link_type",
                             arguments: [from, to]).map { ResolutionCount(day: $0[0], linkType: $0[1], resolutions: $0[2]) }
        }
    }
}

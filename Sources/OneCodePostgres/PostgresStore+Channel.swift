import Foundation
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage
import PostgresNIO

// The channel's rows on PostgreSQL: the SQL behind `ChannelBook`, deciding nothing (as on SQLite).

extension PostgresStore {
    /// Each code's shipment (`ShipmentRule`), from `lastShipmentsQuery`'s candidates.
    static func lastShipments(_ db: SyncConnection, _ keys: [Int64]) throws -> [CodeKey: ShipmentFacts] {
        try newestShipments(db.rows(lastShipmentsQuery(keys)))
    }

    /// Picks each code's shipment among its candidates as every backend does (`ShipmentRule`).
    static func newestShipments(_ rows: some Sequence<PostgresRow>) throws -> [CodeKey: ShipmentFacts] {
        var candidates: [CodeKey: [ShipmentFacts]] = [:]
        for row in rows {
            let (origin, facts) = try shipmentFacts(from: row)
            candidates[CodeKey(rawValue: origin), default: []].append(facts)
        }
        return candidates.compactMapValues { ShipmentRule.newest($0, shipment: \.shipment) }
    }

    /// For each code, the code and the packages above it (up to three: a unit's inner case, case and pallet),
    /// each with its newest shipment and that shipment's dealer: the candidates `ShipmentRule` picks from.
    /// One flat statement (no recursion); nothing is read at all until anything was shipped (a one-time
    /// filter: the scan path pipelines this with every group).
    static func lastShipmentsQuery(_ keys: [Int64]) -> PostgresQuery {
        """
        SELECT k.key, s.id, s.dealer_id, d.name, d.territory, v.via, s.at, s.store_id, st.name, st.region
        FROM unnest(\(keys)::int8[]) AS k(key)
        LEFT JOIN code_parent p1 ON p1.child_key = k.key
        LEFT JOIN code_parent p2 ON p2.child_key = p1.parent_key
        LEFT JOIN code_parent p3 ON p3.child_key = p2.parent_key
        CROSS JOIN LATERAL (VALUES (k.key), (p1.parent_key), (p2.parent_key), (p3.parent_key)) AS v(via)
        JOIN LATERAL (SELECT max(shipment_id) AS sid FROM shipment_code WHERE code_key = v.via) m ON true
        JOIN shipment s ON s.id = m.sid JOIN dealer d ON d.id = s.dealer_id LEFT JOIN store st ON st.id = s.store_id
        WHERE v.via IS NOT NULL AND EXISTS (SELECT 1 FROM shipment)
        """
    }

    static func shipmentFacts(from row: PostgresRow) throws -> (Int64, ShipmentFacts) {
        let (origin, id, dealer, name, territory, via, at, store, storeName, storeRegion) =
            try row.decode((Int64, Int64, Int64, String, String, Int64, Date, Int64?, String?, String?).self)
        return (origin, ShipmentFacts(shipment: id, dealer: DealerID(rawValue: dealer), dealerName: name, territory: try Territory(territory),
                                      via: CodeKey(rawValue: via), at: at, store: store.map(StoreID.init(rawValue:)), storeName: storeName,
                                      storeRegion: storeRegion))
    }

    /// The region of the store that received each code's case or any package it is in (the innermost).
    static func receiptRegionsQuery(_ keys: [Int64]) -> PostgresQuery {
        """
        WITH RECURSIVE up(origin, key, depth) AS (
            SELECT k, k, 0 FROM unnest(\(keys)::int8[]) AS k
            UNION ALL SELECT up.origin, p.parent_key, up.depth + 1 FROM code_parent p JOIN up ON p.child_key = up.key WHERE up.depth < 4)
        SELECT DISTINCT ON (up.origin) up.origin, st.region
        FROM up JOIN receipt r ON r.code_key = up.key JOIN store st ON st.id = r.store_id WHERE st.region IS NOT NULL
        ORDER BY up.origin, up.depth
        """
    }

    /// The clerk bound to each code's case or any package it is in (the innermost); nothing is read until
    /// any clerk was bound (a one-time filter: the scan path pipelines this with every group).
    static func clerkBindingsQuery(_ keys: [Int64]) -> PostgresQuery {
        """
        WITH RECURSIVE up(origin, key, depth) AS (
            SELECT k, k, 0 FROM unnest(\(keys)::int8[]) AS k WHERE EXISTS (SELECT 1 FROM clerk_case)
            UNION ALL SELECT up.origin, p.parent_key, up.depth + 1 FROM code_parent p JOIN up ON p.child_key = up.key WHERE up.depth < 4)
        SELECT DISTINCT ON (up.origin) up.origin, cc.clerk_id, k.store_id, up.key
        FROM up JOIN clerk_case cc ON cc.code_key = up.key JOIN clerk k ON k.id = cc.clerk_id
        ORDER BY up.origin, up.depth
        """
    }

    static func clerkBinding(from row: PostgresRow) throws -> (Int64, ClerkBinding) {
        let (origin, clerk, store, via) = try row.decode((Int64, Int64, Int64, Int64).self)
        return (origin, ClerkBinding(clerk: ClerkID(rawValue: clerk), store: StoreID(rawValue: store), via: CodeKey(rawValue: via)))
    }

    static func takeClerkReward(_ db: SyncConnection, _ clerk: ClerkID, day: String, amount: Int, cap: Int) throws -> Bool {
        try db.execute("INSERT INTO clerk_day (clerk_id, day, amount) VALUES (\(clerk.rawValue), \(day), 0) ON CONFLICT DO NOTHING")
        // Re-checked on the row's newest version: two nodes cannot both take the last of the day.
        return try db.execute("""
            UPDATE clerk_day SET amount = amount + \(amount) WHERE clerk_id = \(clerk.rawValue) AND day = \(day) AND amount + \(amount) <= \(cap)
            """) == 1
    }

    static func insertLedger(_ db: SyncConnection, _ row: LedgerRow) throws -> Int64 {
        let conflict = ConflictError("code", "\(row.code) earned its clerk a reward already")
        let result = try db.execute("""
            INSERT INTO ledger (at, store_id, clerk_id, amount, cause, receipt_id, scan_id, code)
            VALUES (\(row.at), \(row.store.rawValue), \(row.clerk?.rawValue), \(row.amount), \(row.cause.rawValue), \(row.receipt), \(row.scan), \(row.code))
            RETURNING id
            """, conflict: conflict)
        guard let id = try result.rows.first?.decode(Int64.self) else { throw conflict }
        return id
    }

    static let clerkColumns = "id, store_id, name, created_at"
    static func clerk(from row: PostgresRow) throws -> Clerk {
        let (id, store, name, created) = try row.decode((Int64, Int64, String, Date).self)
        return Clerk(id: ClerkID(rawValue: id), storeId: StoreID(rawValue: store), name: name, createdAt: created)
    }

    static let dealerColumns = "id, name, territory, contact, created_at"
    static func dealer(from row: PostgresRow) throws -> Dealer {
        let (id, name, territory, contact, created) = try row.decode((Int64, String, String, String?, Date).self)
        return Dealer(id: DealerID(rawValue: id), name: name, territory: try Territory(territory), contact: contact, createdAt: created)
    }

    static let warehouseColumns = "id, name, region, created_at"
    static func warehouse(from row: PostgresRow) throws -> Warehouse {
        let (id, name, region, created) = try row.decode((Int64, String, String?, Date).self)
        return Warehouse(id: WarehouseID(rawValue: id), name: name, region: region, createdAt: created)
    }

    static func insertDiversion(_ db: SyncConnection, _ row: DiversionRow) throws -> Bool {
        try db.execute("""
            INSERT INTO diversion (code_key, dealer_id, shipment_id, scan_id, at, region, territory)
            VALUES (\(row.key.rawValue), \(row.dealer.rawValue), \(row.shipment), \(row.scan), \(row.at), \(row.region), \(row.territory.description))
            ON CONFLICT DO NOTHING
            """) == 1
    }
}

/// The channel rows for `ChannelBook`, in one transaction on the store's connection.
struct PostgresChannelTransaction: ChannelTransaction {
    let db: SyncConnection

    func emit(_ type: EventType, at: Date, data: EventJSON) throws { try PostgresStore.emit(db, type, at: at, data: data) }

    /// The codes are locked (in key order, so two calls never wait on each other in a circle): a second
    /// node packing or shipping the same codes waits for this one, then reads what it wrote.
    func channelCodes(_ keys: [CodeKey]) throws -> [CodeKey: ChannelCode] {
        let raw = keys.map(\.rawValue)
        var found: [CodeKey: ChannelCode] = [:]
        for row in try db.rows("""
            SELECT c.key, c.batch_id, b.kind, b.status, c.blacklist_reason IS NOT NULL, p.parent_key
            FROM code c JOIN batch b ON b.id = c.batch_id LEFT JOIN code_parent p ON p.child_key = c.key
            WHERE c.key = ANY(\(raw)) ORDER BY c.key FOR UPDATE OF c
            """) {
            let (key, batch, kind, status, blacklisted, parent) = try row.decode((Int64, Int64, String, String, Bool, Int64?).self)
            found[CodeKey(rawValue: key)] = ChannelCode(key: CodeKey(rawValue: key), batch: BatchID(rawValue: batch), kind: BatchKind(rawValue: kind) ?? .unit,
                                                        status: BatchStatus(rawValue: status) ?? .void, blacklisted: blacklisted,
                                                        parent: parent.map(CodeKey.init(rawValue:)))
        }
        return found
    }

    func insertAggregation(parent: CodeKey, action: Aggregation.Action, children: [CodeKey], at: Date) throws -> Int64 {
        let raw = children.map(\.rawValue)
        guard let id = try db.row("""
            WITH a AS (INSERT INTO aggregation (parent_key, action, at, children)
                       VALUES (\(parent.rawValue), \(action.rawValue), \(at), \(children.count)) RETURNING id),
                 c AS (INSERT INTO aggregation_child (aggregation_id, child_key) SELECT a.id, k FROM a, unnest(\(raw)::int8[]) AS k)
            SELECT id FROM a
            """)?.decode(Int64.self) else { throw PostgresFailure(state: "XX000", message: "aggregation insert returned no id") }
        return id
    }

    func unbind(_ children: [CodeKey]) throws {
        try db.execute("DELETE FROM code_parent WHERE child_key = ANY(\(children.map(\.rawValue)))")
    }

    func bind(_ children: [CodeKey], to parent: CodeKey, aggregation: Int64) throws {
        _ = try db.execute("""
            INSERT INTO code_parent (child_key, parent_key, aggregation_id)
            SELECT k, \(parent.rawValue), \(aggregation) FROM unnest(\(children.map(\.rawValue))::int8[]) AS k
            """, conflict: ConflictError("children", "a child was packed elsewhere at the same time; send the call again"))
    }

    func dealer(_ id: DealerID) throws -> Dealer? {
        try db.row("SELECT \(unescaped: PostgresStore.dealerColumns) FROM dealer WHERE id = \(id.rawValue)").map(PostgresStore.dealer(from:))
    }

    func warehouse(_ id: WarehouseID) throws -> Warehouse? {
        try db.row("SELECT \(unescaped: PostgresStore.warehouseColumns) FROM warehouse WHERE id = \(id.rawValue)").map(PostgresStore.warehouse(from:))
    }

    func lastShipments(_ keys: [CodeKey]) throws -> [CodeKey: ShipmentFacts] {
        try PostgresStore.lastShipments(db, keys.map(\.rawValue))
    }

    func insertShipment(dealer: DealerID, from: DealerID?, warehouse: WarehouseID?, store: StoreID?, codes: [CodeKey], at: Date) throws -> Shipment {
        guard let id = try db.row("""
            WITH s AS (INSERT INTO shipment (dealer_id, from_dealer_id, warehouse_id, store_id, at, codes)
                       VALUES (\(dealer.rawValue), \(from?.rawValue), \(warehouse?.rawValue), \(store?.rawValue), \(at), \(codes.count)) RETURNING id),
                 c AS (INSERT INTO shipment_code (code_key, shipment_id) SELECT k, s.id FROM s, unnest(\(codes.map(\.rawValue))::int8[]) AS k)
            SELECT id FROM s
            """)?.decode(Int64.self) else { throw PostgresFailure(state: "XX000", message: "shipment insert returned no id") }
        return Shipment(id: id, dealer: dealer, fromDealer: from, warehouse: warehouse, at: at, codes: codes.count, store: store)
    }

    func receipt(of key: CodeKey) throws -> ReceiptFacts? {
        try db.row("SELECT r.id, r.store_id, s.name, r.at FROM receipt r JOIN store s ON s.id = r.store_id WHERE r.code_key = \(key.rawValue)").map {
            let (id, store, name, at) = try $0.decode((Int64, Int64, String, Date).self)
            return ReceiptFacts(id: id, store: StoreID(rawValue: store), storeName: name, at: at)
        }
    }

    func insertReceipt(_ key: CodeKey, store: StoreID, at: Date) throws -> Int64? {
        try db.row("""
            INSERT INTO receipt (code_key, store_id, at) VALUES (\(key.rawValue), \(store.rawValue), \(at)) ON CONFLICT DO NOTHING RETURNING id
            """)?.decode(Int64.self)
    }

    func store(_ id: StoreID) throws -> Store? {
        try db.row("SELECT id, name, region, created_at FROM store WHERE id = \(id.rawValue)").map {
            let (id, name, region, created) = try $0.decode((Int64, String, String?, Date).self)
            return Store(id: StoreID(rawValue: id), name: name, region: region, createdAt: created)
        }
    }

    func clerk(_ id: ClerkID) throws -> Clerk? {
        try db.row("SELECT \(unescaped: PostgresStore.clerkColumns) FROM clerk WHERE id = \(id.rawValue)").map(PostgresStore.clerk(from:))
    }

    func clerk(boundTo key: CodeKey) throws -> ClerkID? {
        try db.row("SELECT clerk_id FROM clerk_case WHERE code_key = \(key.rawValue)").map { ClerkID(rawValue: try $0.decode(Int64.self)) }
    }

    func bindClerk(_ clerk: ClerkID, to key: CodeKey, at: Date) throws -> Bool {
        try db.execute("INSERT INTO clerk_case (code_key, clerk_id, at) VALUES (\(key.rawValue), \(clerk.rawValue), \(at)) ON CONFLICT DO NOTHING") == 1
    }

    func insertLedger(_ row: LedgerRow) throws -> Int64 { try PostgresStore.insertLedger(db, row) }
}

extension PostgresStore: ChannelStore, ChannelTransactions {
    public func withChannelTransaction<T: Sendable>(_ body: @escaping @Sendable (any ChannelTransaction) throws -> T) async throws -> T {
        try await write { db in try body(PostgresChannelTransaction(db: db)) }
    }

    public func addDealer(_ dealer: NewDealer) async throws -> Dealer {
        try await write { db in
            let rows = try db.execute("""
                INSERT INTO dealer (name, territory, contact, created_at) VALUES (\(dealer.name), \(dealer.territory.description), \(dealer.contact), \(Date()))
                RETURNING \(unescaped: Self.dealerColumns)
                """, conflict: ConflictError("name", "a dealer is named '\(dealer.name)' already"))
            return try Self.dealer(from: rows.rows.first!)
        }
    }

    public func dealers() async throws -> [Dealer] {
        try await read { db in try db.rows("SELECT \(unescaped: Self.dealerColumns) FROM dealer ORDER BY id").map(Self.dealer(from:)) }
    }

    public func dealerProfiles() async throws -> [DealerProfile] {
        try await read { db in try Self.dealerProfiles(db) }
    }

    /// Every dealer with what the channel knows of it (`ChannelFactsSQL.dealers`), in id order.
    static func dealerProfiles(_ db: SyncConnection) throws -> [DealerProfile] {
        var facts: [Int64: [Int]] = [:]
        for row in try db.rows(PostgresQuery(unsafeSQL: ChannelFactsSQL.dealers)) {
            let (id, shipments, codes, diversions, regions, deliveries, sold) = try row.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64).self)
            facts[id] = [shipments, codes, diversions, regions, deliveries, sold].map { Int($0) }
        }
        return try db.rows("SELECT \(unescaped: Self.dealerColumns) FROM dealer ORDER BY id").map {
            let dealer = try Self.dealer(from: $0)
            return DealerProfile(dealer: dealer, facts: facts[dealer.id.rawValue])
        }
    }

    public func addWarehouse(_ warehouse: NewWarehouse) async throws -> Warehouse {
        try await write { db in
            let rows = try db.execute("""
                INSERT INTO warehouse (name, region, created_at) VALUES (\(warehouse.name), \(warehouse.region), \(Date()))
                RETURNING \(unescaped: Self.warehouseColumns)
                """, conflict: ConflictError("name", "a warehouse is named '\(warehouse.name)' already"))
            return try Self.warehouse(from: rows.rows.first!)
        }
    }

    public func warehouses() async throws -> [Warehouse] {
        try await read { db in try db.rows("SELECT \(unescaped: Self.warehouseColumns) FROM warehouse ORDER BY id").map(Self.warehouse(from:)) }
    }

    public func chain(of key: CodeKey, childrenAfter after: CodeKey?, limit: Int) async throws -> CodeChain {
        try await read { db in
            func link(_ row: PostgresRow) throws -> CodeChain.Link {
                let (key, kind, batch) = try row.decode((Int64, String, Int64).self)
                return CodeChain.Link(key: CodeKey(rawValue: key), kind: BatchKind(rawValue: kind) ?? .unit, batch: BatchID(rawValue: batch))
            }
            let parents = try db.rows("""
                WITH RECURSIVE up(key, depth) AS (
                    SELECT parent_key, 1 FROM code_parent WHERE child_key = \(key.rawValue)
                    UNION ALL SELECT p.parent_key, up.depth + 1 FROM code_parent p JOIN up ON p.child_key = up.key WHERE up.depth < 4)
                SELECT up.key, b.kind, b.id FROM up JOIN code c ON c.key = up.key JOIN batch b ON b.id = c.batch_id ORDER BY up.depth
                """).map(link)
            let children = try db.rows("""
                SELECT p.child_key, b.kind, b.id FROM code_parent p JOIN code c ON c.key = p.child_key JOIN batch b ON b.id = c.batch_id
                WHERE p.parent_key = \(key.rawValue) AND p.child_key > \(after?.rawValue ?? Int64.min) ORDER BY p.child_key LIMIT \(limit)
                """).map(link)
            let count = try db.row("SELECT count(*) FROM code_parent WHERE parent_key = \(key.rawValue)")?.decode(Int.self) ?? 0
            let shipment = try Self.lastShipments(db, [key.rawValue])[key]
            return CodeChain(parents: parents, children: children, childCount: count, shipment: shipment)
        }
    }

    public func shipments(limit: Int) async throws -> [Shipment] {
        try await read { db in
            try db.rows("SELECT id, dealer_id, from_dealer_id, warehouse_id, at, codes, store_id FROM shipment ORDER BY id DESC LIMIT \(limit)").map {
                let (id, dealer, from, warehouse, at, codes, store) = try $0.decode((Int64, Int64, Int64?, Int64?, Date, Int, Int64?).self)
                return Shipment(id: id, dealer: DealerID(rawValue: dealer), fromDealer: from.map(DealerID.init(rawValue:)),
                                warehouse: warehouse.map(WarehouseID.init(rawValue:)), at: at, codes: codes, store: store.map(StoreID.init(rawValue:)))
            }
        }
    }

    public func dealerDiversion() async throws -> [DealerDiversion] {
        try await read { db in
            try db.rows("""
                SELECT v.dealer_id, d.name, d.territory, v.region, count(*)::int, min(v.at), max(v.at)
                FROM diversion v JOIN dealer d ON d.id = v.dealer_id GROUP BY v.dealer_id, d.name, d.territory, v.region ORDER BY v.dealer_id, v.region
                """).map {
                let (id, name, territory, region, units, first, last) = try $0.decode((Int64, String, String, String, Int, Date, Date).self)
                return DealerDiversion(dealerId: id, dealer: name, territory: territory, region: region, units: units, firstAt: first, lastAt: last)
            }
        }
    }

    public func addClerk(store: StoreID, name: String, tokenHash: [UInt8], audit: AuditEntry) async throws -> Clerk {
        try await write { db in
            guard try db.row("SELECT 1 FROM store WHERE id = \(store.rawValue)") != nil else {
                throw NotFoundError("store", "no store \(store); see `onecode store list`")
            }
            let now = Date()
            guard let clerk = try db.row("""
                INSERT INTO clerk (store_id, name, created_at) VALUES (\(store.rawValue), \(name), \(now)) RETURNING \(unescaped: Self.clerkColumns)
                """).map(Self.clerk(from:)) else { throw PostgresFailure(state: "XX000", message: "clerk insert returned no row") }
            try db.execute("""
                INSERT INTO api_token (name, scope, hash, created_at, store_id, clerk_id)
                VALUES (\("clerk \(clerk.id) \(name)"), 'clerk', \(ByteBuffer(bytes: tokenHash)), \(now), \(store.rawValue), \(clerk.id.rawValue))
                """)
            try Self.append(audit.created(clerk.id.rawValue), db)
            return clerk
        }
    }

    public func clerks(store: StoreID?) async throws -> [Clerk] {
        try await read { db in
            try db.rows("""
                SELECT \(unescaped: Self.clerkColumns) FROM clerk WHERE \(store?.rawValue)::int8 IS NULL OR store_id = \(store?.rawValue) ORDER BY id
                """).map(Self.clerk(from:))
        }
    }

    public func ledger(from: Date, to: Date, after: Int64, limit: Int) async throws -> [LedgerEntry] {
        try await read { db in
            try db.rows("""
                SELECT l.id, l.at, l.store_id, s.name, l.clerk_id, k.name, l.amount::int8, l.cause, l.receipt_id, l.scan_id, l.code
                FROM ledger l JOIN store s ON s.id = l.store_id LEFT JOIN clerk k ON k.id = l.clerk_id
                WHERE l.at >= \(from) AND l.at < \(to) AND l.id > \(after) ORDER BY l.id LIMIT \(limit)
                """).map {
                let (id, at, store, storeName, clerk, clerkName, amount, cause, receipt, scan, code) =
                    try $0.decode((Int64, Date, Int64, String, Int64?, String?, Int64, String, Int64?, Int64?, String).self)
                return LedgerEntry(id: id, at: at, storeId: StoreID(rawValue: store), store: storeName, clerkId: clerk.map(ClerkID.init(rawValue:)),
                                   clerk: clerkName, amount: Int(amount), cause: LedgerCause(rawValue: cause) ?? .receiptRebate, receiptId: receipt,
                                   scanId: scan, code: code)
            }
        }
    }

    public func balances() async throws -> [LedgerBalance] {
        try await read { db in
            try db.rows("""
                SELECT l.store_id, s.name, l.clerk_id, k.name, sum(l.amount)::int8, count(*)::int8
                FROM ledger l JOIN store s ON s.id = l.store_id LEFT JOIN clerk k ON k.id = l.clerk_id
                GROUP BY l.store_id, s.name, l.clerk_id, k.name ORDER BY l.store_id, l.clerk_id IS NOT NULL, l.clerk_id
                """).map {
                let (store, storeName, clerk, clerkName, amount, entries) = try $0.decode((Int64, String, Int64?, String?, Int64, Int64).self)
                return LedgerBalance(storeId: StoreID(rawValue: store), store: storeName, clerkId: clerk.map(ClerkID.init(rawValue:)), clerk: clerkName,
                                     amount: Int(amount), entries: Int(entries))
            }
        }
    }

    public func channelRecords(_ source: ChannelRecordSource, from: Date, to: Date, after: Int64, limit: Int) async throws -> [ChannelRecord] {
        try await read { db in
            func codes(_ rows: [PostgresRow]) throws -> [Int64: [CodeKey]] {
                var found: [Int64: [CodeKey]] = [:]
                for row in rows {
                    let (id, key) = try row.decode((Int64, Int64).self)
                    found[id, default: []].append(CodeKey(rawValue: key))
                }
                return found
            }
            switch source {
            case .aggregation:
                let rows = try db.rows("""
                    SELECT id, at, action, parent_key FROM aggregation WHERE id > \(after) AND at >= \(from) AND at < \(to) ORDER BY id LIMIT \(limit)
                    """).map { try $0.decode((Int64, Date, String, Int64).self) }
                let children = try codes(db.rows("""
                    SELECT aggregation_id, child_key FROM aggregation_child WHERE aggregation_id = ANY(\(rows.map(\.0))) ORDER BY 1, 2
                    """))
                return rows.map {
                    ChannelRecord(source: .aggregation, id: $0.0, at: $0.1, action: Aggregation.Action(rawValue: $0.2), parent: CodeKey(rawValue: $0.3),
                                  codes: children[$0.0] ?? [])
                }
            case .shipment:
                let rows = try db.rows("""
                    SELECT id, at, dealer_id, from_dealer_id, warehouse_id, store_id FROM shipment WHERE id > \(after) AND at >= \(from) AND at < \(to)
                    ORDER BY id LIMIT \(limit)
                    """).map { try $0.decode((Int64, Date, Int64, Int64?, Int64?, Int64?).self) }
                let shipped = try codes(db.rows("""
                    SELECT shipment_id, code_key FROM shipment_code WHERE shipment_id = ANY(\(rows.map(\.0))) ORDER BY 1, 2
                    """))
                return rows.map {
                    ChannelRecord(source: .shipment, id: $0.0, at: $0.1, codes: shipped[$0.0] ?? [], dealer: DealerID(rawValue: $0.2),
                                  fromDealer: $0.3.map(DealerID.init(rawValue:)), warehouse: $0.4.map(WarehouseID.init(rawValue:)),
                                  store: $0.5.map(StoreID.init(rawValue:)))
                }
            case .receipt:
                return try db.rows("""
                    SELECT id, at, code_key, store_id FROM receipt WHERE id > \(after) AND at >= \(from) AND at < \(to) ORDER BY id LIMIT \(limit)
                    """).map {
                    let (id, at, key, store) = try $0.decode((Int64, Date, Int64, Int64).self)
                    return ChannelRecord(source: .receipt, id: id, at: at, codes: [CodeKey(rawValue: key)], store: StoreID(rawValue: store))
                }
            }
        }
    }

    public func gtins(of keys: [CodeKey]) async throws -> [CodeKey: String] {
        try await read { db in
            var found: [CodeKey: String] = [:]
            for row in try db.rows("""
                SELECT c.key, p.gtin FROM code c JOIN batch b ON b.id = c.batch_id JOIN product p ON p.id = b.product_id
                WHERE c.key = ANY(\(Array(Set(keys.map(\.rawValue))))) AND p.gtin IS NOT NULL
                """) {
                let (key, gtin) = try row.decode((Int64, String).self)
                found[CodeKey(rawValue: key)] = gtin
            }
            return found
        }
    }
}

// MARK: - Fake scans counted

extension PostgresStore: FakeStore {
    public func addFakeCounts(_ counts: [FakeCount]) async throws {
        guard !counts.isEmpty else { return }
        try await write { db in
            _ = try db.execute("""
                INSERT INTO fake_count (day, region, verdict, scans)
                SELECT * FROM unnest(\(counts.map(\.day))::text[], \(counts.map(\.region))::text[], \(counts.map(\.verdict.rawValue))::text[],
                                     \(counts.map { Int64($0.scans) })::int8[])
                ON CONFLICT (day, region, verdict) DO UPDATE SET scans = fake_count.scans + excluded.scans
                """)
        }
    }

    public func fakeCounts(from: String, to: String) async throws -> [FakeCount] {
        try await read { db in
            var binds = PostgresBindings()
            binds.append(from)
            binds.append(to)
            return try db.rows(PostgresQuery(unsafeSQL: FakeReportSQL.counts(from: "$1", to: "$2"), binds: binds)).map {
                let (day, region, verdict, scans, reports) = try $0.decode((String, String, String, Int64, Int64).self)
                return FakeCount(day: day, region: region, verdict: Verdict(rawValue: verdict) ?? .forged, scans: Int(scans), reports: Int(reports))
            }
        }
    }

    public func addFakeReport(_ new: NewFakeReport) async throws -> Int64 {
        try await write { db in
            guard let id = try db.row("""
                INSERT INTO fake_report (at, day, code, verdict, region, where_bought, comment, phone, contact_consent_at, consumer, ip)
                VALUES (\(new.at), \(new.day), \(new.code), \(new.verdict.rawValue), \(new.region), \(new.report.whereBought), \(new.report.comment),
                        \(new.report.phone), \(new.contactConsentAt), \(new.consumer), \(new.ip)) RETURNING id
                """)?.decode(Int64.self) else { throw PostgresFailure(state: "XX000", message: "fake_report insert returned no id") }
            return id
        }
    }

    public func fakeReports(before: Int64?, limit: Int) async throws -> [FakeReport] {
        try await read { db in
            try db.rows("""
                SELECT id, at, code, verdict, region, where_bought, comment, phone, contact_consent_at FROM fake_report
                WHERE id < \(before ?? Int64.max) ORDER BY id DESC LIMIT \(limit)
                """).map {
                let (id, at, code, verdict, region, whereBought, comment, phone, consentAt) =
                    try $0.decode((Int64, Date, String, String, String?, String?, String?, String?, Date?).self)
                return FakeReport(id: id, at: at, code: code, verdict: Verdict(rawValue: verdict) ?? .forged, region: region, whereBought: whereBought,
                                  comment: comment, phone: phone, contactConsentAt: consentAt)
            }
        }
    }
}

extension PostgresStore: ResolutionStore {
    public func addResolutionCounts(_ counts: [ResolutionCount]) async throws {
        guard !counts.isEmpty else { return }
        try await write { db in
            _ = try db.execute("""
                INSERT INTO resolution_count (day, link_type, resolutions)
                SELECT * FROM unnest(\(counts.map(\.day))::text[], \(counts.map(\.linkType))::text[], \(counts.map { Int64($0.resolutions) })::int8[])
                ON CONFLICT (day, link_type) DO UPDATE SET resolutions = resolution_count.resolutions + excluded.resolutions
                """)
        }
    }

    public func resolutionCounts(from: String, to: String) async throws -> [ResolutionCount] {
        try await read { db in
            try db.rows("SELECT day, link_type, resolutions FROM resolution_count WHERE day >= \(from) AND day <= \(to) ORDER BY day, link_type").map {
                let (day, linkType, resolutions) = try $0.decode((String, String, Int64).self)
                return ResolutionCount(day: day, linkType: linkType, resolutions: Int(resolutions))
            }
        }
    }
}

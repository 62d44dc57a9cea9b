import Foundation
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage
import PostgresNIO

// MARK: - A consumer's data

extension PostgresStore {
    /// Everything stored about a consumer, as on SQLite.
    public func exportConsumer(_ consumer: String) async throws -> Data? {
        let parts = try await read { db -> [String: String] in
            var parts: [String: String] = [:]
            for (name, sql) in ConsumerExport.queries("$1") {
                var binds = PostgresBindings()
                binds.append(consumer)
                let query = PostgresQuery(unsafeSQL: "SELECT coalesce(json_agg(t), '[]')::text FROM (\(sql)) t", binds: binds)
                parts[name] = try db.row(query)?.decode(String.self) ?? "[]"
            }
            return parts
        }
        return try ConsumerExport.document(consumer, rows: try parts.mapValues { json in
            try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        })
    }

    /// Erases a consumer as `policy` says (`ErasureBook`), in one transaction, between linker
    /// refreshes. Old row versions stay in the table files until vacuum reuses them: README says what
    /// erasure guarantees on PostgreSQL and how an operator completes it.
    public func forgetConsumer(_ consumer: String, policy: ErasurePolicy, audit: AuditEntry?) async throws -> Bool {
        try await write { db in
            // Not beside a linker refresh: one whose snapshot predates this erasure would write the
            // consumer's profile and lead back from the rows it still sees.
            try db.execute("SELECT pg_advisory_xact_lock(\(Self.linkerLock))")
            return try ErasureBook.forget(consumer, policy: policy, in: PostgresLinkerTransaction(db), audit: audit)
        }
    }
}

// MARK: - Store profiles and reports (the same queries as SQLite's)

extension PostgresStore {
    public func storeProfiles() async throws -> [StoreProfile] {
        try await read { db in
            try db.rows(PostgresQuery(unsafeSQL: """
                SELECT s.id, s.name, s.region, s.created_at, count(r.entry_id), count(DISTINCT e.consumer), max(r.at),
                       coalesce(c.receipts, 0)::int8, coalesce(c.units_sold, 0)::int8
                FROM store s LEFT JOIN redemption r ON r.store_id = s.id LEFT JOIN entry e ON e.id = r.entry_id
                LEFT JOIN (\(ChannelFactsSQL.stores)) c ON c.store_id = s.id
                GROUP BY s.id, c.receipts, c.units_sold ORDER BY s.id
                """)).map {
                let (id, name, region, created, redemptions, consumers, last, receipts, sold) =
                    try $0.decode((Int64, String, String?, Date, Int, Int, Date?, Int, Int).self)
                return StoreProfile(store: Store(id: StoreID(rawValue: id), name: name, region: region, createdAt: created),
                                    redemptions: redemptions, consumers: consumers, lastRedemptionAt: last, receipts: receipts, unitsSold: sold)
            }
        }
    }

    public func feedbackList(_ filter: FeedbackFilter, before: Int64, limit: Int) async throws -> [FeedbackItem] {
        try await read { db in
            var sql = "SELECT f.id, f.at, f.code, f.product_id, p.name, f.batch_id, f.rating, f.comment, f.consumer FROM feedback f JOIN product p ON p.id = f.product_id WHERE true"
            var binds = PostgresBindings()
            if before > 0 { binds.append(before); sql += " AND f.id < $\(binds.count)" }
            if let product = filter.product { binds.append(product); sql += " AND f.product_id = $\(binds.count)" }
            if let batch = filter.batch { binds.append(batch); sql += " AND f.batch_id = $\(binds.count)" }
            if let maxRating = filter.maxRating { binds.append(maxRating); sql += " AND f.rating <= $\(binds.count)" }
            binds.append(limit)
            sql += " ORDER BY f.id DESC LIMIT $\(binds.count)"
            return try db.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map {
                let (id, at, code, product, name, batch, rating, comment, consumer) =
                    try $0.decode((Int64, Date, String, Int64, String, Int64, Int, String?, String?).self)
                return FeedbackItem(id: id, at: at, code: code, productId: product, productName: name, batchId: batch, rating: rating,
                                    comment: comment, consumer: consumer)
            }
        }
    }

    public func feedbackReport(byBatch: Bool) async throws -> [FeedbackAggregate] {
        try await read { db in
            let group = byBatch ? "product_id, batch_id" : "product_id"
            return try db.rows(PostgresQuery(unsafeSQL: """
                SELECT product_id, \(byBatch ? "batch_id" : "NULL::bigint"), count(*), avg(rating)::double precision,
                       avg((rating <= 2)::int)::double precision
                FROM feedback GROUP BY \(group) ORDER BY \(group)
                """)).map {
                let (product, batch, count, average, low) = try $0.decode((Int64, Int64?, Int, Double, Double).self)
                return FeedbackAggregate(productId: product, batchId: batch, count: count, average: average, lowShare: low)
            }
        }
    }

    public func scanRate(by grouping: ScanRateGrouping) async throws -> [ReportRow] {
        let counted = "(SELECT batch_id, count(DISTINCT code_key) AS codes, count(*) AS scans FROM scan WHERE counted GROUP BY batch_id)"
        let sql: String
        switch grouping {
        case .batch:
            sql = """
                SELECT 'batch ' || b.id, b.count::bigint, coalesce(s.codes, 0), coalesce(s.scans, 0) FROM batch b
                LEFT JOIN \(counted) s ON s.batch_id = b.id ORDER BY b.id
                """
        case .product:
            sql = """
                SELECT 'product ' || b.product_id, sum(b.count)::bigint, sum(coalesce(s.codes, 0))::bigint, sum(coalesce(s.scans, 0))::bigint
                FROM batch b LEFT JOIN \(counted) s ON s.batch_id = b.id GROUP BY b.product_id ORDER BY b.product_id
                """
        case .region:
            // By each batch's intended sales region (no region sorts first, as SQLite sorts NULL).
            sql = """
                SELECT coalesce(b.region, '(none)'), sum(b.count)::bigint, sum(coalesce(s.codes, 0))::bigint, sum(coalesce(s.scans, 0))::bigint
                FROM batch b LEFT JOIN \(counted) s ON s.batch_id = b.id GROUP BY b.region ORDER BY b.region NULLS FIRST
                """
        case .campaign:
            // Codes that drew in the campaign over codes issued in its scope (all batches not void when unscoped).
            return try await read { db in
                let batches = try db.rows("SELECT id, product_id, count FROM batch WHERE status != 'void'").map {
                    try $0.decode((Int64, Int64, Int).self)
                }
                return try db.rows("SELECT id, name, definition FROM campaign ORDER BY id").map { row in
                    let (id, name, text) = try row.decode((Int64, String, String).self)
                    let scope = try StoredDefinition.definition(text).scope
                    let issued = batches.filter { batch in
                        scope.batches.map { $0.contains(BatchID(rawValue: batch.0)) } ?? true
                            && scope.products.map { $0.contains(ProductID(rawValue: batch.1)) } ?? true
                    }.reduce(0) { $0 + $1.2 }
                    let drawn = try db.row("SELECT count(*) FROM entry WHERE campaign_id = \(id)")?.decode(Int.self) ?? 0
                    return ReportRow(key: "campaign \(id): \(name)", issued: issued, scanned: drawn, scans: nil,
                                     rate: issued > 0 ? Double(drawn) / Double(issued) : nil)
                }
            }
        }
        return try await read { db in
            try db.rows(PostgresQuery(unsafeSQL: sql)).map {
                let (key, issued, scanned, scans) = try $0.decode((String, Int, Int, Int).self)
                return ReportRow(key: key, issued: issued, scanned: scanned, scans: scans, rate: issued > 0 ? Double(scanned) / Double(issued) : nil)
            }
        }
    }

    public func dailyScans(batch: BatchID?) async throws -> [ReportRow] {
        try await read { db in
            try db.rows("""
                SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(DISTINCT code_key), count(*) FROM scan
                WHERE counted AND (\(batch?.rawValue)::bigint IS NULL OR batch_id = \(batch?.rawValue)) GROUP BY day ORDER BY day
                """).map {
                let (day, codes, scans) = try $0.decode((String, Int, Int).self)
                return ReportRow(key: day, issued: nil, scanned: codes, scans: scans, rate: nil)
            }
        }
    }

    public func diversion() async throws -> [DiversionAlert] {
        try await read { db in
            try db.rows("""
                SELECT s.batch_id, b.region, s.region, count(*), count(DISTINCT s.code_key), min(s.at), max(s.at)
                FROM scan s JOIN batch b ON b.id = s.batch_id
                WHERE s.counted AND b.region IS NOT NULL AND s.region IS NOT NULL
                  AND NOT \(unescaped: RegionCode.coversSQL(area: "b.region", region: "s.region"))
                GROUP BY s.batch_id, b.region, s.region ORDER BY count(*) DESC, s.batch_id, s.region
                """).map {
                let (batch, intended, region, scans, codes, first, last) = try $0.decode((Int64, String, String, Int, Int, Date, Date).self)
                return DiversionAlert(batchId: batch, intendedRegion: intended, region: region, scans: scans, codes: codes, firstAt: first, lastAt: last)
            }
        }
    }
}

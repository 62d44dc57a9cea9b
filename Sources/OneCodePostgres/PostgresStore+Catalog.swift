import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

// MARK: - CatalogStore

extension PostgresStore: CatalogStore {
    static let batchColumns = "id, product_id, count, lot, production_date, expiry_date, region, status, url_form, uppercase, code_length, created_at, kind, pin_length"

    static let productColumns = "id, name, name_zh, name_en, gtin, sku, image_url, created_at"

    static func product(from row: PostgresRow) throws -> Product {
        let (id, name, nameZh, nameEn, gtin, sku, image, created) = try row.decode((Int64, String, String?, String?, String?, String?, String?, Date).self)
        return Product(id: ProductID(rawValue: id), name: name, nameZh: nameZh, nameEn: nameEn, gtin: try gtin.map { try GTIN($0) }, sku: sku,
                       imageURL: image, createdAt: created)
    }

    static func batch(from row: PostgresRow) throws -> Batch {
        let (id, product, count, lot, production, expiry, region, status, form, uppercase, length, created, kind, pin) =
            try row.decode((Int64, Int64, Int, String?, String, String?, String?, String, String, Bool, Int, Date, String, Int).self)
        return Batch(
            id: BatchID(rawValue: id), productID: ProductID(rawValue: product), count: count, lot: lot,
            productionDate: try Day(production, field: "production_date"), expiryDate: try expiry.map { try Day($0, field: "expiry_date") },
            region: region, status: BatchStatus(rawValue: status) ?? .void, urlForm: URLForm(rawValue: form) ?? .short,
            uppercase: uppercase, codeLength: length, createdAt: created, kind: BatchKind(rawValue: kind) ?? .unit, pinLength: pin)
    }

    static func fetchProduct(_ db: SyncConnection, _ id: ProductID) throws -> Product? {
        try db.row("SELECT \(unescaped: productColumns) FROM product WHERE id = \(id.rawValue)").map(product(from:))
    }

    static func fetchBatch(_ db: SyncConnection, _ id: BatchID) throws -> Batch? {
        try db.row("SELECT \(unescaped: batchColumns) FROM batch WHERE id = \(id.rawValue)").map(batch(from:))
    }

    public func addProduct(_ product: NewProduct, audit: AuditEntry) async throws -> Product {
        try await write { db in
            if let gtin = product.gtin, let other = try db.row("SELECT id FROM product WHERE gtin = \(gtin.digits)")?.decode(Int64.self) {
                throw ConflictError("gtin", "\(gtin.digits) is already registered for product \(other)")
            }
            let now = Date()
            let result = try db.execute("""
                INSERT INTO product (name, name_zh, name_en, gtin, sku, image_url, created_at)
                VALUES (\(product.name), \(product.nameZh), \(product.nameEn), \(product.gtin?.digits), \(product.sku), \(product.imageURL), \(now))
                RETURNING id
                """, conflict: ConflictError("gtin", "\(product.gtin?.digits ?? "") is already registered for another product"))
            let id = try result.rows.first!.decode(Int64.self)
            try Self.append(audit.created(id), db)
            return Product(id: ProductID(rawValue: id), name: product.name, nameZh: product.nameZh,
                           nameEn: product.nameEn, gtin: product.gtin, sku: product.sku, imageURL: product.imageURL, createdAt: now)
        }
    }

    public func updateProduct(_ id: ProductID, _ change: ProductChange, audit: AuditEntry) async throws -> Product? {
        try await write { db in
            guard let product = try db.row("SELECT \(unescaped: Self.productColumns) FROM product WHERE id = \(id.rawValue) FOR UPDATE")
                .map(Self.product(from:)) else { return nil }
            let changed = change.applied(to: product)
            _ = try db.execute("""
                UPDATE product SET name_zh = \(changed.nameZh), name_en = \(changed.nameEn), image_url = \(changed.imageURL) WHERE id = \(id.rawValue)
                """)
            try Self.append(audit, db)
            return changed
        }
    }

    public func products() async throws -> [Product] {
        try await read { db in try db.rows("SELECT \(unescaped: Self.productColumns) FROM product ORDER BY id").map(Self.product(from:)) }
    }

    public func product(_ id: ProductID) async throws -> Product? {
        try await read { db in try Self.fetchProduct(db, id) }
    }

    public func issueBatch<T: Sendable>(
        _ new: NewBatch, codeLength: Int, audit: AuditEntry?,
        _ body: @escaping @Sendable (Batch, Product, any CodeSink) throws -> T
    ) async throws -> (Batch, T) {
        try await write { db in
            guard let product = try Self.fetchProduct(db, new.productID) else {
                throw NotFoundError("product", "no product with id \(new.productID); see `onecode product list`")
            }
            let now = Date()
            let id = try db.row("""
                INSERT INTO batch (product_id, count, lot, production_date, expiry_date, region, status, url_form, uppercase, code_length, created_at, kind, pin_length)
                VALUES (\(new.productID.rawValue), \(new.count), \(new.lot), \(new.productionDate.description), \(new.expiryDate?.description),
                        \(new.region), 'issued', \(new.urlForm.rawValue), \(new.uppercase), \(codeLength), \(now), \(new.kind.rawValue), \(new.pinLength))
                RETURNING id
                """)!.decode(Int64.self)
            let batch = Batch(
                id: BatchID(rawValue: id), productID: new.productID, count: new.count, lot: new.lot,
                productionDate: new.productionDate, expiryDate: new.expiryDate, region: new.region, status: .issued,
                urlForm: new.urlForm, uppercase: new.uppercase, codeLength: codeLength, createdAt: now, kind: new.kind,
                pinLength: new.pinLength)
            let sink = PostgresCodeSink(connection: db.connection, logger: db.logger, batch: batch.id)
            do {
                let result = try body(batch, product, sink)
                try sink.finish()
                if let audit { try Self.append(audit.created(batch.id.rawValue), db) }
                return (batch, result)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == PostgresError.Code.uniqueViolation.raw {
                sink.abandon()
                throw CodeKeyTaken()
            } catch {
                sink.abandon()
                throw (error as? PSQLError).map(PostgresFailure.init) ?? error
            }
        }
    }

    public func secretFingerprint() async throws -> String? {
        try await read { db in try db.row("SELECT fingerprint FROM code_secret WHERE id = 1")?.decode(String.self) }
    }

    public func recordSecretFingerprint(_ fingerprint: String) async throws -> String {
        try await write { db in
            try db.execute("INSERT INTO code_secret (id, fingerprint, recorded_at) VALUES (1, \(fingerprint), now()) ON CONFLICT (id) DO NOTHING")
            return try db.row("SELECT fingerprint FROM code_secret WHERE id = 1")?.decode(String.self) ?? fingerprint
        }
    }

    public func batches(product: ProductID?) async throws -> [Batch] {
        try await read { db in
            if let product {
                return try db.rows("SELECT \(unescaped: Self.batchColumns) FROM batch WHERE product_id = \(product.rawValue) ORDER BY id DESC")
                    .map(Self.batch(from:))
            }
            return try db.rows("SELECT \(unescaped: Self.batchColumns) FROM batch ORDER BY id DESC").map(Self.batch(from:))
        }
    }

    public func batch(_ id: BatchID) async throws -> Batch? {
        try await read { db in try Self.fetchBatch(db, id) }
    }

    public func codeCount(batch: BatchID) async throws -> Int {
        try await read { db in try db.row("SELECT count(*) FROM code WHERE batch_id = \(batch.rawValue)")?.decode(Int.self) ?? 0 }
    }

    public func code(_ key: CodeKey) async throws -> CodeRecord? {
        try await read { db in
            guard let row = try db.row("SELECT batch_id, seq, blacklist_reason FROM code WHERE key = \(key.rawValue)") else { return nil }
            let (batchID, sequence, reason) = try row.decode((Int64, Int, String?).self)
            let batch = try Self.fetchBatch(db, BatchID(rawValue: batchID))!
            let product = try Self.fetchProduct(db, batch.productID)!
            let pin = try db.row("SELECT failures, locked_at FROM code_pin WHERE code_key = \(key.rawValue)")?.decode((Int, Date?).self)
            return CodeRecord(key: key, sequence: sequence, batch: batch, product: product, blacklistReason: reason, wrongPins: pin?.0 ?? 0,
                              pinLockedAt: pin?.1)
        }
    }
}

/// Streams a batch's codes into `code` with `COPY … FROM STDIN` inside the issuing transaction: the
/// issuer's thread writes text rows into 256 KiB chunks, handed to the connection's COPY at most four at
/// a time (memory stays a few chunks whatever the batch's size). A key another batch holds fails the
/// COPY with a unique violation when it arrives, and `issueBatch` throws `CodeKeyTaken`, so the issuer
/// issues again with fresh keys.
final class PostgresCodeSink: CodeSink, @unchecked Sendable {
    static let chunkBytes = 256 * 1024
    private let batch: String
    private var buffer = ByteBuffer()
    private let chunks: AsyncStream<ByteBuffer>
    private let feed: AsyncStream<ByteBuffer>.Continuation
    private let slots = DispatchSemaphore(value: 4)
    private let finished = DispatchSemaphore(value: 0)
    private let failure = NIOLockedValueBox<(any Error)?>(nil)
    private var closed = false

    init(connection: PostgresConnection, logger: Logger, batch: BatchID) {
        self.batch = String(batch.rawValue)
        (chunks, feed) = AsyncStream<ByteBuffer>.makeStream()
        buffer.reserveCapacity(Self.chunkBytes + 64)
        let chunks = chunks, slots = slots, finished = finished, failure = failure
        Task {
            do {
                try await connection.copyFrom(table: "code", columns: ["key", "batch_id", "seq"], logger: logger) { writer in
                    for await chunk in chunks {
                        try await writer.write(chunk)
                        slots.signal()
                    }
                }
            } catch {
                failure.withLockedValue { $0 = error }
                // Whoever waits for a slot must not wait for ever.
                for _ in 0..<4 { slots.signal() }
            }
            finished.signal()
        }
    }

    private func failed() -> (any Error)? { failure.withLockedValue { $0 } }

    func insert(_ key: CodeKey, sequence: Int) throws -> Bool {
        buffer.writeString(String(key.rawValue))
        buffer.writeInteger(UInt8(ascii: "\t"))
        buffer.writeString(batch)
        buffer.writeInteger(UInt8(ascii: "\t"))
        buffer.writeString(String(sequence))
        buffer.writeInteger(UInt8(ascii: "\n"))
        if buffer.readableBytes >= Self.chunkBytes { try send() }
        return true
    }

    private func send() throws {
        if let error = failed() { throw error }
        slots.wait()
        if let error = failed() { throw error }
        feed.yield(buffer)
        buffer = ByteBuffer()
        buffer.reserveCapacity(Self.chunkBytes + 64)
    }

    /// Sends the last rows and waits for the COPY to end. - Throws: what the server said of it.
    func finish() throws {
        if buffer.readableBytes > 0 { try send() }
        closed = true
        feed.finish()
        finished.wait()
        if let error = failed() { throw error }
    }

    /// Ends the COPY after the issuer gave up (the transaction then rolls back).
    func abandon() {
        guard !closed else { return }
        closed = true
        failure.withLockedValue { if $0 == nil { $0 = CancellationError() } }
        feed.finish()
        finished.wait()
    }
}

// MARK: - ScanStore and TokenStore

extension PostgresStore: ScanStore, TokenStore {
    public func attachLocation(key: CodeKey, consumer: ConsumerID, latitude: Double, longitude: Double, region: String?) async throws -> Int64? {
        try await write { db in
            guard let row = try db.row("""
                SELECT s.id, s.at, s.region, s.counted, s.tx, extract(epoch FROM s.at)::float8 FROM code_log l JOIN scan s ON s.id = l.ref AND s.at = l.at
                WHERE l.code_key = \(key.rawValue) AND (l.slot > 0 OR l.slot < \(Self.uncountedBase)) AND l.consumer = \(consumer.value)
                ORDER BY l.ref DESC LIMIT 1
                FOR UPDATE OF s
                """) else { return nil }
            let (id, at, old, counted, scanTx, seconds) = try row.decode((Int64, Date, String?, Bool, Int64?, Double).self)
            try db.execute("""
                UPDATE scan SET latitude = \(latitude), longitude = \(longitude), region = coalesce(\(region), region) WHERE id = \(id) AND at = \(at)
                """)
            // The linker may have read this scan already: tell it the region moved (it applies the move only
            // when the scan's own transaction was in its last snapshot).
            if let region, region != old, counted {
                try db.execute("""
                    INSERT INTO linker_change (consumer, scan_tx, at, old_region, new_region)
                    VALUES (\(consumer.value), \(scanTx), \(seconds), \(old), \(region))
                    """)
            }
            return id
        }
    }

    public func scans(of key: CodeKey, limit: Int) async throws -> [ScanRecord] {
        try await read { db in
            try db.rows("""
                SELECT s.id, s.at, s.code, s.batch_id, s.consumer, s.ip, s.user_agent, s.referer, s.bot, s.region, s.latitude, s.longitude,
                       s.verdict, s.reason
                FROM code_log l JOIN scan s ON s.id = l.ref AND s.at = l.at
                WHERE l.code_key = \(key.rawValue) AND (l.slot > 0 OR l.slot < \(Self.uncountedBase))
                ORDER BY s.id DESC LIMIT \(limit)
                """).map { row in
                let (id, at, code, batch, consumer, ip, agent, referer, bot, region, latitude, longitude, verdict, reason) =
                    try row.decode((Int64, Date, String, Int64?, String?, String?, String?, String?, Bool, String?, Double?, Double?, String, String).self)
                return ScanRecord(id: id, at: at, code: code, batchID: batch.map(BatchID.init(rawValue:)), consumer: consumer, ip: ip,
                                  userAgent: agent, referer: referer, bot: bot, region: region, latitude: latitude, longitude: longitude,
                                  verdict: Verdict(rawValue: verdict) ?? .unknown, reason: VerdictReason(rawValue: reason) ?? .notIssued)
            }
        }
    }

    public func setStatus(_ status: BatchStatus, of batch: BatchID, audit: AuditEntry) async throws -> Batch {
        try await write { db in
            guard let row = try db.row("SELECT \(unescaped: Self.batchColumns) FROM batch WHERE id = \(batch.rawValue) FOR UPDATE") else {
                throw NotFoundError("id", "no batch with id \(batch)")
            }
            var current = try Self.batch(from: row)
            try current.status.checkChange(to: status, of: batch)
            try db.execute("UPDATE batch SET status = \(status.rawValue) WHERE id = \(batch.rawValue)")
            try Self.append(audit, db)
            current.status = status
            return current
        }
    }

    public func blacklist(_ key: CodeKey, reason: String, audit: AuditEntry) async throws {
        try await write { db in
            guard try db.execute("UPDATE code SET blacklist_reason = \(reason) WHERE key = \(key.rawValue)") == 1 else {
                throw NotFoundError("code", "this code was never issued")
            }
            try Self.append(audit, db)
        }
    }

    public func verdictCounts(batch: BatchID?) async throws -> [Verdict: Int] {
        try await read { db in
            let rows = try batch.map {
                try db.rows("SELECT verdict, count(*) FROM scan WHERE batch_id = \($0.rawValue) AND NOT bot GROUP BY verdict")
            } ?? db.rows("SELECT verdict, count(*) FROM scan WHERE NOT bot GROUP BY verdict")
            var counts: [Verdict: Int] = [:]
            for row in rows {
                let (verdict, count) = try row.decode((String, Int).self)
                if let verdict = Verdict(rawValue: verdict) { counts[verdict] = count }
            }
            return counts
        }
    }

    public func createToken(name: String, scope: TokenScope, hash: [UInt8], audit: AuditEntry) async throws -> APIToken {
        try await write { db in
            let now = Date()
            let id = try db.row("""
                INSERT INTO api_token (name, scope, hash, created_at) VALUES (\(name), \(scope.rawValue), \(ByteBuffer(bytes: hash)), \(now)) RETURNING id
                """)!.decode(Int64.self)
            try Self.append(audit.created(id), db)
            return APIToken(id: id, name: name, scope: scope, createdAt: now)
        }
    }

    public func token(hash: [UInt8]) async throws -> APIToken? {
        try await read { db in
            try db.row("SELECT id, name, scope, created_at, store_id, last_used_at, clerk_id FROM api_token WHERE hash = \(ByteBuffer(bytes: hash))")
                .flatMap(Self.token(_:))
        }
    }

    static func token(_ row: PostgresRow) throws -> APIToken? {
        let (id, name, scope, created, store, used, clerk) = try row.decode((Int64, String, String, Date, Int64?, Date?, Int64?).self)
        return TokenScope(rawValue: scope).map {
            APIToken(id: id, name: name, scope: $0, createdAt: created, storeID: store.map(StoreID.init(rawValue:)), lastUsedAt: used,
                     clerkID: clerk.map(ClerkID.init(rawValue:)))
        }
    }

    public func tokens() async throws -> [APIToken] {
        try await read { db in
            try db.rows("SELECT id, name, scope, created_at, store_id, last_used_at, clerk_id FROM api_token ORDER BY id").compactMap(Self.token(_:))
        }
    }

    public func revokeToken(_ id: Int64, audit: AuditEntry) async throws -> Bool {
        try await write { db in
            guard try db.execute("DELETE FROM api_token WHERE id = \(id)") > 0 else { return false }
            try Self.append(audit, db)
            return true
        }
    }

    public func touchToken(_ id: Int64, at: Date) async throws {
        try await write { db in _ = try db.execute("UPDATE api_token SET last_used_at = \(at) WHERE id = \(id)") }
    }
}

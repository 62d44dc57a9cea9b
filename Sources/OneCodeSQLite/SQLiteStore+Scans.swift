import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

extension SQLiteStore: ScanStore {
    public func attachLocation(key: CodeKey, consumer: ConsumerID, latitude: Double, longitude: Double, region: String?) async throws -> Int64? {
        try await writer.write { db in
            guard let row = try Row.fetchOne(
                db, sql: """
                    SELECT s.id, s.region, s.counted, s.at FROM code_log l JOIN scan s ON s.id = l.ref
                    WHERE l.code_key = ? AND (l.slot > 0 OR l.slot < -1099511627776) AND l.consumer = ? ORDER BY l.ref DESC LIMIT 1
                    """,
                arguments: [key.rawValue, consumer.value]) else { return nil }
            let id: Int64 = row[0], old: String? = row[1]
            try db.execute(sql: "UPDATE scan SET latitude = ?, longitude = ?, region = coalesce(?, region) WHERE id = ?",
                           arguments: [latitude, longitude, region, id])
            // The linker may have read this scan already: tell it the region moved.
            if let region, region != old, row[2] as Bool {
                try db.execute(sql: "INSERT INTO linker_change (consumer, scan_id, at, old_region, new_region) VALUES (?, ?, ?, ?, ?)",
                               arguments: [consumer.value, id, row[3] as Double, old, region])
            }
            return id
        }
    }

    public func scans(of key: CodeKey, limit: Int) async throws -> [ScanRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.* FROM code_log l JOIN scan s ON s.id = l.ref WHERE l.code_key = ? AND (l.slot > 0 OR l.slot < -1099511627776)
                ORDER BY s.id DESC LIMIT ?
                """, arguments: [key.rawValue, limit]).map { row in
                ScanRecord(
                    id: row["id"], at: Date(timeIntervalSince1970: row["at"]), code: row["code"],
                    batchID: (row["batch_id"] as Int64?).map(BatchID.init(rawValue:)), consumer: row["consumer"], ip: row["ip"],
                    userAgent: row["user_agent"], referer: row["referer"], bot: row["bot"], region: row["region"],
                    latitude: row["latitude"], longitude: row["longitude"],
                    verdict: Verdict(rawValue: row["verdict"]) ?? .unknown, reason: VerdictReason(rawValue: row["reason"]) ?? .notIssued)
            }
        }
    }

    public func setStatus(_ status: BatchStatus, of batch: BatchID, audit: AuditEntry) async throws -> Batch {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM batch WHERE id = ? AND \(Self.issued)", arguments: [batch.rawValue]) else {
                throw NotFoundError("id", "no batch with id \(batch)")
            }
            var current = try Self.batch(from: row)
            try current.status.checkChange(to: status, of: batch)
            try db.execute(sql: "UPDATE batch SET status = ? WHERE id = ?", arguments: [status.rawValue, batch.rawValue])
            try Self.append(audit, db)
            current.status = status
            return current
        }
    }

    public func blacklist(_ key: CodeKey, reason: String, audit: AuditEntry) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE code SET blacklist_reason = ? WHERE key = ?", arguments: [reason, key.rawValue])
            guard db.changesCount == 1 else { throw NotFoundError("code", "this code was never issued") }
            try Self.append(audit, db)
        }
    }

    public func verdictCounts(batch: BatchID?) async throws -> [Verdict: Int] {
        try await writer.read { db in
            let rows = try batch.map {
                try Row.fetchAll(db, sql: "SELECT verdict, count(*) FROM scan WHERE batch_id = ? AND bot = 0 GROUP BY verdict", arguments: [$0.rawValue])
            } ?? Row.fetchAll(db, sql: "SELECT verdict, count(*) FROM scan WHERE bot = 0 GROUP BY verdict")
            var counts: [Verdict: Int] = [:]
            for row in rows { if let verdict = Verdict(rawValue: row[0]) { counts[verdict] = row[1] } }
            return counts
        }
    }
}

extension SQLiteStore: TokenStore {
    public func createToken(name: String, scope: TokenScope, hash: [UInt8], audit: AuditEntry) async throws -> APIToken {
        try await writer.write { db in
            let now = Date()
            try db.execute(sql: "INSERT INTO api_token (name, scope, hash, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, scope.rawValue, Data(hash), now.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            try Self.append(audit.created(id), db)
            return APIToken(id: id, name: name, scope: scope, createdAt: now)
        }
    }

    public func token(hash: [UInt8]) async throws -> APIToken? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_token WHERE hash = ?", arguments: [Data(hash)]).flatMap(Self.token(_:))
        }
    }

    static func token(_ row: Row) -> APIToken? {
        TokenScope(rawValue: row["scope"]).map {
            APIToken(id: row["id"], name: row["name"], scope: $0, createdAt: Date(timeIntervalSince1970: row["created_at"]),
                     storeID: (row["store_id"] as Int64?).map(StoreID.init(rawValue:)),
                     lastUsedAt: (row["last_used_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                     clerkID: (row["clerk_id"] as Int64?).map(ClerkID.init(rawValue:)))
        }
    }

    public func tokens() async throws -> [APIToken] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY id").compactMap(Self.token(_:)) }
    }

    public func revokeToken(_ id: Int64, audit: AuditEntry) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM api_token WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { return false }
            try Self.append(audit, db)
            return true
        }
    }

    public func touchToken(_ id: Int64, at: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE api_token SET last_used_at = ? WHERE id = ?", arguments: [at.timeIntervalSince1970, id])
        }
    }
}

extension SQLiteStore: StorageReadiness {
    /// Takes the write lock (BEGIN IMMEDIATE) and lets it go: it waits while another writer holds it.
    public func checkReady() async throws {
        try await writer.write { db in try db.execute(sql: "SELECT 1") }
    }
}

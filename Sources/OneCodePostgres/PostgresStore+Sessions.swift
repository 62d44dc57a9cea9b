import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

extension PostgresStore: SessionStore {
    public func putSession(keyHash: [UInt8], data: String, expiresAt: Date?, create: Bool) async throws {
        try await write { db in
            guard let expiresAt else {
                _ = try db.execute("UPDATE console_session SET data = \(data) WHERE key_hash = \(ByteBuffer(bytes: keyHash))")
                return
            }
            _ = try db.execute("DELETE FROM console_session WHERE expires_at <= \(Date())")
            if create {
                _ = try db.execute("INSERT INTO console_session (key_hash, data, expires_at) VALUES (\(ByteBuffer(bytes: keyHash)), \(data), \(expiresAt))",
                                   conflict: ConflictError("session", "a session with this id exists already"))
            } else {
                _ = try db.execute("""
                    INSERT INTO console_session (key_hash, data, expires_at) VALUES (\(ByteBuffer(bytes: keyHash)), \(data), \(expiresAt))
                    ON CONFLICT (key_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at
                    """)
            }
        }
    }

    public func session(keyHash: [UInt8], now: Date) async throws -> (data: String, expiresAt: Date)? {
        try await read { db in
            try db.row("SELECT data, expires_at FROM console_session WHERE key_hash = \(ByteBuffer(bytes: keyHash)) AND expires_at > \(now)")
                .map { try $0.decode((String, Date).self) }
        }
    }

    public func removeSession(keyHash: [UInt8]) async throws {
        try await write { db in _ = try db.execute("DELETE FROM console_session WHERE key_hash = \(ByteBuffer(bytes: keyHash))") }
    }

    public func recordSignInFailure(account: String, address: String, at: Date, forgetBefore: Date) async throws {
        try await write { db in
            _ = try db.execute("DELETE FROM sign_in_failure WHERE at < \(forgetBefore)")
            _ = try db.execute("INSERT INTO sign_in_failure (account, address, at) VALUES (\(account), \(address), \(at))")
        }
    }

    public func signInFailures(account: String, address: String, since: Date) async throws -> (account: Int, address: Int) {
        try await read { db in
            let row = try db.row("""
                SELECT (SELECT count(*) FROM sign_in_failure WHERE account = \(account) AND at >= \(since)),
                       (SELECT count(*) FROM sign_in_failure WHERE address = \(address) AND at >= \(since))
                """)!
            let (byAccount, byAddress) = try row.decode((Int64, Int64).self)
            return (Int(byAccount), Int(byAddress))
        }
    }

    public func signedIn(account: String, audit: AuditEntry) async throws {
        try await write { db in
            _ = try db.execute("DELETE FROM sign_in_failure WHERE account = \(account)")
            try Self.append(audit, db)
        }
    }
}

extension PostgresStore: SummaryStore {
    public func addScanDayCounts(_ counts: [ScanDayCount]) async throws {
        guard !counts.isEmpty else { return }
        try await write { db in
            _ = try db.execute("""
                INSERT INTO scan_day (day, batch_id, region, verdict, scans, first_scans)
                SELECT * FROM unnest(\(counts.map(\.day))::text[], \(counts.map(\.batch.rawValue))::int8[], \(counts.map(\.region))::text[],
                                     \(counts.map(\.verdict.rawValue))::text[], \(counts.map { Int64($0.scans) })::int8[], \(counts.map { Int64($0.firstScans) })::int8[])
                ON CONFLICT (day, batch_id, region, verdict) DO UPDATE
                SET scans = scan_day.scans + excluded.scans, first_scans = scan_day.first_scans + excluded.first_scans
                """)
        }
    }

    public func scanDayCounts(from: String, to: String, batch: BatchID?) async throws -> [ScanDayCount] {
        try await read { db in
            try db.rows("""
                SELECT day, batch_id, region, verdict, scans, first_scans FROM scan_day
                WHERE day >= \(from) AND day <= \(to) AND (\(batch?.rawValue)::int8 IS NULL OR batch_id = \(batch?.rawValue))
                ORDER BY day, batch_id, region, verdict
                """).map {
                let (day, batch, region, verdict, scans, first) = try $0.decode((String, Int64, String, String, Int64, Int64).self)
                return ScanDayCount(day: day, batch: BatchID(rawValue: batch), region: region, verdict: try Verdict.stored(verdict), scans: Int(scans),
                                    firstScans: Int(first))
            }
        }
    }

    public func scannedCodes() async throws -> [BatchID: Int] {
        try await read { db in
            var counts: [BatchID: Int] = [:]
            for row in try db.rows("SELECT batch_id, sum(first_scans)::int8 FROM scan_day GROUP BY batch_id") {
                let (batch, scanned) = try row.decode((Int64, Int64).self)
                counts[BatchID(rawValue: batch)] = Int(scanned)
            }
            return counts
        }
    }
}

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

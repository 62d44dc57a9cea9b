import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

extension SQLiteStore: SessionStore {
    public func putSession(keyHash: [UInt8], data: String, expiresAt: Date?, create: Bool) async throws {
        try await writer.write { db in
            guard let expiresAt else {
                try db.execute(sql: "UPDATE console_session SET data = ? WHERE key_hash = ?", arguments: [data, Data(keyHash)])
                return
            }
            try db.execute(sql: "DELETE FROM console_session WHERE expires_at <= ?", arguments: [Date().timeIntervalSince1970])
            try Self.conflicts(as: ConflictError("session", "a session with this id exists already")) {
                try db.execute(sql: "INSERT INTO console_session (key_hash, data, expires_at) VALUES (?, ?, ?)"
                                   + (create ? "" : " ON CONFLICT (key_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at"),
                               arguments: [Data(keyHash), data, expiresAt.timeIntervalSince1970])
            }
        }
    }

    public func session(keyHash: [UInt8], now: Date) async throws -> (data: String, expiresAt: Date)? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT data, expires_at FROM console_session WHERE key_hash = ? AND expires_at > ?",
                             arguments: [Data(keyHash), now.timeIntervalSince1970])
                .map { ($0["data"], Date(timeIntervalSince1970: $0["expires_at"])) }
        }
    }

    public func removeSession(keyHash: [UInt8]) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM console_session WHERE key_hash = ?", arguments: [Data(keyHash)]) }
    }

    public func recordSignInFailure(account: String, address: String, at: Date, forgetBefore: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM sign_in_failure WHERE at < ?", arguments: [forgetBefore.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO sign_in_failure (account, address, at) VALUES (?, ?, ?)",
                           arguments: [account, address, at.timeIntervalSince1970])
        }
    }

    public func signInFailures(account: String, address: String, since: Date) async throws -> (account: Int, address: Int) {
        try await writer.read { db in
            let since = since.timeIntervalSince1970
            let byAccount = try Int.fetchOne(db, sql: "SELECT count(*) FROM sign_in_failure WHERE account = ? AND at >= ?", arguments: [account, since]) ?? 0
            let byAddress = try Int.fetchOne(db, sql: "SELECT count(*) FROM sign_in_failure WHERE address = ? AND at >= ?", arguments: [address, since]) ?? 0
            return (byAccount, byAddress)
        }
    }

    public func signedIn(account: String, audit: AuditEntry) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM sign_in_failure WHERE account = ?", arguments: [account])
            try Self.append(audit, db)
        }
    }
}

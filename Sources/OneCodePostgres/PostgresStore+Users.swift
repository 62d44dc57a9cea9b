import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

extension PostgresStore: UserStore {
    public func addUser(name: String, role: ConsoleRole, storeID: Int64?, passwordHash: String, audit: AuditEntry) async throws -> ConsoleUser {
        try await write { db in
            if let storeID, try db.row("SELECT 1 FROM store WHERE id = \(storeID)") == nil {
                throw NotFoundError("store", "no store \(storeID); see `onecode store list`")
            }
            let now = Date()
            let result = try db.execute("""
                INSERT INTO console_user (name, role, store_id, password_hash, created_at)
                VALUES (\(name), \(role.rawValue), \(storeID), \(passwordHash), \(now)) RETURNING id
                """, conflict: ConflictError("name", "a user named \(name) exists already"))
            let id = try result.rows.first!.decode(Int64.self)
            try Self.append(audit.created(id), db)
            return ConsoleUser(id: id, name: name, role: role, storeId: storeID, createdAt: now)
        }
    }

    public func users() async throws -> [ConsoleUser] {
        try await read { db in
            try db.rows("SELECT id, name, role, store_id, password_hash, created_at FROM console_user ORDER BY id").map { try Self.user(from: $0).user }
        }
    }

    public func user(named name: String) async throws -> (user: ConsoleUser, passwordHash: String)? {
        try await read { db in
            try db.row("SELECT id, name, role, store_id, password_hash, created_at FROM console_user WHERE name = \(name)").map(Self.user(from:))
        }
    }

    public func user(id: Int64) async throws -> ConsoleUser? {
        try await read { db in
            try db.row("SELECT id, name, role, store_id, password_hash, created_at FROM console_user WHERE id = \(id)").map { try Self.user(from: $0).user }
        }
    }

    public func secondFactor(of user: Int64) async throws -> [UInt8]? {
        try await read { db in
            try db.row("SELECT totp_sealed FROM console_user WHERE id = \(user)").flatMap { try $0.decode(ByteBuffer?.self).map { Array($0.readableBytesView) } }
        }
    }

    public func setSecondFactor(of user: Int64, sealed: [UInt8]?, audit: AuditEntry) async throws -> Bool {
        try await write { db in
            guard try db.execute("""
                UPDATE console_user SET totp_sealed = \(sealed.map { ByteBuffer(bytes: $0) }), totp_step = NULL WHERE id = \(user)
                """) == 1 else { return false }
            try Self.append(audit, db)
            return true
        }
    }

    public func useSecondFactorStep(of user: Int64, step: Int64) async throws -> Bool {
        try await write { db in
            try db.execute("UPDATE console_user SET totp_step = \(step) WHERE id = \(user) AND (totp_step IS NULL OR totp_step < \(step))") == 1
        }
    }

    static func user(from row: PostgresRow) throws -> (user: ConsoleUser, passwordHash: String) {
        let (id, name, role, store, hash, created) = try row.decode((Int64, String, String, Int64?, String, Date).self)
        return (ConsoleUser(id: id, name: name, role: try ConsoleRole.stored(role), storeId: store, createdAt: created), hash)
    }
}

import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

extension SQLiteStore: UserStore {
    public func addUser(name: String, role: ConsoleRole, storeID: Int64?, passwordHash: String, audit: AuditEntry) async throws -> ConsoleUser {
        try await writer.write { db in
            if let storeID, try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM store WHERE id = ?)", arguments: [storeID]) != true {
                throw NotFoundError("store", "no store \(storeID); see `onecode store list`")
            }
            let now = Date()
            try Self.conflicts(as: ConflictError("name", "a user named \(name) exists already")) {
                try db.execute(sql: "INSERT INTO console_user (name, role, store_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [name, role.rawValue, storeID, passwordHash, now.timeIntervalSince1970])
            }
            let id = db.lastInsertedRowID
            try Self.append(audit.created(id), db)
            return ConsoleUser(id: id, name: name, role: role, storeId: storeID, createdAt: now)
        }
    }

    public func users() async throws -> [ConsoleUser] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM console_user ORDER BY id").map(Self.user(from:)) }
    }

    public func user(named name: String) async throws -> (user: ConsoleUser, passwordHash: String)? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM console_user WHERE name = ?", arguments: [name]).map { (try Self.user(from: $0), $0["password_hash"]) }
        }
    }

    public func user(id: Int64) async throws -> ConsoleUser? {
        try await writer.read { db in try Row.fetchOne(db, sql: "SELECT * FROM console_user WHERE id = ?", arguments: [id]).map(Self.user(from:)) }
    }

    public func secondFactor(of user: Int64) async throws -> [UInt8]? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT totp_sealed FROM console_user WHERE id = ?", arguments: [user]).flatMap { ($0[0] as Data?).map { [UInt8]($0) } }
        }
    }

    public func setSecondFactor(of user: Int64, sealed: [UInt8]?, audit: AuditEntry) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE console_user SET totp_sealed = ?, totp_step = NULL WHERE id = ?", arguments: [sealed.map { Data($0) }, user])
            guard db.changesCount == 1 else { return false }
            try Self.append(audit, db)
            return true
        }
    }

    public func useSecondFactorStep(of user: Int64, step: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE console_user SET totp_step = ? WHERE id = ? AND (totp_step IS NULL OR totp_step < ?)", arguments: [step, user, step])
            return db.changesCount == 1
        }
    }

    static func user(from row: Row) throws -> ConsoleUser {
        ConsoleUser(id: row["id"], name: row["name"], role: try ConsoleRole.stored(row["role"]), storeId: row["store_id"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }
}

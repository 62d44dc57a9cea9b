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

    static func user(from row: Row) throws -> ConsoleUser {
        ConsoleUser(id: row["id"], name: row["name"], role: try ConsoleRole.stored(row["role"]), storeId: row["store_id"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }
}

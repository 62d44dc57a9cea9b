import Foundation
import GRDB
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage

extension SQLiteStore: LinkStore {
    static let linkColumns = "id, gtin, lot, link_type, href, title, language, context, is_default, created_at"

    static func link(from row: Row) -> ResolverLink {
        ResolverLink(id: row[0], gtin: row[1], lot: row[2], type: row[3], href: row[4], title: row[5], language: row[6], context: row[7],
                     isDefault: row[8], createdAt: Date(timeIntervalSince1970: row[9]))
    }

    public func addLink(_ link: NewResolverLink) async throws -> ResolverLink {
        try await writer.write { db in
            try Self.conflicts(as: ConflictError("default", "another link of this item was made its default at the same time; try again")) {
                try LinkBook.add(in: SQLiteLinkTransaction(db: db), link, at: Date())
            }
        }
    }

    public func removeLink(_ id: Int64) async throws -> Bool {
        try await writer.write { db in try LinkBook.remove(in: SQLiteLinkTransaction(db: db), id) }
    }

    public func links(gtin: String?) async throws -> [ResolverLink] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.linkColumns) FROM resolver_link WHERE ?1 IS NULL OR gtin = ?1 ORDER BY gtin, lot_key, id",
                             arguments: [gtin]).map(Self.link(from:))
        }
    }
}

/// Link rows for `LinkBook`, in the writer's transaction.
struct SQLiteLinkTransaction: LinkTransaction {
    let db: Database

    func itemLinks(gtin: String, lot: String?) throws -> [ResolverLink] {
        try Row.fetchAll(db, sql: "SELECT \(SQLiteStore.linkColumns) FROM resolver_link WHERE gtin = ? AND lot_key = ? ORDER BY id",
                         arguments: [gtin, lot ?? ""]).map(SQLiteStore.link(from:))
    }

    func insertLink(_ link: NewResolverLink, isDefault: Bool, at: Date) throws -> ResolverLink {
        try db.execute(sql: """
            INSERT INTO resolver_link (gtin, lot, link_type, href, title, language, context, is_default, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [link.gtin, link.lot, link.type, link.href, link.title, link.language, link.context, isDefault, at.timeIntervalSince1970])
        return ResolverLink(id: db.lastInsertedRowID, gtin: link.gtin, lot: link.lot, type: link.type, href: link.href, title: link.title,
                            language: link.language, context: link.context, isDefault: isDefault, createdAt: at)
    }

    func setDefault(_ id: Int64, _ isDefault: Bool) throws {
        try db.execute(sql: "UPDATE resolver_link SET is_default = ? WHERE id = ?", arguments: [isDefault, id])
    }

    func deleteLink(_ id: Int64) throws -> ResolverLink? {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(SQLiteStore.linkColumns) FROM resolver_link WHERE id = ?", arguments: [id]) else { return nil }
        try db.execute(sql: "DELETE FROM resolver_link WHERE id = ?", arguments: [id])
        return SQLiteStore.link(from: row)
    }
}

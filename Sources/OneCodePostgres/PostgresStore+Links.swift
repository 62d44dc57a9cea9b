import Foundation
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage
import PostgresNIO

extension PostgresStore: LinkStore {
    static let linkColumns = "id, gtin, lot, link_type, href, title, language, context, is_default, created_at"

    static func link(from row: PostgresRow) throws -> ResolverLink {
        let (id, gtin, lot, type, href, title, language, context, isDefault, created) =
            try row.decode((Int64, String, String?, String, String, String, String?, String?, Bool, Date).self)
        return ResolverLink(id: id, gtin: gtin, lot: lot, type: type, href: href, title: title, language: language, context: context,
                            isDefault: isDefault, createdAt: created)
    }

    public func addLink(_ link: NewResolverLink) async throws -> ResolverLink {
        try await write { db in try LinkBook.add(in: PostgresLinkTransaction(db: db), link, at: Date()) }
    }

    public func removeLink(_ id: Int64) async throws -> Bool {
        try await write { db in try LinkBook.remove(in: PostgresLinkTransaction(db: db), id) }
    }

    public func links(gtin: String?) async throws -> [ResolverLink] {
        try await read { db in
            try db.rows("""
                SELECT \(unescaped: Self.linkColumns) FROM resolver_link WHERE \(gtin)::text IS NULL OR gtin = \(gtin)
                ORDER BY gtin, coalesce(lot, ''), id
                """).map(Self.link(from:))
        }
    }
}

/// Link rows for `LinkBook`, in one transaction on the store's connection.
struct PostgresLinkTransaction: LinkTransaction {
    let db: SyncConnection

    func itemLinks(gtin: String, lot: String?) throws -> [ResolverLink] {
        // The item's rows locked: a second writer adding to the same item waits, then sees this one's default.
        try db.rows("""
            SELECT \(unescaped: PostgresStore.linkColumns) FROM resolver_link WHERE gtin = \(gtin) AND coalesce(lot, '') = \(lot ?? "")
            ORDER BY id FOR UPDATE
            """).map(PostgresStore.link(from:))
    }

    func insertLink(_ link: NewResolverLink, isDefault: Bool, at: Date) throws -> ResolverLink {
        let conflict = ConflictError("default", "another link of this item was made its default at the same time; try again")
        let rows = try db.execute("""
            INSERT INTO resolver_link (gtin, lot, link_type, href, title, language, context, is_default, created_at)
            VALUES (\(link.gtin), \(link.lot), \(link.type), \(link.href), \(link.title), \(link.language), \(link.context), \(isDefault), \(at))
            RETURNING \(unescaped: PostgresStore.linkColumns)
            """, conflict: conflict)
        guard let row = rows.rows.first else { throw conflict }
        return try PostgresStore.link(from: row)
    }

    func setDefault(_ id: Int64, _ isDefault: Bool) throws {
        try db.execute("UPDATE resolver_link SET is_default = \(isDefault) WHERE id = \(id)")
    }

    func deleteLink(_ id: Int64) throws -> ResolverLink? {
        try db.row("DELETE FROM resolver_link WHERE id = \(id) RETURNING \(unescaped: PostgresStore.linkColumns)").map(PostgresStore.link(from:))
    }
}

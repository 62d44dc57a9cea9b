import Foundation
import OneCodeDomain

/// The links brands give their items, for the resolver (`/01/{gtin}…?linkType=…`).
public protocol LinkStore: Sendable {
    /// Adds a link as `LinkBook.add` decides (the item's first link, or one asked to be, is its default).
    func addLink(_ link: NewResolverLink) async throws -> ResolverLink
    /// Removes a link; another of the item's becomes its default when the default goes. False when there was none.
    func removeLink(_ id: Int64) async throws -> Bool
    /// Every link of a GTIN (its own and its lots'), or every link when `gtin` is nil, by GTIN, lot and id.
    func links(gtin: String?) async throws -> [ResolverLink]
}

/// Link rows for `LinkBook`, in one write transaction of the backend.
public protocol LinkTransaction {
    /// The links of exactly one item: a GTIN's own (`lot` nil) or one lot's.
    func itemLinks(gtin: String, lot: String?) throws -> [ResolverLink]
    func insertLink(_ link: NewResolverLink, isDefault: Bool, at: Date) throws -> ResolverLink
    func setDefault(_ id: Int64, _ isDefault: Bool) throws
    /// Deletes a link and gives it back; nil when there was none.
    func deleteLink(_ id: Int64) throws -> ResolverLink?
}

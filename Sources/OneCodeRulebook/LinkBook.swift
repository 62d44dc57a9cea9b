import Foundation
import OneCodeDomain
import OneCodeStorage

/// An item's links keep exactly one default (the schema refuses a second): decided here for every
/// backend over `LinkTransaction`.
public enum LinkBook {
    /// Adds a link: the default when asked, or when the item has none yet (its first link); a new
    /// default takes the flag from the old one.
    public static func add(in tx: any LinkTransaction, _ link: NewResolverLink, at: Date) throws -> ResolverLink {
        let existing = try tx.itemLinks(gtin: link.gtin, lot: link.lot)
        let isDefault = link.makeDefault || !existing.contains(where: \.isDefault)
        if isDefault {
            for old in existing where old.isDefault { try tx.setDefault(old.id, false) }
        }
        return try tx.insertLink(link, isDefault: isDefault, at: at)
    }

    /// Removes a link; when it was the item's default, the item's oldest remaining link becomes it.
    public static func remove(in tx: any LinkTransaction, _ id: Int64) throws -> Bool {
        guard let removed = try tx.deleteLink(id) else { return false }
        if removed.isDefault, let next = try tx.itemLinks(gtin: removed.gtin, lot: removed.lot).min(by: { $0.id < $1.id }) {
            try tx.setDefault(next.id, true)
        }
        return true
    }
}

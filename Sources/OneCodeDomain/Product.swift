import Foundation

/// What a brand sells: a name, optionally a GTIN and a SKU.
public struct Product: Sendable, Codable, Equatable, Identifiable {
    public var id: ProductID
    public var name: String
    public var gtin: GTIN?
    public var sku: String?
    public var createdAt: Date

    public init(id: ProductID, name: String, gtin: GTIN?, sku: String?, createdAt: Date) {
        self.id = id
        self.name = name
        self.gtin = gtin
        self.sku = sku
        self.createdAt = createdAt
    }
}

/// A product to register, validated on creation.
public struct NewProduct: Sendable, Equatable {
    public var name: String
    public var gtin: GTIN?
    public var sku: String?

    /// - Throws: `InputError` for an empty or overlong name, a bad GTIN or a bad SKU.
    public init(name: String, gtin: String?, sku: String?) throws {
        self.name = try Name.validate(name, field: "name", maximum: 200)
        self.gtin = try gtin.map { try GTIN($0) }
        if let sku {
            guard (1...64).contains(sku.count), sku.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }) else {
                throw InputError("sku", "must be 1 to 64 characters: letters, digits, '-', '_', '.', '/'")
            }
        }
        self.sku = sku
    }
}

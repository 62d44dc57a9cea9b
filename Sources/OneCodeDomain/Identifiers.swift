/// A typed row identifier, so a product id cannot be passed where a batch id is expected.
public protocol EntityID: RawRepresentable, Hashable, Sendable, Codable, Comparable,
    CustomStringConvertible, LosslessStringConvertible where RawValue == Int64 {
    init(rawValue: Int64)
}

extension EntityID {
    public var description: String { String(rawValue) }
    public init?(_ description: String) {
        guard let value = Int64(description), value > 0 else { return nil }
        self.init(rawValue: value)
    }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(Int64.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Identifies a product.
public struct ProductID: EntityID {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// Identifies a batch of codes.
public struct BatchID: EntityID {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// Identifies a store (a retailer that redeems prizes).
public struct StoreID: EntityID {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// Identifies one draw of one code in one campaign.
public struct EntryID: EntityID {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

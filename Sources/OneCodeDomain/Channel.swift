import Foundation

/// What a batch's codes are printed on: a unit (a bottle), or a package that holds others, from the
/// inner case up to the pallet. The packing line binds codes of one level to a code of a higher one.
public enum BatchKind: String, Sendable, Codable, CaseIterable {
    case unit
    case innerCase = "inner-case"
    /// An outer (shipping) case.
    case `case`
    case pallet

    /// 0 for a unit, up to 3 for a pallet: a parent's level is above each of its children's.
    public var level: Int {
        switch self {
        case .unit: 0
        case .innerCase: 1
        case .case: 2
        case .pallet: 3
        }
    }

    /// How people say it: "unit", "inner case", "case", "pallet".
    public var words: String { self == .innerCase ? "inner case" : rawValue }

    /// - Throws: `InputError(field, …)` listing the kinds.
    public init(_ text: String, field: String) throws {
        guard let kind = BatchKind(rawValue: text) else {
            throw InputError(field, "must be one of \(BatchKind.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(text)')")
        }
        self = kind
    }
}

/// The regions a dealer may sell in: region codes, each covering its subdivisions (`CN-31`, or `CN` for
/// the whole country). A scan whose region none of them covers is outside it.
public struct Territory: Sendable, Codable, Equatable, CustomStringConvertible {
    public let regions: [String]

    /// - Parameter text: region codes separated by commas or spaces (`CN-31, CN-32`).
    /// - Throws: `InputError(field, …)` for no region, or one that is not an ISO 3166 code.
    public init(_ text: String, field: String = "territory") throws {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        guard !parts.isEmpty else { throw InputError(field, "must list at least one region code, such as CN-31 or CN") }
        for part in parts where !NewBatch.isRegionCode(part) {
            throw InputError(field, "'\(part)' is not an ISO 3166 region code such as CN or CN-31")
        }
        guard parts.count <= 100 else { throw InputError(field, "must list at most 100 region codes (got \(parts.count))") }
        var seen = Set<String>()
        regions = parts.filter { seen.insert($0).inserted }
    }

    /// Whether a region is inside the territory (`RegionCode.covers`, the one rule scopes and segments use).
    public func covers(_ region: String) -> Bool { regions.contains { RegionCode.covers($0, region) } }

    /// Stored and shown as the codes joined by a space.
    public var description: String { regions.joined(separator: " ") }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let list = try? container.decode([String].self) {
            try self.init(list.joined(separator: " "))
        } else {
            try self.init(try container.decode(String.self))
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(regions)
    }
}

/// Identifies a dealer (a distributor goods are shipped to).
public struct DealerID: EntityID {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// Identifies a warehouse goods leave from.
public struct WarehouseID: EntityID {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// A distributor: who it is, where it may sell, and whom to call.
public struct Dealer: Sendable, Codable, Equatable, Identifiable {
    public var id: DealerID
    public var name: String
    public var territory: Territory
    public var contact: String?
    public var createdAt: Date

    public init(id: DealerID, name: String, territory: Territory, contact: String?, createdAt: Date) {
        self.id = id
        self.name = name
        self.territory = territory
        self.contact = contact
        self.createdAt = createdAt
    }
}

/// A dealer to add, validated.
public struct NewDealer: Sendable, Equatable {
    public var name: String
    public var territory: Territory
    public var contact: String?

    /// - Throws: `InputError` naming `name` or `contact`.
    public init(name: String, territory: Territory, contact: String? = nil) throws {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw InputError("name", "must be 1 to 200 characters") }
        let contact = contact?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let contact, contact.count > 500 { throw InputError("contact", "must be at most 500 characters") }
        self.name = name
        self.territory = territory
        self.contact = contact?.isEmpty == true ? nil : contact
    }
}

/// A place goods leave from.
public struct Warehouse: Sendable, Codable, Equatable, Identifiable {
    public var id: WarehouseID
    public var name: String
    public var region: String?
    public var createdAt: Date

    public init(id: WarehouseID, name: String, region: String?, createdAt: Date) {
        self.id = id
        self.name = name
        self.region = region
        self.createdAt = createdAt
    }
}

/// A warehouse to add, validated.
public struct NewWarehouse: Sendable, Equatable {
    public var name: String
    public var region: String?

    public init(name: String, region: String? = nil) throws {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw InputError("name", "must be 1 to 200 characters") }
        if let region, !NewBatch.isRegionCode(region) {
            throw InputError("region", "must be an ISO 3166 code such as CN or CN-31 (got '\(region)')")
        }
        self.name = name
        self.region = region
    }
}

/// Identifies a clerk (导购): a store's salesperson who binds to the cases they sell from.
public struct ClerkID: EntityID {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// What the channel pays, from configuration: a store's rebate for confirming a case's receipt, a clerk's
/// reward when a consumer's first counted scan lands on a unit of a case the clerk is bound to, and the
/// most a clerk earns so in a day. Amounts are in the currency's minor unit (fen, cents); 0 pays nothing.
public struct ChannelRules: Sendable, Equatable {
    public var receiptRebate: Int
    public var clerkReward: Int
    /// The most a clerk earns in rewards per day (0: no cap).
    public var clerkDailyCap: Int
    /// Where a day begins and ends, for the cap.
    public var timeZone: TimeZone

    public init(receiptRebate: Int = 0, clerkReward: Int = 0, clerkDailyCap: Int = 0, timeZone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.receiptRebate = receiptRebate
        self.clerkReward = clerkReward
        self.clerkDailyCap = clerkDailyCap
        self.timeZone = timeZone
    }

    /// The local day of `date`, `YYYY-MM-DD`.
    public func day(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }
}

/// Why a ledger line was written.
public enum LedgerCause: String, Sendable, Codable, CaseIterable {
    /// A store confirmed a case's receipt.
    case receiptRebate = "receipt-rebate"
    /// A consumer's first counted scan landed on a unit of a case a clerk is bound to.
    case clerkReward = "clerk-reward"
}

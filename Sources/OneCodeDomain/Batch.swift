import Foundation

/// Where a batch stands in its life.
public enum BatchStatus: String, Sendable, Codable, CaseIterable {
    /// Codes exist and a package was written; scans are not yet genuine.
    case issued
    /// The goods left the line: scans are answered as genuine or repeat.
    case active
    /// Withdrawn: every code of the batch is answered as void.
    case void
}

/// How a batch's codes are printed as URLs.
public enum URLForm: String, Sendable, Codable, CaseIterable {
    /// `{base}/s/{code}`: the shortest symbol.
    case short
    /// GS1 Digital Link: `{base}/01/{GTIN-14}[/10/{lot}]/21/{code}`; the product needs a GTIN.
    case gs1
}

/// A calendar day, written `YYYY-MM-DD`.
public struct Day: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int

    /// - Throws: `InputError` naming `field` unless `text` is a real `YYYY-MM-DD` date.
    public init(_ text: String, field: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...Day.days(inMonth: month, year: year)).contains(day), year >= 1900
        else { throw InputError(field, "must be a date as YYYY-MM-DD (got '\(text)')") }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Today in UTC. Counted on the scan path (a durable scan's day), so by arithmetic on the day number (the
    /// proleptic Gregorian calendar's civil-from-days), not by a `Calendar`: the same day for every date from
    /// 1900 to 2200, checked against `Calendar`, at a thirtieth of its cost.
    public static func today(_ now: Date = Date()) -> Day {
        let z = Int((now.timeIntervalSince1970 / 86_400).rounded(.down)) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153  // months from March
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return Day(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: dayOfYear - (153 * shifted + 2) / 5 + 1)
    }

    private init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        let yearText = String(year)
        return String(repeating: "0", count: max(0, 4 - yearText.count)) + yearText + "-" + two(month) + "-" + two(day)
    }
    public static func < (lhs: Day, rhs: Day) -> Bool { (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day) }
    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self), field: "date")
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A run of codes for one product.
public struct Batch: Sendable, Codable, Equatable, Identifiable {
    public var id: BatchID
    public var productID: ProductID
    public var count: Int
    public var lot: String?
    public var productionDate: Day
    public var expiryDate: Day?
    /// Intended sales region (ISO 3166 code such as `CN` or `CN-31`), for diversion alerts.
    public var region: String?
    public var status: BatchStatus
    public var urlForm: URLForm
    /// Whether URLs are printed upper-case so the QR symbol can use alphanumeric mode.
    public var uppercase: Bool
    public var codeLength: Int
    public var createdAt: Date
    /// What the codes are printed on: units, or cases and pallets that hold other codes.
    public var kind: BatchKind
    /// The digits of each unit's hidden PIN (printed where it is seen only after opening); 0: none.
    public var pinLength: Int

    public init(id: BatchID, productID: ProductID, count: Int, lot: String?, productionDate: Day, expiryDate: Day?,
                region: String?, status: BatchStatus, urlForm: URLForm, uppercase: Bool, codeLength: Int, createdAt: Date,
                kind: BatchKind = .unit, pinLength: Int = 0) {
        self.kind = kind
        self.pinLength = pinLength
        self.id = id
        self.productID = productID
        self.count = count
        self.lot = lot
        self.productionDate = productionDate
        self.expiryDate = expiryDate
        self.region = region
        self.status = status
        self.urlForm = urlForm
        self.uppercase = uppercase
        self.codeLength = codeLength
        self.createdAt = createdAt
    }
}

/// A batch to issue, validated on creation (everything but the product's existence).
public struct NewBatch: Sendable, Equatable {
    public var productID: ProductID
    public var count: Int
    public var lot: String?
    public var productionDate: Day
    public var expiryDate: Day?
    public var region: String?
    public var urlForm: URLForm
    public var uppercase: Bool
    public var kind: BatchKind
    public var pinLength: Int

    /// - Parameter maxCount: the configured cap on codes per batch.
    /// - Throws: `InputError` naming the field that is wrong.
    public init(productID: ProductID, count: Int, maxCount: Int, lot: String? = nil, productionDate: Day = .today(),
                expiryDate: Day? = nil, region: String? = nil, urlForm: URLForm = .short, uppercase: Bool = false,
                kind: BatchKind = .unit, pinLength: Int = 0) throws {
        guard pinLength == 0 || CodeSigner.pinLengths.contains(pinLength) else {
            throw InputError("pin", "must be \(CodeSigner.pinLengths.lowerBound) to \(CodeSigner.pinLengths.upperBound) digits, or 0 for none (got \(pinLength))")
        }
        guard count >= 1 else { throw InputError("count", "must be at least 1 (got \(count))") }
        guard count <= maxCount else {
            throw InputError("count", "must be at most \(maxCount), the configured batch size cap (got \(count))")
        }
        if let lot {
            guard (1...20).contains(lot.utf8.count),
                  lot.utf8.allSatisfy({ Self.lotBytes.contains($0) }) else {
                throw InputError("lot", "must be 1 to 20 characters: letters, digits, '-', '.', '_' (got '\(lot)')")
            }
            if uppercase && lot.contains(where: { $0.isLowercase }) {
                throw InputError("lot", "must be upper-case with --uppercase, since the whole URL is printed upper-case")
            }
        }
        if let expiryDate, expiryDate < productionDate {
            throw InputError("expiry", "must not be before the production date \(productionDate)")
        }
        if let region {
            guard Self.isRegionCode(region) else {
                throw InputError("region", "must be an ISO 3166 code such as CN or CN-31 (got '\(region)')")
            }
        }
        self.productID = productID
        self.count = count
        self.lot = lot
        self.productionDate = productionDate
        self.expiryDate = expiryDate
        self.region = region
        self.urlForm = urlForm
        self.uppercase = uppercase
        self.kind = kind
        self.pinLength = pinLength
    }

    static let lotBytes: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._".utf8))

    /// `CN`, `US`, `CN-31`, `GB-LND`: two upper-case letters, optionally a dash and 1 to 3 letters or digits.
    public static func isRegionCode(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func upper(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
        func digit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard bytes.count >= 2, upper(bytes[0]), upper(bytes[1]) else { return false }
        if bytes.count == 2 { return true }
        guard (4...6).contains(bytes.count), bytes[2] == UInt8(ascii: "-") else { return false }
        return bytes[3...].allSatisfy { upper($0) || digit($0) }
    }
}

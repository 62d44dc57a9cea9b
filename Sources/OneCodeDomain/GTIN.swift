/// A Global Trade Item Number, held as its 14-digit form (GTIN-14).
public struct GTIN: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The 14 digits, left-padded with zeros.
    public let digits: String

    /// Parses a GTIN-8, -12, -13 or -14 and verifies its GS1 mod-10 check digit.
    /// - Throws: `InputError` naming `field` when the length, characters or check digit are wrong.
    public init(_ text: String, field: String = "gtin") throws {
        let bytes = Array(text.utf8)
        guard [8, 12, 13, 14].contains(bytes.count) else {
            throw InputError(field, "must be 8, 12, 13 or 14 digits (got \(bytes.count) characters)")
        }
        guard bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw InputError(field, "must contain digits only")
        }
        let values = bytes.map { Int($0 - UInt8(ascii: "0")) }
        let expected = GTIN.checkDigit(values.dropLast())
        guard values.last == expected else {
            throw InputError(field, "check digit is \(values.last!), expected \(expected) (GS1 mod-10)")
        }
        digits = String(repeating: "0", count: 14 - bytes.count) + text
    }

    /// The GS1 mod-10 check digit for the digits before it: weights 3 and 1 from the right.
    public static func checkDigit<C: Collection<Int>>(_ digits: C) -> Int {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            sum += digit * (offset % 2 == 0 ? 3 : 1)
        }
        return (10 - sum % 10) % 10
    }

    public var description: String { digits }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digits)
    }
}

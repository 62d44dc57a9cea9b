/// A winner's contact details, validated.
public struct ContactDetails: Sendable, Codable, Equatable {
    public var name: String
    /// E.164, such as `+8613812345678`.
    public var phone: String

    /// - Parameters:
    ///   - phone: E.164 (`+` and 7 to 15 digits) or a mainland China mobile number (11 digits from 13 to 19),
    ///     spaces, dashes, dots and brackets allowed. One number is kept one way whatever way it was
    ///     typed (limits per phone count it once): `00` is `+`, and China's trunk `0` after `+86` goes
    ///     (`+86 0139 1234 5678` is `+8613912345678`, as `139 1234 5678` is).
    /// - Throws: `InputError` naming `name` or `phone`.
    public init(name: String, phone: String) throws {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw InputError("name", "must be 1 to 100 characters") }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw InputError("name", "must not contain control characters")
        }
        self.phone = try Self.phone(phone)
        self.name = name
    }

    /// A typed phone number as it is kept (E.164), as `init` reads it. - Throws: `InputError` naming `phone`.
    public static func phone(_ phone: String) throws -> String {
        var compact = phone.filter { !" -.()\u{00A0}".contains($0) }
        if compact.hasPrefix("00") { compact = "+" + compact.dropFirst(2) }
        if compact.hasPrefix("+860") { compact = "+86" + compact.dropFirst(4) }
        let digits = compact.hasPrefix("+") ? String(compact.dropFirst()) : compact
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw InputError("phone", "must be a phone number such as +8613812345678 or 13812345678")
        }
        if compact.hasPrefix("+") {
            guard (7...15).contains(digits.count), digits.first != "0" else {
                throw InputError("phone", "must be + and 7 to 15 digits (E.164)")
            }
            return compact
        }
        guard digits.count == 11, digits.hasPrefix("1"), let second = digits.dropFirst().first, ("3"..."9").contains(second) else {
            throw InputError("phone", "must be a mainland mobile number of 11 digits starting 13 to 19, or +country code and number")
        }
        return "+86" + digits
    }
}

import Foundation

/// A statement a consumer agreed to, as it was shown: its version and its text (in the page's language).
/// A claim records two: the consent to deliver the prize (required) and, apart from it, the consent to be
/// contacted about the brand's products (optional; only it makes a consumer a sales lead).
public struct Consent: Sendable, Codable, Equatable {
    public var version: String
    public var text: String
    public init(version: String, text: String) {
        self.version = version
        self.text = text
    }
}

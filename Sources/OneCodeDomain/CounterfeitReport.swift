import Foundation

/// What a consumer tells the brand about a product whose code did not check out (forged or never issued):
/// where they bought it, what is wrong, and, only if they agree to be contacted about it, a phone number.
/// Checked once here for every surface (the scan page's form, JSON).
public struct CounterfeitReport: Sendable, Equatable {
    public var whereBought: String?
    public var comment: String?
    /// E.164; present only with the consent to be contacted about this report.
    public var phone: String?

    public static let maxWhere = 200
    public static let maxComment = 500

    /// - Throws: `InputError` naming `where`, `comment`, `phone` or `contactOk`.
    public init(whereBought: String?, comment: String?, phone: String?, contactOk: Bool) throws {
        func text(_ value: String?, _ field: String, max: Int) throws -> String? {
            guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
            guard value.count <= max else { throw InputError(field, "must be at most \(max) characters (got \(value.count))") }
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) else {
                throw InputError(field, "must not contain control characters")
            }
            return value
        }
        self.whereBought = try text(whereBought, "where", max: Self.maxWhere)
        self.comment = try text(comment, "comment", max: Self.maxComment)
        guard self.whereBought != nil || self.comment != nil else {
            throw InputError("where", "say where you bought it, or what is wrong with it (comment)")
        }
        if let typed = phone?.trimmingCharacters(in: .whitespaces), !typed.isEmpty {
            guard contactOk else {
                throw InputError("contactOk", "tick the box to let the brand contact you about this report, or leave the phone number out")
            }
            self.phone = try ContactDetails.phone(typed)
        } else {
            self.phone = nil
        }
    }
}

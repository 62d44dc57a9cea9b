/// An error that names what is wrong (`field`) and says what (`message`, English, read after the field name):
/// bad input, something not found, a conflict. A page in another language says `message` in its own words.
public protocol FieldError: Error, Sendable, CustomStringConvertible {
    var field: String { get }
    var message: String { get }
}

/// Bad input from a user: names the field and says what is expected.
///
/// Every layer throws this for input it refuses, so the CLI and (later) the HTTP layer can
/// report it the same way: one line, the field first.
public struct InputError: FieldError, Equatable {
    /// The option, argument or JSON field that is wrong, as the user spelled it (`count`, `gtin`).
    public let field: String
    /// What is wrong and what is expected, written to be read after the field name.
    public let message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// A referenced entity does not exist.
public struct NotFoundError: FieldError, Equatable {
    public let field: String
    public let message: String
    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}

/// A change refused because it would break an invariant that is already taken: a second claim of a
/// prize, a second redemption, a second rating, a GTIN another product has.
///
/// The rules throw it when their check sees the conflict; storage throws the same error when the
/// schema's constraint catches a race the check could not see (two writers at once), so a caller
/// gets one answer either way (HTTP 409).
public struct ConflictError: FieldError, Equatable {
    public let field: String
    public let message: String
    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}

/// Names people give things (products, campaigns, tiers, segments, stores, tokens): what every one of
/// them must be, so none can carry terminal escape sequences or invisible text into a CLI or a page.
public enum Name {
    /// The name trimmed of surrounding white space.
    /// - Throws: `InputError(field, …)` for an empty or overlong name, or one with control characters.
    public static func validate(_ text: String, field: String, maximum: Int) throws -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...maximum).contains(name.count) else { throw InputError(field, "must be 1 to \(maximum) characters") }
        guard !name.unicodeScalars.contains(where: isControl) else {
            throw InputError(field, "must not contain control characters (such as escape sequences or line breaks)")
        }
        return name
    }

    /// Control and format characters (C0, C1, DEL, and the bidirectional overrides).
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }
}

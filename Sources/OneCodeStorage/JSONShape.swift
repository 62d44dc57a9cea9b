import Foundation

/// The one JSON convention of the API and `--json` output: camelCase keys with `Id`/`Url` as words
/// (`productId`, never `productID`), ISO 8601 UTC times, sorted keys.
public enum JSONShape {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .custom { path in Key(key(path.last!.stringValue)) }
        return encoder
    }

    /// `productID` → `productId`, `entryIDs` → `entryIds`, `baseURL` → `baseUrl`; other keys as they are.
    public static func key(_ name: String) -> String {
        guard name.contains("ID") || name.contains("URL") else { return name }
        let characters = Array(name)
        var result = ""
        var index = 0
        scan: while index < characters.count {
            // An acronym after a lower-case letter, ending the key or followed by a capital or a final `s`.
            if index > 0, characters[index - 1].isLowercase {
                for acronym in ["ID", "URL"] {
                    let letters = Array(acronym), end = index + letters.count
                    if end <= characters.count, Array(characters[index..<end]) == letters,
                       end == characters.count || characters[end].isUppercase || (characters[end] == "s" && end + 1 == characters.count) {
                        result += String(letters[0]) + String(letters.dropFirst()).lowercased()
                        index = end
                        continue scan
                    }
                }
            }
            result.append(characters[index])
            index += 1
        }
        return result
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Any JSON value, for fields that hold a JSON document (a segment's rules) so they nest as objects
/// instead of travelling as JSON inside a string.
public enum JSONValue: Sendable, Equatable, Codable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    /// `text` parsed as JSON; a string that is not JSON stays a string.
    public init(parsing text: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
            self = .string(text)
            return
        }
        self = JSONValue(object)
    }

    init(_ object: Any) {
        switch object {
        case is NSNull: self = .null
        case let number as NSNumber where String(cString: number.objCType) == "c": self = .bool(number.boolValue)
        case let number as NSNumber: self = .number(number.doubleValue)
        case let string as String: self = .string(string)
        case let array as [Any]: self = .array(array.map(JSONValue.init))
        case let dictionary as [String: Any]: self = .object(dictionary.mapValues(JSONValue.init))
        default: self = .string("\(object)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .number(value):
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case let .string(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .object(value): try container.encode(value)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}

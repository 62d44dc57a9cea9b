import Foundation

/// A JSON object written field by field, for outbox event bodies: strings escaped per RFC 8259,
/// dates as ISO 8601 UTC seconds (as `JSONEncoder`'s `.iso8601` writes them), `nil` as `null`.
public struct EventJSON: Sendable {
    public init() {}

    private var fields = ""

    /// The finished object.
    public var text: String { "{" + fields + "}" }

    private mutating func key(_ name: String) {
        if !fields.isEmpty { fields += "," }
        fields += "\"" + name + "\":"
    }

    public mutating func add(_ name: String, _ value: String?) {
        key(name)
        guard let value else { fields += "null"; return }
        fields += "\""
        // Most values need no escaping (codes, ids, region codes, names): appended whole, not scalar by scalar.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            fields += value
            fields += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": fields += "\\\""
            case "\\": fields += "\\\\"
            case "\n": fields += "\\n"
            case "\r": fields += "\\r"
            case "\t": fields += "\\t"
            case _ where scalar.value < 0x20:
                fields += "\\u00" + String(scalar.value >> 4, radix: 16) + String(scalar.value & 15, radix: 16)
            default: fields.unicodeScalars.append(scalar)
            }
        }
        fields += "\""
    }

    public mutating func add(_ name: String, _ value: Int64?) {
        key(name)
        fields += value.map { String($0) } ?? "null"
    }

    public mutating func add(_ name: String, _ value: Int?) { add(name, value.map(Int64.init)) }

    public mutating func add(_ name: String, _ value: Double) {
        key(name)
        fields += value.isFinite ? String(value) : "null"
    }

    public mutating func add(_ name: String, _ values: [String]) {
        key(name)
        // The same escaping as fields, without the keys.
        fields += "[" + values.map { value -> String in
            var item = EventJSON()
            item.add("v", value)
            return String(item.text.dropFirst(5).dropLast())
        }.joined(separator: ",") + "]"
    }

    public mutating func add(_ name: String, _ value: Date) {
        var seconds = time_t(value.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        key(name)
        fields += "\"\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z\""
    }

    public mutating func add(_ name: String, _ object: EventJSON) {
        key(name)
        fields += object.text
    }
}

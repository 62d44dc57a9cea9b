import OneCodeDomain

/// How a profile's sets and counts are written in a row: text both backends store, and that the
/// segment SQL (`SegmentSQL`) matches with `LIKE`.
///
/// - products, batches: `",3,17,"` (sorted; every item between commas);
/// - regions: `",CN-11:1,CN-31:4,"` (region and its counted scans, sorted by region);
/// - days: `"20415:3,20416:1"` (UTC day number and its counted scans).
public enum ProfileText {
    /// ",3,17," → [3, 17], reading bytes (this runs for every changed profile).
    public static func integers(_ text: String) -> [Int64] {
        var values: [Int64] = []
        var value: Int64 = 0, digits = false, negative = false
        for byte in text.utf8 {
            if byte >= 48 && byte <= 57 {
                value = value * 10 + Int64(byte - 48)
                digits = true
            } else if byte == 45 {
                negative = true
            } else {
                if digits { values.append(negative ? -value : value) }
                value = 0
                digits = false
                negative = false
            }
        }
        if digits { values.append(negative ? -value : value) }
        return values
    }

    /// [17, 3] → ",3,17,": sorted, so the same set always reads the same.
    public static func joined(_ items: [Int64]) -> String {
        var text = ","
        for item in items.sorted() {
            text += String(item)
            text += ","
        }
        return text
    }

    /// ",CN-11:1,CN-31:4," → [("CN-11", 1), ("CN-31", 4)], reading bytes (this runs for every changed profile).
    public static func regions(_ text: String) -> [(name: String, scans: Int)] {
        var regions: [(name: String, scans: Int)] = []
        var text = text
        text.withUTF8 { bytes in
            var start = 0, colon = -1, index = 0
            while index < bytes.count {
                switch bytes[index] {
                case 44:  // ","
                    if colon > start {
                        var count = 0
                        for digit in bytes[(colon + 1)..<index] { count = count * 10 + Int(digit &- 48) }
                        regions.append((String(decoding: bytes[start..<colon], as: UTF8.self), count))
                    }
                    start = index + 1
                    colon = -1
                case 58: colon = index  // ":"
                default: break
                }
                index += 1
            }
        }
        return regions
    }

    public static func joined(_ regions: [(name: String, scans: Int)]) -> String {
        var text = ","
        for region in regions.sorted(by: { $0.name < $1.name }) {
            text += region.name
            text += ":"
            text += String(region.scans)
            text += ","
        }
        return text
    }

    /// "20415:3,20416:1" → [20415: 3, 20416: 1], reading bytes.
    public static func days(_ text: String) -> [Int: Int] {
        var days: [Int: Int] = [:]
        var day = 0, count = 0, readingCount = false
        for byte in text.utf8 {
            switch byte {
            case 48...57:
                if readingCount { count = count * 10 + Int(byte - 48) } else { day = day * 10 + Int(byte - 48) }
            case 58: readingCount = true  // ":"
            default:  // ","
                if readingCount { days[day] = count }
                (day, count, readingCount) = (0, 0, false)
            }
        }
        if readingCount { days[day] = count }
        return days
    }

    public static func joined(_ days: [Int: Int]) -> String {
        days.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
}

/// A value bound to a statement of generated SQL.
public enum SQLValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// The SQL of a segment rule over the profile table, generated from the same rule value that
/// `SegmentRule.matches` evaluates in Swift, for evaluating a whole segment inside the database.
/// A test holds the two equal on random profiles and rules.
///
/// The condition reads the columns of `consumer_profile` under the alias `p`, as `ProfileText`
/// writes them, and calls `oc_scans_since(days, fromDay)`, which each backend provides.
public enum SegmentSQL {
    public static func condition(_ rule: SegmentRule, now: Double) -> (sql: String, values: [SQLValue]) {
        switch rule {
        case let .all(rules), let .any(rules):
            let parts = rules.map { condition($0, now: now) }
            let glue = if case .all = rule { " AND " } else { " OR " }
            return ("(" + parts.map(\.sql).joined(separator: glue) + ")", parts.flatMap(\.values))
        case let .region(codes):
            // `RegionCode.covers` over the profile's list text (",CN-31:2,"): "CN" matches ",CN:" and ",CN-";
            // codes are validated upper case, so they hold no LIKE wildcards and case folding changes nothing.
            return ("(" + codes.map { _ in "p.regions LIKE ? OR p.regions LIKE ?" }.joined(separator: " OR ") + ")",
                    codes.flatMap { [.text("%,\($0):%"), .text("%,\($0)-%")] })
        case let .product(ids):
            return ("(" + ids.map { _ in "p.products LIKE ?" }.joined(separator: " OR ") + ")", ids.map { .text("%,\($0.rawValue),%") })
        case let .scans(atLeast, days):
            return ("oc_scans_since(p.days, ?) >= ?", [.integer(Int64(ProfileBuilder.day(now) - days + 1)), .integer(Int64(atLeast))])
        case let .lapsed(days):
            return ("p.last_at < ?", [.real(now - Double(days) * 86_400)])
        case let .wonPrize(flag):
            return (flag ? "p.prizes_won > 0" : "p.prizes_won = 0", [])
        case let .consent(flag):
            return (flag ? "p.consent_at IS NOT NULL" : "p.consent_at IS NULL", [])
        case let .ratingAtMost(limit):
            return ("p.min_rating <= ?", [.integer(Int64(limit))])
        }
    }
}

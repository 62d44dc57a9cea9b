import Foundation

/// Identifies a segment.
public struct SegmentID: EntityID {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// A rule over consumer profiles. JSON forms (one key per object):
///
/// - `{"all": [rule, …]}`, `{"any": [rule, …]}`: every / at least one;
/// - `{"region": ["CN-31", "CN"]}`: scanned in one of these regions ("CN" also matches "CN-31");
/// - `{"product": [1, 2]}`: scanned one of these products;
/// - `{"scans": {"atLeast": 3, "days": 30}}`: at least N counted scans in the last D days (UTC days, today included);
/// - `{"lapsed": {"days": 60}}`: scanned before, but not in the last D days;
/// - `{"wonPrize": true}` / `false`; `{"consent": true}` / `false`: has (not) won a prize / given contact and consent;
/// - `{"rating": {"atMost": 2}}`: gave at least one rating of at most R.
public indirect enum SegmentRule: Sendable, Equatable {
    case all([SegmentRule])
    case any([SegmentRule])
    case region([String])
    case product([ProductID])
    case scans(atLeast: Int, days: Int)
    case lapsed(days: Int)
    case wonPrize(Bool)
    case consent(Bool)
    case ratingAtMost(Int)

    /// The longest window a rule may look back over: day counts kept per consumer are pruned beyond it.
    public static let maxDays = 366

    /// How deep `all`/`any` may nest, how many rules one segment may hold, and how long its JSON may be:
    /// a rule must stay something a person can read, and something every backend evaluates in one statement.
    public static let maxDepth = 6
    public static let maxRules = 200
    public static let maxBytes = 16_384

    /// Parses a rule. - Throws: `InputError` whose field is the JSON path of the bad part (`rules.all[1].scans.days`).
    public static func parse(_ data: Data) throws -> SegmentRule {
        guard data.count <= maxBytes else { throw InputError("rules", "must be at most \(maxBytes) bytes of JSON (got \(data.count))") }
        let value = try JSONInput.parse(data, field: "rules", expected: "a JSON object such as {\"all\": [{\"region\": [\"CN-31\"]}, {\"consent\": true}]}")
        return try parse(value, path: "rules")
    }

    public static func parse(_ value: Any, path: String) throws -> SegmentRule {
        var count = 0
        return try parse(value, path: path, depth: 1, count: &count)
    }

    static func parse(_ value: Any, path: String, depth: Int, count: inout Int) throws -> SegmentRule {
        count += 1
        guard count <= maxRules else { throw InputError(path, "a segment may hold at most \(maxRules) rules in all") }
        let kinds = "all, any, region, product, scans, lapsed, wonPrize, consent or rating"
        guard let object = value as? [String: Any], object.count == 1, let (key, body) = object.first else {
            throw InputError(path, "must be an object with one key: \(kinds)")
        }
        let at = path + "." + key
        func whole(_ value: Any?, _ path: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let value, JSONBool.value(value) == nil, let number = value as? NSNumber,
                  number.doubleValue.rounded() == number.doubleValue, range.contains(Int(exactly: number.doubleValue) ?? -1) else {
                throw InputError(path, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number.intValue
        }
        func flag(_ value: Any) throws -> Bool {
            guard let flag = JSONBool.value(value) else { throw InputError(at, "must be true or false") }
            return flag
        }
        switch key {
        case "all", "any":
            guard let items = body as? [Any], !items.isEmpty, items.count <= 50 else { throw InputError(at, "must be a list of 1 to 50 rules") }
            guard depth < maxDepth else { throw InputError(at, "nests too deep: all and any may nest at most \(maxDepth) levels") }
            var rules: [SegmentRule] = []
            for (offset, item) in items.enumerated() { rules.append(try parse(item, path: "\(at)[\(offset)]", depth: depth + 1, count: &count)) }
            return key == "all" ? .all(rules) : .any(rules)
        case "region":
            guard let items = body as? [String], !items.isEmpty, items.count <= 100 else { throw InputError(at, "must be a list of 1 to 100 region codes") }
            for (index, item) in items.enumerated() where !NewBatch.isRegionCode(item) {
                throw InputError("\(at)[\(index)]", "must be an ISO 3166 code such as CN or CN-31 (got '\(item)')")
            }
            return .region(items)
        case "product":
            guard let items = body as? [Any], !items.isEmpty, items.count <= 100 else { throw InputError(at, "must be a list of 1 to 100 product ids") }
            return .product(try items.enumerated().map { ProductID(rawValue: Int64(try whole($0.element, "\(at)[\($0.offset)]", 1...Int(Int32.max)))) })
        case "scans":
            guard let window = body as? [String: Any] else { throw InputError(at, "must be {\"atLeast\": N, \"days\": D}") }
            try JSONInput.checkKeys(window, known: ["atLeast", "days"], path: at)
            return .scans(atLeast: try whole(window["atLeast"], at + ".atLeast", 1...1_000_000), days: try whole(window["days"], at + ".days", 1...maxDays))
        case "lapsed":
            guard let window = body as? [String: Any] else { throw InputError(at, "must be {\"days\": D}") }
            try JSONInput.checkKeys(window, known: ["days"], path: at)
            return .lapsed(days: try whole(window["days"], at + ".days", 1...3650))
        case "wonPrize": return .wonPrize(try flag(body))
        case "consent": return .consent(try flag(body))
        case "rating":
            guard let limit = body as? [String: Any] else { throw InputError(at, "must be {\"atMost\": R}") }
            try JSONInput.checkKeys(limit, known: ["atMost"], path: at)
            return .ratingAtMost(try whole(limit["atMost"], at + ".atMost", 1...5))
        default:
            let hint = JSONInput.suggestion(for: key, among: ["all", "any", "region", "product", "scans", "lapsed", "wonPrize", "consent", "rating"])
                .map { " (did you mean \($0)?)" } ?? ""
            throw InputError(at, "is not a rule\(hint); rules are \(kinds)")
        }
    }

    /// The rule as JSON, in the form `parse` reads.
    public var json: Any {
        switch self {
        case let .all(rules): ["all": rules.map(\.json)]
        case let .any(rules): ["any": rules.map(\.json)]
        case let .region(codes): ["region": codes]
        case let .product(ids): ["product": ids.map(\.rawValue)]
        case let .scans(atLeast, days): ["scans": ["atLeast": atLeast, "days": days]]
        case let .lapsed(days): ["lapsed": ["days": days]]
        case let .wonPrize(flag): ["wonPrize": flag]
        case let .consent(flag): ["consent": flag]
        case let .ratingAtMost(limit): ["rating": ["atMost": limit]]
        }
    }

    public var jsonText: String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    /// The longest `scans` window and `lapsed` period in the rule (0 when none): what a refresh must
    /// look back over for consumers whose membership changes with time alone.
    public var windows: (scanDays: [Int], lapsedDays: [Int]) {
        switch self {
        case let .all(rules), let .any(rules):
            rules.reduce(into: ([Int](), [Int]())) { result, rule in
                let inner = rule.windows
                result.0 += inner.scanDays
                result.1 += inner.lapsedDays
            }
        case let .scans(_, days): ([days], [])
        case let .lapsed(days): ([], [days])
        default: ([], [])
        }
    }

    /// The spans of scan times (Unix seconds, `from` inclusive, `to` exclusive) whose scanners time alone
    /// may have moved in or out of this rule between a refresh at `last` and one at `now`: for a `lapsed`
    /// limit, whoever's last scan fell in the span that crossed it; for a `scans` window, the days that
    /// left the window. Every backend's refresh re-decides those scanners' memberships.
    public func crossedSpans(since last: Double, now: Double) -> [(from: Double, to: Double)] {
        var spans: [(from: Double, to: Double)] = []
        for days in windows.lapsedDays {
            spans.append((last - Double(days) * 86_400, now - Double(days) * 86_400))
        }
        for days in windows.scanDays {
            let from = (Int((last / 86_400).rounded(.down)) - days + 1) * 86_400
            let to = (Int((now / 86_400).rounded(.down)) - days + 1) * 86_400
            spans.append((Double(from), Double(to)))
        }
        return spans.filter { $0.to > $0.from }
    }
}

/// What the linker knows of one consumer, derived from scans, entries, claims and feedback.
public struct ConsumerProfile: Sendable, Codable, Equatable {
    public var consumer: String
    public var firstScanAt: Date
    public var lastScanAt: Date
    public var scans: Int
    public var products: [Int64]
    public var batches: [Int64]
    public var regions: [String]
    public var lastBatch: Int64?
    public var lastRegion: String?
    public var draws: Int
    public var prizesWon: Int
    public var points: Int
    public var ratings: Int
    public var ratingSum: Int
    public var minRating: Int?
    public var consentAt: Date?
    /// Counted scans per UTC day number (days since 1970-01-01), for the last `SegmentRule.maxDays` days.
    public var days: [Int: Int]

    public init(consumer: String, firstScanAt: Date, lastScanAt: Date, scans: Int, products: [Int64], batches: [Int64], regions: [String],
                lastBatch: Int64?, lastRegion: String?, draws: Int, prizesWon: Int, points: Int, ratings: Int, ratingSum: Int,
                minRating: Int?, consentAt: Date?, days: [Int: Int]) {
        self.consumer = consumer
        self.firstScanAt = firstScanAt
        self.lastScanAt = lastScanAt
        self.scans = scans
        self.products = products
        self.batches = batches
        self.regions = regions
        self.lastBatch = lastBatch
        self.lastRegion = lastRegion
        self.draws = draws
        self.prizesWon = prizesWon
        self.points = points
        self.ratings = ratings
        self.ratingSum = ratingSum
        self.minRating = minRating
        self.consentAt = consentAt
        self.days = days
    }

    public var averageRating: Double? { ratings > 0 ? Double(ratingSum) / Double(ratings) : nil }
}

/// The lead score, 0 to 100, and the reasons behind it.
///
///     score = 30·R + 25·F + 15·V + 20·E + 10·S
///     R (recency)    = exp(−whole UTC days since the last scan's day / 30)
///     F (frequency)  = min(counted scans, 20) / 20
///     V (product value: breadth) = min(distinct products scanned, 5) / 5
///     E (campaign engagement)    = min(prizes won, 3) / 3
///     S (feedback)   = (average rating − 1) / 4, or 0.5 without ratings
public enum LeadScore {
    public static func consumer(_ profile: ConsumerProfile, segments: [String], now: Date) -> (score: Double, reasons: [String]) {
        // Whole UTC days: the score changes once a day, when every lead is scored again, so it never
        // depends on when between two refreshes it was computed.
        let idleDays = Double(max(0, day(of: now) - day(of: profile.lastScanAt)))
        let recency = exp(-idleDays / 30)
        let frequency = Double(min(profile.scans, 20)) / 20
        let breadth = Double(min(profile.products.count, 5)) / 5
        let engagement = Double(min(profile.prizesWon, 3)) / 3
        let feedback = profile.averageRating.map { ($0 - 1) / 4 } ?? 0.5
        let score = 30 * recency + 25 * frequency + 15 * breadth + 20 * engagement + 10 * feedback
        var reasons = ["\(profile.scans) scans of \(profile.products.count) product\(profile.products.count == 1 ? "" : "s")",
                       "last scan \(Int(idleDays)) day\(Int(idleDays) == 1 ? "" : "s") ago"]
        if profile.draws > 0 { reasons.append("\(profile.draws) campaign draw\(profile.draws == 1 ? "" : "s"), \(profile.prizesWon) won") }
        if let average = profile.averageRating {
            reasons.append(String(format: "average rating %.1f of %d", average, profile.ratings))
        }
        if !segments.isEmpty { reasons.append("segments: " + segments.joined(separator: ", ")) }
        return ((score * 10).rounded() / 10, reasons)
    }

    /// The UTC day number of a time: what a lead's recency counts.
    public static func day(of date: Date) -> Int { ProfileBuilder.day(date.timeIntervalSince1970) }

    /// A dealer: 70·min(units sold through, 5000)/5000 + 20·min(shipments, 20)/20 + 10·min(deliveries to stores, 20)/20.
    /// Diversions do not lower the score (sales call about them too); they are the last reason, when any.
    public static func dealer(shipments: Int, codes: Int, unitsSold: Int, deliveries: Int, diversions: Int, regions: Int) -> (score: Double, reasons: [String]) {
        let score = 70 * Double(min(unitsSold, 5000)) / 5000 + 20 * Double(min(shipments, 20)) / 20 + 10 * Double(min(deliveries, 20)) / 20
        func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        var reasons = ["\(plural(shipments, "shipment")) received (\(plural(codes, "code"))), \(plural(unitsSold, "unit")) of them sold through "
                       + "(scanned by consumers)"]
        if deliveries > 0 { reasons.append(deliveries == 1 ? "1 delivery to a store" : "\(deliveries) deliveries to stores") }
        if diversions > 0 { reasons.append("\(plural(diversions, "unit")) of its goods scanned outside its territory, in \(plural(regions, "region"))") }
        return ((score * 10).rounded() / 10, reasons)
    }

    /// A store: 60·min(redemptions, 50)/50 + 40·min(consumers reached, 50)/50.
    /// - Parameters: `receipts`, `unitsSold`: the channel's facts (cases received, units of them consumers scanned);
    ///   they add up to 30 points on top, the score staying at most 100.
    public static func store(redemptions: Int, consumers: Int, receipts: Int = 0, unitsSold: Int = 0) -> (score: Double, reasons: [String]) {
        var score = 60 * Double(min(redemptions, 50)) / 50 + 40 * Double(min(consumers, 50)) / 50
        score = min(100, score + 10 * Double(min(receipts, 50)) / 50 + 20 * Double(min(unitsSold, 500)) / 500)
        var reasons: [String] = []
        if redemptions > 0 || receipts == 0 {
            reasons.append("\(redemptions) prize redemption\(redemptions == 1 ? "" : "s") for \(consumers) consumer\(consumers == 1 ? "" : "s")")
        }
        if receipts > 0 {
            reasons.append("\(receipts) case\(receipts == 1 ? "" : "s") received, \(unitsSold) unit\(unitsSold == 1 ? "" : "s") of them scanned by consumers")
        }
        return ((score * 10).rounded() / 10, reasons)
    }
}

/// Tells JSON `true`/`false` from numbers in `JSONSerialization` output: on Linux booleans arrive as
/// `__NSCFBoolean` (an `NSNumber` of type "c"), and `as? Bool` also accepts the numbers 0 and 1.
public enum JSONBool {
    public static func value(_ value: Any?) -> Bool? {
        guard let value else { return nil }
        if type(of: value) == Bool.self { return value as? Bool }
        if let number = value as? NSNumber, String(cString: number.objCType) == "c" { return number.boolValue }
        return nil
    }
}

extension SegmentRule {
    /// Whether `profile` is a member at `now`: the same meaning as the SQL the store evaluates a whole
    /// segment with (a test checks incremental refreshes, which use this, against full rebuilds, which use SQL).
    public func matches(_ profile: ConsumerProfile, now: Date) -> Bool {
        switch self {
        case let .all(rules): return rules.allSatisfy { $0.matches(profile, now: now) }
        case let .any(rules): return rules.contains { $0.matches(profile, now: now) }
        case let .region(codes):
            return codes.contains { code in profile.regions.contains { RegionCode.covers(code, $0) } }
        case let .product(ids): return ids.contains { profile.products.contains($0.rawValue) }
        case let .scans(atLeast, days):
            let from = Int((now.timeIntervalSince1970 / 86_400).rounded(.down)) - days + 1
            return profile.days.reduce(0) { $0 + ($1.key >= from ? $1.value : 0) } >= atLeast
        case let .lapsed(days): return profile.lastScanAt.timeIntervalSince1970 < now.timeIntervalSince1970 - Double(days) * 86_400
        case let .wonPrize(flag): return (profile.prizesWon > 0) == flag
        case let .consent(flag): return (profile.consentAt != nil) == flag
        case let .ratingAtMost(limit): return profile.minRating.map { $0 <= limit } ?? false
        }
    }
}

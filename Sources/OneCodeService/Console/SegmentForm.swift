import Foundation
import OneCodeDomain

/// The segment form's rule builder, read into a `SegmentRule` as the CLI's and the API's JSON is read
/// (`SegmentRule.parse` checks every part, its errors put beside the part's fields), and a rule shown
/// back in it. A rule the builder cannot show (nested `all`/`any`, one kind of condition twice) is edited
/// as JSON, which the form always shows.
///
/// Fields: `mode` (`builder` or `json`), `combine` (`all` or `any`), `regions` ("CN-31, CN-44"),
/// `product_<id>` (`yes`), `scansAtLeast` with `scansDays`, `lapsedDays`, `wonPrize` and `consent`
/// (`yes`, `no` or empty), `ratingAtMost` (1-5 or empty), and `rules` (the JSON).
enum SegmentForm {
    /// The builder's parts, in the form's order: the field an error is shown beside, and the rule's key.
    static let parts = ["regions", "products", "scans", "lapsed", "wonPrize", "consent", "rating"]

    /// The rule the form describes. - Throws: `InputError` whose field is the form's (`scans`, `rules`, …).
    static func rule(_ fields: [String: String]) throws -> SegmentRule {
        func text(_ name: String) -> String { (fields[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        if fields["mode"] == "json" {
            do {
                return try SegmentRule.parse(Data(text("rules").utf8))
            } catch let error as InputError {
                throw InputError("rules", error.description)
            }
        }
        /// A number as typed: JSON's number when it is one, else the text, for the rule's own check to name.
        func number(_ name: String) -> Any { let typed = text(name); return Int(typed).map { $0 as Any } ?? typed }
        var conditions: [(field: String, json: [String: Any])] = []
        let regions = text("regions").split(whereSeparator: { ", ;".contains($0) }).map(String.init)
        if !regions.isEmpty { conditions.append(("regions", ["region": regions])) }
        let products = fields.keys.filter { $0.hasPrefix("product_") && fields[$0] == "yes" }.compactMap { Int64($0.dropFirst(8)) }.sorted()
        if !products.isEmpty { conditions.append(("products", ["product": products])) }
        if !text("scansAtLeast").isEmpty || !text("scansDays").isEmpty {
            conditions.append(("scans", ["scans": ["atLeast": number("scansAtLeast"), "days": number("scansDays")]]))
        }
        if !text("lapsedDays").isEmpty { conditions.append(("lapsed", ["lapsed": ["days": number("lapsedDays")]])) }
        for flag in ["wonPrize", "consent"] {
            switch text(flag) {
            case "": break
            case "yes", "no": conditions.append((flag, [flag: text(flag) == "yes"]))
            default: throw InputError(flag, "must be yes, no or empty")
            }
        }
        if !text("ratingAtMost").isEmpty { conditions.append(("rating", ["rating": ["atMost": number("ratingAtMost")]])) }
        guard !conditions.isEmpty else { throw InputError("rules", "choose at least one condition, or write the rule as JSON") }
        var rules: [SegmentRule] = []
        for (field, json) in conditions {
            do {
                rules.append(try SegmentRule.parse(json, path: field))
            } catch let error as InputError {
                throw InputError(field, error.message)
            }
        }
        if rules.count == 1 { return rules[0] }
        switch text("combine") {
        case "any": return .any(rules)
        case "all", "": return .all(rules)
        default: throw InputError("combine", "must be all or any")
        }
    }

    /// The form's fields for `rule`: the builder's when it can show it (`mode` builder), the JSON always.
    static func values(_ rule: SegmentRule) -> [String: String] {
        var values = ["rules": pretty(rule), "mode": "json", "combine": "all"]
        let leaves: [SegmentRule]
        switch rule {
        case let .all(rules): leaves = rules
        case let .any(rules):
            leaves = rules
            values["combine"] = "any"
        default: leaves = [rule]
        }
        var seen: Set<String> = []
        for leaf in leaves {
            let field: String
            switch leaf {
            case let .region(codes):
                field = "regions"
                values["regions"] = codes.joined(separator: ", ")
            case let .product(ids):
                field = "products"
                for id in ids { values["product_\(id.rawValue)"] = "yes" }
            case let .scans(atLeast, days):
                field = "scans"
                (values["scansAtLeast"], values["scansDays"]) = ("\(atLeast)", "\(days)")
            case let .lapsed(days):
                field = "lapsed"
                values["lapsedDays"] = "\(days)"
            case let .wonPrize(flag):
                field = "wonPrize"
                values["wonPrize"] = flag ? "yes" : "no"
            case let .consent(flag):
                field = "consent"
                values["consent"] = flag ? "yes" : "no"
            case let .ratingAtMost(limit):
                field = "rating"
                values["ratingAtMost"] = "\(limit)"
            case .all, .any:
                return ["rules": pretty(rule), "mode": "json", "combine": "all"]
            }
            // One kind twice ("in CN-31 and in CN-44" as two conditions) is not the builder's one field.
            guard seen.insert(field).inserted else { return ["rules": pretty(rule), "mode": "json", "combine": "all"] }
        }
        values["mode"] = "builder"
        return values
    }

    /// The rule as indented JSON, keys sorted: what a person reads and edits.
    static func pretty(_ rule: SegmentRule) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: rule.json, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data(),
               as: UTF8.self)
    }
}

import Foundation
import OneCodeDomain

/// The console's campaign form, both ways: its fields into the JSON document `CampaignDefinition.parse`
/// reads (the one reading the CLI and the API use, so every rule and message is theirs), and a definition
/// into the form's values. An error's JSON path (`tiers[1].probability`) names the form's field.
struct CampaignForm {
    static let rows = 4

    /// The document the fields describe: numbers where they read as numbers (anything else is passed on as
    /// typed, for the parser to name), empty fields left out.
    static func document(_ fields: [String: String], newCampaign: Bool, status: CampaignStatus?) -> Data {
        func text(_ name: String) -> String? {
            fields[name].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        func number(_ name: String) -> Any? {
            guard let value = text(name) else { return nil }
            if let integer = Int(value) { return integer }
            if let real = Double(value) { return real }
            return value
        }
        func local(_ name: String) -> Any? {
            // A browser's datetime-local has no seconds.
            text(name).map { $0.count == 16 ? $0 + ":00" : $0 }
        }
        var root: [String: Any] = [:]
        root["name"] = text("name")
        root["start"] = local("start")
        root["end"] = local("end")
        root["timeZone"] = text("timeZone")
        root["status"] = newCampaign ? (text("status") ?? "draft") : status?.rawValue
        if fields["requirePin"] == "yes" { root["requirePin"] = true }
        var tiers: [[String: Any]] = []
        for row in 0..<rows {
            var tier: [String: Any] = [:]
            tier["name"] = text("tier\(row)_name")
            for key in ["value", "probability", "stock", "dailyStock"] { tier[key] = number("tier\(row)_\(key)") }
            // A row with nothing but its kind (the select always sends one) is an empty row.
            guard !tier.isEmpty else { continue }
            tier["kind"] = text("tier\(row)_kind")
            tiers.append(tier)
        }
        root["tiers"] = tiers
        var scope: [String: Any] = [:]
        let products = fields.keys.filter { $0.hasPrefix("product_") && fields[$0] == "yes" }.compactMap { Int($0.dropFirst(8)) }.sorted()
        let batches = fields.keys.filter { $0.hasPrefix("batch_") && fields[$0] == "yes" }.compactMap { Int($0.dropFirst(6)) }.sorted()
        let regions = (text("regions") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if !products.isEmpty { scope["products"] = products }
        if !batches.isEmpty { scope["batches"] = batches }
        if !regions.isEmpty { scope["regions"] = regions }
        if !scope.isEmpty { root["scope"] = scope }
        var limits: [String: Any] = [:]
        for key in CampaignDefinition.limitKeys { limits[key] = number(key) }
        if !limits.isEmpty { root["limits"] = limits }
        return (try? JSONSerialization.data(withJSONObject: root)) ?? Data("{}".utf8)
    }

    /// Where the form shows an error at `path`: `tiers[1].probability` beside row 1, `scope.products[0]` under the
    /// scope, `limits.winsPerPhone` beside its field, a whole-document error at the top.
    static func field(of path: String) -> String {
        if path.hasPrefix("tiers["), let close = path.firstIndex(of: "]"), let row = Int(path[path.index(path.startIndex, offsetBy: 6)..<close]) {
            return "tier\(row)"
        }
        if path.hasPrefix("scope") { return "scope" }
        if path.hasPrefix("limits.") { return String(path.dropFirst(7)) }
        if ["name", "start", "end", "timeZone", "status", "tiers"].contains(path) { return path }
        return "form"
    }

    /// Times written in the campaign's own time zone.
    static func localTime(_ definition: CampaignDefinition, _ pattern: String) -> DateFormatter {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: definition.timeZone) ?? TimeZone(identifier: "UTC")
        format.dateFormat = pattern
        return format
    }

    /// The form's values for a definition (times as the browser's datetime-local, in its time zone).
    static func values(_ definition: CampaignDefinition) -> [String: String] {
        var values: [String: String] = ["name": definition.name, "timeZone": definition.timeZone]
        let format = localTime(definition, "yyyy-MM-dd'T'HH:mm")
        values["start"] = format.string(from: definition.start)
        values["end"] = format.string(from: definition.end)
        for (row, tier) in definition.tiers.enumerated() {
            values["tier\(row)_name"] = tier.name
            values["tier\(row)_kind"] = tier.kind.rawValue
            values["tier\(row)_value"] = String(tier.value)
            values["tier\(row)_probability"] = String(tier.probability)
            values["tier\(row)_stock"] = String(tier.stock)
            values["tier\(row)_dailyStock"] = tier.dailyStock.map(String.init)
        }
        for product in definition.scope.products ?? [] { values["product_\(product.rawValue)"] = "yes" }
        for batch in definition.scope.batches ?? [] { values["batch_\(batch.rawValue)"] = "yes" }
        values["regions"] = (definition.scope.regions ?? []).joined(separator: ", ")
        values["winsPerConsumer"] = definition.limits.winsPerConsumer.map(String.init)
        values["drawsPerConsumerPerDay"] = definition.limits.drawsPerConsumerPerDay.map(String.init)
        values["winsPerPhone"] = definition.limits.winsPerPhone.map(String.init)
        if definition.requirePin == true { values["requirePin"] = "yes" }
        return values
    }
}

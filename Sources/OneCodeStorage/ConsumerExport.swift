import Foundation

/// A consumer's export as both backends give it: the rows each reads, shaped the API's one way —
/// camelCase keys, ISO 8601 UTC times, and the profile's stored encodings read out (`",3,17,"` is
/// `[3, 17]`, `"20415:3"` is `{"2025-11-23": 3}`, a lead's reasons and source are JSON).
public enum ConsumerExport {
    /// The queries of an export, each with one parameter (the consumer) spelled `mark` (`?` or `$1`).
    public static func queries(_ mark: String) -> [(name: String, sql: String)] {
        [
            ("contact", "SELECT name, phone, consent_version, consent_text, consented_at, marketing_consent_version, marketing_consent_text, marketing_consented_at FROM consumer_contact WHERE consumer = \(mark)"),
            ("scans", "SELECT id, at, code, batch_id, ip, user_agent, region, latitude, longitude, verdict FROM scan WHERE consumer = \(mark) ORDER BY id"),
            ("entries", "SELECT id, campaign_id, code, at, result, tier, points FROM entry WHERE consumer = \(mark) ORDER BY id"),
            ("claims", "SELECT entry_id, name, phone, consent_version, marketing_consent_version, at, redemption_code FROM claim WHERE consumer = \(mark)"),
            ("feedback", "SELECT at, code, rating, comment FROM feedback WHERE consumer = \(mark) ORDER BY id"),
            ("reports", "SELECT id, at, code, verdict, region, where_bought, comment, phone, contact_consent_at FROM fake_report WHERE consumer = \(mark) ORDER BY id"),
            ("profile", "SELECT consumer, first_at, last_at, scans, products, batches, regions, last_batch, last_region, draws, prizes_won, points, ratings, rating_sum, min_rating, consent_at, days, version, last_region_at FROM consumer_profile WHERE consumer = \(mark)"),
            ("segments", "SELECT s.name FROM segment_member m JOIN segment s ON s.id = m.segment_id WHERE m.consumer = \(mark) ORDER BY s.name"),
            ("lead", "SELECT score, reasons, source, created_at, updated_at FROM lead WHERE kind = 'consumer' AND ref = \(mark)"),
        ]
    }

    /// The export from each query's rows (column name to value), or nil when nothing is stored about
    /// the consumer.
    public static func document(_ consumer: String, rows: [String: [[String: Any]]]) throws -> Data? {
        var document: [String: Any] = ["consumer": consumer]
        for (name, found) in rows { document[name] = found }
        for single in ["contact", "profile", "lead"] { document[single] = rows[single]?.first }
        document["segments"] = (rows["segments"] ?? []).compactMap { $0["name"] as? String }
        let empty = ["scans", "entries", "claims", "feedback", "reports"].allSatisfy { rows[$0]?.isEmpty ?? true }
            && document["contact"] == nil && document["profile"] == nil
        return empty ? nil : try data(document)
    }

    /// The finished document (pretty, sorted keys) from the raw one.
    public static func data(_ raw: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: shaped(raw, key: ""), options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }

    static func shaped(_ value: Any, key: String) -> Any {
        switch value {
        case let object as [String: Any]:
            var result: [String: Any] = [:]
            for (name, inner) in object where name != "version" || key != "profile" {
                let camel = Self.camel(name)
                result[camel] = shaped(field(name, inner), key: camel)
            }
            return result
        case let array as [Any]:
            return array.map { shaped($0, key: key) }
        default:
            return value
        }
    }

    /// One field's value read out of its stored form.
    static func field(_ name: String, _ value: Any) -> Any {
        if name == "at" || name.hasSuffix("_at") {
            if let seconds = (value as? NSNumber)?.doubleValue { return iso(seconds) }
            // PostgreSQL's timestamptz reads as "2026-12-01T18:34:16.012008+00:00".
            if let text = value as? String, let date = parsed(text) { return iso(date.timeIntervalSince1970) }
        }
        guard let text = value as? String else { return value }
        switch name {
        case "products", "batches": return ProfileText.integers(text)
        case "regions": return Dictionary(ProfileText.regions(text).map { ($0.name, $0.scans) }) { $1 }
        case "days":
            return Dictionary(ProfileText.days(text).map { (day, scans) in (String(iso(Double(day) * 86_400).prefix(10)), scans) }) { $1 }
        case "reasons", "source":
            return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) ?? text
        default: return text
        }
    }

    /// `consent_version` → `consentVersion`, `batch_id` → `batchId`.
    static func camel(_ name: String) -> String {
        let parts = name.split(separator: "_")
        guard parts.count > 1 else { return name }
        return String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    static func parsed(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    static func iso(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: seconds.rounded(.down)))
    }
}

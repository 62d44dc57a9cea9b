/// RFC 4180 CSV: fields with a comma, quote, CR or LF are quoted, quotes doubled; rows end in CRLF.
public enum CSV {
    public static func field(_ text: String) -> String {
        var text = text
        // A cell a spreadsheet would read as a formula is kept as text.
        if let first = text.unicodeScalars.first, first == "=" || first == "@" { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func row(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\r\n" }
}

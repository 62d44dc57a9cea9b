/// RFC 4180 CSV: fields with a comma, quote, CR or LF are quoted, quotes doubled; rows end in CRLF.
/// A field with a semicolon is quoted too: a spreadsheet in a locale whose list separator is `;` would
/// otherwise split `x;=1+1` into two cells and run the second.
///
/// A cell a spreadsheet would run as a formula (OWASP's CSV injection: one starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) is written with a leading `'`, which spreadsheets read as "text":
/// `+HYPERLINK(…)` in a name is shown, not run, and a phone number `+86138…` stays text, not a number.
public enum CSV {
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    public static func field(_ text: String) -> String {
        var text = text
        if let first = text.unicodeScalars.first, formulaStarts.contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func row(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\r\n" }
}

/// RFC 4180 CSV: fields with a comma, quote, CR or LF are quoted, quotes doubled; rows end in CRLF.
/// A field with a semicolon is quoted too: a spreadsheet in a locale whose list separator is `;` would
/// otherwise split `x;=1+1` into two cells and run the second.
///
/// A cell a spreadsheet would run as a formula (OWASP's CSV injection: one starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) is written with a leading `'`, which spreadsheets read as "text":
/// `+HYPERLINK(…)` in a name is shown, not run. A phone number is the exception (`phone`): validated as
/// `+` and digits, it holds no formula, and a CRM importing the column needs it as it is.
public enum CSV {
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    public static func field(_ text: String) -> String {
        var text = text
        if let first = text.unicodeScalars.first, formulaStarts.contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func row(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\r\n" }

    /// A phone number's cell: as it is when it is `+` and 4 to 20 digits (E.164, as claims store it: no
    /// formula can hide in digits), else guarded as any cell.
    public static func phone(_ text: String) -> String {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard (4...20).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return field(text) }
        return text
    }

    /// A row whose cells are already written (`field`, `phone`).
    public static func written(_ cells: [String]) -> String { cells.joined(separator: ",") + "\r\n" }
}

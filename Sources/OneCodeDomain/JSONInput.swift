import Foundation

/// JSON that people write (a campaign file, segment rules, the config file, API bodies): read once, with
/// mistakes said the way a person can fix them — a syntax error by line and column, an unknown key by
/// its path with the known key it most likely meant.
public enum JSONInput {
    /// Parses `data` as JSON. - Throws: `InputError(field, "must be <expected>: <the problem>")`, the
    /// problem a syntax error's line and column (`invalid JSON around line 3, column 12`) or an early end.
    public static func parse(_ data: Data, field: String, expected: String) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw InputError(field, "must be \(expected): \(problem(error, in: data))")
        }
    }

    /// What is wrong with JSON that Foundation refused, said so a person can find it.
    public static func problem(_ error: any Error, in data: Data) -> String {
        if data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return "got nothing" }
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
        // Foundation says "… around character N." (a byte offset from 0), or "Unexpected end of file …".
        if let offset = text.split(separator: "character ").last.flatMap({ Int($0.prefix { $0.isNumber }) }) {
            let (line, column) = position(of: offset, in: data)
            return "invalid JSON around line \(line), column \(column)"
        }
        if text.lowercased().contains("end of file") { return "invalid JSON: it ends before its last value is closed" }
        return "invalid JSON"
    }

    /// Parses `data` as a JSON object; see `parse`.
    public static func object(_ data: Data, field: String, expected: String) throws -> [String: Any] {
        guard let object = try parse(data, field: field, expected: expected) as? [String: Any] else {
            throw InputError(field, "must be \(expected)")
        }
        return object
    }

    /// The 1-based line and column (in characters) of a byte offset.
    static func position(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        let prefix = data.prefix(max(0, min(offset, data.count)))
        let line = prefix.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let lastLine = prefix.lastIndex(of: UInt8(ascii: "\n")).map { prefix[prefix.index(after: $0)...] } ?? prefix[...]
        return (line, String(decoding: lastLine, as: UTF8.self).count + 1)
    }

    /// Refuses keys of `object` that are not in `known`: `InputError("path.key", "is not a known key (did
    /// you mean …?); known here: …")`. `elsewhere` are paths of keys that belong at other places of the
    /// same document (`limits.drawsPerConsumerPerDay`), so a key written at the wrong level is pointed there.
    public static func checkKeys(_ object: [String: Any], known: [String], path: String, elsewhere: [String] = []) throws {
        for key in object.keys.sorted() where !known.contains(key) {
            let at = path.isEmpty ? key : path + "." + key
            let here = suggestion(for: key, among: known)
            let there = here == nil ? suggestion(for: key, among: elsewhere.map { String($0.split(separator: ".").last ?? "") })
                .flatMap { name in elsewhere.first { $0.hasSuffix("." + name) || $0 == name } } : nil
            let hint = (here ?? there).map { " (did you mean \($0)?)" } ?? ""
            throw InputError(at, "is not a known key\(hint); known here: \(known.joined(separator: ", "))")
        }
    }

    /// The name among `names` that `name` most likely meant: a small edit away (a typo), or one it
    /// abbreviates (`daily` for `dailyStock`, `drawsPerDay` for `drawsPerConsumerPerDay`); nil when none is close.
    public static func suggestion(for name: String, among names: [String]) -> String? {
        let lower = name.lowercased()
        let scored = names.map { ($0, distance($0.lowercased(), lower)) }.min { $0.1 < $1.1 }
        if let (best, score) = scored, score <= max(2, name.count / 4) { return best }
        guard lower.count >= 3 else { return nil }
        return names.filter { isAbbreviation(lower, of: $0.lowercased()) }.min { $0.count < $1.count }
    }

    /// Whether every character of `short` appears in `long` in order, starting with its first.
    static func isAbbreviation(_ short: String, of long: String) -> Bool {
        guard short.first == long.first, short.count < long.count else { return false }
        var rest = long[...]
        for character in short {
            guard let found = rest.firstIndex(of: character) else { return false }
            rest = rest[rest.index(after: found)...]
        }
        return true
    }

    /// Levenshtein distance.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}

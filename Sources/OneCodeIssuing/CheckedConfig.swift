import Configuration
import OneCodeDomain

/// Numbers and switches read so that a value of the wrong type is an error naming its key, never the
/// default in silence (`ONECODE_HTTP_PORT=abc` or `"port": "18082"` in the file used to serve on 8080).
extension ConfigReader {
    /// - Parameter name: the key as the error names it (the full key when the reader is scoped below `onecode`).
    public func checkedInt(_ key: String, default value: Int, name: String? = nil) throws -> Int {
        if let number = int(forKey: ConfigKey(key)) { return number }
        try refuseWrongType(key, name: name, expected: "a whole number")
        return value
    }

    public func checkedDouble(_ key: String, default value: Double, name: String? = nil) throws -> Double {
        if let number = double(forKey: ConfigKey(key)) { return number }
        if let number = int(forKey: ConfigKey(key)) { return Double(number) }
        try refuseWrongType(key, name: name, expected: "a number")
        return value
    }

    public func checkedBool(_ key: String, default value: Bool, name: String? = nil) throws -> Bool {
        if let flag = bool(forKey: ConfigKey(key)) { return flag }
        try refuseWrongType(key, name: name, expected: "true or false")
        return value
    }

    /// Throws when the key holds something (readable as text) that is not of the type asked for.
    private func refuseWrongType(_ key: String, name: String?, expected: String) throws {
        if let text = string(forKey: ConfigKey(key)) {
            throw InputError(name ?? key, "must be \(expected) (got '\(text)')")
        }
    }
}

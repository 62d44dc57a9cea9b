import Configuration
import Foundation
import OneCodeDomain

/// Settings of the issuer, read from configuration.
///
/// Keys, under `onecode.` (environment: `ONECODE_…`, e.g. `ONECODE_CODES_BASE_URL`):
/// - `mode`: `demo` (default) generates and keeps a secret when none is configured; `production` refuses to issue without one.
/// - `database.path`: the SQLite file (default `data/onecode.sqlite`); its folder holds the data (secret, packages).
/// - `database.url`: `postgres://user@host:port/database[?sslmode=disable|prefer|require]` selects PostgreSQL
///   instead (`--database` takes either); the password from `database.passwordFile` or `database.password`
///   (a secret), else from the URL.
/// - `database.connections`: PostgreSQL connections per process (default 16).
/// - `database.writers`: on PostgreSQL, scan groups one node writes at once (default 1; more pays when the
///   database is across a network or on more cores than the node; SQLite always writes one).
/// - `codes.baseURL`: public base URL printed in codes (default `http://127.0.0.1:8080`).
/// - `codes.length`: code length, 17 to 20 (default 17).
/// - `codes.secret`: the server secret (at least 16 bytes), read as a secret.
/// - `codes.secretFile`: a file holding the secret (default `secret` beside the database).
/// - `batch.maxCount`: the most codes one batch may have (default 10,000,000).
public struct IssuerConfig: Sendable {
    public enum Mode: String, Sendable { case demo, production }

    public var mode: Mode
    public var databasePath: String
    /// A PostgreSQL URL when the database is PostgreSQL.
    public var databaseURL: String?
    public var databasePassword: String?
    public var databaseConnections: Int
    public var databaseWriters: Int
    public var baseURL: String
    public var codeLength: Int
    public var secret: String?
    public var secretFile: String
    public var maxBatchCount: Int

    /// - Throws: `InputError` naming the key whose value is invalid.
    public init(reader: ConfigReader) throws {
        let config = reader.scoped(to: "onecode")
        let modeText = config.string(forKey: "mode", default: "demo")
        guard let mode = Mode(rawValue: modeText) else {
            throw InputError("mode", "must be demo or production (got '\(modeText)')")
        }
        self.mode = mode
        databasePath = config.string(forKey: "database.path", default: "data/onecode.sqlite")
        guard !databasePath.isEmpty else { throw InputError("database", "must not be empty") }
        databaseURL = config.string(forKey: "database.url").flatMap { $0.isEmpty ? nil : $0 }
        if let file = config.string(forKey: "database.passwordFile"), !file.isEmpty {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw InputError("database.passwordFile", "cannot read \(file)")
            }
            databasePassword = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            databasePassword = config.string(forKey: "database.password", isSecret: true)
        }
        databaseConnections = try config.checkedInt("database.connections", default: 16)
        guard (1...1000).contains(databaseConnections) else {
            throw InputError("database.connections", "must be from 1 to 1000 (got \(databaseConnections))")
        }
        databaseWriters = try config.checkedInt("database.writers", default: 1)
        guard (1...64).contains(databaseWriters), databaseWriters < databaseConnections else {
            throw InputError("database.writers", "must be from 1 to 64 and below database.connections (got \(databaseWriters))")
        }
        baseURL = config.string(forKey: "codes.baseURL", default: "http://127.0.0.1:8080")
        try CodeURLBuilder.validateBase(baseURL)
        codeLength = try config.checkedInt("codes.length", default: CodeSigner.defaultLength)
        guard CodeSigner.lengths.contains(codeLength) else {
            throw InputError("codes.length", "must be from \(CodeSigner.lengths.lowerBound) to \(CodeSigner.lengths.upperBound) (got \(codeLength))")
        }
        secret = config.string(forKey: "codes.secret", isSecret: true)
        let directory = (databasePath as NSString).deletingLastPathComponent
        secretFile = config.string(
            forKey: "codes.secretFile", default: directory.isEmpty ? "secret" : directory + "/secret")
        maxBatchCount = try config.checkedInt("batch.maxCount", default: 10_000_000)
        guard maxBatchCount >= 1 else { throw InputError("batch.maxCount", "must be at least 1 (got \(maxBatchCount))") }
    }

    /// The signer for this configuration's secret.
    ///
    /// In demo mode a missing secret is generated (32 bytes from the CSPRNG) and kept in `secretFile`
    /// with mode 0600; `notice` is told so. In production mode a missing secret is an error.
    /// Whether a secret is configured (`codes.secret`, or a `codes.secretFile` that exists): demo mode
    /// generates one only when not.
    public var hasSecret: Bool { !(secret ?? "").isEmpty || FileManager.default.fileExists(atPath: secretFile) }

    public func signer(notice: (String) -> Void = { _ in }) throws -> CodeSigner {
        try CodeSigner(secret: secretBytes(notice: notice), length: codeLength)
    }

    func secretBytes(notice: (String) -> Void) throws -> [UInt8] {
        if let secret, !secret.isEmpty { return try checked(Array(secret.utf8), key: "codes.secret") }
        if let data = FileManager.default.contents(atPath: secretFile) {
            if mode == .production, let attributes = try? FileManager.default.attributesOfItem(atPath: secretFile),
               let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue, permissions & 0o077 != 0 {
                throw InputError("codes.secretFile", "\(secretFile) can be read by other users (mode \(String(permissions, radix: 8))); run `chmod 600 \(secretFile)`")
            }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return try checked(Array(text.utf8), key: "codes.secretFile")
        }
        guard mode == .demo else {
            throw InputError("codes.secret", "production mode needs a secret: set ONECODE_CODES_SECRET (at least 16 bytes) or put one in \(secretFile)")
        }
        let text = Self.generateSecret()
        let directory = (secretFile as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try Self.writePrivate(secretFile, Array((text + "\n").utf8), key: "codes.secretFile")
        notice("demo mode: generated a code secret and stored it in \(secretFile) (set ONECODE_CODES_SECRET in production)")
        return Array(text.utf8)
    }

    /// In production a secret must not be guessable by its shape (all one character, a short pattern):
    /// its length times the Shannon entropy of its characters must reach 56 bits. `secret generate`'s
    /// 64 hex digits give about 250.
    func checked(_ secret: [UInt8], key: String) throws -> [UInt8] {
        let bits = Self.entropyBits(secret)
        if mode == .production && bits < 56 {
            throw InputError(key, "has too little entropy (about \(Int(bits)) bits; at least 56 needed); make one with `onecode secret generate`")
        }
        return secret
    }

    static func entropyBits(_ bytes: [UInt8]) -> Double {
        guard !bytes.isEmpty else { return 0 }
        var counts = [Int](repeating: 0, count: 256)
        for byte in bytes { counts[Int(byte)] += 1 }
        let total = Double(bytes.count)
        let perSymbol = counts.reduce(0.0) { sum, count in
            count == 0 ? sum : sum - Double(count) / total * log2(Double(count) / total)
        }
        return perSymbol * total
    }

    /// 32 bytes from the CSPRNG, as 64 hex digits.
    public static func generateSecret() -> String { RandomBytes.fill(count: 32).hex }

    /// Writes a new file that only its owner can read, from the start (no window at 0644).
    /// - Throws: `InputError(key, …)` when it exists or cannot be written.
    public static func writePrivate(_ path: String, _ bytes: [UInt8], key: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw InputError(key, "cannot create \(path) (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        do { try bytes.withUnsafeBytes { try PackageWriter.writeAll(fd, $0, path: path) } } catch {
            throw InputError(key, "cannot write \(path) (\(error))")
        }
        guard fsync(fd) == 0 else { throw InputError(key, "cannot write \(path) (\(String(cString: strerror(errno))))") }
    }
}

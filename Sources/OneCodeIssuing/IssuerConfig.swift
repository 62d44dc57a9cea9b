import Configuration
import Foundation
import OneCodeDomain

/// Settings of the issuer, read from configuration.
///
/// Keys, under `onecode.` (environment: `ONECODE_…`, e.g. `ONECODE_CODES_BASE_URL`):
/// - `mode`: `demo` (default) generates and keeps a secret when none is configured; `production` refuses to issue without one.
/// - `database.path`: the SQLite file (default `data/onecode.sqlite`).
/// - `codes.baseURL`: public base URL printed in codes (default `http://127.0.0.1:8080`).
/// - `codes.length`: code length, 17 to 20 (default 17).
/// - `codes.secret`: the server secret (at least 16 bytes), read as a secret.
/// - `codes.secretFile`: a file holding the secret (default `secret` beside the database).
/// - `batch.maxCount`: the most codes one batch may have (default 10,000,000).
public struct IssuerConfig: Sendable {
    public enum Mode: String, Sendable { case demo, production }

    public var mode: Mode
    public var databasePath: String
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
        baseURL = config.string(forKey: "codes.baseURL", default: "http://127.0.0.1:8080")
        try CodeURLBuilder.validateBase(baseURL)
        codeLength = config.int(forKey: "codes.length", default: CodeSigner.defaultLength)
        guard CodeSigner.lengths.contains(codeLength) else {
            throw InputError("codes.length", "must be from \(CodeSigner.lengths.lowerBound) to \(CodeSigner.lengths.upperBound) (got \(codeLength))")
        }
        secret = config.string(forKey: "codes.secret", isSecret: true)
        let directory = (databasePath as NSString).deletingLastPathComponent
        secretFile = config.string(
            forKey: "codes.secretFile", default: directory.isEmpty ? "secret" : directory + "/secret")
        maxBatchCount = config.int(forKey: "batch.maxCount", default: 10_000_000)
        guard maxBatchCount >= 1 else { throw InputError("batch.maxCount", "must be at least 1 (got \(maxBatchCount))") }
    }

    /// The signer for this configuration's secret.
    ///
    /// In demo mode a missing secret is generated (32 bytes from the CSPRNG) and kept in `secretFile`
    /// with mode 0600; `notice` is told so. In production mode a missing secret is an error.
    public func signer(notice: (String) -> Void = { _ in }) throws -> CodeSigner {
        try CodeSigner(secret: secretBytes(notice: notice), length: codeLength)
    }

    func secretBytes(notice: (String) -> Void) throws -> [UInt8] {
        if let secret, !secret.isEmpty { return Array(secret.utf8) }
        if let data = FileManager.default.contents(atPath: secretFile) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return Array(text.utf8)
        }
        guard mode == .demo else {
            throw InputError("codes.secret", "production mode needs a secret: set ONECODE_CODES_SECRET (at least 16 bytes) or put one in \(secretFile)")
        }
        let text = RandomBytes.fill(count: 32).hex
        let directory = (secretFile as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        guard FileManager.default.createFile(
            atPath: secretFile, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw InputError("codes.secretFile", "cannot write the demo secret to \(secretFile)")
        }
        notice("demo mode: generated a code secret and stored it in \(secretFile) (set ONECODE_CODES_SECRET in production)")
        return Array(text.utf8)
    }
}

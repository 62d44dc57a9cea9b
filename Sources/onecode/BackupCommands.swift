import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeIssuing
import OneCodeSQLite

/// What `backup` and `restore` print.
func describe(_ report: BackupReport) -> String {
    let last = report.lastScanAt.map { ISO8601DateFormatter().string(from: $0) } ?? "none"
    return "\(report.file): \(report.bytes) bytes, \(report.products) products, \(report.codes) codes, \(report.scans) scans (last \(last)), \(report.migrations) migrations"
}

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the SQLite database while the service runs.",
        discussion: """
            Uses SQLite's online backup API: the copy holds every scan committed before it began, whole, while \
            `serve` goes on taking scans (copying the database file of a running service loses the scans still \
            in its WAL). The copy is checked, synced and renamed into place; it never overwrites a file. Back up \
            the code secret (codes.secretFile, or the secret you configured) and the packages folder too: \
            README's production section lists what to keep. On PostgreSQL use pg_dump or base backups.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The backup file to write (must not exist).", valueName: "file")) var out: String

    func run() async throws {
        try await reportingErrors {
            let config = try IssuerConfig(reader: try await global.configReader())
            if try Database.postgres(config) != nil {
                throw InputError("database", "onecode backup copies an SQLite database; on PostgreSQL use pg_dump or base backups (README: Deployment on PostgreSQL)")
            }
            guard FileManager.default.fileExists(atPath: config.databasePath) else {
                throw InputError("database", "no database at \(config.databasePath)")
            }
            let store = try SQLiteStore(path: config.databasePath, schema: .asIs)
            let report = try await store.backup(to: out)
            // The codes are checked under the secret, which is not in the backup: say where it is.
            let secret = config.secret.map { $0.isEmpty ? nil : $0 } == nil ? config.secretFile : "codes.secret (configured, not a file)"
            let fingerprint = try? await store.secretFingerprint()  // none in a database from before fingerprints
            try global.emit(report) {
                "backed up " + describe(report) + "\nthe code secret is not in the backup: keep it with it (\(secret)"
                    + (fingerprint.map { "; fingerprint \($0)" } ?? "") + "); without it no code checks"
            }
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a backup back as the SQLite database, after checking it.",
        discussion: """
            Checks the backup (a whole OneCode database, integrity_check ok, not from a newer OneCode), then \
            copies it into place as the database (--database or database.path). Stop `serve` first. A database \
            already there is left alone unless --replace is given; then it is kept beside, with its WAL, as \
            FILE.before-restore-TIME, never deleted. A backup from an older OneCode is migrated the next time a \
            command opens it.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The backup file to restore.", valueName: "file")) var from: String
    @Flag(help: "Restore over an existing database (kept beside as FILE.before-restore-TIME).") var replace = false

    func run() async throws {
        try await reportingErrors {
            let config = try IssuerConfig(reader: try await global.configReader())
            if try Database.postgres(config) != nil {
                throw InputError("database", "onecode restore writes an SQLite database; on PostgreSQL restore with pg_restore")
            }
            let (report, kept) = try SQLiteStore.restore(from: from, to: config.databasePath, replace: replace)
            try global.emit(report) {
                "restored " + describe(report) + (kept.map { "\nthe database it replaced is kept as \($0)" } ?? "")
            }
        }
    }
}

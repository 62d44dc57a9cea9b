import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeIssuing
import OneCodePostgres
import OneCodeSQLite

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the database schema, or show where it stands.",
        discussion: """
            Applies every migration the database lacks, in order, each in its own transaction. On PostgreSQL run it \
            once before starting (or upgrading) the nodes: `serve` and the other commands refuse a schema that is not \
            exactly theirs. Nodes that run it at the same time apply each migration once (an advisory lock). The \
            embedded SQLite file is migrated as it is opened; this shows and applies the same list. A database that \
            a newer OneCode upgraded is refused.
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Only show the applied and pending migrations; change nothing.") var status = false

    struct Report: Encodable {
        var database: String
        var applied: [String]
        var pending: [String]
        var appliedNow: [String]
    }

    func run() async throws {
        try await reportingErrors {
            let config = try IssuerConfig(reader: try await global.configReader())
            var report: Report
            if let location = try Database.postgres(config) {
                let store = try await PostgresStore(location, connections: 2, schema: .asIs)
                let before = try await store.migrationStatus()
                let now = status ? [] : try await store.migrate()
                let after = status ? before : try await store.migrationStatus()
                await store.close()
                report = Report(database: location.description, applied: after.applied, pending: after.pending, appliedNow: now)
            } else {
                let before = try SQLiteStore.migrationStatus(path: config.databasePath)
                if !status { _ = try SQLiteStore(path: config.databasePath) }
                let after = status ? before : try SQLiteStore.migrationStatus(path: config.databasePath)
                report = Report(database: config.databasePath, applied: after.applied, pending: after.pending,
                                appliedNow: status ? [] : before.pending)
            }
            try global.emit(report) {
                var lines = ["database \(report.database): \(report.applied.count) migrations applied"]
                lines += report.appliedNow.map { "  applied now: \($0)" }
                lines.append(report.pending.isEmpty ? "  up to date" : "  pending (run `onecode migrate`): " + report.pending.joined(separator: ", "))
                return lines.joined(separator: "\n")
            }
        }
    }
}

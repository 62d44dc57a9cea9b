import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeIssuing
import OneCodePostgres
import OneCodeSQLite
import OneCodeStorage

struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Move a deployment between databases.",
        subcommands: [Copy.self])

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy an SQLite deployment into PostgreSQL: every table, counts checked, ids continued.",
            discussion: """
                Stop `onecode serve` on the SQLite file first. The target must have the schema (`onecode migrate \
                --database URL`). Rows are copied in key order, 5,000 at a time; rows the target holds already \
                (same key) are kept as they are, so running the copy again after an interruption adds only what is \
                missing. Afterwards every id sequence continues after the largest id copied, webhook endpoints keep \
                their place in the outbox, lead export cursors continue, and each table's count on the target is \
                checked against the source's. Segments and leads are copied; profiles and segment memberships are \
                derived, so they are not: the first linker refresh on the target rebuilds them (a full refresh).
                """)

        @Option(help: ArgumentHelp("The SQLite database file to copy.", valueName: "path")) var from: String
        @Option(help: ArgumentHelp("The PostgreSQL database: postgres://user@host:port/database (password from ONECODE_DATABASE_PASSWORD_FILE).",
                                   valueName: "url")) var to: String
        @Flag(help: "Print machine-readable JSON on standard output.") var json = false

        struct Report: Encodable {
            struct Table: Encodable {
                var table: String
                var source: Int
                var copied: Int
                var target: Int
            }
            var tables: [Table]
            var notCopied: [String: Int]
        }

        func run() async throws {
            try await reportingErrors {
                guard FileManager.default.fileExists(atPath: from) else { throw InputError("from", "no database file at \(from)") }
                guard PostgresLocation.isURL(to) else { throw InputError("to", "expected postgres://user@host:port/database") }
                let reader = try await GlobalOptions.parse([]).configReader()
                let config = try IssuerConfig(reader: reader)
                let source = try SQLiteStore(path: from, schema: .requireCurrent)
                let target = try await PostgresStore(try PostgresLocation(url: to, password: config.databasePassword), connections: 4,
                                                     schema: .requireCurrent)
                if let range = try await source.scanTimeRange() { try await target.preparePartitions(for: range) }
                var report = Report(tables: [], notCopied: try await source.linkerRowCounts().filter { $0.value > 0 })
                for table in CopyTable.all {
                    var position: CopyPosition?
                    var copied = 0
                    while true {
                        let chunk = try await source.copyRows(table, after: position, limit: 5_000)
                        if chunk.rows == 0 { break }
                        copied += try await target.copyIn(table, json: chunk.json)
                        position = chunk.next
                        if !json && chunk.rows == 5_000 { FileHandle.standardError.write(Data("\r\(table.name): \(copied) rows copied".utf8)) }
                    }
                    let counts = Report.Table(table: table.name, source: try await source.copyCount(table), copied: copied,
                                              target: try await target.copyCount(table))
                    report.tables.append(counts)
                    guard counts.target >= counts.source else {
                        throw InputError("to", "\(table.name): the target has \(counts.target) rows, the source \(counts.source); nothing else was copied after it")
                    }
                }
                try await target.continueSequences()
                await target.close()
                if !json { FileHandle.standardError.write(Data("\r".utf8)) }
                try GlobalOptions.print(report, json: json) {
                    var lines = report.tables.map { t in
                        "\(t.table.padding(toLength: 18, withPad: " ", startingAt: 0)) source \(t.source), copied now \(t.copied), target \(t.target)"
                    }
                    lines.append("copied to \(target.location): counts checked, id sequences continued")
                    if !report.notCopied.isEmpty {
                        lines.append("not copied (derived; the first linker refresh on the target rebuilds them): "
                                     + report.notCopied.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key) rows" }.joined(separator: ", "))
                    }
                    return lines.joined(separator: "\n")
                }
            }
        }
    }
}

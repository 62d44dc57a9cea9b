import Foundation
import GRDB
@testable import OneCodePostgres
@testable import OneCodeSQLite
import Testing

/// Upgrades happen when the operator asks: `serve` and `migrate` upgrade an SQLite database (saying so),
/// other commands in production mode refuse an older schema, and every command refuses a newer one.
@Suite("SQLite migrations: no command upgrades a production database unasked, none opens a newer one")
struct MigrationTests {
    static let production = ["ONECODE_MODE": "production", "ONECODE_CODES_SECRET": "migration-secret-0123456789"]

    /// A database with every migration but the last, as the binary before this one left it.
    static func older(_ file: String) throws -> String {
        let queue = try DatabaseQueue(path: file)
        let migrations = SQLiteStore.migrator.migrations
        try SQLiteStore.migrator.migrate(queue, upTo: migrations[migrations.count - 2])
        try queue.close()
        return migrations[migrations.count - 1]
    }

    static func pending(_ file: String) throws -> [String] { try SQLiteStore.migrationStatus(path: file).pending }

    @Test("production: read and write commands refuse an older schema and change nothing; backup copies it as it is; migrate upgrades")
    func productionRefusesOlder() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try FileManager.default.createDirectory(atPath: folder.file("data"), withIntermediateDirectories: true)
        let database = folder.file("data/onecode.sqlite")
        let last = try Self.older(database)
        for command in [["product", "list"], ["product", "add", "--name", "Tea"], ["segment", "refresh"]] {
            let result = try await Run.run(Run.onecode, command, cwd: folder.path, environment: Self.production, timeout: 60)
            #expect(result.status == 1, "\(command): \(result.stdout)")
            #expect(result.stderr.contains("error: database: data/onecode.sqlite has an older schema (pending: \(last))")
                    && result.stderr.contains("onecode migrate"), "\(command): \(result.stderr)")
            #expect(try Self.pending(database) == [last], "\(command) upgraded the database")
        }
        let backup = try await Run.run(Run.onecode, ["backup", "--out", "before-upgrade.sqlite"], cwd: folder.path, environment: Self.production, timeout: 60)
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(try Self.pending(folder.file("before-upgrade.sqlite")) == [last] && Self.pending(database) == [last])
        let status = try await Run.run(Run.onecode, ["migrate", "--status"], cwd: folder.path, environment: Self.production, timeout: 60)
        #expect(status.status == 0 && status.stdout.contains("pending (run `onecode migrate`): \(last)"), "\(status.stdout)")
        let migrate = try await Run.run(Run.onecode, ["migrate"], cwd: folder.path, environment: Self.production, timeout: 60)
        #expect(migrate.status == 0 && migrate.stdout.contains("applied now: \(last)") && migrate.stdout.contains("up to date"), "\(migrate.stdout)")
        let list = try await Run.run(Run.onecode, ["product", "list"], cwd: folder.path, environment: Self.production, timeout: 60)
        #expect(list.status == 0, "\(list.stderr)")
    }

    @Test("demo mode upgrades as it opens; serve upgrades in production and says so in its log")
    func serveUpgrades() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try FileManager.default.createDirectory(atPath: folder.file("data"), withIntermediateDirectories: true)
        let database = folder.file("data/onecode.sqlite")
        _ = try Self.older(folder.file("demo.sqlite"))
        let demo = try await Run.run(Run.onecode, ["product", "list", "--database", "demo.sqlite"], cwd: folder.path,
                                   environment: ["ONECODE_CODES_SECRET": "migration-secret-0123456789"], timeout: 60)
        #expect(demo.status == 0 && !demo.stderr.contains("upgraded"), "\(demo.stderr)")
        #expect(try Self.pending(folder.file("demo.sqlite")).isEmpty)

        let last = try Self.older(database)
        let (server, base) = try await DurabilityTests.startServer(folder, extra: Self.production)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        #expect(!base.hasSuffix(":1"))
        kill(server.process.processIdentifier, SIGTERM)
        let result = await server.wait()
        #expect(result.stderr.contains("database data/onecode.sqlite: upgraded, applied migrations \(last)"), "\(result.stderr)")
        #expect(try Self.pending(database).isEmpty)
    }

    @Test("a database a newer OneCode upgraded is refused by every command, serve included, in both modes")
    func newerRefused() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let environment = ["ONECODE_CODES_SECRET": "migration-secret-0123456789"]
        #expect(try await Run.run(Run.onecode, ["product", "add", "--name", "Tea"], cwd: folder.path, environment: environment).status == 0)
        _ = try await BackupTests.sqlite(folder.file("data/onecode.sqlite"), "INSERT INTO grdb_migrations VALUES ('v99: from the future')")
        for (command, mode) in [(["product", "list"], "demo"), (["serve", "--port", "0"], "demo"), (["product", "list"], "production"),
                                (["migrate"], "production"), (["serve", "--port", "0"], "production")] {
            let result = try await Run.run(Run.onecode, command, cwd: folder.path, environment: environment.merging(["ONECODE_MODE": mode]) { $1 }, timeout: 60)
            #expect(result.status == 1 && result.stderr.contains("was upgraded by a newer OneCode (migrations this binary does not know: v99: from the future)"),
                    "\(command) \(mode): \(result.stderr)")
        }
    }
}

@Suite("SQLite migration v15: what it keeps and what it recomputes")
struct MigrationV15Tests {
    @Test("v15 keeps segments (ids, rules, members) and late changes, gives both ids that never come back, and empties profiles and cursors so the next refresh rebuilds every profile")
    func keepsSegmentsAndChanges() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let file = folder.file("onecode.sqlite")
        let queue = try DatabaseQueue(path: file)
        let migrations = SQLiteStore.migrator.migrations
        let v15 = try #require(migrations.first { $0.hasPrefix("v15:") })
        try SQLiteStore.migrator.migrate(queue, upTo: try #require(migrations.last { $0.hasPrefix("v14:") }))
        try await queue.write { db in
            try db.execute(sql: """
                INSERT INTO segment (id, name, rules, created_at, version, members) VALUES (1, 'A', '{"consent": true}', 0, 3, 1), (2, 'B', '{"consent": false}', 0, 3, 0);
                INSERT INTO segment_member (segment_id, consumer) VALUES (1, 'C1');
                INSERT INTO linker_change (id, consumer, scan_id, at, old_region, new_region) VALUES (1, 'C1', 1, 0, 'CN-11', 'CN-31'), (2, 'C2', 2, 0, NULL, 'CN-44');
                INSERT INTO consumer_profile (consumer, first_at, last_at, scans, products, batches, regions, days, version)
                    VALUES ('C1', 0, 0, 1, ',', ',', ',', ',', 3);
                UPDATE linker_state SET scan_cursor = 9, change_cursor = 2, version = 3;
                """)
        }
        try SQLiteStore.migrator.migrate(queue, upTo: v15)
        try await queue.write { db in
            #expect(try String.fetchAll(db, sql: "SELECT id || name || rules || members FROM segment ORDER BY id")
                        == ["1A{\"consent\": true}1", "2B{\"consent\": false}0"])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM segment_member") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM linker_change") == 2)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM consumer_profile") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT scan_cursor + change_cursor FROM linker_state") == 0)
            // Deleted ids do not come back: the next rows take 3 (late changes) and 3 (segments).
            try db.execute(sql: "DELETE FROM linker_change WHERE id = 2; DELETE FROM segment_member WHERE segment_id = 2; DELETE FROM segment WHERE id = 2")
            try db.execute(sql: "INSERT INTO linker_change (consumer, scan_id, at) VALUES ('C3', 3, 0)")
            try db.execute(sql: "INSERT INTO segment (name, rules, created_at) VALUES ('C', '{\"consent\": true}', 0)")
            #expect(try Int64.fetchOne(db, sql: "SELECT max(id) FROM linker_change") == 3)
            #expect(try Int64.fetchOne(db, sql: "SELECT max(id) FROM segment") == 3)
            #expect(try Bool.fetchOne(db, sql: "SELECT count(*) = 0 FROM pragma_foreign_key_check") == true)
        }
    }
}

@Suite("The marketing consent migration (SQLite v16, PostgreSQL v7)")
struct MarketingConsentMigrationTests {
    /// Before, one statement covered the prize and marketing: those who gave it keep both.
    @Test("every claimant of before keeps both consents: the marketing columns copy the one they gave, claims too", arguments: Backend.complete)
    func claimantsKeepBoth(_ backend: Backend) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let before = """
            INSERT INTO consumer_contact (consumer, name, phone, consent_version, consent_text, consented_at)
                VALUES ('C1', 'Ann', '+8613800000001', 'v1', 'I agree to both', \(backend == .sqlite ? "1796000000" : "to_timestamp(1796000000)"));
            INSERT INTO claim (entry_id, consumer, name, phone, consent_version, at) VALUES (7, 'C1', 'Ann', '+8613800000001', 'v1', \(backend == .sqlite ? "1796000000" : "to_timestamp(1796000000)"));
            """
        let check = [
            "SELECT marketing_consent_version, marketing_consent_text, marketing_consented_at = consented_at FROM consumer_contact",
            "SELECT marketing_consent_version FROM claim"]
        switch backend {
        case .sqlite:
            let file = folder.file("onecode.sqlite")
            var configuration = Configuration()
            configuration.foreignKeysEnabled = false  // a claim without its draw: only the columns matter here
            let queue = try DatabaseQueue(path: file, configuration: configuration)
            let migrations = SQLiteStore.migrator.migrations
            let v16 = try #require(migrations.first { $0.hasPrefix("v16:") })
            try SQLiteStore.migrator.migrate(queue, upTo: try #require(migrations.last { $0.hasPrefix("v15:") }))
            try await queue.write { db in try db.execute(sql: before) }
            try SQLiteStore.migrator.migrate(queue, upTo: v16)
        case .postgres:
            let url = try await TestPostgres.database(folder.file("onecode.sqlite")).url
            let v7 = try #require(PostgresSchema.migrations.firstIndex { $0.name.hasPrefix("v7:") })
            let older = PostgresSchema.migrations[..<v7].map(\.sql).joined(separator: "\n")
            for script in [older, "SET session_replication_role = replica;\n" + before, PostgresSchema.migrations[v7].sql] {
                let run = try await Run.run("/usr/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-qc", script])
                #expect(run.status == 0, "\(run.stderr)")
            }
        }
        let rows = try await backend.dump(check, in: folder)
        #expect(rows == "v1|I agree to both|\(backend == .sqlite ? "1" : "t")\n--\nv1", "\(rows)")
    }
}

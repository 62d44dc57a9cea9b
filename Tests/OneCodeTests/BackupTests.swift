import Foundation
import Testing

@Suite("Backups: a consistent copy while serve takes scans, and a checked restore that loses nothing", .serialized)
struct BackupTests {
    static func sqlite(_ file: String, _ sql: String) async throws -> String {
        try await Run.program("/usr/bin/sqlite3", [file, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("onecode backup while scans go on holds every scan acknowledged before it began; restore checks it and keeps what it replaces")
    func backupAndRestore() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let environment = DurabilityTests.environment
        let codes = try await DurabilityTests.prepare(folder, count: 400)
        let (server, base) = try await DurabilityTests.startServer(folder)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        let before = await DurabilityTests.scanCodes(base, Array(codes[..<100]), concurrency: 8)
        #expect(before.filter { $0.status == 200 }.count == 100)
        // The backup runs while another 300 scans arrive.
        async let during = DurabilityTests.scanCodes(base, Array(codes[100...]), concurrency: 8)
        let backup = await (try Run.start(Run.onecode, ["backup", "--out", "backup.sqlite"], cwd: folder.path, environment: environment)).wait()
        let after = await during
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("backed up backup.sqlite"), "\(backup.stdout)")
        let file = folder.file("backup.sqlite")
        #expect(try await Self.sqlite(file, "PRAGMA integrity_check") == "ok")
        #expect(try await Self.sqlite(file, "PRAGMA journal_mode") == "delete")
        #expect(!FileManager.default.fileExists(atPath: file + "-wal"))
        let quoted = codes[..<100].map { "'\($0)'" }.joined(separator: ",")
        #expect(try await Self.sqlite(file, "SELECT count(DISTINCT code) FROM scan WHERE code IN (\(quoted))") == "100")
        let inBackup = try await Int(Self.sqlite(file, "SELECT count(*) FROM scan")) ?? -1
        #expect(inBackup >= 100 && inBackup <= 100 + after.filter { $0.status == 200 }.count)
        // A second backup to the same file is refused; the first stays as it was.
        let again = try await Run.run(Run.onecode, ["backup", "--out", "backup.sqlite"], cwd: folder.path, environment: environment)
        #expect(again.status == 1 && again.stderr.contains("out: ") && again.stderr.contains("exists already"))
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.wait().status == 0)
        let live = try await Int(Self.sqlite(folder.file("data/onecode.sqlite"), "SELECT count(*) FROM scan")) ?? -1
        #expect(live == 400)

        // Into a new place: the restored database answers the CLI.
        let fresh = try await Run.run(Run.onecode, ["restore", "--from", "backup.sqlite", "--database", "restored/onecode.sqlite"], cwd: folder.path, environment: environment)
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(fresh.stdout.contains("\(inBackup) scans"), "\(fresh.stdout)")
        let scans = try await Run.run(Run.onecode, ["scans", codes[0], "--database", "restored/onecode.sqlite"], cwd: folder.path, environment: environment)
        #expect(scans.status == 0 && scans.stdout.contains("genuine"), "\(scans.stdout) \(scans.stderr)")
        // Over the live database: refused without --replace, nothing changed; with it, the old one is kept, whole.
        let refused = try await Run.run(Run.onecode, ["restore", "--from", "backup.sqlite"], cwd: folder.path, environment: environment)
        #expect(refused.status == 1 && refused.stderr.contains("--replace"))
        #expect(try await Self.sqlite(folder.file("data/onecode.sqlite"), "SELECT count(*) FROM scan") == "400")
        let replaced = try await Run.run(Run.onecode, ["restore", "--from", "backup.sqlite", "--replace"], cwd: folder.path, environment: environment)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let kept = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.file("data")).first { $0.hasPrefix("onecode.sqlite.before-restore-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") && !$0.hasSuffix("-linker") })
        #expect(try await Self.sqlite(folder.file("data/" + kept), "SELECT count(*) FROM scan") == "400")
        #expect(try await Self.sqlite(folder.file("data/onecode.sqlite"), "SELECT count(*) FROM scan") == String(inBackup))
        #expect(try await Self.sqlite(folder.file("data/onecode.sqlite"), "PRAGMA integrity_check") == "ok")
    }

    /// The attack pass: `restore --from` a symlink failed (`cannot open … .restoring to sync it`) or made the
    /// live database a link into the backup, after which writes changed the backup.
    @Test("restore --from a symbolic link copies the file it names: the database is a file of its own, and writing to it leaves the backup as it was")
    func restoreFromLink() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let environment = DurabilityTests.environment
        _ = try await DurabilityTests.prepare(folder, count: 3)
        try FileManager.default.createDirectory(atPath: folder.file("backups"), withIntermediateDirectories: true)
        let backup = try await Run.run(Run.onecode, ["backup", "--out", "backups/monday.sqlite"], cwd: folder.path, environment: environment)
        #expect(backup.status == 0, "\(backup.stderr)")
        try FileManager.default.createSymbolicLink(atPath: folder.file("latest.sqlite"), withDestinationPath: folder.file("backups/monday.sqlite"))
        let before = try Data(contentsOf: URL(fileURLWithPath: folder.file("backups/monday.sqlite")))
        let restored = try await Run.run(Run.onecode, ["restore", "--from", "latest.sqlite", "--database", "restored/onecode.sqlite"], cwd: folder.path,
                                       environment: environment)
        #expect(restored.status == 0, "\(restored.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.file("restored/onecode.sqlite"))
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        let added = try await Run.run(Run.onecode, ["product", "add", "--name", "After the restore", "--database", "restored/onecode.sqlite"], cwd: folder.path,
                                    environment: environment)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.file("backups/monday.sqlite"))) == before)
        #expect(try await Self.sqlite(folder.file("backups/monday.sqlite"), "SELECT count(*) FROM product WHERE name = 'After the restore'") == "0")
    }

    @Test("restore refuses what is not a whole OneCode database, or one from a newer OneCode; backup refuses PostgreSQL")
    func refusals() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let environment = DurabilityTests.environment
        _ = try await DurabilityTests.prepare(folder, count: 3)
        try "not a database".write(toFile: folder.file("junk.sqlite"), atomically: true, encoding: .utf8)
        _ = try await Self.sqlite(folder.file("other.sqlite"), "CREATE TABLE t (x); INSERT INTO t VALUES (1)")
        #expect(try await Run.run(Run.onecode, ["backup", "--out", "newer.sqlite"], cwd: folder.path, environment: environment).status == 0)
        _ = try await Self.sqlite(folder.file("newer.sqlite"), "INSERT INTO grdb_migrations VALUES ('v99: from the future')")
        for (file, message) in [("junk.sqlite", "is not a OneCode database"), ("other.sqlite", "not a OneCode database"),
                                ("newer.sqlite", "written by a newer OneCode"), ("missing.sqlite", "no file at")] {
            let result = try await Run.run(Run.onecode, ["restore", "--from", file, "--database", "target.sqlite"], cwd: folder.path, environment: environment)
            #expect(result.status == 1 && result.stderr.contains("from: ") && result.stderr.contains(message), "\(file): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.file("target.sqlite")))
        }
        let postgres = try await Run.run(Run.onecode, ["backup", "--out", "x.sqlite", "--database", "postgres://u@127.0.0.1:1/x"], cwd: folder.path, environment: environment)
        #expect(postgres.status == 1 && postgres.stderr.contains("pg_dump"))
    }
}

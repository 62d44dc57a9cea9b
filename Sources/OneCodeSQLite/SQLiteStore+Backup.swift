import Foundation
import GRDB
import OneCodeDomain

/// What a backup or a restore holds: enough to see at a glance that it is the deployment meant.
public struct BackupReport: Sendable, Encodable {
    public var file: String
    public var bytes: Int
    public var products: Int
    public var codes: Int
    public var scans: Int
    public var lastScanAt: Date?
    public var migrations: Int
}

extension SQLiteStore {
    /// A consistent copy of the database while the service runs: SQLite's online backup API (through
    /// GRDB) copies the pages of one read snapshot, so every scan committed before the backup began is
    /// in it and none half-written, while writers go on. The copy is written beside `destination`,
    /// checked (`integrity_check`), synced and only then renamed into place: a backup that exists is whole.
    /// - Throws: `InputError("out", …)` when `destination` exists or cannot be written.
    public func backup(to destination: String) async throws -> BackupReport {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw InputError("out", "\(destination) exists already; choose a new file (a backup never overwrites one)")
        }
        let partial = destination + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        let fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw InputError("out", "cannot create \(partial) (\(String(cString: strerror(errno))))") }
        close(fd)
        do {
            let target = try DatabaseQueue(path: partial)
            try writer.backup(to: target)
            // One self-contained file: no WAL beside it.
            try await target.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try target.close()
            let report = try Self.inspect(partial, reportAs: destination)
            try Self.syncFile(partial)
            guard rename(partial, destination) == 0 else {
                throw InputError("out", "cannot rename \(partial) to \(destination) (\(String(cString: strerror(errno))))")
            }
            Self.syncDirectory(of: destination)
            return report
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// Checks that `path` is a whole OneCode database this binary can open and says what it holds.
    /// - Throws: `InputError("from", …)` otherwise.
    public static func inspect(_ path: String, reportAs name: String? = nil) throws -> BackupReport {
        guard FileManager.default.fileExists(atPath: path) else { throw InputError("from", "no file at \(path)") }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                let check = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                guard check == ["ok"] else {
                    throw InputError("from", "\(path) is damaged (integrity_check: \(check.prefix(3).joined(separator: "; ")))")
                }
                guard try db.tableExists("grdb_migrations"), try db.tableExists("scan") else {
                    throw InputError("from", "\(path) is an SQLite file but not a OneCode database")
                }
                let applied = try migrator.appliedIdentifiers(db)
                let unknown = applied.subtracting(migrator.migrations)
                guard unknown.isEmpty else {
                    throw InputError("from", "\(path) was written by a newer OneCode (migrations this binary does not know: \(unknown.sorted().joined(separator: ", ")))")
                }
                let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                return BackupReport(
                    file: name ?? path, bytes: bytes,
                    products: try Int.fetchOne(db, sql: "SELECT count(*) FROM product") ?? 0,
                    codes: try Int.fetchOne(db, sql: "SELECT count(*) FROM code") ?? 0,
                    scans: try Int.fetchOne(db, sql: "SELECT count(*) FROM scan") ?? 0,
                    lastScanAt: try Double.fetchOne(db, sql: "SELECT max(at) FROM scan").map(Date.init(timeIntervalSince1970:)),
                    migrations: applied.count)
            }
        } catch let error as DatabaseError {
            throw InputError("from", "\(path) is not a OneCode database (\(error.message ?? "SQLite error \(error.resultCode)"))")
        }
    }

    /// Puts a backup in place as the database at `path`, after checking it. A database already at `path`
    /// is kept beside it (`path.before-restore-TIME`, with its WAL), never deleted; without `replace` it
    /// stays where it is and nothing happens. Stop `serve` first: a process with the old file open goes
    /// on writing to the kept file.
    /// - Returns: what was restored, and where the database it replaced was kept.
    public static func restore(from backup: String, to path: String, replace: Bool) throws -> (BackupReport, kept: String?) {
        // The file a link names: copied as a link, the live database would be the backup itself, and
        // every write would change the backup.
        let backup = URL(fileURLWithPath: backup).resolvingSymlinksInPath().path
        let report = try inspect(backup, reportAs: path)
        // The linker's file goes aside with its database: the next refresh computes it anew from the backup.
        let linker = LinkerFile.path(for: path)
        let files = [path, path + "-wal", path + "-shm", linker, linker + "-wal", linker + "-shm"]
        var kept: String?
        if FileManager.default.fileExists(atPath: path) {
            guard replace else {
                throw InputError("database", "\(path) exists; stop serve and pass --replace to restore over it (it is kept beside, as \(path).before-restore-…)")
            }
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            kept = path + ".before-restore-" + stamp
            for file in files where FileManager.default.fileExists(atPath: file) {
                // The WAL goes with its database: left behind, it would be replayed into the restored file.
                let moved = kept! + String(file.dropFirst(path.count))
                guard rename(file, moved) == 0 else {
                    throw InputError("database", "cannot move \(file) aside (\(String(cString: strerror(errno))))")
                }
            }
        } else {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
        }
        let partial = path + ".restoring"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            try FileManager.default.copyItem(atPath: backup, toPath: partial)
            chmod(partial, 0o600)
            try syncFile(partial)
            guard rename(partial, path) == 0 else { throw InputError("database", "cannot rename \(partial) to \(path)") }
            syncDirectory(of: path)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        return (report, kept)
    }

    static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError("out", "cannot open \(path) to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw InputError("out", "cannot sync \(path) (\(String(cString: strerror(errno))))") }
    }

    static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}

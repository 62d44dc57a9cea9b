import Foundation
import GRDB
import Synchronization
import OneCodeDomain
import OneCodeStorage

/// The linker's own SQLite file, beside the database (`onecode.sqlite-linker`): profiles, memberships,
/// each segment's refresh state and the linker's cursors, all derived from the database and rebuilt by
/// the next refresh when the file is missing (or does not belong to the database beside it).
///
/// **Why a second file.** SQLite has one write lock per file. The scans' writer holds the database's;
/// a refresh writes only this file, from its own connection (`LinkerFile.queue`, the linker file as
/// `main`, the database attached as `onecode`), in a deferred transaction that reads the database's
/// rows in one snapshot and never writes them, so a scan never waits for a refresh, however long.
/// What the refresh gives the database (leads and `lead.created` events: records people and sales tools
/// hold on to, in backups) waits in this file (`lead_pending`, `event_pending`) and is moved in short
/// transactions right after the refresh commits (`flushPending`), a few thousand rows each; a refresh
/// killed before that moves them at the start of the next linker job. Every statement resolves
/// unqualified table names in either file (SQLite searches `main`, then attached files; no name is in
/// both), so the linker's SQL is the same as before the split.
///
/// Segment edits and erasure run on the same connection in immediate transactions (both files locked,
/// this one committed first): they wait for a running refresh, never the scans for them.
enum LinkerFile {
    /// The schema this build writes (`PRAGMA user_version` of the file).
    static let version = 2

    static func path(for database: String) -> String { database + "-linker" }

    static let schema = """
        -- Derived from scans, entries, claims and feedback by the linker; rebuilt at will.
        -- products, batches: ",a,b,"; regions: ",CN-31:2,CN:1,"; days: "day:count,…" (UTC day numbers, last 366 days).
        CREATE TABLE consumer_profile (
            consumer TEXT PRIMARY KEY,
            first_at REAL NOT NULL,
            last_at REAL NOT NULL,
            scans INTEGER NOT NULL,
            products TEXT NOT NULL,
            batches TEXT NOT NULL,
            regions TEXT NOT NULL,
            last_batch INTEGER,
            last_region TEXT,
            draws INTEGER NOT NULL DEFAULT 0,
            prizes_won INTEGER NOT NULL DEFAULT 0,
            points INTEGER NOT NULL DEFAULT 0,
            ratings INTEGER NOT NULL DEFAULT 0,
            rating_sum INTEGER NOT NULL DEFAULT 0,
            min_rating INTEGER,
            consent_at REAL,
            days TEXT NOT NULL,
            version INTEGER NOT NULL,
            last_region_at REAL
        ) WITHOUT ROWID;
        CREATE INDEX profile_version ON consumer_profile(version);
        -- Where the last refresh stopped in each source; scan_cursor_at is the time of the scan at
        -- scan_cursor, so a database restored under this file (its scans no longer those read) is seen.
        -- epoch: this file's random name, beside the database's record of what was moved into it.
        CREATE TABLE linker_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            epoch TEXT NOT NULL,
            version INTEGER NOT NULL,
            scan_cursor INTEGER NOT NULL,
            scan_cursor_at REAL,
            entry_cursor INTEGER NOT NULL,
            feedback_cursor INTEGER NOT NULL,
            outbox_cursor INTEGER NOT NULL,
            change_cursor INTEGER NOT NULL,
            lead_seq INTEGER NOT NULL,
            refreshed_at REAL
        );
        INSERT INTO linker_state VALUES (1, lower(hex(randomblob(16))), 0, 0, NULL, 0, 0, 0, 0, 0, NULL);
        -- Each segment's members as of its last refresh, for the rules it was evaluated with (a segment
        -- whose rules differ is evaluated whole by the next refresh).
        CREATE TABLE segment_state (
            id INTEGER PRIMARY KEY,
            rules TEXT NOT NULL,
            version INTEGER NOT NULL,
            refreshed_at REAL,
            members INTEGER NOT NULL
        );
        CREATE TABLE segment_member (
            segment_id INTEGER NOT NULL,
            consumer TEXT NOT NULL,
            PRIMARY KEY (segment_id, consumer)
        ) WITHOUT ROWID;
        -- Each segment's size at its last refresh of each UTC day, with the day's joins and leaves (the
        -- console's counts over time). Kept here with the members it counts: a rebuilt file starts it over.
        CREATE TABLE segment_day (
            segment_id INTEGER NOT NULL,
            day TEXT NOT NULL,
            members INTEGER NOT NULL,
            added INTEGER NOT NULL,
            removed INTEGER NOT NULL,
            PRIMARY KEY (segment_id, day)
        ) WITHOUT ROWID;
        -- Leads and events a refresh made, on their way into the database (`LinkerFile.flushPending`).
        CREATE TABLE lead_pending (
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            name TEXT,
            phone TEXT,
            score REAL NOT NULL,
            reasons TEXT NOT NULL,
            source TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            seq INTEGER NOT NULL UNIQUE,
            PRIMARY KEY (kind, ref)
        ) WITHOUT ROWID;
        CREATE TABLE event_pending (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL,
            type TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        """

    /// The linker's connection of one store, opened at its first job (a store that never refreshes,
    /// edits a segment or erases keeps no second file open).
    final class Connection: Sendable {
        let database: String
        private let opened = Mutex<DatabaseQueue?>(nil)

        init(database: String) { self.database = database }

        func queue() throws -> DatabaseQueue {
            try opened.withLock { opened in
                if let opened { return opened }
                let queue = try LinkerFile.queue(for: database)
                opened = queue
                return queue
            }
        }
    }

    /// Makes the linker's file for the database at `database`, or brings an older one to this build's schema.
    static func prepare(for database: String) throws {
        try queue(for: database).close()
    }

    /// Opens the linker's connection for the database at `database`, creating or rebuilding the file as needed.
    static func queue(for database: String) throws -> DatabaseQueue {
        let path = path(for: database)
        if !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        var configuration = SQLiteStore.configuration()
        // A refresh may take a while on a large database; a second process's linker job waits for it.
        configuration.busyMode = .timeout(120)
        configuration.prepareDatabase { db in
            try db.execute(sql: "ATTACH DATABASE ? AS onecode", arguments: [database])
            // Erasure runs on this connection: what it deletes in the database is zeroed there too.
            try db.execute(sql: "PRAGMA onecode.secure_delete = ON")
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.inTransaction(.immediate) {
                let found = try Int.fetchOne(db, sql: "PRAGMA main.user_version") ?? 0
                if found == version { return .commit }
                guard found < version else {
                    throw InputError("database", "\(path) was written by a newer OneCode (linker schema \(found)); delete it and the next refresh rebuilds it")
                }
                // Derived data only: an older layout is dropped and rebuilt by the next refresh.
                for table in try String.fetchAll(db, sql: "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
                    try db.execute(sql: "DROP TABLE main.\"\(table)\"")
                }
                try db.execute(sql: schema)
                try db.execute(sql: "PRAGMA main.user_version = \(version)")
                return .commit
            }
        }
        return queue
    }

    /// Rows moved per transaction into the database: short enough that a scan waiting behind one waits milliseconds.
    static let chunk = 2_000

    /// Moves the leads and events a refresh left in this file into the database, in short transactions
    /// that lock the database's file only. Each move is recorded in the database (`linker_flush`) in the
    /// same transaction, so a move interrupted after it committed is not repeated.
    static func flushPending(_ db: Database) throws {
        let epoch = try String.fetchOne(db, sql: "SELECT epoch FROM linker_state WHERE id = 1") ?? ""
        while try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM lead_pending) OR EXISTS (SELECT 1 FROM event_pending)") ?? false {
            try db.inTransaction(.deferred) {
                // A write first: the database's lock is taken before anything of it is read (a read first
                // would see a snapshot the scans' writer has moved past, and could not write after it).
                // The record of what the database holds from this file starts over for another file's epoch.
                try db.execute(sql: """
                    INSERT INTO onecode.linker_flush (id, epoch, event, lead_seq) VALUES (1, ?, 0, 0)
                    ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, event = 0, lead_seq = 0 WHERE epoch <> excluded.epoch
                    """, arguments: [epoch])
                let done = try Row.fetchOne(db, sql: "SELECT event, lead_seq FROM onecode.linker_flush WHERE id = 1")!
                let (eventDone, leadDone): (Int64, Int64) = (done[0], done[1])
                let lastLead = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM (SELECT seq FROM lead_pending WHERE seq > ? ORDER BY seq LIMIT ?)",
                                                  arguments: [leadDone, chunk]) ?? leadDone
                let lastEvent = try Int64.fetchOne(db, sql: "SELECT max(id) FROM (SELECT id FROM event_pending WHERE id > ? ORDER BY id LIMIT ?)",
                                                   arguments: [eventDone, chunk]) ?? eventDone
                try db.execute(sql: """
                    INSERT OR REPLACE INTO onecode.lead (kind, ref, name, phone, score, reasons, source, created_at, updated_at, seq)
                    SELECT kind, ref, name, phone, score, reasons, source, created_at, updated_at, seq FROM lead_pending
                    WHERE seq > ? AND seq <= ? ORDER BY seq
                    """, arguments: [leadDone, lastLead])
                try db.execute(sql: """
                    INSERT INTO onecode.outbox (event_id, type, body, created_at)
                    SELECT event_id, type, body, created_at FROM event_pending WHERE id > ? AND id <= ? ORDER BY id
                    """, arguments: [eventDone, lastEvent])
                try db.execute(sql: "UPDATE onecode.linker_flush SET event = ?, lead_seq = ? WHERE id = 1", arguments: [lastEvent, lastLead])
                return .commit
            }
            // What the database now holds leaves this file (a second transaction: this file's lock only).
            try db.inTransaction(.deferred) {
                let done = try Row.fetchOne(db, sql: "SELECT event, lead_seq FROM onecode.linker_flush WHERE id = 1")!
                try db.execute(sql: "DELETE FROM lead_pending WHERE seq <= ?", arguments: [done[1] as Int64])
                try db.execute(sql: "DELETE FROM event_pending WHERE id <= ?", arguments: [done[0] as Int64])
                return .commit
            }
        }
    }
}

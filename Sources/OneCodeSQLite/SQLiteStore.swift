import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

/// The embedded SQLite catalogue: the only type that sees the database writer.
///
/// WAL with `synchronous=FULL`, so a committed transaction survives a power cut.
public struct SQLiteStore: Sendable {
    let writer: any DatabaseWriter
    /// The linker's connection: its own file as `main`, this database attached (`LinkerFile`), opened
    /// at its first job.
    let linker: LinkerFile.Connection
    /// Shipments' dealers and territories, read once (the scan path's channel lookup).
    let shipments = ShipmentCache()
    /// The database file, or `nil` in memory.
    public let path: String?
    /// The migrations opening it applied (empty when its schema was already current).
    public private(set) var appliedNow: [String] = []
    /// Whether opening it created its schema (a new file).
    public private(set) var created = false

    /// What opening does with a schema older than this binary's (a newer one is always refused).
    public enum Schema: Sendable {
        /// Applies the missing migrations (`serve`, `migrate`, demo mode, and a new file in any mode).
        case migrate
        /// Refuses an existing database that lacks migrations, naming `onecode migrate` (other commands
        /// in production mode: no command but `serve` and `migrate` upgrades a production database).
        case requireCurrent
        /// Opens it as it is, migrating nothing (`onecode backup`: a backup before an upgrade).
        case asIs
    }

    /// Opens (creating when needed) the database file at `path` and migrates it.
    /// - Parameters:
    ///   - cacheMiB: each connection's page cache; the service gives its writer more, so a million
    ///     codes' pages stay in memory.
    ///   - backgroundCheckpoints: leave WAL checkpoints to a `Checkpointer` beside the writer instead of
    ///     running them inside commits (the long-running service does).
    ///   - schema: whether an older schema is upgraded or refused.
    /// - Throws: `InputError("database", …)` when the file cannot be opened, is not a OneCode database, was
    ///   upgraded by a newer OneCode, or lacks migrations and `schema` is `.requireCurrent`.
    public init(path: String, cacheMiB: Int = 32, backgroundCheckpoints: Bool = false, schema: Schema = .migrate) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw InputError("database", "cannot create the folder \(directory) (\(error.localizedDescription))")
            }
        }
        // A new database is its owner's alone from the start; SQLite gives its WAL the same mode.
        if !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        do {
            // The linker's file first, made or brought to this build's schema: reads attach it (`linkerRead`).
            linker = LinkerFile.Connection(database: path)
            try LinkerFile.prepare(for: path)
            let pool = try DatabasePool(path: path, configuration: Self.configuration(
                cacheMiB: cacheMiB, backgroundCheckpoints: backgroundCheckpoints))
            let migrator = Self.migrator
            let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
            let unknown = applied.subtracting(migrator.migrations)
            guard unknown.isEmpty || schema == .asIs else {
                throw InputError("database", "\(path) was upgraded by a newer OneCode (migrations this binary does not know: \(unknown.sorted().joined(separator: ", "))); run that version, or restore a backup taken before the upgrade")
            }
            let pending = migrator.migrations.filter { !applied.contains($0) }
            if schema == .requireCurrent, !applied.isEmpty, !pending.isEmpty {
                throw InputError("database", "\(path) has an older schema (pending: \(pending.joined(separator: ", "))); production mode upgrades only in `onecode migrate` or `onecode serve` (back it up first: `onecode backup --out FILE`)")
            }
            if schema != .asIs { try migrator.migrate(pool) }
            writer = pool
            self.path = path
            if schema != .asIs {
                appliedNow = pending
                created = applied.isEmpty
            }
        } catch let error as DatabaseError {
            throw InputError("database", "cannot open \(path) as a OneCode database (\(error.message ?? "SQLite error \(error.resultCode)"))")
        }
    }

    /// How much of the database file reads may map (SQLite's mmap_size).
    static let mmapBytes = 1 << 30

    static func configuration(cacheMiB: Int = 32, backgroundCheckpoints: Bool = false) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Deleted and overwritten content is zeroed, so erased personal data does not linger in free space.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // Checkpoints run beside the writer (`Checkpointer`), not inside its commits.
            if backgroundCheckpoints { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
            try db.execute(sql: "PRAGMA cache_size = -\(cacheMiB * 1024)")  // bulk inserts and hot pages stay in cache
            // Reads of the file map its pages (no read call and copy per page missing from the cache above):
            // a scan's lookups land on random pages of the code and packing tables. Writes are unchanged.
            try db.execute(sql: "PRAGMA mmap_size = \(mmapBytes)")
            db.add(function: scansSince)
        }
        return configuration
    }
}

// MARK: - Schema

extension SQLiteStore {
    /// The migrations the file has and those opening it would apply, without changing it.
    public static func migrationStatus(path: String) throws -> (applied: [String], pending: [String]) {
        guard FileManager.default.fileExists(atPath: path) else { return ([], migrator.migrations) }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let applied = try DatabaseQueue(path: path, configuration: configuration).read { db in try migrator.appliedIdentifiers(db) }
            return (migrator.migrations.filter(applied.contains) + applied.subtracting(migrator.migrations).sorted(),
                    migrator.migrations.filter { !applied.contains($0) })
        } catch let error as DatabaseError {
            throw InputError("database", "cannot read \(path) as a OneCode database (\(error.message ?? "SQLite error \(error.resultCode)"))")
        }
    }

    /// Migrations are registered here, in order, and never edited once shipped.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: catalogue") { db in
            try db.execute(sql: """
                CREATE TABLE product (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    gtin TEXT UNIQUE,
                    sku TEXT,
                    created_at REAL NOT NULL
                );
                CREATE TABLE batch (
                    id INTEGER PRIMARY KEY,
                    product_id INTEGER NOT NULL REFERENCES product(id),
                    count INTEGER NOT NULL CHECK (count > 0),
                    lot TEXT,
                    production_date TEXT NOT NULL,
                    expiry_date TEXT,
                    region TEXT,
                    status TEXT NOT NULL CHECK (status IN ('issued', 'active', 'void')),
                    url_form TEXT NOT NULL CHECK (url_form IN ('short', 'gs1')),
                    uppercase INTEGER NOT NULL,
                    code_length INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX batch_product ON batch(product_id);
                -- key: the code's 60 random bits, so lookup by code is a rowid lookup.
                CREATE TABLE code (
                    key INTEGER PRIMARY KEY,
                    batch_id INTEGER NOT NULL REFERENCES batch(id),
                    seq INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: scans and tokens") { db in
            try db.execute(sql: """
                ALTER TABLE code ADD COLUMN blacklist_reason TEXT;
                -- A code's scan count, first-scan time and distinct consumers are read from its
                -- counted scans through scan_code, in the transaction that adds the next scan: they
                -- cannot disagree with the rows, and a scan writes no code page.
                CREATE TABLE scan (
                    id INTEGER PRIMARY KEY,
                    at REAL NOT NULL,
                    code_key INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    batch_id INTEGER,
                    consumer TEXT,
                    ip TEXT,
                    user_agent TEXT,
                    referer TEXT,
                    bot INTEGER NOT NULL,
                    counted INTEGER NOT NULL,
                    region TEXT,
                    latitude REAL,
                    longitude REAL,
                    verdict TEXT NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE INDEX scan_code ON scan(code_key, counted, at, consumer);
                CREATE TABLE api_token (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    hash BLOB NOT NULL UNIQUE,
                    created_at REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3: campaigns") { db in
            try db.execute(sql: """
                CREATE TABLE campaign (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    definition TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('draft', 'live', 'paused', 'ended')),
                    starts_at REAL NOT NULL,
                    ends_at REAL NOT NULL,
                    created_at REAL NOT NULL
                );
                -- The stock guard: an award that would pass the stock fails the CHECK, so no tier is oversold.
                CREATE TABLE campaign_tier (
                    campaign_id INTEGER NOT NULL REFERENCES campaign(id),
                    tier INTEGER NOT NULL,
                    stock INTEGER NOT NULL,
                    awarded INTEGER NOT NULL DEFAULT 0 CHECK (awarded >= 0 AND awarded <= stock),
                    PRIMARY KEY (campaign_id, tier)
                ) WITHOUT ROWID;
                CREATE TABLE campaign_tier_day (
                    campaign_id INTEGER NOT NULL,
                    tier INTEGER NOT NULL,
                    day TEXT NOT NULL,
                    awarded INTEGER NOT NULL,
                    PRIMARY KEY (campaign_id, tier, day)
                ) WITHOUT ROWID;
                -- One draw per code per campaign, whoever scans it.
                CREATE TABLE entry (
                    id INTEGER PRIMARY KEY,
                    campaign_id INTEGER NOT NULL REFERENCES campaign(id),
                    code_key INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    consumer TEXT,
                    at REAL NOT NULL,
                    day TEXT NOT NULL,
                    result TEXT NOT NULL,
                    tier INTEGER,
                    UNIQUE (campaign_id, code_key)
                );
                CREATE INDEX entry_consumer ON entry(campaign_id, consumer, day);
                """)
        }
        migrator.registerMigration("v4: claims and contacts") { db in
            try db.execute(sql: """
                -- A consumer's contact and consent, given when claiming; updated by later claims.
                CREATE TABLE consumer_contact (
                    consumer TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    consent_version TEXT NOT NULL,
                    consent_text TEXT NOT NULL,
                    consented_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE claim (
                    entry_id INTEGER PRIMARY KEY REFERENCES entry(id),
                    consumer TEXT NOT NULL,
                    name TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    consent_version TEXT NOT NULL,
                    at REAL NOT NULL,
                    redemption_code TEXT UNIQUE
                );
                """)
        }
        migrator.registerMigration("v5: stores and redemptions") { db in
            try db.execute(sql: """
                CREATE TABLE store (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    region TEXT,
                    created_at REAL NOT NULL
                );
                ALTER TABLE api_token ADD COLUMN store_id INTEGER REFERENCES store(id);
                -- One redemption per claimed prize: the primary key refuses a second.
                CREATE TABLE redemption (
                    entry_id INTEGER PRIMARY KEY REFERENCES claim(entry_id),
                    store_id INTEGER NOT NULL REFERENCES store(id),
                    at REAL NOT NULL
                );
                CREATE INDEX redemption_store ON redemption(store_id);
                """)
        }
        migrator.registerMigration("v6: points") { db in
            try db.execute(sql: """
                -- Points a won draw credits to its consumer; a balance is their sum.
                ALTER TABLE entry ADD COLUMN points INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX entry_points ON entry(consumer) WHERE points > 0;
                """)
        }
        migrator.registerMigration("v7: outbox and webhooks") { db in
            try db.execute(sql: """
                -- Events, each written in the transaction of the change it reports.
                -- event_id is 100 random bits, unique without an index (an index on random keys would
                -- add a random page write to every event on the scan path).
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY,
                    event_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                -- Each configured endpoint's place in the outbox: events after it are not yet queued for it.
                CREATE TABLE webhook_endpoint (
                    url TEXT PRIMARY KEY,
                    cursor INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE webhook_delivery (
                    id INTEGER PRIMARY KEY,
                    endpoint TEXT NOT NULL REFERENCES webhook_endpoint(url),
                    event INTEGER NOT NULL REFERENCES outbox(id),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_at REAL NOT NULL,
                    delivered_at REAL,
                    failed_at REAL,
                    last_error TEXT,
                    UNIQUE (endpoint, event)
                );
                CREATE INDEX webhook_due ON webhook_delivery(next_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
                """)
        }
        migrator.registerMigration("v8: entries found through their scan") { db in
            // An index on (campaign, code) took a random page per draw. An entry now names the scan
            // that drew it; a code's earlier draw is found from its counted scans (scan_code) and
            // entry_scan, both already needed, and entry_scan grows at its end like the scans do.
            // One draw per code per campaign is kept by the single writer's check-then-insert.
            try db.execute(sql: """
                CREATE TABLE entry_v8 (
                    id INTEGER PRIMARY KEY,
                    campaign_id INTEGER NOT NULL REFERENCES campaign(id),
                    scan_id INTEGER NOT NULL,
                    code_key INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    consumer TEXT,
                    at REAL NOT NULL,
                    day TEXT NOT NULL,
                    result TEXT NOT NULL,
                    tier INTEGER,
                    points INTEGER NOT NULL DEFAULT 0
                );
                INSERT INTO entry_v8 (id, campaign_id, scan_id, code_key, code, consumer, at, day, result, tier, points)
                SELECT e.id, e.campaign_id,
                    coalesce((SELECT s.id FROM scan s WHERE s.code_key = e.code_key AND s.counted = 1 AND s.at = e.at ORDER BY s.id LIMIT 1),
                             (SELECT min(s.id) FROM scan s WHERE s.code_key = e.code_key AND s.counted = 1), 0),
                    e.code_key, e.code, e.consumer, e.at, e.day, e.result, e.tier, e.points
                FROM entry e;
                DROP TABLE entry;
                ALTER TABLE entry_v8 RENAME TO entry;
                CREATE INDEX entry_scan ON entry(scan_id);
                CREATE INDEX entry_consumer ON entry(campaign_id, consumer, day);
                CREATE INDEX entry_points ON entry(consumer) WHERE points > 0;
                """)
        }
        migrator.registerMigration("v9: linker") { db in
            try db.execute(sql: """
                -- A rating left on the scan page: once per consumer and code.
                CREATE TABLE feedback (
                    id INTEGER PRIMARY KEY,
                    at REAL NOT NULL,
                    code_key INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    batch_id INTEGER NOT NULL,
                    product_id INTEGER NOT NULL,
                    consumer TEXT,
                    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
                    comment TEXT
                );
                CREATE UNIQUE INDEX feedback_code_consumer ON feedback(code_key, consumer);
                CREATE INDEX claim_consumer ON claim(consumer);
                -- Derived from scans, entries, claims and feedback by the linker; rebuilt at will.
                -- products, batches, regions: ",a,b,"; days: "day:count,…" (UTC day numbers, last 366 days).
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
                    version INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX profile_version ON consumer_profile(version);
                -- Where the last refresh stopped in each source.
                CREATE TABLE linker_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    version INTEGER NOT NULL,
                    scan_cursor INTEGER NOT NULL,
                    entry_cursor INTEGER NOT NULL,
                    feedback_cursor INTEGER NOT NULL,
                    outbox_cursor INTEGER NOT NULL,
                    lead_seq INTEGER NOT NULL,
                    refreshed_at REAL
                );
                INSERT INTO linker_state VALUES (1, 0, 0, 0, 0, 0, 0, NULL);
                CREATE TABLE segment (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    rules TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    refreshed_at REAL,
                    version INTEGER NOT NULL DEFAULT 0,
                    members INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE segment_member (
                    segment_id INTEGER NOT NULL REFERENCES segment(id),
                    consumer TEXT NOT NULL,
                    PRIMARY KEY (segment_id, consumer)
                ) WITHOUT ROWID;

                -- seq: the export cursor; every new or changed lead takes the next one.
                CREATE TABLE lead (
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
                """)
        }
        migrator.registerMigration("v10: the schema keeps the invariants") { db in
            // code_log: one row per claim a scan or a draw makes on a code, in one B-tree keyed by code,
            // so the schema refuses what a second writer could break, and per-code reads walk one index:
            //   slot n > 0        the code's n-th counted scan (ref: scan id). Unique (code, 1): one
            //                     `genuine` per code; the count is the largest slot, one step down.
            //   slot -campaign    the code's draw in that campaign (ref: entry id): one draw per code.
            //   slot < -2^40      an uncounted scan (-2^40 - scan id), found by code like the others.
            // A campaign scan's draw lands in the same leaf page as its scan (the same code key), so a
            // draw costs no extra random page write (a separate unique index on entries cost a sixth of
            // the campaign scan rate).
            try db.execute(sql: """
                CREATE TABLE code_log (
                    code_key INTEGER NOT NULL,
                    slot INTEGER NOT NULL,
                    ref INTEGER NOT NULL,
                    -- a scan's time and consumer, so verdict reads need no scan row
                    at REAL,
                    consumer TEXT,
                    PRIMARY KEY (code_key, slot)
                ) WITHOUT ROWID;
                INSERT INTO code_log (code_key, slot, ref, at, consumer)
                    SELECT code_key, row_number() OVER (PARTITION BY code_key ORDER BY id), id, at, consumer FROM scan WHERE counted = 1;
                INSERT INTO code_log (code_key, slot, ref, at, consumer)
                    SELECT code_key, -1099511627776 - id, id, at, consumer FROM scan WHERE counted = 0;
                INSERT OR IGNORE INTO code_log (code_key, slot, ref) SELECT code_key, -campaign_id, id FROM entry ORDER BY id;
                DROP INDEX scan_code;
                DROP INDEX entry_scan;
                """)
        }
        migrator.registerMigration("v11: late changes reach the linker") { db in
            // A scan's region can change after the linker read it (a location shared later). Each such
            // change is logged in the transaction that makes it; the next refresh moves one count from
            // the old region to the new (profiles now count scans per region: ",CN-31:2,CN:1,").
            // Profiles are derived data: they are rebuilt in the new form by the next refresh.
            try db.execute(sql: """
                CREATE TABLE linker_change (
                    id INTEGER PRIMARY KEY,
                    consumer TEXT NOT NULL,
                    scan_id INTEGER NOT NULL,
                    at REAL NOT NULL,
                    old_region TEXT,
                    new_region TEXT
                );
                ALTER TABLE linker_state ADD COLUMN change_cursor INTEGER NOT NULL DEFAULT 0;
                DELETE FROM consumer_profile;
                DELETE FROM segment_member;
                UPDATE segment SET version = 0, members = 0;
                UPDATE linker_state SET scan_cursor = 0, entry_cursor = 0, feedback_cursor = 0, outbox_cursor = 0;
                """)
        }
        migrator.registerMigration("v12: token last use") { db in
            try db.execute(sql: "ALTER TABLE api_token ADD COLUMN last_used_at REAL")
        }
        migrator.registerMigration("v13: feedback by consumer") { db in
            // The lead export reads each consumer's latest rating; erasure finds their ratings.
            try db.execute(sql: "CREATE INDEX feedback_consumer ON feedback(consumer, id)")
        }
        migrator.registerMigration("v14: product names per language and image") { db in
            try db.execute(sql: """
                ALTER TABLE product ADD COLUMN name_zh TEXT;
                ALTER TABLE product ADD COLUMN name_en TEXT;
                ALTER TABLE product ADD COLUMN image_url TEXT;
                """)
        }
        migrator.registerMigration("v15: a profile's latest region knows its time; segment and late-change ids never reused") { db in
            // Profiles gain the time of their latest known region; the next refresh computes every profile
            // anew (cursors back to the start). Segments get AUTOINCREMENT ids, as PostgreSQL's never come
            // back after a deletion (an id in a sales tool's export must not name another segment later).
            // So do late changes: erasure deletes a consumer's, and a rowid taken again below the
            // linker's cursor was a change the next refresh never read (the property test found it).
            try db.execute(sql: """
                ALTER TABLE consumer_profile ADD COLUMN last_region_at REAL;
                DELETE FROM consumer_profile;
                UPDATE linker_state SET scan_cursor = 0, entry_cursor = 0, feedback_cursor = 0, outbox_cursor = 0, change_cursor = 0;
                CREATE TABLE segment_new (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    rules TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    refreshed_at REAL,
                    version INTEGER NOT NULL DEFAULT 0,
                    members INTEGER NOT NULL DEFAULT 0
                );
                INSERT INTO segment_new (id, name, rules, created_at, refreshed_at, version, members)
                    SELECT id, name, rules, created_at, refreshed_at, 0, members FROM segment;
                DROP TABLE segment;
                ALTER TABLE segment_new RENAME TO segment;
                CREATE TABLE linker_change_new (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    consumer TEXT NOT NULL,
                    scan_id INTEGER NOT NULL,
                    at REAL NOT NULL,
                    old_region TEXT,
                    new_region TEXT
                );
                INSERT INTO linker_change_new SELECT id, consumer, scan_id, at, old_region, new_region FROM linker_change;
                DROP TABLE linker_change;
                ALTER TABLE linker_change_new RENAME TO linker_change;
                """)
        }
        migrator.registerMigration("v16: the marketing consent apart from the prize's") { db in
            // A claim's consent was one statement, to deliver the prize and to be contacted: those who gave
            // it keep both (the marketing columns copy it); new claims record the second only when ticked.
            try db.execute(sql: """
                ALTER TABLE consumer_contact ADD COLUMN marketing_consent_version TEXT;
                ALTER TABLE consumer_contact ADD COLUMN marketing_consent_text TEXT;
                ALTER TABLE consumer_contact ADD COLUMN marketing_consented_at REAL;
                UPDATE consumer_contact SET marketing_consent_version = consent_version, marketing_consent_text = consent_text,
                    marketing_consented_at = consented_at;
                ALTER TABLE claim ADD COLUMN marketing_consent_version TEXT;
                UPDATE claim SET marketing_consent_version = consent_version;
                """)
        }
        migrator.registerMigration("v17: batches issued in short transactions") { db in
            // A batch being issued, its codes written a chunk per transaction so scans never wait behind it.
            try db.execute(sql: """
                CREATE TABLE batch_issuing (
                    batch_id INTEGER PRIMARY KEY REFERENCES batch(id),
                    heartbeat_at REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("v18: the secret's fingerprint") { db in
            // The fingerprint of the secret the codes were issued under (never the secret): recorded at the
            // first issue, or at the first open with a secret of a database that has batches already.
            try db.execute(sql: """
                CREATE TABLE code_secret (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    fingerprint TEXT NOT NULL,
                    recorded_at REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("v19: the linker's derived rows in their own file") { db in
            // Profiles, memberships, cursors and each segment's refresh state move to the linker's file
            // (`LinkerFile`), so a refresh never takes this file's write lock; the first refresh after
            // the upgrade computes them anew there. Segments (people wrote them) and leads (sales tools
            // hold their cursors) stay here. linker_flush: what this file holds of what the linker's file
            // made (its epoch, the last event and lead moved), so an interrupted move is not repeated.
            try db.execute(sql: """
                DROP TABLE consumer_profile;
                DROP TABLE segment_member;
                DROP TABLE linker_state;
                ALTER TABLE segment DROP COLUMN refreshed_at;
                ALTER TABLE segment DROP COLUMN version;
                ALTER TABLE segment DROP COLUMN members;
                CREATE TABLE linker_flush (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    epoch TEXT NOT NULL,
                    event INTEGER NOT NULL,
                    lead_seq INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v20: the resolver's links") { db in
            // Links brands give their items (a GTIN, or one of its lots) by GS1 link type. lot_key is the
            // lot or '' (one key for "the GTIN's own"): one default link per item, kept by the schema.
            try db.execute(sql: """
                CREATE TABLE resolver_link (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    gtin TEXT NOT NULL,
                    lot TEXT,
                    lot_key TEXT GENERATED ALWAYS AS (coalesce(lot, '')) VIRTUAL,
                    link_type TEXT NOT NULL,
                    href TEXT NOT NULL,
                    title TEXT NOT NULL,
                    language TEXT,
                    context TEXT,
                    is_default INTEGER NOT NULL CHECK (is_default IN (0, 1)),
                    created_at REAL NOT NULL
                );
                CREATE INDEX resolver_link_item ON resolver_link(gtin, lot_key);
                CREATE UNIQUE INDEX resolver_link_default ON resolver_link(gtin, lot_key) WHERE is_default = 1;
                """)
        }
        migrator.registerMigration("v21: the channel") { db in
            // Packing (code_parent: one parent per code, the primary key refuses a second; aggregation and
            // aggregation_child: every packing and unpacking as reported, for EPCIS), dealers and warehouses,
            // shipments of codes (a case or pallet, never a row per unit inside), and diversions (one per
            // unit and dealer, the primary key refuses a second).
            try db.execute(sql: """
                ALTER TABLE batch ADD COLUMN kind TEXT NOT NULL DEFAULT 'unit' CHECK (kind IN ('unit', 'inner-case', 'case', 'pallet'));
                CREATE TABLE code_parent (
                    child_key INTEGER PRIMARY KEY,
                    parent_key INTEGER NOT NULL,
                    aggregation_id INTEGER NOT NULL
                );
                CREATE INDEX code_parent_parent ON code_parent(parent_key);
                CREATE TABLE aggregation (
                    id INTEGER PRIMARY KEY,
                    parent_key INTEGER NOT NULL,
                    action TEXT NOT NULL CHECK (action IN ('add', 'delete')),
                    at REAL NOT NULL,
                    children INTEGER NOT NULL
                );
                CREATE INDEX aggregation_at ON aggregation(at);
                CREATE TABLE aggregation_child (
                    aggregation_id INTEGER NOT NULL,
                    child_key INTEGER NOT NULL,
                    PRIMARY KEY (aggregation_id, child_key)
                ) WITHOUT ROWID;
                CREATE TABLE dealer (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    territory TEXT NOT NULL,
                    contact TEXT,
                    created_at REAL NOT NULL
                );
                CREATE TABLE warehouse (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    region TEXT,
                    created_at REAL NOT NULL
                );
                CREATE TABLE shipment (
                    id INTEGER PRIMARY KEY,
                    dealer_id INTEGER NOT NULL REFERENCES dealer(id),
                    from_dealer_id INTEGER REFERENCES dealer(id),
                    warehouse_id INTEGER REFERENCES warehouse(id),
                    at REAL NOT NULL,
                    codes INTEGER NOT NULL
                );
                -- A code's shipments, newest last: its last is one step down (code_key, max shipment_id).
                CREATE TABLE shipment_code (
                    code_key INTEGER NOT NULL,
                    shipment_id INTEGER NOT NULL,
                    PRIMARY KEY (code_key, shipment_id)
                ) WITHOUT ROWID;
                CREATE INDEX shipment_code_shipment ON shipment_code(shipment_id);
                CREATE TABLE diversion (
                    code_key INTEGER NOT NULL,
                    dealer_id INTEGER NOT NULL REFERENCES dealer(id),
                    shipment_id INTEGER NOT NULL,
                    scan_id INTEGER NOT NULL,
                    at REAL NOT NULL,
                    region TEXT NOT NULL,
                    territory TEXT NOT NULL,
                    PRIMARY KEY (code_key, dealer_id)
                ) WITHOUT ROWID;
                CREATE INDEX diversion_dealer ON diversion(dealer_id, region);
                """)
        }
        migrator.registerMigration("v22: receipts, clerks and the ledger") { db in
            // One receipt per case and one clerk per case (their keys refuse a second, whichever node
            // writes it); a clerk's rewards per day behind a guarded update; one clerk reward per unit.
            try db.execute(sql: """
                CREATE TABLE clerk (
                    id INTEGER PRIMARY KEY,
                    store_id INTEGER NOT NULL REFERENCES store(id),
                    name TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                ALTER TABLE api_token ADD COLUMN clerk_id INTEGER REFERENCES clerk(id);
                CREATE TABLE receipt (
                    id INTEGER PRIMARY KEY,
                    code_key INTEGER NOT NULL UNIQUE,
                    store_id INTEGER NOT NULL REFERENCES store(id),
                    at REAL NOT NULL
                );
                CREATE INDEX receipt_store ON receipt(store_id);
                CREATE TABLE clerk_case (
                    code_key INTEGER PRIMARY KEY,
                    clerk_id INTEGER NOT NULL REFERENCES clerk(id),
                    at REAL NOT NULL
                );
                CREATE TABLE clerk_day (
                    clerk_id INTEGER NOT NULL,
                    day TEXT NOT NULL,
                    amount INTEGER NOT NULL,
                    PRIMARY KEY (clerk_id, day)
                ) WITHOUT ROWID;
                CREATE TABLE ledger (
                    id INTEGER PRIMARY KEY,
                    at REAL NOT NULL,
                    store_id INTEGER NOT NULL REFERENCES store(id),
                    clerk_id INTEGER REFERENCES clerk(id),
                    amount INTEGER NOT NULL CHECK (amount > 0),
                    cause TEXT NOT NULL CHECK (cause IN ('receipt-rebate', 'clerk-reward')),
                    receipt_id INTEGER,
                    scan_id INTEGER,
                    code TEXT NOT NULL
                );
                CREATE UNIQUE INDEX ledger_clerk_reward ON ledger(code) WHERE cause = 'clerk-reward';
                CREATE INDEX ledger_at ON ledger(at);
                """)
        }
        migrator.registerMigration("v23: hidden PINs") { db in
            // A batch's PIN length (0: none; the PINs themselves are derived from the secret, stored
            // nowhere), and each code's wrong PINs: past the limit the code is locked for draws.
            try db.execute(sql: """
                ALTER TABLE batch ADD COLUMN pin_length INTEGER NOT NULL DEFAULT 0 CHECK (pin_length = 0 OR pin_length BETWEEN 6 AND 8);
                CREATE TABLE code_pin (
                    code_key INTEGER PRIMARY KEY,
                    failures INTEGER NOT NULL,
                    locked_at REAL
                );
                """)
        }
        migrator.registerMigration("v24: deliveries to stores") { db in
            // A dealer's delivery to a store: a shipment under the dealer delivering, with the store.
            try db.execute(sql: "ALTER TABLE shipment ADD COLUMN store_id INTEGER REFERENCES store(id)")
        }
        migrator.registerMigration("v25: fake scans counted") { db in
            // Forged and unknown codes' scans by UTC day, region ('' when not known) and verdict (`FakeStore`).
            try db.execute(sql: """
                CREATE TABLE fake_count (
                    day TEXT NOT NULL,
                    region TEXT NOT NULL,
                    verdict TEXT NOT NULL CHECK (verdict IN ('forged', 'unknown', 'suspicious')),
                    scans INTEGER NOT NULL CHECK (scans >= 0),
                    PRIMARY KEY (day, region, verdict)
                )
                """)
        }
        migrator.registerMigration("v26: resolutions counted") { db in
            // GS1 Digital Link resolutions by UTC day and link type (`ResolutionStore`).
            try db.execute(sql: """
                CREATE TABLE resolution_count (
                    day TEXT NOT NULL,
                    link_type TEXT NOT NULL,
                    resolutions INTEGER NOT NULL CHECK (resolutions >= 0),
                    PRIMARY KEY (day, link_type)
                )
                """)
        }
        migrator.registerMigration("v27: counterfeit reports") { db in
            // Consumers' reports of products whose code did not check out (`FakeStore`); the phone only with
            // the consent to be contacted, the consumer id for erasure.
            try db.execute(sql: """
                CREATE TABLE fake_report (
                    id INTEGER PRIMARY KEY,
                    at REAL NOT NULL,
                    day TEXT NOT NULL,
                    code TEXT NOT NULL,
                    verdict TEXT NOT NULL CHECK (verdict IN ('forged', 'unknown')),
                    region TEXT,
                    where_bought TEXT,
                    comment TEXT,
                    phone TEXT,
                    contact_consent_at REAL,
                    consumer TEXT,
                    ip TEXT,
                    CHECK (phone IS NULL OR contact_consent_at IS NOT NULL)
                );
                CREATE INDEX fake_report_day ON fake_report(day);
                CREATE INDEX fake_report_consumer ON fake_report(consumer);
                """)
        }
        migrator.registerMigration("v28: audit log") { db in
            // Who did what and when (`AuditStore`): written by each audited action in its transaction; the
            // schema refuses to change or delete an entry.
            try db.execute(sql: """
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY,
                    at REAL NOT NULL,
                    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'token', 'cli', 'system')),
                    actor_id INTEGER,
                    actor_name TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    subject_id TEXT,
                    detail TEXT
                );
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                """)
        }
        migrator.registerMigration("v29: console users") { db in
            // People who sign in to the console (`UserStore`): a bcrypt hash of the password, never the password.
            try db.execute(sql: """
                CREATE TABLE console_user (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'issuer', 'marketing', 'sales', 'service', 'clerk')),
                    store_id INTEGER REFERENCES store(id),
                    password_hash TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    CHECK ((role = 'clerk') = (store_id IS NOT NULL))
                )
                """)
        }
        migrator.registerMigration("v30: console sessions") { db in
            // Console sessions by a SHA-256 of their id (the id is only in the browser's cookie), and failed
            // sign-ins for throttling (`SessionStore`). Neither is copied by `db copy`: they are short-lived.
            try db.execute(sql: """
                CREATE TABLE console_session (
                    key_hash BLOB PRIMARY KEY,
                    data TEXT NOT NULL,
                    expires_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX console_session_expiry ON console_session(expires_at);
                CREATE TABLE sign_in_failure (
                    id INTEGER PRIMARY KEY,
                    account TEXT NOT NULL,
                    address TEXT NOT NULL,
                    at REAL NOT NULL
                );
                CREATE INDEX sign_in_failure_account ON sign_in_failure(account, at);
                CREATE INDEX sign_in_failure_address ON sign_in_failure(address, at);
                CREATE INDEX sign_in_failure_at ON sign_in_failure(at);
                """)
        }
        migrator.registerMigration("v31: scan day counts") { db in
            // Scans of OneCode's codes by UTC day, batch, region ('' when not known) and verdict (`SummaryStore`):
            // what the console reads instead of the scan table.
            try db.execute(sql: """
                CREATE TABLE scan_day (
                    day TEXT NOT NULL,
                    batch_id INTEGER NOT NULL,
                    region TEXT NOT NULL,
                    verdict TEXT NOT NULL,
                    scans INTEGER NOT NULL CHECK (scans >= 0),
                    first_scans INTEGER NOT NULL CHECK (first_scans >= 0 AND first_scans <= scans),
                    PRIMARY KEY (day, batch_id, region, verdict)
                ) WITHOUT ROWID;
                CREATE INDEX scan_day_batch ON scan_day(batch_id, day);
                """)
        }
        migrator.registerMigration("v32: feedback handling") { db in
            // The service team's answer to a rating (`FeedbackInboxStore`): when, by whom, and the cause they tagged.
            try db.execute(sql: """
                CREATE TABLE feedback_handling (
                    feedback_id INTEGER PRIMARY KEY REFERENCES feedback(id),
                    at REAL NOT NULL,
                    handled_by TEXT NOT NULL,
                    cause TEXT CHECK (cause IS NULL OR length(cause) BETWEEN 1 AND 40)
                )
                """)
        }
        migrator.registerMigration("v33: outbox by type") { db in
            // The console's newest alerts (`OutboxStore.newestEvents`) walk back from each type's newest event.
            try db.execute(sql: "CREATE INDEX outbox_type ON outbox(type, id)")
        }
        migrator.registerMigration("v34: console second factor") { db in
            // A user's TOTP secret, sealed (AES-GCM under a key derived from the code secret: a copy of the
            // database alone does not give it), and the last time step whose code signed in (each code once).
            try db.execute(sql: """
                ALTER TABLE console_user ADD COLUMN totp_sealed BLOB;
                ALTER TABLE console_user ADD COLUMN totp_step INTEGER;
                """)
        }
        migrator.registerMigration("v35: console issue jobs") { db in
            // Batches being issued from the console, their progress read by whichever node serves the page
            // (`IssueJobStore`). Not copied by `db copy`: they last a day.
            try db.execute(sql: """
                CREATE TABLE issue_job (
                    id TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL,
                    total INTEGER NOT NULL,
                    done INTEGER NOT NULL,
                    batch_id INTEGER,
                    error TEXT,
                    started_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX issue_job_updated ON issue_job(updated_at);
                """)
        }
        migrator.registerMigration("v36: feedback by rating") { db in
            // The inbox reads the lowest ratings first, newest first among them: walked in this order, it stops
            // at its page instead of sorting every rating (`FeedbackInboxSQL.inbox`).
            try db.execute(sql: "CREATE INDEX feedback_rating ON feedback(rating, id DESC)")
        }
        return migrator
    }
}

// MARK: - CatalogStore

extension SQLiteStore: CatalogStore {
    public func addProduct(_ product: NewProduct, audit: AuditEntry) async throws -> Product {
        try await writer.write { db in
            if let gtin = product.gtin,
               let other = try Int64.fetchOne(db, sql: "SELECT id FROM product WHERE gtin = ?", arguments: [gtin.digits]) {
                throw ConflictError("gtin", "\(gtin.digits) is already registered for product \(other)")
            }
            let now = Date()
            try Self.conflicts(as: ConflictError("gtin", "\(product.gtin?.digits ?? "") is already registered for another product")) {
                try db.execute(
                    sql: "INSERT INTO product (name, name_zh, name_en, gtin, sku, image_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [product.name, product.nameZh, product.nameEn, product.gtin?.digits, product.sku, product.imageURL,
                                now.timeIntervalSince1970])
            }
            let id = db.lastInsertedRowID
            try Self.append(audit.created(id), db)
            return Product(id: ProductID(rawValue: id), name: product.name, nameZh: product.nameZh, nameEn: product.nameEn,
                           gtin: product.gtin, sku: product.sku, imageURL: product.imageURL, createdAt: now)
        }
    }

    public func updateProduct(_ id: ProductID, _ change: ProductChange, audit: AuditEntry) async throws -> Product? {
        try await writer.write { db in
            guard let product = try Self.fetchProduct(db, id) else { return nil }
            let changed = change.applied(to: product)
            try db.execute(sql: "UPDATE product SET name_zh = ?, name_en = ?, image_url = ? WHERE id = ?",
                           arguments: [changed.nameZh, changed.nameEn, changed.imageURL, id.rawValue])
            try Self.append(audit, db)
            return changed
        }
    }

    public func products() async throws -> [Product] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM product ORDER BY id").map(Self.product(from:))
        }
    }

    public func product(_ id: ProductID) async throws -> Product? {
        try await writer.read { db in try Self.fetchProduct(db, id) }
    }

    /// Codes written per transaction while issuing: about a scan group's time (a few ms), so scans are
    /// never held behind an issue longer than behind a group commit.
    static let issueChunk = 2_048
    /// An issue whose process has written nothing for this long died part-way: its codes are taken back
    /// by the next issue.
    static let abandonedIssueSeconds = 600.0

    /// Issues a batch in short transactions, so scans never wait behind a large batch (SQLite has one
    /// writer): the batch is written first, marked as being issued (`batch_issuing`: not listed, cannot be
    /// activated, its codes scan `inactive`), then its codes a chunk at a time, then the mark goes with the
    /// last step. What fails part-way is taken back (its codes deleted, the batch too); an issue whose
    /// process died is taken back by the next one.
    public func issueBatch<T: Sendable>(
        _ new: NewBatch, codeLength: Int, audit: AuditEntry?,
        _ body: @escaping @Sendable (Batch, Product, any CodeSink) throws -> T
    ) async throws -> (Batch, T) {
        try await takeBackAbandonedIssues()
        let (batch, product) = try await writer.write { db in
            guard let product = try Self.fetchProduct(db, new.productID) else {
                throw NotFoundError("product", "no product with id \(new.productID); see `onecode product list`")
            }
            let now = Date()
            try db.execute(
                sql: """
                    INSERT INTO batch (product_id, count, lot, production_date, expiry_date, region, status,
                                       url_form, uppercase, code_length, created_at, kind, pin_length)
                    VALUES (?, ?, ?, ?, ?, ?, 'issued', ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [new.productID.rawValue, new.count, new.lot, new.productionDate.description,
                            new.expiryDate?.description, new.region, new.urlForm.rawValue, new.uppercase,
                            codeLength, now.timeIntervalSince1970, new.kind.rawValue, new.pinLength])
            let batch = Batch(
                id: BatchID(rawValue: db.lastInsertedRowID), productID: new.productID, count: new.count, lot: new.lot,
                productionDate: new.productionDate, expiryDate: new.expiryDate, region: new.region, status: .issued,
                urlForm: new.urlForm, uppercase: new.uppercase, codeLength: codeLength, createdAt: now, kind: new.kind,
                pinLength: new.pinLength)
            try db.execute(sql: "INSERT INTO batch_issuing (batch_id, heartbeat_at) VALUES (?, ?)",
                           arguments: [batch.id.rawValue, now.timeIntervalSince1970])
            return (batch, product)
        }
        let sink = SQLiteCodeSink(writer: writer, batch: batch.id)
        do {
            // The issuer's loop blocks on each chunk's write: on a thread of its own, not the service's.
            let result = try await Self.onOwnThread {
                let result = try body(batch, product, sink)
                try sink.flush()
                return result
            }
            try await writer.write { db in
                try db.execute(sql: "DELETE FROM batch_issuing WHERE batch_id = ?", arguments: [batch.id.rawValue])
                // Taken back meanwhile as abandoned (a clock far off, or a stall of ten minutes): not issued.
                guard db.changesCount == 1 else { throw ConflictError("batch", "the issue stalled and was taken back; issue again") }
                if let audit { try Self.append(audit.created(batch.id.rawValue), db) }
            }
            return (batch, result)
        } catch {
            try? await takeBack(batch.id, keys: sink.remembered ? sink.written : nil)
            throw error
        }
    }

    /// Deletes a part-issued batch: its codes (those in `keys`, else found by a walk of the code table in
    /// key order), then the batch and its mark, a chunk per transaction.
    func takeBack(_ batch: BatchID, keys: [Int64]?) async throws {
        let id = batch.rawValue
        if let keys {
            for start in stride(from: 0, to: keys.count, by: Self.issueChunk) {
                let chunk = Array(keys[start..<min(keys.count, start + Self.issueChunk)])
                try await writer.write { db in
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    try db.execute(sql: "DELETE FROM code WHERE batch_id = ? AND key IN (\(marks))",
                                   arguments: StatementArguments([id] + chunk))
                }
            }
        } else {
            var after = Int64.min
            while true {
                let from = after
                let last = try await writer.write { db -> Int64? in
                    let found = try Int64.fetchAll(db, sql: "SELECT key FROM code WHERE key > ? AND batch_id = ? ORDER BY key LIMIT ?",
                                                   arguments: [from, id, Self.issueChunk])
                    guard let last = found.last else { return nil }
                    let marks = Array(repeating: "?", count: found.count).joined(separator: ",")
                    try db.execute(sql: "DELETE FROM code WHERE key IN (\(marks))", arguments: StatementArguments(found))
                    return last
                }
                guard let last else { break }
                after = last
            }
        }
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT count(*) = 1 FROM batch_issuing WHERE batch_id = ?", arguments: [id]) == true else { return }
            try db.execute(sql: "DELETE FROM batch_issuing WHERE batch_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM batch WHERE id = ?", arguments: [id])
        }
    }

    /// Takes back issues whose process stopped writing more than `abandonedIssueSeconds` ago.
    func takeBackAbandonedIssues() async throws {
        let cutoff = Date().timeIntervalSince1970 - Self.abandonedIssueSeconds
        let abandoned = try await writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT batch_id FROM batch_issuing WHERE heartbeat_at < ?", arguments: [cutoff])
        }
        for id in abandoned {
            // Claimed first (the heartbeat moved to now), so a second node's issue does not walk it too.
            let claimed = try await writer.write { db -> Bool in
                try db.execute(sql: "UPDATE batch_issuing SET heartbeat_at = ? WHERE batch_id = ? AND heartbeat_at < ?",
                               arguments: [Date().timeIntervalSince1970, id, cutoff])
                return db.changesCount == 1
            }
            if claimed { try await takeBack(BatchID(rawValue: id), keys: nil) }
        }
    }

    /// Runs blocking work on a thread of its own, off Swift's cooperative pool.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    public func secretFingerprint() async throws -> String? {
        try await writer.read { db in try String.fetchOne(db, sql: "SELECT fingerprint FROM code_secret WHERE id = 1") }
    }

    public func recordSecretFingerprint(_ fingerprint: String) async throws -> String {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO code_secret (id, fingerprint, recorded_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
                           arguments: [fingerprint, Date().timeIntervalSince1970])
            return try String.fetchOne(db, sql: "SELECT fingerprint FROM code_secret WHERE id = 1") ?? fingerprint
        }
    }

    public func batches(product: ProductID?) async throws -> [Batch] {
        try await writer.read { db in
            let rows: [Row]
            if let product {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM batch WHERE product_id = ? AND \(Self.issued) ORDER BY id DESC",
                                        arguments: [product.rawValue])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM batch WHERE \(Self.issued) ORDER BY id DESC")
            }
            return try rows.map(Self.batch(from:))
        }
    }

    public func batch(_ id: BatchID) async throws -> Batch? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM batch WHERE id = ? AND \(Self.issued)", arguments: [id.rawValue]).map(Self.batch(from:))
        }
    }

    public func codeCount(batch: BatchID) async throws -> Int {
        try await writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM code WHERE batch_id = ?", arguments: [batch.rawValue]) ?? 0
        }
    }

    public func code(_ key: CodeKey) async throws -> CodeRecord? {
        try await writer.read { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT batch_id, seq, blacklist_reason FROM code WHERE key = ?", arguments: [key.rawValue]) else { return nil }
            let batchRow = try Row.fetchOne(db, sql: "SELECT * FROM batch WHERE id = ?", arguments: [row["batch_id"] as Int64])!
            let batch = try Self.batch(from: batchRow)
            let product = try Self.fetchProduct(db, batch.productID)!
            let pin = try Row.fetchOne(db, sql: "SELECT failures, locked_at FROM code_pin WHERE code_key = ?", arguments: [key.rawValue])
            return CodeRecord(key: key, sequence: row["seq"], batch: batch, product: product, blacklistReason: row["blacklist_reason"],
                              wrongPins: pin?[0] ?? 0, pinLockedAt: (pin?[1] as Double?).map(Date.init(timeIntervalSince1970:)))
        }
    }
}

// MARK: - Rows

extension SQLiteStore {
    /// A batch whose issue has finished (`batch_issuing` holds those still being written).
    static let issued = "id NOT IN (SELECT batch_id FROM batch_issuing)"

    static func fetchProduct(_ db: Database, _ id: ProductID) throws -> Product? {
        try Row.fetchOne(db, sql: "SELECT * FROM product WHERE id = ?", arguments: [id.rawValue]).map(product(from:))
    }

    static func product(from row: Row) throws -> Product {
        Product(
            id: ProductID(rawValue: row["id"]), name: row["name"], nameZh: row["name_zh"], nameEn: row["name_en"],
            gtin: try (row["gtin"] as String?).map { try GTIN($0) }, sku: row["sku"], imageURL: row["image_url"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    static func batch(from row: Row) throws -> Batch {
        Batch(
            id: BatchID(rawValue: row["id"]), productID: ProductID(rawValue: row["product_id"]), count: row["count"],
            lot: row["lot"], productionDate: try Day(row["production_date"], field: "production_date"),
            expiryDate: try (row["expiry_date"] as String?).map { try Day($0, field: "expiry_date") },
            region: row["region"], status: BatchStatus(rawValue: row["status"]) ?? .void,
            urlForm: URLForm(rawValue: row["url_form"]) ?? .short, uppercase: row["uppercase"],
            codeLength: row["code_length"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
            kind: (row["kind"] as String?).flatMap(BatchKind.init(rawValue:)) ?? .unit, pinLength: (row["pin_length"] as Int?) ?? 0)
    }
}

/// Writes a batch's codes a chunk per transaction (`SQLiteStore.issueChunk`), each with the issue's
/// heartbeat, from the issuer's thread. A key another batch holds fails the chunk with `CodeKeyTaken`
/// (the issuer issues again with fresh keys). Keeps the keys it wrote, up to a million (8 MB), to take
/// them back on failure; beyond, the take-back walks the code table instead (memory stays bounded).
final class SQLiteCodeSink: CodeSink, @unchecked Sendable {
    static let rememberedKeys = 1 << 20
    private let writer: any DatabaseWriter
    private let batch: Int64
    private var pending: [(key: Int64, sequence: Int)] = []
    private(set) var written: [Int64] = []
    /// Whether `written` holds every key written.
    private(set) var remembered = true

    init(writer: any DatabaseWriter, batch: BatchID) {
        self.writer = writer
        self.batch = batch.rawValue
        pending.reserveCapacity(SQLiteStore.issueChunk)
    }

    func insert(_ key: CodeKey, sequence: Int) throws -> Bool {
        pending.append((key.rawValue, sequence))
        if pending.count >= SQLiteStore.issueChunk { try flush() }
        return true
    }

    func flush() throws {
        guard !pending.isEmpty else { return }
        let chunk = pending, batch = batch
        pending.removeAll(keepingCapacity: true)
        let inserted = try writer.write { db -> Int in
            let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO code (key, batch_id, seq) VALUES (?, ?, ?)")
            var inserted = 0
            for code in chunk {
                statement.setUncheckedArguments([code.key, batch, code.sequence])
                try statement.execute()
                inserted += db.changesCount
            }
            try db.execute(sql: "UPDATE batch_issuing SET heartbeat_at = ? WHERE batch_id = ?", arguments: [Date().timeIntervalSince1970, batch])
            return inserted
        }
        // Ignored rows are keys another batch holds: none of this chunk's keys were lost (the IGNOREd ones
        // are not ours); the ones written are remembered for the take-back.
        if remembered {
            written.append(contentsOf: chunk.map(\.key))
            if written.count > Self.rememberedKeys { remembered = false; written = [] }
        }
        if inserted != chunk.count { throw CodeKeyTaken() }
    }
}

// MARK: - Copying out (`onecode db copy`)

/// Where a copy's read of a table stands: the key of the last row read.
public struct CopyPosition: Sendable {
    let key: [DatabaseValue]
}

extension SQLiteStore {
    /// Up to `limit` rows of `table` after `position`, in key order, as a JSON array of objects
    /// (`CopyTable.Kind.carried`: times as seconds, booleans as 0/1, blobs as hex).
    public func copyRows(_ table: CopyTable, after position: CopyPosition?, limit: Int) async throws -> (json: String, rows: Int, next: CopyPosition?) {
        try await writer.read { db in
            let columns = table.columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
            let key = table.key.map { "\"\($0)\"" }.joined(separator: ", ")
            var sql = "SELECT \(columns) FROM \(table.name)"
            var arguments: [DatabaseValue] = []
            if let position {
                sql += " WHERE (\(key)) > (\(databaseQuestionMarks(count: table.key.count)))"
                arguments = position.key
            }
            sql += " ORDER BY \(key) LIMIT \(limit)"
            let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            var items: [String] = []
            items.reserveCapacity(rows.count)
            for row in rows {
                var object = EventJSON()
                for (index, column) in table.columns.enumerated() {
                    let value = row[index] as DatabaseValue
                    if value.isNull { object.add(column.name, nil as String?); continue }
                    switch column.kind {
                    case .integer, .bool: object.add(column.name, Int64.fromDatabaseValue(value))
                    case .real, .time: object.add(column.name, Double.fromDatabaseValue(value) ?? 0)
                    case .text: object.add(column.name, String.fromDatabaseValue(value))
                    case .blob: object.add(column.name, Data.fromDatabaseValue(value).map { $0.map { String(format: "%02x", $0) }.joined() })
                    }
                }
                items.append(object.text)
            }
            let next = rows.last.map { last in CopyPosition(key: table.key.map { name in last[name] as DatabaseValue }) }
            return ("[" + items.joined(separator: ",") + "]", rows.count, next ?? position)
        }
    }

    /// The number of rows of a copied table.
    public func copyCount(_ table: CopyTable) async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0 }
    }

    /// The first and last scan times (the target makes partitions for those months).
    public func scanTimeRange() async throws -> ClosedRange<Date>? {
        try await writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(at), max(at) FROM scan"), let low = row[0] as Double?, let high = row[1] as Double? else {
                return nil
            }
            return Date(timeIntervalSince1970: low)...Date(timeIntervalSince1970: high)
        }
    }

    /// The derived linker rows a copy leaves for the target's first refresh to rebuild: profiles and memberships.
    public func linkerRowCounts() async throws -> [String: Int] {
        try await linkerRead { db in
            var counts: [String: Int] = [:]
            for table in ["consumer_profile", "segment_member"] { counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
            return counts
        }
    }
}

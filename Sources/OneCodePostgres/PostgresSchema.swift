import Foundation
import OneCodeDomain
import PostgresNIO

/// The PostgreSQL schema: migrations registered here, in order, and never edited once shipped (as the
/// SQLite ones). Each is applied in its own transaction under an advisory lock, so nodes starting
/// together migrate once.
///
/// The same invariants as on SQLite are the schema's, not a writer's:
/// - `code_log (code_key, slot)` primary key: slot n > 0 is the code's n-th counted scan (one `genuine`
///   per code), slot −campaign its draw in that campaign (one draw per code), slot < −2^40 an uncounted
///   scan. Every hot-path statement selects by code key, so the tables that grow with scans could be
///   distributed by it.
/// - `claim` keyed by entry, `redemption` keyed by claim, `feedback (code_key, consumer)` unique,
///   `product.gtin` unique, `campaign_tier.awarded <= stock`.
/// - `outbox.seq`: the order readers page on, given to events once committed, so none appears behind a
///   reader's cursor (see `PostgresStore.sequenceEvents`).
/// - `scan` is partitioned by month of `at`; partitions are made ahead of time (`ensurePartitions`).
enum PostgresSchema {
    static let migrations: [(name: String, sql: String)] = [
        ("v1: catalogue, scans, campaigns, outbox", """
            CREATE TABLE product (
                id bigserial PRIMARY KEY,
                name text NOT NULL,
                gtin text UNIQUE,
                sku text,
                created_at timestamptz NOT NULL
            );
            CREATE TABLE batch (
                id bigserial PRIMARY KEY,
                product_id bigint NOT NULL REFERENCES product(id),
                count integer NOT NULL CHECK (count > 0),
                lot text,
                production_date text NOT NULL,
                expiry_date text,
                region text,
                status text NOT NULL CHECK (status IN ('issued', 'active', 'void')),
                url_form text NOT NULL CHECK (url_form IN ('short', 'gs1')),
                uppercase boolean NOT NULL,
                code_length integer NOT NULL,
                created_at timestamptz NOT NULL
            );
            CREATE INDEX batch_product ON batch(product_id);
            -- key: the code's 60 random bits.
            CREATE TABLE code (
                key bigint PRIMARY KEY,
                batch_id bigint NOT NULL REFERENCES batch(id),
                seq integer NOT NULL,
                blacklist_reason text
            );
            CREATE INDEX code_batch ON code(batch_id, seq);

            CREATE TABLE scan (
                id bigserial,
                at timestamptz NOT NULL,
                code_key bigint NOT NULL,
                code text NOT NULL,
                batch_id bigint,
                consumer text,
                ip text,
                user_agent text,
                referer text,
                bot boolean NOT NULL,
                counted boolean NOT NULL,
                region text,
                latitude double precision,
                longitude double precision,
                verdict text NOT NULL,
                reason text NOT NULL,
                PRIMARY KEY (id, at)
            ) PARTITION BY RANGE (at);
            -- Rows outside every month made ahead of time (a clock far off) still land somewhere.
            CREATE TABLE scan_default PARTITION OF scan DEFAULT;
            CREATE INDEX scan_batch ON scan(batch_id, verdict);

            CREATE TABLE code_log (
                code_key bigint NOT NULL,
                slot bigint NOT NULL,
                ref bigint NOT NULL,
                at timestamptz,
                consumer text,
                PRIMARY KEY (code_key, slot)
            );

            CREATE TABLE store (
                id bigserial PRIMARY KEY,
                name text NOT NULL,
                region text,
                created_at timestamptz NOT NULL
            );
            CREATE TABLE api_token (
                id bigserial PRIMARY KEY,
                name text NOT NULL,
                scope text NOT NULL,
                hash bytea NOT NULL UNIQUE,
                created_at timestamptz NOT NULL,
                store_id bigint REFERENCES store(id)
            );

            CREATE TABLE campaign (
                id bigserial PRIMARY KEY,
                name text NOT NULL,
                definition text NOT NULL,
                status text NOT NULL CHECK (status IN ('draft', 'live', 'paused', 'ended')),
                starts_at timestamptz NOT NULL,
                ends_at timestamptz NOT NULL,
                created_at timestamptz NOT NULL
            );
            -- The stock guard: an award past the stock fails the CHECK, so no tier is oversold.
            CREATE TABLE campaign_tier (
                campaign_id bigint NOT NULL REFERENCES campaign(id),
                tier integer NOT NULL,
                stock integer NOT NULL,
                awarded integer NOT NULL DEFAULT 0 CHECK (awarded >= 0 AND awarded <= stock),
                PRIMARY KEY (campaign_id, tier)
            );
            CREATE TABLE campaign_tier_day (
                campaign_id bigint NOT NULL,
                tier integer NOT NULL,
                day text NOT NULL,
                awarded integer NOT NULL,
                PRIMARY KEY (campaign_id, tier, day)
            );
            CREATE TABLE entry (
                id bigserial PRIMARY KEY,
                campaign_id bigint NOT NULL REFERENCES campaign(id),
                scan_id bigint NOT NULL,
                code_key bigint NOT NULL,
                code text NOT NULL,
                consumer text,
                at timestamptz NOT NULL,
                day text NOT NULL,
                result text NOT NULL,
                tier integer,
                points integer NOT NULL DEFAULT 0
            );
            CREATE INDEX entry_consumer ON entry(campaign_id, consumer, day);
            CREATE INDEX entry_points ON entry(consumer) WHERE points > 0;
            CREATE INDEX entry_campaign ON entry(campaign_id, id);

            CREATE TABLE consumer_contact (
                consumer text PRIMARY KEY,
                name text NOT NULL,
                phone text NOT NULL,
                consent_version text NOT NULL,
                consent_text text NOT NULL,
                consented_at timestamptz NOT NULL
            );
            CREATE TABLE claim (
                entry_id bigint PRIMARY KEY REFERENCES entry(id),
                consumer text NOT NULL,
                name text NOT NULL,
                phone text NOT NULL,
                consent_version text NOT NULL,
                at timestamptz NOT NULL,
                redemption_code text UNIQUE
            );
            CREATE INDEX claim_consumer ON claim(consumer);
            CREATE INDEX claim_phone ON claim(phone);
            CREATE TABLE redemption (
                entry_id bigint PRIMARY KEY REFERENCES claim(entry_id),
                store_id bigint NOT NULL REFERENCES store(id),
                at timestamptz NOT NULL
            );
            CREATE INDEX redemption_store ON redemption(store_id);

            CREATE TABLE feedback (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL,
                code_key bigint NOT NULL,
                code text NOT NULL,
                batch_id bigint NOT NULL,
                product_id bigint NOT NULL,
                consumer text,
                rating integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
                comment text,
                UNIQUE (code_key, consumer)
            );

            -- Events, each written in the transaction of the change it reports. seq: the reading order,
            -- given once the event is committed (ids are taken before commit, in another order). tx: the
            -- writing transaction, for diagnosis.
            CREATE TABLE outbox (
                id bigserial PRIMARY KEY,
                event_id text NOT NULL,
                type text NOT NULL,
                body text NOT NULL,
                created_at timestamptz NOT NULL,
                tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
                seq bigint UNIQUE
            );
            CREATE INDEX outbox_unsequenced ON outbox(id) WHERE seq IS NULL;
            -- Each endpoint's place in the outbox (a seq): later events are not yet queued for it.
            CREATE TABLE webhook_endpoint (
                url text PRIMARY KEY,
                cursor bigint NOT NULL
            );
            CREATE TABLE webhook_delivery (
                id bigserial PRIMARY KEY,
                endpoint text NOT NULL REFERENCES webhook_endpoint(url),
                event bigint NOT NULL REFERENCES outbox(id),
                attempts integer NOT NULL DEFAULT 0,
                next_at timestamptz NOT NULL,
                delivered_at timestamptz,
                failed_at timestamptz,
                last_error text,
                UNIQUE (endpoint, event)
            );
            CREATE INDEX webhook_due ON webhook_delivery(next_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
            """),
        ("v2: the linker", """
            -- Each row's writing transaction (as a number), so a linker refresh reads exactly the rows committed
            -- since the last refresh's snapshot: ids commit out of order with several writers. Rows from before
            -- this migration have none; the first refresh reads every row. BRIN: tiny, and the rows of one
            -- time lie together.
            ALTER TABLE scan ADD COLUMN tx bigint;
            ALTER TABLE scan ALTER COLUMN tx SET DEFAULT pg_current_xact_id()::text::bigint;
            CREATE INDEX scan_tx ON scan USING brin (tx);
            CREATE INDEX scan_at ON scan USING brin (at);
            ALTER TABLE entry ADD COLUMN tx bigint;
            ALTER TABLE entry ALTER COLUMN tx SET DEFAULT pg_current_xact_id()::text::bigint;
            CREATE INDEX entry_tx ON entry USING brin (tx);
            ALTER TABLE feedback ADD COLUMN tx bigint;
            ALTER TABLE feedback ALTER COLUMN tx SET DEFAULT pg_current_xact_id()::text::bigint;
            CREATE INDEX feedback_tx ON feedback USING brin (tx);
            -- A counted scan's region changed after it was written (a location shared later): the refresh moves
            -- one count when the scan was in the profiles already (its transaction, scan_tx, was visible then).
            CREATE TABLE linker_change (
                id bigserial PRIMARY KEY,
                consumer text NOT NULL,
                scan_tx bigint,
                at double precision NOT NULL,
                old_region text,
                new_region text,
                tx bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint
            );
            CREATE INDEX linker_change_tx ON linker_change USING brin (tx);
            CREATE INDEX linker_change_consumer ON linker_change (consumer);
            -- Derived from scans, entries, claims and feedback; rebuilt at will. The columns read as SQLite's
            -- (times as Unix seconds, sets as ProfileText writes them), so one segment SQL serves both.
            CREATE TABLE consumer_profile (
                consumer text PRIMARY KEY,
                first_at double precision NOT NULL,
                last_at double precision NOT NULL,
                scans integer NOT NULL,
                products text NOT NULL,
                batches text NOT NULL,
                regions text NOT NULL,
                last_batch bigint,
                last_region text,
                draws integer NOT NULL DEFAULT 0,
                prizes_won integer NOT NULL DEFAULT 0,
                points integer NOT NULL DEFAULT 0,
                ratings integer NOT NULL DEFAULT 0,
                rating_sum integer NOT NULL DEFAULT 0,
                min_rating integer,
                consent_at double precision,
                days text NOT NULL,
                version bigint NOT NULL
            );
            CREATE INDEX profile_version ON consumer_profile (version);
            -- snapshot: the last refresh's; outbox_cursor: the last outbox seq it read claims from.
            CREATE TABLE linker_state (
                id integer PRIMARY KEY CHECK (id = 1),
                version bigint NOT NULL,
                snapshot pg_snapshot,
                outbox_cursor bigint NOT NULL,
                lead_seq bigint NOT NULL,
                refreshed_at double precision
            );
            INSERT INTO linker_state VALUES (1, 0, NULL, 0, 0, NULL);
            CREATE TABLE segment (
                id bigserial PRIMARY KEY,
                name text NOT NULL UNIQUE,
                rules text NOT NULL,
                created_at double precision NOT NULL,
                refreshed_at double precision,
                version bigint NOT NULL DEFAULT 0,
                members integer NOT NULL DEFAULT 0
            );
            -- Byte order (as SQLite sorts text), so a member cursor means the same on both and pages by the key.
            CREATE TABLE segment_member (
                segment_id bigint NOT NULL REFERENCES segment(id),
                consumer text COLLATE "C" NOT NULL,
                PRIMARY KEY (segment_id, consumer)
            );
            CREATE INDEX segment_member_consumer ON segment_member (consumer);
            -- seq: the export cursor; only the refresh (one at a time, under the linker's lock) gives them.
            CREATE TABLE lead (
                kind text NOT NULL,
                ref text NOT NULL,
                name text,
                phone text,
                score double precision NOT NULL,
                reasons text NOT NULL,
                source text NOT NULL,
                created_at double precision NOT NULL,
                updated_at double precision NOT NULL,
                seq bigint NOT NULL UNIQUE,
                PRIMARY KEY (kind, ref)
            );
            -- SegmentSQL's oc_scans_since(days, fromDay): counted scans in a profile's "day:count,…" on or after a day.
            CREATE FUNCTION oc_scans_since(days text, from_day bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(sum(split_part(d, ':', 2)::bigint), 0)::bigint FROM unnest(string_to_array(days, ',')) AS d WHERE d <> '' AND split_part(d, ':', 1)::bigint >= from_day $$;
            """),
        ("v3: token last use", """
            ALTER TABLE api_token ADD COLUMN last_used_at timestamptz;
            """),
        ("v4: feedback by consumer", """
            CREATE INDEX feedback_consumer ON feedback(consumer, id);
            """),
        ("v5: product names per language and image", """
            ALTER TABLE product ADD COLUMN name_zh text, ADD COLUMN name_en text, ADD COLUMN image_url text;
            """),
        // The next refresh is a full one (no snapshot to start from), which fills the new column.
        ("v6: a profile's latest region knows its time", """
            ALTER TABLE consumer_profile ADD COLUMN last_region_at double precision;
            UPDATE linker_state SET snapshot = NULL;
            """),
        // A claim's consent was one statement, to deliver the prize and to be contacted: those who gave it
        // keep both (the marketing columns copy it); new claims record the second only when ticked.
        ("v7: the marketing consent apart from the prize's", """
            ALTER TABLE consumer_contact ADD COLUMN marketing_consent_version text, ADD COLUMN marketing_consent_text text,
                ADD COLUMN marketing_consented_at timestamptz;
            UPDATE consumer_contact SET marketing_consent_version = consent_version, marketing_consent_text = consent_text,
                marketing_consented_at = consented_at;
            ALTER TABLE claim ADD COLUMN marketing_consent_version text;
            UPDATE claim SET marketing_consent_version = consent_version;
            """),
        // The fingerprint of the secret the codes were issued under (never the secret).
        ("v8: the secret's fingerprint", """
            CREATE TABLE code_secret (
                id integer PRIMARY KEY CHECK (id = 1),
                fingerprint text NOT NULL,
                recorded_at timestamptz NOT NULL
            );
            """),
        // Links brands give their items (a GTIN, or one of its lots) by GS1 link type; one default per
        // item, kept by the schema (lot '' stands for the GTIN's own in the key).
        ("v9: the resolver's links", """
            CREATE TABLE resolver_link (
                id bigserial PRIMARY KEY,
                gtin text NOT NULL,
                lot text,
                link_type text NOT NULL,
                href text NOT NULL,
                title text NOT NULL,
                language text,
                context text,
                is_default boolean NOT NULL,
                created_at timestamptz NOT NULL
            );
            CREATE INDEX resolver_link_item ON resolver_link (gtin, (coalesce(lot, '')));
            CREATE UNIQUE INDEX resolver_link_default ON resolver_link (gtin, (coalesce(lot, ''))) WHERE is_default;
            """),
        // The channel, as on SQLite (v21): one parent per code (code_parent's key), every packing and
        // unpacking as reported, dealers, warehouses, shipments of codes, one diversion per unit and dealer.
        ("v10: the channel", """
            ALTER TABLE batch ADD COLUMN kind text NOT NULL DEFAULT 'unit' CHECK (kind IN ('unit', 'inner-case', 'case', 'pallet'));
            CREATE TABLE code_parent (
                child_key bigint PRIMARY KEY,
                parent_key bigint NOT NULL,
                aggregation_id bigint NOT NULL
            );
            CREATE INDEX code_parent_parent ON code_parent (parent_key, child_key);
            CREATE TABLE aggregation (
                id bigserial PRIMARY KEY,
                parent_key bigint NOT NULL,
                action text NOT NULL CHECK (action IN ('add', 'delete')),
                at timestamptz NOT NULL,
                children integer NOT NULL
            );
            CREATE INDEX aggregation_at ON aggregation (at);
            CREATE TABLE aggregation_child (
                aggregation_id bigint NOT NULL,
                child_key bigint NOT NULL,
                PRIMARY KEY (aggregation_id, child_key)
            );
            CREATE TABLE dealer (
                id bigserial PRIMARY KEY,
                name text NOT NULL UNIQUE,
                territory text NOT NULL,
                contact text,
                created_at timestamptz NOT NULL
            );
            CREATE TABLE warehouse (
                id bigserial PRIMARY KEY,
                name text NOT NULL UNIQUE,
                region text,
                created_at timestamptz NOT NULL
            );
            CREATE TABLE shipment (
                id bigserial PRIMARY KEY,
                dealer_id bigint NOT NULL REFERENCES dealer(id),
                from_dealer_id bigint REFERENCES dealer(id),
                warehouse_id bigint REFERENCES warehouse(id),
                at timestamptz NOT NULL,
                codes integer NOT NULL
            );
            CREATE TABLE shipment_code (
                code_key bigint NOT NULL,
                shipment_id bigint NOT NULL,
                PRIMARY KEY (code_key, shipment_id)
            );
            CREATE INDEX shipment_code_shipment ON shipment_code (shipment_id);
            CREATE TABLE diversion (
                code_key bigint NOT NULL,
                dealer_id bigint NOT NULL REFERENCES dealer(id),
                shipment_id bigint NOT NULL,
                scan_id bigint NOT NULL,
                at timestamptz NOT NULL,
                region text NOT NULL,
                territory text NOT NULL,
                PRIMARY KEY (code_key, dealer_id)
            );
            CREATE INDEX diversion_dealer ON diversion (dealer_id, region);
            """),
        // Receipts, clerks and the ledger, as on SQLite (v22).
        ("v11: receipts, clerks and the ledger", """
            CREATE TABLE clerk (
                id bigserial PRIMARY KEY,
                store_id bigint NOT NULL REFERENCES store(id),
                name text NOT NULL,
                created_at timestamptz NOT NULL
            );
            ALTER TABLE api_token ADD COLUMN clerk_id bigint REFERENCES clerk(id);
            CREATE TABLE receipt (
                id bigserial PRIMARY KEY,
                code_key bigint NOT NULL UNIQUE,
                store_id bigint NOT NULL REFERENCES store(id),
                at timestamptz NOT NULL
            );
            CREATE INDEX receipt_store ON receipt (store_id);
            CREATE TABLE clerk_case (
                code_key bigint PRIMARY KEY,
                clerk_id bigint NOT NULL REFERENCES clerk(id),
                at timestamptz NOT NULL
            );
            CREATE TABLE clerk_day (
                clerk_id bigint NOT NULL,
                day text NOT NULL,
                amount bigint NOT NULL,
                PRIMARY KEY (clerk_id, day)
            );
            CREATE TABLE ledger (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL,
                store_id bigint NOT NULL REFERENCES store(id),
                clerk_id bigint REFERENCES clerk(id),
                amount bigint NOT NULL CHECK (amount > 0),
                cause text NOT NULL CHECK (cause IN ('receipt-rebate', 'clerk-reward')),
                receipt_id bigint,
                scan_id bigint,
                code text NOT NULL
            );
            CREATE UNIQUE INDEX ledger_clerk_reward ON ledger (code) WHERE cause = 'clerk-reward';
            CREATE INDEX ledger_at ON ledger (at);
            """),
        // Hidden PINs, as on SQLite (v23).
        ("v12: hidden PINs", """
            ALTER TABLE batch ADD COLUMN pin_length integer NOT NULL DEFAULT 0 CHECK (pin_length = 0 OR pin_length BETWEEN 6 AND 8);
            CREATE TABLE code_pin (
                code_key bigint PRIMARY KEY,
                failures integer NOT NULL,
                locked_at timestamptz
            );
            """),
        // Deliveries to stores, as on SQLite (v24).
        ("v13: deliveries to stores", """
            ALTER TABLE shipment ADD COLUMN store_id bigint REFERENCES store (id);
            """),
        // Fake scans counted, as on SQLite (v25).
        ("v14: fake scans counted", """
            CREATE TABLE fake_count (
                day text NOT NULL,
                region text NOT NULL,
                verdict text NOT NULL CHECK (verdict IN ('forged', 'unknown', 'suspicious')),
                scans bigint NOT NULL CHECK (scans >= 0),
                PRIMARY KEY (day, region, verdict)
            );
            """),
        // Resolutions counted, as on SQLite (v26).
        ("v15: resolutions counted", """
            CREATE TABLE resolution_count (
                day text NOT NULL,
                link_type text NOT NULL,
                resolutions bigint NOT NULL CHECK (resolutions >= 0),
                PRIMARY KEY (day, link_type)
            );
            """),
        // Counterfeit reports, as on SQLite (v27).
        ("v16: counterfeit reports", """
            CREATE TABLE fake_report (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL,
                day text NOT NULL,
                code text NOT NULL,
                verdict text NOT NULL CHECK (verdict IN ('forged', 'unknown')),
                region text,
                where_bought text,
                comment text,
                phone text,
                contact_consent_at timestamptz,
                consumer text,
                ip text,
                CHECK (phone IS NULL OR contact_consent_at IS NOT NULL)
            );
            CREATE INDEX fake_report_day ON fake_report (day);
            CREATE INDEX fake_report_consumer ON fake_report (consumer);
            """),
        // The audit log, as on SQLite (v28): append-only, the schema refuses changes, deletions and truncation.
        ("v17: audit log", """
            CREATE TABLE audit_log (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL,
                actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'token', 'cli', 'system')),
                actor_id bigint,
                actor_name text NOT NULL,
                action text NOT NULL,
                subject text NOT NULL,
                subject_id text,
                detail text
            );
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
            CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
            """),
        // Console users, as on SQLite (v29).
        ("v18: console users", """
            CREATE TABLE console_user (
                id bigserial PRIMARY KEY,
                name text NOT NULL UNIQUE,
                role text NOT NULL CHECK (role IN ('admin', 'issuer', 'marketing', 'sales', 'service', 'clerk')),
                store_id bigint REFERENCES store(id),
                password_hash text NOT NULL,
                created_at timestamptz NOT NULL,
                CHECK ((role = 'clerk') = (store_id IS NOT NULL))
            );
            """),
        // Console sessions and failed sign-ins, as on SQLite (v30).
        ("v19: console sessions", """
            CREATE TABLE console_session (
                key_hash bytea PRIMARY KEY,
                data text NOT NULL,
                expires_at timestamptz NOT NULL
            );
            CREATE INDEX console_session_expiry ON console_session (expires_at);
            CREATE TABLE sign_in_failure (
                id bigserial PRIMARY KEY,
                account text NOT NULL,
                address text NOT NULL,
                at timestamptz NOT NULL
            );
            CREATE INDEX sign_in_failure_account ON sign_in_failure (account, at);
            CREATE INDEX sign_in_failure_address ON sign_in_failure (address, at);
            CREATE INDEX sign_in_failure_at ON sign_in_failure (at);
            """),
        // Scans by day, batch, region and verdict, as on SQLite (v31).
        ("v20: scan day counts", """
            CREATE TABLE scan_day (
                day text NOT NULL,
                batch_id bigint NOT NULL,
                region text NOT NULL,
                verdict text NOT NULL,
                scans bigint NOT NULL CHECK (scans >= 0),
                first_scans bigint NOT NULL CHECK (first_scans >= 0 AND first_scans <= scans),
                PRIMARY KEY (day, batch_id, region, verdict)
            );
            CREATE INDEX scan_day_batch ON scan_day (batch_id, day);
            """),
        // The feedback inbox's handling, as on SQLite (v32).
        ("v21: feedback handling", """
            CREATE TABLE feedback_handling (
                feedback_id bigint PRIMARY KEY REFERENCES feedback(id),
                at timestamptz NOT NULL,
                handled_by text NOT NULL,
                cause text CHECK (cause IS NULL OR length(cause) BETWEEN 1 AND 40)
            );
            """),
        // Each segment's size by UTC day, as in SQLite's linker file (`LinkerTransaction.recordSegmentDay`).
        ("v22: segment counts by day", """
            CREATE TABLE segment_day (
                segment_id bigint NOT NULL REFERENCES segment(id),
                day text NOT NULL,
                members bigint NOT NULL,
                added bigint NOT NULL,
                removed bigint NOT NULL,
                PRIMARY KEY (segment_id, day)
            );
            """),
        // The console's newest alerts, as on SQLite (v33).
        ("v23: outbox by type", """
            CREATE INDEX outbox_type ON outbox (type, id);
            """),
        // The console's second factor, as on SQLite (v34).
        ("v24: console second factor", """
            ALTER TABLE console_user ADD COLUMN totp_sealed bytea;
            ALTER TABLE console_user ADD COLUMN totp_step bigint;
            """),
        // The console's batches in progress, as on SQLite (v35).
        ("v25: console issue jobs", """
            CREATE TABLE issue_job (
                id text PRIMARY KEY,
                user_id bigint NOT NULL,
                total bigint NOT NULL,
                done bigint NOT NULL,
                batch_id bigint,
                error text,
                started_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            );
            CREATE INDEX issue_job_updated ON issue_job (updated_at);
            """),
        // The inbox's order, as on SQLite (v36).
        ("v26: feedback by rating", """
            CREATE INDEX feedback_rating ON feedback (rating, id DESC);
            """),
    ]

    /// Arbitrary but fixed: the advisory lock that serialises migrations across nodes.
    static let migrationLock: Int64 = 0x0C0DE_0001

    /// Applies every migration the database lacks. - Throws: `InputError("database", …)` for a database
    /// newer than this binary.
    static func migrate(_ store: PostgresStore) async throws {
        try await store.write { db in
            try db.execute("SELECT pg_advisory_xact_lock(\(migrationLock))")
            try db.execute("CREATE TABLE IF NOT EXISTS onecode_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL)")
            let applied = try Set(db.rows("SELECT name FROM onecode_migration").map { try $0.decode(String.self) })
            try refuseNewer(applied)
            for migration in migrations where !applied.contains(migration.name) {
                store.logger.notice("applying migration", metadata: ["migration": "\(migration.name)", "database": "\(store.location)"])
                try db.script(migration.sql)
                try db.execute("INSERT INTO onecode_migration (name, applied_at) VALUES (\(migration.name), now())")
            }
        }
        try await ensurePartitions(store, around: Date())
    }

    /// The names of the migrations the database has.
    static func applied(_ store: PostgresStore) async throws -> Set<String> {
        try await store.read { db -> Set<String> in
            let exists = try db.row("SELECT to_regclass('onecode_migration') IS NOT NULL")?.decode(Bool.self) ?? false
            guard exists else { return [] }
            return try Set(db.rows("SELECT name FROM onecode_migration").map { try $0.decode(String.self) })
        }
    }

    /// - Throws: `InputError("database", …)` when the schema is not exactly this binary's.
    static func check(_ store: PostgresStore) async throws {
        let applied = try await applied(store)
        try refuseNewer(applied)
        let missing = migrations.map(\.name).filter { !applied.contains($0) }
        guard missing.isEmpty else {
            throw InputError("database", "the schema of \(store.location) is out of date (missing: \(missing.joined(separator: ", "))); run `onecode migrate`")
        }
    }

    static func refuseNewer(_ applied: Set<String>) throws {
        let unknown = applied.subtracting(migrations.map(\.name))
        guard unknown.isEmpty else {
            throw InputError("database", "the database has migrations this binary does not know (\(unknown.sorted().joined(separator: ", "))): it was upgraded by a newer OneCode; run that version")
        }
    }

    /// Makes the scan partitions of the month of `date` and the `months - 1` after it, when missing.
    static func ensurePartitions(_ store: PostgresStore, around date: Date, months: Int = 3) async throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let month = calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = calendar.timeZone
        format.dateFormat = "yyyy-MM-dd"
        let names = DateFormatter()
        names.locale = format.locale
        names.timeZone = calendar.timeZone
        names.dateFormat = "yyyy_MM"
        for offset in 0..<months {
            let start = calendar.date(byAdding: .month, value: offset, to: month)!
            let end = calendar.date(byAdding: .month, value: 1, to: start)!
            let name = "scan_" + names.string(from: start)
            do {
                try await store.write { db in
                    try db.execute("SELECT pg_advisory_xact_lock(\(migrationLock))")
                    let exists = try db.row("SELECT to_regclass(\(name)) IS NOT NULL")?.decode(Bool.self) ?? false
                    guard !exists else { return }
                    try db.execute(PostgresQuery(unsafeSQL: """
                        CREATE TABLE \(name) PARTITION OF scan FOR VALUES FROM ('\(format.string(from: start))') TO ('\(format.string(from: end))')
                        """))
                }
            } catch let error as PostgresFailure {
                // The default partition already holds scans of that month (the service was not running when
                // it began): they stay there, still found by every query; say so once.
                store.logger.warning("cannot make the scan partition \(name): \(error.message)")
            }
        }
    }
}

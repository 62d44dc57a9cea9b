import Foundation
import NIOCore
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage
import PostgresNIO

// MARK: - CampaignStore

extension PostgresStore: CampaignStore {
    /// A campaign from `id, definition, status, created_at`.
    static func campaign(from row: PostgresRow) throws -> Campaign {
        let (id, definition, status, created) = try row.decode((Int64, String, String, Date).self)
        return Campaign(id: CampaignID(rawValue: id), definition: try StoredDefinition.definition(definition),
                        status: CampaignStatus(rawValue: status) ?? .ended, createdAt: created)
    }

    /// - Throws: `NotFoundError("id", …)` when there is none.
    static func fetchCampaign(_ db: SyncConnection, _ id: CampaignID, lock: Bool = false) throws -> Campaign {
        guard let row = try db.row("SELECT id, definition, status, created_at FROM campaign WHERE id = \(id.rawValue)\(unescaped: lock ? " FOR UPDATE" : "")") else {
            throw NotFoundError("id", "no campaign with id \(id)")
        }
        return try campaign(from: row)
    }

    public func createCampaign(_ definition: CampaignDefinition, audit: AuditEntry) async throws -> Campaign {
        try await write { db in
            let now = Date()
            let json = try StoredDefinition.text(definition)
            let id = try db.row("""
                INSERT INTO campaign (name, definition, status, starts_at, ends_at, created_at)
                VALUES (\(definition.name), \(json), \(definition.status.rawValue), \(definition.start), \(definition.end), \(now)) RETURNING id
                """)!.decode(Int64.self)
            for (index, tier) in definition.tiers.enumerated() {
                try db.execute("INSERT INTO campaign_tier (campaign_id, tier, stock) VALUES (\(id), \(index), \(tier.stock))")
            }
            try Self.append(audit.created(id), db)
            return Campaign(id: CampaignID(rawValue: id), definition: definition, status: definition.status, createdAt: now)
        }
    }

    public func campaigns() async throws -> [Campaign] {
        try await read { db in try db.rows("SELECT id, definition, status, created_at FROM campaign ORDER BY id").map(Self.campaign(from:)) }
    }

    public func campaign(_ id: CampaignID) async throws -> Campaign? {
        try await read { db in
            try db.row("SELECT id, definition, status, created_at FROM campaign WHERE id = \(id.rawValue)").map(Self.campaign(from:))
        }
    }

    public func setStatus(_ status: CampaignStatus, of id: CampaignID, audit: AuditEntry) async throws -> Campaign {
        try await write { db in
            var campaign = try Self.fetchCampaign(db, id, lock: true)
            try campaign.status.checkChange(to: status, of: id)
            try db.execute("UPDATE campaign SET status = \(status.rawValue) WHERE id = \(id.rawValue)")
            try Self.append(audit, db)
            campaign.status = status
            return campaign
        }
    }

    public func entries(of campaign: CampaignID, after: Int64, limit: Int) async throws -> [CampaignEntry] {
        try await read { db in
            let tiers = try Self.fetchCampaign(db, campaign).definition.tiers
            return try db.rows("""
                SELECT id, code, consumer, at, result, tier FROM entry WHERE campaign_id = \(campaign.rawValue) AND id > \(after) ORDER BY id LIMIT \(limit)
                """).map { row in
                let (id, code, consumer, at, result, tier) = try row.decode((Int64, String, String?, Date, String, Int?).self)
                return CampaignEntry(id: EntryID(rawValue: id), campaign: campaign, code: code, consumer: consumer, at: at,
                                     result: DrawOutcome.Result(rawValue: result) ?? .lost, tier: tier,
                                     prize: tier.flatMap { $0 < tiers.count ? tiers[$0].name : nil })
            }
        }
    }

    public func draws(of key: CodeKey) async throws -> [CodeDraw] {
        try await read { db in
            var binds = PostgresBindings()
            binds.append(key.rawValue)
            var names: [CampaignID: [String]] = [:]
            return try db.rows(PostgresQuery(unsafeSQL: CodeDraw.sql(key: "$1"), binds: binds)).map { row in
                let (id, campaignID, code, consumer, at, result, tier, name, claimed, redeemed, store) =
                    try row.decode((Int64, Int64, String, String?, Date, String, Int?, String, Date?, Date?, Int64?).self)
                let campaign = CampaignID(rawValue: campaignID)
                if names[campaign] == nil { names[campaign] = try Self.fetchCampaign(db, campaign).definition.tiers.map(\.name) }
                let tiers = names[campaign] ?? []
                let entry = CampaignEntry(id: EntryID(rawValue: id), campaign: campaign, code: code, consumer: consumer, at: at,
                                          result: DrawOutcome.Result(rawValue: result) ?? .lost, tier: tier,
                                          prize: tier.flatMap { $0 < tiers.count ? tiers[$0] : nil })
                return CodeDraw(entry: entry, campaignName: name, claimedAt: claimed, redeemedAt: redeemed, redeemedBy: store.map(StoreID.init(rawValue:)))
            }
        }
    }

    public func stock(of campaign: CampaignID) async throws -> [TierStock] {
        try await read { db in
            let definition = try Self.fetchCampaign(db, campaign).definition
            let tiers = definition.tiers
            let today = definition.day(of: Date())
            // Claims and redemptions counted by tier in one pass each (grouped, not a count per tier over the entries).
            let counts = try db.rows("""
                SELECT 'c', e.tier, count(*)::int FROM claim x JOIN entry e ON e.id = x.entry_id WHERE e.campaign_id = \(campaign.rawValue) AND e.tier IS NOT NULL GROUP BY e.tier
                UNION ALL
                SELECT 'r', e.tier, count(*)::int FROM redemption x JOIN entry e ON e.id = x.entry_id WHERE e.campaign_id = \(campaign.rawValue) AND e.tier IS NOT NULL GROUP BY e.tier
                """).map { try $0.decode((String, Int, Int).self) }
            return try db.rows("""
                SELECT t.tier, t.stock, t.awarded, coalesce(d.awarded, 0)
                FROM campaign_tier t LEFT JOIN campaign_tier_day d ON d.campaign_id = t.campaign_id AND d.tier = t.tier AND d.day = \(today)
                WHERE t.campaign_id = \(campaign.rawValue) ORDER BY t.tier
                """).map {
                let (tier, stockTotal, awarded, awardedToday) = try $0.decode((Int, Int, Int, Int).self)
                var stock = TierStock(tier: tier, name: tiers[tier].name, stock: stockTotal, awarded: awarded)
                stock.today(awarded: awardedToday, dailyStock: tiers[tier].dailyStock)
                stock.claimed = counts.first { $0.0 == "c" && $0.1 == tier }?.2 ?? 0
                stock.redeemed = counts.first { $0.0 == "r" && $0.1 == tier }?.2 ?? 0
                return stock
            }
        }
    }

    public func addStore(name: String, region: String?, tokenHash: [UInt8], audit: AuditEntry) async throws -> Store {
        try await write { db in
            let now = Date()
            let id = try db.row("INSERT INTO store (name, region, created_at) VALUES (\(name), \(region), \(now)) RETURNING id")!.decode(Int64.self)
            try Self.append(audit.created(id), db)
            try db.execute("""
                INSERT INTO api_token (name, scope, hash, created_at, store_id)
                VALUES (\("store \(id): \(name)"), 'store', \(ByteBuffer(bytes: tokenHash)), \(now), \(id))
                """)
            return Store(id: StoreID(rawValue: id), name: name, region: region, createdAt: now)
        }
    }

    public func stores() async throws -> [Store] {
        try await read { db in
            try db.rows("SELECT id, name, region, created_at FROM store ORDER BY id").map {
                let (id, name, region, created) = try $0.decode((Int64, String, String?, Date).self)
                return Store(id: StoreID(rawValue: id), name: name, region: region, createdAt: created)
            }
        }
    }
}

// MARK: - OutboxStore

extension PostgresStore: OutboxStore {
    /// Arbitrary but fixed: the advisory lock held by the one transaction that numbers events at a time.
    static let sequencerLock: Int64 = 0x0C0DE_0002

    /// Gives the next `seq` numbers, in id order, to the events committed since the last numbering. A
    /// reader pages on `seq`, so a reader past a `seq` has seen every smaller one ("Cursors never skip").
    ///
    /// Ids alone would not do: two nodes' transactions take ids from one sequence and commit in any
    /// order, so id 7 can become visible after id 8 was read, and an id cursor would pass it for good.
    /// A `seq` is given only to a committed event, by one numbering transaction at a time (an advisory
    /// lock held to its commit; a caller that finds it taken reads what is numbered): an event committed
    /// later gets a larger `seq`, whatever its id. A transaction left open anywhere delays only its own
    /// events.
    /// - Returns: how many events were numbered.
    @discardableResult
    func sequenceEvents() async throws -> Int {
        try await write { db in
            guard try db.row("SELECT pg_try_advisory_xact_lock(\(Self.sequencerLock))")?.decode(Bool.self) == true else { return 0 }
            return try db.execute("""
                WITH base AS (SELECT coalesce(max(seq), 0) AS top FROM outbox),
                ready AS (
                    SELECT id, row_number() OVER (ORDER BY id) AS n FROM (
                        SELECT id FROM outbox WHERE seq IS NULL ORDER BY id LIMIT 10000
                    ) committed)
                UPDATE outbox o SET seq = base.top + ready.n FROM base, ready WHERE o.id = ready.id
                """)
        }
    }

    static func event(from row: PostgresRow) throws -> OutboxEvent {
        let (sequence, id, type, created, body) = try row.decode((Int64, String, String, Date, String).self)
        return OutboxEvent(sequence: sequence, id: id, type: type, createdAt: created, body: body)
    }

    public func events(after sequence: Int64, limit: Int) async throws -> [OutboxEvent] {
        try await sequenceEvents()
        return try await read { db in
            try db.rows("""
                SELECT seq, event_id, type, created_at, body FROM outbox WHERE seq > \(sequence) ORDER BY seq LIMIT \(limit)
                """).map(Self.event(from:))
        }
    }

    public func newestEvents(of type: EventType, limit: Int) async throws -> [OutboxEvent] {
        try await read { db in
            // Newest by id (an event not yet given its seq is shown too, with sequence 0).
            try db.rows("""
                SELECT coalesce(seq, 0), event_id, type, created_at, body FROM outbox WHERE type = \(type.rawValue) ORDER BY id DESC LIMIT \(limit)
                """).map(Self.event(from:))
        }
    }

    static func register(_ db: SyncConnection, _ url: String) throws {
        try db.execute("""
            INSERT INTO webhook_endpoint (url, cursor) VALUES (\(url), (SELECT coalesce(max(seq), 0) FROM outbox)) ON CONFLICT (url) DO NOTHING
            """)
    }

    public func registerEndpoints(_ urls: [String]) async throws {
        try await write { db in
            for url in urls { try Self.register(db, url) }
        }
    }

    /// Deliveries due at `now`, taken for this node: rows locked by another node's taking are skipped
    /// (`FOR UPDATE SKIP LOCKED`), and taking one moves it `lease` seconds into the future, so two nodes
    /// never send the same delivery at once, and one that died holding it gives it up after the lease.
    public func dueDeliveries(endpoints: [String], now: Date, limit: Int, lease: TimeInterval) async throws -> [WebhookDelivery] {
        try await sequenceEvents()
        let lease = now.addingTimeInterval(lease)
        return try await write { db in
            let newest = try db.row("SELECT coalesce(max(seq), 0) FROM outbox")?.decode(Int64.self) ?? 0
            for endpoint in endpoints {
                try Self.register(db, endpoint)
                // The endpoint's row is locked while its cursor moves: fan-outs on two nodes take turns.
                let cursor = try db.row("SELECT cursor FROM webhook_endpoint WHERE url = \(endpoint) FOR UPDATE")?.decode(Int64.self) ?? newest
                guard cursor < newest else { continue }
                try db.execute("""
                    INSERT INTO webhook_delivery (endpoint, event, next_at)
                    SELECT \(endpoint), id, created_at FROM outbox WHERE seq > \(cursor) AND seq <= \(newest) ORDER BY seq
                    ON CONFLICT (endpoint, event) DO NOTHING
                    """)
                try db.execute("UPDATE webhook_endpoint SET cursor = \(newest) WHERE url = \(endpoint)")
            }
            return try db.rows("""
                WITH due AS (
                    SELECT id FROM webhook_delivery
                    WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= \(now) AND endpoint = ANY(\(endpoints))
                    ORDER BY next_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                UPDATE webhook_delivery d SET next_at = \(lease) FROM due, outbox o
                WHERE d.id = due.id AND o.id = d.event
                RETURNING d.id, d.endpoint, d.attempts, o.seq, o.event_id, o.type, o.created_at, o.body
                """).map { row in
                let (id, endpoint, attempts, sequence, event, type, created, body) =
                    try row.decode((Int64, String, Int, Int64, String, String, Date, String).self)
                return WebhookDelivery(id: id, endpoint: endpoint,
                                       event: OutboxEvent(sequence: sequence, id: event, type: type, createdAt: created, body: body),
                                       attempts: attempts)
            }.sorted { $0.id < $1.id }
        }
    }

    public func markDelivered(_ delivery: Int64, at: Date) async throws {
        try await write { db in
            _ = try db.execute("UPDATE webhook_delivery SET delivered_at = \(at), attempts = attempts + 1, last_error = NULL WHERE id = \(delivery)")
        }
    }

    public func markFailed(_ delivery: Int64, error: String, retryAt: Date?) async throws {
        try await write { db in
            if let retryAt {
                _ = try db.execute("UPDATE webhook_delivery SET attempts = attempts + 1, next_at = \(retryAt), last_error = \(error) WHERE id = \(delivery)")
            } else {
                _ = try db.execute("UPDATE webhook_delivery SET attempts = attempts + 1, failed_at = \(Date()), last_error = \(error) WHERE id = \(delivery)")
            }
        }
    }

    public func retryFailedDeliveries(endpoint: String?, audit: AuditEntry) async throws -> Int {
        try await write { db in
            let count = try db.execute("""
                UPDATE webhook_delivery SET failed_at = NULL, next_at = \(Date())
                WHERE failed_at IS NOT NULL AND (\(endpoint)::text IS NULL OR endpoint = \(endpoint))
                """)
            try Self.append(audit, db)
            return count
        }
    }

    public func webhookStatus() async throws -> [WebhookEndpointStatus] {
        try await read { db in
            try db.rows("""
                SELECT e.url,
                    (SELECT count(*) FROM webhook_delivery WHERE endpoint = e.url AND delivered_at IS NULL AND failed_at IS NULL),
                    (SELECT count(*) FROM webhook_delivery WHERE endpoint = e.url AND delivered_at IS NOT NULL),
                    (SELECT count(*) FROM webhook_delivery WHERE endpoint = e.url AND failed_at IS NOT NULL),
                    (SELECT last_error FROM webhook_delivery WHERE endpoint = e.url AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1)
                FROM webhook_endpoint e ORDER BY e.url
                """).map {
                let (url, pending, delivered, failed, error) = try $0.decode((String, Int, Int, Int, String?).self)
                return WebhookEndpointStatus(url: url, pending: pending, delivered: delivered, failed: failed, lastError: error)
            }
        }
    }
}

extension PostgresStore {
    public func editCampaign(_ id: CampaignID, _ definition: CampaignDefinition, audit: AuditEntry) async throws -> Campaign {
        try await write { db in
            let campaign = try CampaignBook.edit(in: PostgresCampaignEditTransaction(db: db), id, to: definition, at: Date())
            try Self.append(audit, db)
            return campaign
        }
    }
}

/// Campaign rows for `CampaignBook.edit`, in one transaction on the store's connection (the campaign's
/// row and its tiers locked: a draw taking a prize waits, then sees the new stock).
struct PostgresCampaignEditTransaction: CampaignEditTransaction {
    let db: SyncConnection

    func campaignForEdit(_ id: CampaignID) throws -> (campaign: Campaign, awarded: [Int], drawn: Bool)? {
        guard let row = try db.row("SELECT id, definition, status, created_at FROM campaign WHERE id = \(id.rawValue) FOR UPDATE") else { return nil }
        let awarded = try db.rows("SELECT awarded FROM campaign_tier WHERE campaign_id = \(id.rawValue) ORDER BY tier FOR UPDATE").map { try $0.decode(Int.self) }
        let drawn = try db.row("SELECT EXISTS (SELECT 1 FROM entry WHERE campaign_id = \(id.rawValue))")?.decode(Bool.self) ?? false
        return (try PostgresStore.campaign(from: row), awarded, drawn)
    }

    func saveDefinition(_ id: CampaignID, _ definition: CampaignDefinition) throws {
        try db.execute("""
            UPDATE campaign SET name = \(definition.name), definition = \(try StoredDefinition.text(definition)), starts_at = \(definition.start),
                ends_at = \(definition.end) WHERE id = \(id.rawValue)
            """)
    }

    func setTierStocks(_ id: CampaignID, _ stocks: [Int], replace: Bool) throws {
        if replace {
            try db.execute("DELETE FROM campaign_tier_day WHERE campaign_id = \(id.rawValue)")
            try db.execute("DELETE FROM campaign_tier WHERE campaign_id = \(id.rawValue)")
            for (tier, stock) in stocks.enumerated() {
                try db.execute("INSERT INTO campaign_tier (campaign_id, tier, stock) VALUES (\(id.rawValue), \(tier), \(stock))")
            }
        } else {
            for (tier, stock) in stocks.enumerated() {
                try db.execute("UPDATE campaign_tier SET stock = \(stock) WHERE campaign_id = \(id.rawValue) AND tier = \(tier)")
            }
        }
    }
}

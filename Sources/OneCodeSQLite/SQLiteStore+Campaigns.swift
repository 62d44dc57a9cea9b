import Foundation
import GRDB
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage

extension SQLiteStore: CampaignStore {
    /// A stored definition (`StoredDefinition`).
    static func definition(_ json: String) throws -> CampaignDefinition { try StoredDefinition.definition(json) }

    /// The campaign with `id`. - Throws: `NotFoundError("id", …)` when there is none.
    static func fetchCampaign(_ db: Database, _ id: CampaignID) throws -> Campaign {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM campaign WHERE id = ?", arguments: [id.rawValue]) else {
            throw NotFoundError("id", "no campaign with id \(id)")
        }
        return try campaign(from: row)
    }

    static func campaign(from row: Row) throws -> Campaign {
        let definition = try definition(row["definition"])
        return Campaign(id: CampaignID(rawValue: row["id"]), definition: definition,
                        status: CampaignStatus(rawValue: row["status"]) ?? .ended, createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    public func createCampaign(_ definition: CampaignDefinition, audit: AuditEntry) async throws -> Campaign {
        try await writer.write { db in
            let now = Date()
            let json = try StoredDefinition.text(definition)
            try db.execute(sql: """
                INSERT INTO campaign (name, definition, status, starts_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [definition.name, json, definition.status.rawValue, definition.start.timeIntervalSince1970,
                                 definition.end.timeIntervalSince1970, now.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            for (index, tier) in definition.tiers.enumerated() {
                try db.execute(sql: "INSERT INTO campaign_tier (campaign_id, tier, stock) VALUES (?, ?, ?)", arguments: [id, index, tier.stock])
            }
            try Self.append(audit.created(id), db)
            return Campaign(id: CampaignID(rawValue: id), definition: definition, status: definition.status, createdAt: now)
        }
    }

    public func campaigns() async throws -> [Campaign] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM campaign ORDER BY id").map(Self.campaign(from:)) }
    }

    public func campaign(_ id: CampaignID) async throws -> Campaign? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM campaign WHERE id = ?", arguments: [id.rawValue]).map(Self.campaign(from:))
        }
    }

    public func setStatus(_ status: CampaignStatus, of id: CampaignID, audit: AuditEntry) async throws -> Campaign {
        try await writer.write { db in
            var campaign = try Self.fetchCampaign(db, id)
            try campaign.status.checkChange(to: status, of: id)
            try db.execute(sql: "UPDATE campaign SET status = ? WHERE id = ?", arguments: [status.rawValue, id.rawValue])
            try Self.append(audit, db)
            campaign.status = status
            return campaign
        }
    }

    public func entries(of campaign: CampaignID, after: Int64, limit: Int) async throws -> [CampaignEntry] {
        try await writer.read { db in
            let tiers = try Self.fetchCampaign(db, campaign).definition.tiers
            return try Row.fetchAll(db, sql: "SELECT * FROM entry WHERE campaign_id = ? AND id > ? ORDER BY id LIMIT ?",
                                    arguments: [campaign.rawValue, after, limit]).map { row in
                let tier = row["tier"] as Int?
                return CampaignEntry(id: EntryID(rawValue: row["id"]), campaign: campaign, code: row["code"], consumer: row["consumer"],
                                     at: Date(timeIntervalSince1970: row["at"]), result: DrawOutcome.Result(rawValue: row["result"]) ?? .lost,
                                     tier: tier, prize: tier.flatMap { $0 < tiers.count ? tiers[$0].name : nil })
            }
        }
    }

    public func draws(of key: CodeKey) async throws -> [CodeDraw] {
        try await writer.read { db in
            var tiers: [CampaignID: [PrizeTier]] = [:]
            return try Row.fetchAll(db, sql: CodeDraw.sql(key: "?"), arguments: [key.rawValue]).map { row in
                let campaign = CampaignID(rawValue: row[1])
                if tiers[campaign] == nil { tiers[campaign] = try Self.fetchCampaign(db, campaign).definition.tiers }
                let tier = row[6] as Int?, names = tiers[campaign] ?? []
                let entry = CampaignEntry(id: EntryID(rawValue: row[0]), campaign: campaign, code: row[2], consumer: row[3],
                                          at: Date(timeIntervalSince1970: row[4]), result: DrawOutcome.Result(rawValue: row[5]) ?? .lost,
                                          tier: tier, prize: tier.flatMap { $0 < names.count ? names[$0].name : nil })
                return CodeDraw(entry: entry, campaignName: row[7], claimedAt: (row[8] as Double?).map(Date.init(timeIntervalSince1970:)),
                                redeemedAt: (row[9] as Double?).map(Date.init(timeIntervalSince1970:)), redeemedBy: (row[10] as Int64?).map(StoreID.init(rawValue:)))
            }
        }
    }

    public func stock(of campaign: CampaignID) async throws -> [TierStock] {
        try await writer.read { db in
            let definition = try Self.fetchCampaign(db, campaign).definition
            let tiers = definition.tiers
            let today = definition.day(of: Date())
            // Claims and redemptions counted from their own tables (CROSS JOIN keeps that order): a few rows, where
            // the entries of a large campaign are millions.
            func perTier(_ table: String) throws -> [Int: Int] {
                Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                    SELECT e.tier, count(*) FROM \(table) x CROSS JOIN entry e ON e.id = x.entry_id WHERE e.campaign_id = ? AND e.tier IS NOT NULL GROUP BY e.tier
                    """, arguments: [campaign.rawValue]).map { ($0[0] as Int, $0[1] as Int) })
            }
            let (claimed, redeemed) = (try perTier("claim"), try perTier("redemption"))
            return try Row.fetchAll(db, sql: """
                SELECT t.tier, t.stock, t.awarded, coalesce(d.awarded, 0)
                FROM campaign_tier t LEFT JOIN campaign_tier_day d ON d.campaign_id = t.campaign_id AND d.tier = t.tier AND d.day = ?
                WHERE t.campaign_id = ? ORDER BY t.tier
                """, arguments: [today, campaign.rawValue]).map {
                let tier: Int = $0[0]
                var stock = TierStock(tier: tier, name: tiers[tier].name, stock: $0[1], awarded: $0[2])
                stock.today(awarded: $0[3], dailyStock: tiers[tier].dailyStock)
                stock.claimed = claimed[tier] ?? 0
                stock.redeemed = redeemed[tier] ?? 0
                return stock
            }
        }
    }

    public func addStore(name: String, region: String?, tokenHash: [UInt8], audit: AuditEntry) async throws -> Store {
        try await writer.write { db in
            let now = Date()
            try db.execute(sql: "INSERT INTO store (name, region, created_at) VALUES (?, ?, ?)", arguments: [name, region, now.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            try Self.append(audit.created(id), db)
            try db.execute(sql: "INSERT INTO api_token (name, scope, hash, created_at, store_id) VALUES (?, 'store', ?, ?, ?)",
                           arguments: ["store \(id): \(name)", Data(tokenHash), now.timeIntervalSince1970, id])
            return Store(id: StoreID(rawValue: id), name: name, region: region, createdAt: now)
        }
    }

    public func stores() async throws -> [Store] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM store ORDER BY id").map {
                Store(id: StoreID(rawValue: $0["id"]), name: $0["name"], region: $0["region"], createdAt: Date(timeIntervalSince1970: $0["created_at"]))
            }
        }
    }
}

extension SQLiteStore {
    public func editCampaign(_ id: CampaignID, _ definition: CampaignDefinition, audit: AuditEntry) async throws -> Campaign {
        try await writer.write { db in
            let campaign = try CampaignBook.edit(in: SQLiteCampaignEditTransaction(db: db), id, to: definition, at: Date())
            try Self.append(audit, db)
            return campaign
        }
    }
}

/// Campaign rows for `CampaignBook.edit`, in the writer's transaction.
struct SQLiteCampaignEditTransaction: CampaignEditTransaction {
    let db: Database

    func campaignForEdit(_ id: CampaignID) throws -> (campaign: Campaign, awarded: [Int], drawn: Bool)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM campaign WHERE id = ?", arguments: [id.rawValue]) else { return nil }
        let awarded = try Int.fetchAll(db, sql: "SELECT awarded FROM campaign_tier WHERE campaign_id = ? ORDER BY tier", arguments: [id.rawValue])
        let drawn = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM entry WHERE campaign_id = ?)", arguments: [id.rawValue]) ?? false
        return (try SQLiteStore.campaign(from: row), awarded, drawn)
    }

    func saveDefinition(_ id: CampaignID, _ definition: CampaignDefinition) throws {
        try db.execute(sql: "UPDATE campaign SET name = ?, definition = ?, starts_at = ?, ends_at = ? WHERE id = ?",
                       arguments: [definition.name, try StoredDefinition.text(definition), definition.start.timeIntervalSince1970,
                                   definition.end.timeIntervalSince1970, id.rawValue])
    }

    func setTierStocks(_ id: CampaignID, _ stocks: [Int], replace: Bool) throws {
        if replace {
            try db.execute(sql: "DELETE FROM campaign_tier_day WHERE campaign_id = ?", arguments: [id.rawValue])
            try db.execute(sql: "DELETE FROM campaign_tier WHERE campaign_id = ?", arguments: [id.rawValue])
            for (tier, stock) in stocks.enumerated() {
                try db.execute(sql: "INSERT INTO campaign_tier (campaign_id, tier, stock) VALUES (?, ?, ?)", arguments: [id.rawValue, tier, stock])
            }
        } else {
            for (tier, stock) in stocks.enumerated() {
                try db.execute(sql: "UPDATE campaign_tier SET stock = ? WHERE campaign_id = ? AND tier = ?", arguments: [stock, id.rawValue, tier])
            }
        }
    }
}

import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage
import Synchronization

extension SQLiteStore: CampaignStore {
    static let definitionEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Decoded definitions by their stored text: live campaigns are read once per group commit, and a
    /// definition never changes once stored, so each is decoded once.
    static let decodedDefinitions = Mutex<[String: CampaignDefinition]>([:])

    /// A stored definition, as `definitionEncoder` wrote it.
    static func definition(_ json: String) throws -> CampaignDefinition {
        if let known = decodedDefinitions.withLock({ $0[json] }) { return known }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let definition = try decoder.decode(CampaignDefinition.self, from: Data(json.utf8))
        decodedDefinitions.withLock { cache in
            if cache.count >= 256 { cache.removeAll() }  // bounded; campaigns are few
            cache[json] = definition
        }
        return definition
    }

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

    public func createCampaign(_ definition: CampaignDefinition) async throws -> Campaign {
        try await writer.write { db in
            let now = Date()
            let json = String(decoding: try Self.definitionEncoder.encode(definition), as: UTF8.self)
            try db.execute(sql: """
                INSERT INTO campaign (name, definition, status, starts_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [definition.name, json, definition.status.rawValue, definition.start.timeIntervalSince1970,
                                 definition.end.timeIntervalSince1970, now.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            for (index, tier) in definition.tiers.enumerated() {
                try db.execute(sql: "INSERT INTO campaign_tier (campaign_id, tier, stock) VALUES (?, ?, ?)", arguments: [id, index, tier.stock])
            }
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

    public func setStatus(_ status: CampaignStatus, of id: CampaignID) async throws -> Campaign {
        try await writer.write { db in
            var campaign = try Self.fetchCampaign(db, id)
            guard campaign.status.canChange(to: status) else {
                throw InputError("status", "campaign \(id) is \(campaign.status.rawValue) and cannot become \(status.rawValue) (draft → live ⇄ paused → ended)")
            }
            try db.execute(sql: "UPDATE campaign SET status = ? WHERE id = ?", arguments: [status.rawValue, id.rawValue])
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
                return CampaignEntry(id: row["id"], campaign: campaign, code: row["code"], consumer: row["consumer"],
                                     at: Date(timeIntervalSince1970: row["at"]), result: DrawOutcome.Result(rawValue: row["result"]) ?? .lost,
                                     tier: tier, prize: tier.flatMap { $0 < tiers.count ? tiers[$0].name : nil })
            }
        }
    }

    public func stock(of campaign: CampaignID) async throws -> [TierStock] {
        try await writer.read { db in
            let tiers = try Self.fetchCampaign(db, campaign).definition.tiers
            return try Row.fetchAll(db, sql: "SELECT tier, stock, awarded FROM campaign_tier WHERE campaign_id = ? ORDER BY tier",
                                    arguments: [campaign.rawValue]).map {
                TierStock(tier: $0[0], name: tiers[$0[0] as Int].name, stock: $0[1], awarded: $0[2])
            }
        }
    }

    // MARK: - Draws, inside the scan transaction

    /// Campaigns that are live and inside their window at `now`.
    static func liveCampaigns(_ db: Database, at now: Date) throws -> [Campaign] {
        try Row.fetchAll(db, sql: "SELECT * FROM campaign WHERE status = 'live' AND starts_at <= ? AND ends_at > ?",
                         arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970]).map(campaign(from:))
    }

    /// The code's draw in `campaign`: the earlier one if there is one, else a new one.
    ///
    /// A new draw picks a tier with the CSPRNG, then takes it only if the consumer is under their
    /// wins and the tier's stock (and daily stock) allows, with guarded updates in this transaction;
    /// otherwise the draw is lost. The entry is written in the same transaction as the scan.
    /// - Parameter earlierScans: whether the code had counted scans before this one; without them it cannot
    ///   have drawn yet (only counted scans draw), and the lookup of an earlier entry is skipped.
    static func draw(_ db: Database, _ campaign: Campaign, key: CodeKey, code: String, consumer: ConsumerID?, at: Date,
                     scan: Int64, earlierScans: Bool = true) throws -> DrawOutcome {
        let definition = campaign.definition
        func outcome(_ result: DrawOutcome.Result, _ tier: Int?, new: Bool, entry: Int64?) -> DrawOutcome {
            DrawOutcome(campaign: campaign.id, campaignName: definition.name, result: result, tier: tier,
                        prize: tier.map { definition.tiers[$0] }, new: new, entryID: entry)
        }
        if earlierScans, let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT e.id, e.result, e.tier, e.consumer, c.entry_id
            FROM scan s CROSS JOIN entry e ON e.scan_id = s.id LEFT JOIN claim c ON c.entry_id = e.id
            WHERE s.code_key = ? AND s.counted = 1 AND e.campaign_id = ?
            """), arguments: [key.rawValue, campaign.id.rawValue]) {
            var earlier = outcome(DrawOutcome.Result(rawValue: row[1]) ?? .lost, row[2], new: false, entry: row[0])
            earlier.claimable = earlier.result == .won && consumer != nil && row[3] as String? == consumer?.value && row[4] as Int64? == nil
            return earlier
        }
        let day = definition.day(of: at)
        if let perDay = definition.limits.drawsPerConsumerPerDay, let consumer {
            let today = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM entry WHERE campaign_id = ? AND consumer = ? AND day = ?"),
                                         arguments: [campaign.id.rawValue, consumer.value, day]) ?? 0
            if today >= perDay { return outcome(.dailyLimit, nil, new: false, entry: nil) }
        }
        var generator = SystemRandomNumberGenerator()
        var tier = CampaignDefinition.pick(definition.tiers, random: Double.random(in: 0..<1, using: &generator))
        if tier != nil, let maxWins = definition.limits.winsPerConsumer, let consumer {
            let wins = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM entry WHERE campaign_id = ? AND consumer = ? AND result = 'won'"),
                                        arguments: [campaign.id.rawValue, consumer.value]) ?? 0
            if wins >= maxWins { tier = nil }
        }
        if let won = tier {
            try db.cachedStatement(sql: "UPDATE campaign_tier SET awarded = awarded + 1 WHERE campaign_id = ? AND tier = ? AND awarded < stock")
                .execute(arguments: [campaign.id.rawValue, won])
            if db.changesCount == 0 {
                tier = nil  // out of stock
            } else if let daily = definition.tiers[won].dailyStock {
                try db.cachedStatement(sql: """
                    INSERT INTO campaign_tier_day (campaign_id, tier, day, awarded) VALUES (?, ?, ?, 1)
                    ON CONFLICT (campaign_id, tier, day) DO UPDATE SET awarded = awarded + 1 WHERE awarded < ?
                    """).execute(arguments: [campaign.id.rawValue, won, day, daily])
                if db.changesCount == 0 {
                    try db.cachedStatement(sql: "UPDATE campaign_tier SET awarded = awarded - 1 WHERE campaign_id = ? AND tier = ?")
                        .execute(arguments: [campaign.id.rawValue, won])
                    tier = nil  // today's stock is gone
                }
            }
        }
        try db.cachedStatement(sql: """
            INSERT INTO entry (campaign_id, scan_id, code_key, code, consumer, at, day, result, tier, points) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [campaign.id.rawValue, scan, key.rawValue, code, consumer?.value, at.timeIntervalSince1970, day,
                                     tier == nil ? "lost" : "won", tier,
                                     tier.map { definition.tiers[$0].kind == .points ? definition.tiers[$0].value : 0 } ?? 0])
        let entryID = db.lastInsertedRowID
        if let won = tier {
            let prize = definition.tiers[won]
            try emit(db, .prizeWon, at: at) { data in
                data.add("at", at)
                data.add("campaignId", campaign.id.rawValue)
                data.add("campaignName", definition.name)
                data.add("code", code)
                data.add("consumer", consumer?.value)
                data.add("entryId", entryID)
                var prizeData = EventJSON()
                prizeData.add("kind", prize.kind.rawValue)
                prizeData.add("name", prize.name)
                prizeData.add("tier", won)
                prizeData.add("value", prize.value)
                data.add("prize", prizeData)
            }
        }
        var made = outcome(tier == nil ? .lost : .won, tier, new: true, entry: entryID)
        made.claimable = tier != nil && consumer != nil
        return made
    }

    public func claim(campaign: CampaignID, key: CodeKey, consumer: ConsumerID, contact: ContactDetails,
                      consentVersion: String, consentText: String, at: Date) async throws -> Claim {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT e.id, e.consumer, e.code, e.tier, c.definition
                FROM scan s CROSS JOIN entry e ON e.scan_id = s.id JOIN campaign c ON c.id = e.campaign_id
                WHERE s.code_key = ? AND s.counted = 1 AND e.campaign_id = ? AND e.result = 'won'
                """, arguments: [key.rawValue, campaign.rawValue]) else {
                throw NotFoundError("code", "this code has no prize to claim in campaign \(campaign)")
            }
            let entryID: Int64 = row[0]
            guard row[1] as String? == consumer.value else {
                throw InputError("claim", "this prize was drawn on another phone; claim it there")
            }
            guard try Int64.fetchOne(db, sql: "SELECT entry_id FROM claim WHERE entry_id = ?", arguments: [entryID]) == nil else {
                throw InputError("claim", "this prize has been claimed already")
            }
            let tiers = try Self.definition(row[4]).tiers
            let tier = (row[3] as Int?).flatMap { $0 < tiers.count ? tiers[$0] : nil }
            let kind = tier?.kind
            var redemption: String?
            if kind == .goods || kind == .coupon {
                redemption = String(decoding: Crockford.random(12), as: UTF8.self)
            }
            try db.execute(sql: """
                INSERT INTO consumer_contact (consumer, name, phone, consent_version, consent_text, consented_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (consumer) DO UPDATE SET name = excluded.name, phone = excluded.phone,
                    consent_version = excluded.consent_version, consent_text = excluded.consent_text, consented_at = excluded.consented_at
                """, arguments: [consumer.value, contact.name, contact.phone, consentVersion, consentText, at.timeIntervalSince1970])
            try db.execute(sql: """
                INSERT INTO claim (entry_id, consumer, name, phone, consent_version, at, redemption_code) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [entryID, consumer.value, contact.name, contact.phone, consentVersion, at.timeIntervalSince1970, redemption])
            let code: String = row[2]
            try Self.emit(db, .prizeClaimed, at: at) { data in
                data.add("at", at)
                data.add("campaignId", campaign.rawValue)
                data.add("code", code)
                data.add("consentVersion", consentVersion)
                data.add("consumer", consumer.value)
                data.add("entryId", entryID)
                data.add("name", contact.name)
                data.add("phone", contact.phone)
                data.add("prize", tier?.name)
                data.add("redemptionCode", redemption)
            }
            return Claim(entryID: entryID, campaign: campaign, code: row[2], consumer: consumer.value, contact: contact,
                         consentVersion: consentVersion, at: at, prize: tier?.name, redemptionCode: redemption)
        }
    }

    public func addStore(name: String, region: String?, tokenHash: [UInt8]) async throws -> Store {
        try await writer.write { db in
            let now = Date()
            try db.execute(sql: "INSERT INTO store (name, region, created_at) VALUES (?, ?, ?)", arguments: [name, region, now.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            try db.execute(sql: "INSERT INTO api_token (name, scope, hash, created_at, store_id) VALUES (?, 'store', ?, ?, ?)",
                           arguments: ["store \(id): \(name)", Data(tokenHash), now.timeIntervalSince1970, id])
            return Store(id: id, name: name, region: region, createdAt: now)
        }
    }

    public func stores() async throws -> [Store] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM store ORDER BY id").map {
                Store(id: $0["id"], name: $0["name"], region: $0["region"], createdAt: Date(timeIntervalSince1970: $0["created_at"]))
            }
        }
    }

    public func redeem(_ redemptionCode: String, store: Int64, at: Date) async throws -> Redemption {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.entry_id, e.campaign_id, e.code, e.tier, k.definition, r.store_id, r.at
                FROM claim c JOIN entry e ON e.id = c.entry_id JOIN campaign k ON k.id = e.campaign_id
                LEFT JOIN redemption r ON r.entry_id = c.entry_id WHERE c.redemption_code = ?
                """, arguments: [redemptionCode]) else {
                throw NotFoundError("redemptionCode", "no claimed prize has this redemption code")
            }
            if let earlierStore = row[5] as Int64? {
                let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: row[6]))
                throw InputError("redemptionCode", "was redeemed already, at store \(earlierStore) on \(when)")
            }
            try db.execute(sql: "INSERT INTO redemption (entry_id, store_id, at) VALUES (?, ?, ?)",
                           arguments: [row[0] as Int64, store, at.timeIntervalSince1970])
            let tiers = try Self.definition(row[4]).tiers
            let prize = (row[3] as Int?).flatMap { $0 < tiers.count ? tiers[$0].name : nil }
            let (campaignID, entryID, code): (Int64, Int64, String) = (row[1], row[0], row[2])
            try Self.emit(db, .prizeRedeemed, at: at) { data in
                data.add("at", at)
                data.add("campaignId", campaignID)
                data.add("code", code)
                data.add("entryId", entryID)
                data.add("prize", prize)
                data.add("redemptionCode", redemptionCode)
                data.add("storeId", store)
            }
            return Redemption(redemptionCode: redemptionCode, campaign: CampaignID(rawValue: row[1]), prize: prize, code: row[2],
                              store: store, at: at)
        }
    }
}

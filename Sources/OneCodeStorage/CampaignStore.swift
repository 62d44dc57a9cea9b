import Foundation
import OneCodeDomain

/// One draw of one code in one campaign: the audit trail.
public struct CampaignEntry: Sendable, Codable, Equatable {
    public var id: EntryID
    public var campaign: CampaignID
    public var code: String
    public var consumer: String?
    public var at: Date
    public var result: DrawOutcome.Result
    public var tier: Int?
    public var prize: String?

    public init(id: EntryID, campaign: CampaignID, code: String, consumer: String?, at: Date, result: DrawOutcome.Result, tier: Int?, prize: String?) {
        self.id = id
        self.campaign = campaign
        self.code = code
        self.consumer = consumer
        self.at = at
        self.result = result
        self.tier = tier
        self.prize = prize
    }
}

/// A tier's stock as it stands.
public struct TierStock: Sendable, Codable, Equatable {
    public var tier: Int
    public var name: String
    public var stock: Int
    public var awarded: Int
    /// With a daily stock: awarded today (in the campaign's time zone) and what today's stock has left
    /// (`nil` without one: days are not counted then).
    public var awardedToday: Int?
    public var dailyStockLeft: Int?
    /// Prizes of this tier claimed by their winners, and redeemed at a store.
    public var claimed: Int = 0
    public var redeemed: Int = 0
    public init(tier: Int, name: String, stock: Int, awarded: Int) {
        self.tier = tier
        self.name = name
        self.stock = stock
        self.awarded = awarded
    }

    /// Today's figures from the day's awards, given the tier's daily stock.
    public mutating func today(awarded: Int, dailyStock: Int?) {
        awardedToday = dailyStock == nil ? nil : awarded
        dailyStockLeft = dailyStock.map { max(0, $0 - awarded) }
    }
}

/// A claimed prize: the winner's contact, the consents they gave (to deliver the prize; to be contacted
/// about the brand's products, when they chose to), and for goods and coupons the code a store redeems.
public struct Claim: Sendable, Codable, Equatable {
    public var entryID: EntryID
    public var campaign: CampaignID
    public var code: String
    public var consumer: String
    public var contact: ContactDetails
    public var consentVersion: String
    /// The version of the marketing consent given with this claim; nil when the box was left unticked.
    public var marketingConsentVersion: String?
    public var at: Date
    /// The prize tier's name.
    public var prize: String?
    public var redemptionCode: String?

    public init(entryID: EntryID, campaign: CampaignID, code: String, consumer: String, contact: ContactDetails,
                consentVersion: String, marketingConsentVersion: String? = nil, at: Date, prize: String?, redemptionCode: String?) {
        self.marketingConsentVersion = marketingConsentVersion
        self.prize = prize
        self.entryID = entryID
        self.campaign = campaign
        self.code = code
        self.consumer = consumer
        self.contact = contact
        self.consentVersion = consentVersion
        self.at = at
        self.redemptionCode = redemptionCode
    }
}

/// A retailer that redeems prizes.
public struct Store: Sendable, Codable, Equatable {
    public var id: StoreID
    public var name: String
    public var region: String?
    public var createdAt: Date
    public init(id: StoreID, name: String, region: String?, createdAt: Date) {
        self.id = id
        self.name = name
        self.region = region
        self.createdAt = createdAt
    }
}

/// A prize handed over at a store.
public struct Redemption: Sendable, Codable, Equatable {
    public var redemptionCode: String
    public var campaign: CampaignID
    public var prize: String?
    public var code: String
    public var store: StoreID
    public var at: Date
    public init(redemptionCode: String, campaign: CampaignID, prize: String?, code: String, store: StoreID, at: Date) {
        self.redemptionCode = redemptionCode
        self.campaign = campaign
        self.prize = prize
        self.code = code
        self.store = store
        self.at = at
    }
}

/// Campaigns, their entries and stores. Draws, claims and redemptions are rules (OneCodeRulebook's
/// `CampaignBook`) run in the transactions of `ScanTransactions` and `ClaimTransactions`.
public protocol CampaignStore: Sendable {
    /// Stores a new campaign, `audit` (its id filled in) in the same transaction.
    func createCampaign(_ definition: CampaignDefinition, audit: AuditEntry) async throws -> Campaign
    func campaigns() async throws -> [Campaign]
    func campaign(_ id: CampaignID) async throws -> Campaign?
    /// - Throws: `InputError("status", …)` for a change `CampaignStatus.canChange` refuses; `NotFoundError`.
    /// `audit` in the same transaction.
    func setStatus(_ status: CampaignStatus, of campaign: CampaignID, audit: AuditEntry) async throws -> Campaign
    /// Changes a campaign's definition as `CampaignBook.edit` allows.
    func editCampaign(_ id: CampaignID, _ definition: CampaignDefinition, audit: AuditEntry) async throws -> Campaign
    /// Entries in id order after `after`, at most `limit`.
    func entries(of campaign: CampaignID, after: Int64, limit: Int) async throws -> [CampaignEntry]
    /// The draws of one code in every campaign, oldest first, with their claim and redemption.
    func draws(of key: CodeKey) async throws -> [CodeDraw]
    func stock(of campaign: CampaignID) async throws -> [TierStock]

    /// Registers a store with its API token (only the token's hash is stored), `audit` (the store's id filled in)
    /// in the same transaction.
    func addStore(name: String, region: String?, tokenHash: [UInt8], audit: AuditEntry) async throws -> Store
    func stores() async throws -> [Store]
}

/// `consumer_contact` as both backends write it.
public enum ConsumerContactColumns {
    /// The `ON CONFLICT (consumer) DO UPDATE SET` list of `saveContact`: the latest claim's contact and
    /// prize consent; the marketing consent only when this claim gave it (an unticked box keeps the
    /// earlier one: not ticking is not withdrawing).
    public static let upsert = """
        name = excluded.name, phone = excluded.phone, consent_version = excluded.consent_version, consent_text = excluded.consent_text,
        consented_at = excluded.consented_at,
        marketing_consent_version = coalesce(excluded.marketing_consent_version, consumer_contact.marketing_consent_version),
        marketing_consent_text = coalesce(excluded.marketing_consent_text, consumer_contact.marketing_consent_text),
        marketing_consented_at = coalesce(excluded.marketing_consented_at, consumer_contact.marketing_consented_at)
        """
}

/// A campaign's rows for `CampaignBook.edit`, in one write transaction (the campaign's row locked).
public protocol CampaignEditTransaction {
    /// The campaign, the prizes awarded per tier, and whether it has any draw; nil when there is none.
    func campaignForEdit(_ id: CampaignID) throws -> (campaign: Campaign, awarded: [Int], drawn: Bool)?
    func saveDefinition(_ id: CampaignID, _ definition: CampaignDefinition) throws
    /// Each tier's stock; `replace`: the tiers are new (a campaign that has not drawn), their rows made again.
    func setTierStocks(_ id: CampaignID, _ stocks: [Int], replace: Bool) throws
}

/// A code's draw in one campaign, as the console's code lookup shows it.
public struct CodeDraw: Sendable, Equatable {
    public var entry: CampaignEntry
    public var campaignName: String
    public var claimedAt: Date?
    public var redeemedAt: Date?
    public var redeemedBy: StoreID?
    public init(entry: CampaignEntry, campaignName: String, claimedAt: Date?, redeemedAt: Date?, redeemedBy: StoreID?) {
        self.entry = entry
        self.campaignName = campaignName
        self.claimedAt = claimedAt
        self.redeemedAt = redeemedAt
        self.redeemedBy = redeemedBy
    }

    /// The query both backends run, the code's key as `key` (each binds it its own way). Entries have no index
    /// by code: a code's draws are its `code_log` rows of slot -campaign (their `ref` the entry), one index range.
    public static func sql(key: String) -> String {
        """
        SELECT e.id, e.campaign_id, e.code, e.consumer, e.at, e.result, e.tier, k.name, c.at, r.at, r.store_id
        FROM code_log l JOIN entry e ON e.id = l.ref JOIN campaign k ON k.id = e.campaign_id
        LEFT JOIN claim c ON c.entry_id = e.id LEFT JOIN redemption r ON r.entry_id = e.id
        WHERE l.code_key = \(key) AND l.slot < 0 AND l.slot > -1099511627776 ORDER BY e.id
        """
    }
}

import Foundation
import OneCodeDomain

// MARK: - Rows the rules read and write

/// What the rules need to know of an issued code.
public struct CodeFacts: Sendable, Equatable {
    public var batch: BatchID
    public var product: ProductID
    public var status: BatchStatus
    public var blacklisted: Bool
    /// The product's GTIN (14 digits) and the batch's lot, for GS1 Digital Link scans.
    public var gtin: String?
    public var lot: String?
    /// The digits of the unit's hidden PIN (0: it has none).
    public var pinLength: Int

    public init(batch: BatchID, product: ProductID, status: BatchStatus, blacklisted: Bool, gtin: String? = nil, lot: String? = nil,
                pinLength: Int = 0) {
        self.pinLength = pinLength
        self.gtin = gtin
        self.lot = lot
        self.batch = batch
        self.product = product
        self.status = status
        self.blacklisted = blacklisted
    }
}

/// A scan as the rules decided it, to be written.
public struct ScanRow: Sendable {
    public var request: ScanRequest
    public var batch: BatchID?
    /// The scan's place among the code's counted scans (1 for the first), `nil` when it does not count.
    ///
    /// Storage keeps (code, ordinal) unique. That is what makes "one `genuine` per code" hold with any
    /// number of writers: two writers that both saw no earlier scan both write ordinal 1, and the
    /// second gets `ConflictError` instead of a second `genuine`.
    public var ordinal: Int?
    public var verdict: Verdict
    public var reason: VerdictReason

    public init(request: ScanRequest, batch: BatchID?, ordinal: Int?, verdict: Verdict, reason: VerdictReason) {
        self.request = request
        self.batch = batch
        self.ordinal = ordinal
        self.verdict = verdict
        self.reason = reason
    }
}

/// A code's draw in a campaign, as stored.
public struct EntryFacts: Sendable, Equatable {
    public var id: EntryID
    public var result: DrawOutcome.Result
    public var tier: Int?
    public var consumer: String?
    public var claimed: Bool
    /// The claim's redemption code, and where and when it was redeemed (for its winner's later scans).
    public var redemptionCode: String?
    public var redeemedAt: Date?
    public var redeemedAtStore: String?

    public init(id: EntryID, result: DrawOutcome.Result, tier: Int?, consumer: String?, claimed: Bool,
                redemptionCode: String? = nil, redeemedAt: Date? = nil, redeemedAtStore: String? = nil) {
        self.id = id
        self.result = result
        self.tier = tier
        self.consumer = consumer
        self.claimed = claimed
        self.redemptionCode = redemptionCode
        self.redeemedAt = redeemedAt
        self.redeemedAtStore = redeemedAtStore
    }
}

/// A draw, to be written. Storage keeps (campaign, code) unique: one draw per code per campaign.
public struct EntryRow: Sendable {
    public var campaign: CampaignID
    public var scan: Int64
    public var key: CodeKey
    public var code: String
    public var consumer: ConsumerID?
    public var at: Date
    /// The local day in the campaign's time zone, for daily limits.
    public var day: String
    public var result: DrawOutcome.Result
    public var tier: Int?
    public var points: Int

    public init(campaign: CampaignID, scan: Int64, key: CodeKey, code: String, consumer: ConsumerID?, at: Date, day: String,
                result: DrawOutcome.Result, tier: Int?, points: Int) {
        self.campaign = campaign
        self.scan = scan
        self.key = key
        self.code = code
        self.consumer = consumer
        self.at = at
        self.day = day
        self.result = result
        self.tier = tier
        self.points = points
    }
}

/// A won draw that a claim is about.
public struct WonEntry: Sendable {
    public var id: EntryID
    public var consumer: String?
    public var code: String
    public var tier: Int?
    public var definition: CampaignDefinition
    public var claimed: Bool

    public init(id: EntryID, consumer: String?, code: String, tier: Int?, definition: CampaignDefinition, claimed: Bool) {
        self.id = id
        self.consumer = consumer
        self.code = code
        self.tier = tier
        self.definition = definition
        self.claimed = claimed
    }
}

/// A claimed prize that a store wants to redeem, and its redemption if it had one.
public struct RedemptionFacts: Sendable {
    public var entry: EntryID
    public var campaign: CampaignID
    public var code: String
    public var tier: Int?
    public var definition: CampaignDefinition
    public var redeemedBy: StoreID?
    public var redeemedAt: Date?

    public init(entry: EntryID, campaign: CampaignID, code: String, tier: Int?, definition: CampaignDefinition,
                redeemedBy: StoreID?, redeemedAt: Date?) {
        self.entry = entry
        self.campaign = campaign
        self.code = code
        self.tier = tier
        self.definition = definition
        self.redeemedBy = redeemedBy
        self.redeemedAt = redeemedAt
    }
}

/// A rating, to be written. Storage keeps (code, consumer) unique.
public struct FeedbackRow: Sendable {
    public var key: CodeKey
    public var code: String
    public var batch: BatchID
    public var product: ProductID
    public var consumer: ConsumerID
    public var rating: Int
    public var comment: String?
    public var at: Date

    public init(key: CodeKey, code: String, batch: BatchID, product: ProductID, consumer: ConsumerID, rating: Int, comment: String?, at: Date) {
        self.key = key
        self.code = code
        self.batch = batch
        self.product = product
        self.consumer = consumer
        self.rating = rating
        self.comment = comment
        self.at = at
    }
}

// MARK: - Ports lent per transaction

/// Writes an outbox event inside the transaction of the change it reports.
public protocol EventTransaction {
    func emit(_ type: EventType, at: Date, data: EventJSON) throws
}

/// The write transaction a backend lends to the scan rules: it reads and writes rows and decides
/// nothing. The rules (`ScanBook` in OneCodeRulebook) run between its reads and its writes.
/// A code's wrong hidden PINs, and whether they locked it for draws.
public struct PinState: Sendable, Equatable {
    public var failures: Int
    public var lockedAt: Date?
    public init(failures: Int, lockedAt: Date?) {
        self.failures = failures
        self.lockedAt = lockedAt
    }
}

/// A consumer's latest counted scan of a code (a PIN's draw is that scan's).
public struct ScanFacts: Sendable, Equatable {
    public var id: Int64
    public var region: String?
    /// The scan's verdict, when the backend read it.
    public var verdict: Verdict?
    public init(id: Int64, region: String?, verdict: Verdict? = nil) {
        self.id = id
        self.region = region
        self.verdict = verdict
    }
}

/// The hidden PIN's rows, in the scan transaction (a PIN's draws are written with them).
public protocol PinTransaction {
    func pinState(of key: CodeKey) throws -> PinState?
    /// Counts a wrong PIN; returns the code's wrong PINs so far.
    func recordWrongPin(_ key: CodeKey, at: Date) throws -> Int
    /// Locks the code for draws.
    func lockPin(_ key: CodeKey, at: Date) throws
    func latestCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> ScanFacts?
    /// The code's latest counted scan by any phone: when, and its region.
    func latestCountedScan(of key: CodeKey) throws -> (at: Date, region: String?)?
}

public protocol ScanTransaction: EventTransaction, ChannelScanTransaction, PinTransaction {
    /// Called once before the rules decide a group, with all of its requests: a backend whose every read
    /// is a round trip reads here, at once, what the rules will ask of these codes (and may hold its
    /// writes until the transaction ends). A backend whose reads are local does nothing.
    func prepare(_ requests: [ScanRequest], now: Date) throws
    func code(_ key: CodeKey) throws -> CodeFacts?
    /// The number of counted scans of the code (the largest ordinal written).
    func countedScans(of key: CodeKey) throws -> Int
    /// The time of the code's first counted scan.
    func firstCountedScan(of key: CodeKey) throws -> Date?
    /// Distinct consumers among the code's counted scans, counting no further than `limit`.
    func distinctConsumers(of key: CodeKey, upTo limit: Int) throws -> Int
    func hasCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> Bool
    /// Writes a scan and returns its id.
    /// - Throws: `ConflictError("code", …)` when another scan of the code holds the row's ordinal (a
    ///   writer elsewhere counted a scan of the code after this transaction read the count); the
    ///   caller runs the whole transaction again and decides anew.
    func insertScan(_ row: ScanRow) throws -> Int64

    /// Campaigns that are live and inside their window at `now`.
    func liveCampaigns(at now: Date) throws -> [Campaign]
    /// Whether any draw ever credited points (balances are read only then).
    func anyPointsAwarded() throws -> Bool
    func pointsBalance(of consumer: ConsumerID) throws -> Int
    /// The code's draw in the campaign, if it drew.
    func entry(in campaign: CampaignID, code key: CodeKey) throws -> EntryFacts?
    func draws(in campaign: CampaignID, by consumer: ConsumerID, day: String) throws -> Int
    func wins(in campaign: CampaignID, by consumer: ConsumerID) throws -> Int
    /// Takes one prize of the tier when its stock, and the day's stock when it has one, are not used
    /// up: guarded updates that the schema backs (`awarded <= stock`). Returns whether it took one.
    func takePrize(campaign: CampaignID, tier: Int, day: String, dailyStock: Int?) throws -> Bool
    /// - Throws: `ConflictError("code", …)` when the code drew in this campaign already (a race: the
    ///   rules looked first); the caller runs the transaction again and shows that draw.
    func insertEntry(_ row: EntryRow) throws -> EntryID
}

extension ScanTransaction {
    public func prepare(_ requests: [ScanRequest], now: Date) throws {}
}

/// The write transaction a backend lends to the claim and redemption rules (`CampaignBook`).
public protocol ClaimTransaction: EventTransaction {
    /// The code's won draw in the campaign.
    func wonEntry(in campaign: CampaignID, code key: CodeKey) throws -> WonEntry?
    /// Claims of prizes in the campaign made with this phone number.
    func claims(in campaign: CampaignID, phone: String) throws -> Int
    /// Keeps the consumer's contact and prize consent (the latest claim's) and, when `marketing` is given,
    /// their marketing consent (kept as it was when a later claim leaves the box unticked: not ticking is
    /// not withdrawing; erasure is).
    func saveContact(_ consumer: ConsumerID, _ contact: ContactDetails, consent: Consent, marketing: Consent?, at: Date) throws
    /// Writes the claim unless the draw has one (the schema keeps one claim per draw).
    /// - Returns: `false` when another claim holds the draw: the rules answer with the conflict.
    func insertClaim(_ claim: Claim) throws -> Bool
    /// The claim behind a redemption code, and its redemption if there is one.
    func redemptionFacts(_ redemptionCode: String) throws -> RedemptionFacts?
    /// Writes the redemption unless the prize has one (the schema keeps one redemption per claim).
    /// - Returns: `false` when it was redeemed already.
    func insertRedemption(entry: EntryID, store: StoreID, at: Date) throws -> Bool
    /// Appends an audit entry in this transaction.
    func appendAudit(_ entry: AuditEntry) throws
}

/// The write transaction a backend lends to the feedback rules.
public protocol FeedbackTransaction {
    func code(_ key: CodeKey) throws -> CodeFacts?
    func hasCountedScan(of key: CodeKey, by consumer: ConsumerID) throws -> Bool
    func hasRated(_ key: CodeKey, by consumer: ConsumerID) throws -> Bool
    /// The number of counted scans of the code.
    func countedScans(of key: CodeKey) throws -> Int
    /// Distinct consumers among the code's counted scans, counting no further than `limit`.
    func distinctConsumers(of key: CodeKey, upTo limit: Int) throws -> Int
    /// The number of ratings of the code.
    func ratings(of key: CodeKey) throws -> Int
    /// Writes the rating unless the consumer rated the code (the schema keeps one per code and consumer).
    /// - Returns: `false` when they had.
    func insertFeedback(_ row: FeedbackRow) throws -> Bool
}

/// A backend that lends the scan rules their transaction: one write transaction per call, committed
/// when `body` returns and rolled back when it throws.
public protocol ScanTransactions: Sendable {
    func withScanTransaction<T: Sendable>(_ body: @escaping @Sendable (any ScanTransaction) throws -> T) async throws -> T
}

/// A backend that lends the claim and redemption rules their transaction.
public protocol ClaimTransactions: Sendable {
    func withClaimTransaction<T: Sendable>(_ body: @escaping @Sendable (any ClaimTransaction) throws -> T) async throws -> T
}

/// A backend that lends the feedback rules their transaction.
public protocol FeedbackTransactions: Sendable {
    func withFeedbackTransaction<T: Sendable>(_ body: @escaping @Sendable (any FeedbackTransaction) throws -> T) async throws -> T
}

import Foundation
import OneCodeDomain

/// One scan that passed the keyed check, to be recorded.
public struct ScanRequest: Sendable {
    public var key: CodeKey
    public var code: String
    public var at: Date
    public var consumer: ConsumerID?
    /// Already truncated (or dropped) by the caller's privacy settings.
    public var ip: String?
    public var userAgent: String?
    public var referer: String?
    public var bot: Bool
    public var region: String?
    /// The GTIN and lot of the GS1 Digital Link the scan came by, checked against the code's product and batch.
    public var label: LabelClaim?

    public init(key: CodeKey, code: String, at: Date, consumer: ConsumerID?, ip: String?, userAgent: String?,
                referer: String?, bot: Bool, region: String?, label: LabelClaim? = nil) {
        self.label = label
        self.key = key
        self.code = code
        self.at = at
        self.consumer = consumer
        self.ip = ip
        self.userAgent = userAgent
        self.referer = referer
        self.bot = bot
        self.region = region
    }
}

/// What recording a scan decided.
public struct ScanResult: Sendable, Equatable {
    public var scanID: Int64
    public var verdict: Verdict
    public var reason: VerdictReason
    public var batchID: BatchID?
    /// Counted scans of the code, this one included.
    public var scanCount: Int
    public var firstScanAt: Date?
    /// The scan's draws in live campaigns, new or shown again.
    public var draws: [DrawOutcome]
    /// The consumer's points balance, when they have any.
    public var points: Int?

    public init(scanID: Int64, verdict: Verdict, reason: VerdictReason, batchID: BatchID?, scanCount: Int, firstScanAt: Date?,
                draws: [DrawOutcome] = [], points: Int? = nil) {
        self.draws = draws
        self.points = points
        self.scanID = scanID
        self.verdict = verdict
        self.reason = reason
        self.batchID = batchID
        self.scanCount = scanCount
        self.firstScanAt = firstScanAt
    }
}

/// A recorded scan, as the admin API and CLI show it.
public struct ScanRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Date
    public var code: String
    public var batchID: BatchID?
    public var consumer: String?
    public var ip: String?
    public var userAgent: String?
    public var referer: String?
    public var bot: Bool
    public var region: String?
    public var latitude: Double?
    public var longitude: Double?
    public var verdict: Verdict
    public var reason: VerdictReason

    public init(id: Int64, at: Date, code: String, batchID: BatchID?, consumer: String?, ip: String?, userAgent: String?,
                referer: String?, bot: Bool, region: String?, latitude: Double?, longitude: Double?, verdict: Verdict, reason: VerdictReason) {
        self.id = id
        self.at = at
        self.code = code
        self.batchID = batchID
        self.consumer = consumer
        self.ip = ip
        self.userAgent = userAgent
        self.referer = referer
        self.bot = bot
        self.region = region
        self.latitude = latitude
        self.longitude = longitude
        self.verdict = verdict
        self.reason = reason
    }
}

/// Scans and the lifecycle of codes.
public protocol ScanStore: Sendable {
    /// Attaches a consented position to this consumer's latest scan of the code.
    /// - Returns: the scan's id, or `nil` when the consumer has no scan of the code.
    func attachLocation(key: CodeKey, consumer: ConsumerID, latitude: Double, longitude: Double, region: String?) async throws -> Int64?

    /// The scans of a code, newest first.
    func scans(of key: CodeKey, limit: Int) async throws -> [ScanRecord]

    /// Changes a batch's status. - Throws: `InputError("status", …)` for a change `BatchStatus.canChange` refuses,
    /// `NotFoundError` for an unknown batch.
    /// `audit` is written in the same transaction.
    func setStatus(_ status: BatchStatus, of batch: BatchID, audit: AuditEntry) async throws -> Batch

    /// Blacklists an issued code, `audit` in the same transaction. - Throws: `NotFoundError("code", …)` when it was never issued.
    func blacklist(_ key: CodeKey, reason: String, audit: AuditEntry) async throws

    /// The number of scans by verdict, optionally of one batch; bot scans are not in it (as `onecode_scans_total`).
    func verdictCounts(batch: BatchID?) async throws -> [Verdict: Int]
}

/// An admin API token; only its SHA-256 is stored.
public struct APIToken: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var scope: TokenScope
    public var createdAt: Date
    /// For a `store` token, the store it acts for; for a `clerk` token, the clerk's store.
    public var storeID: StoreID?
    /// For a `clerk` token, the clerk it acts for.
    public var clerkID: ClerkID?
    /// When it last authenticated a request (to the minute; `nil`: never).
    public var lastUsedAt: Date?
    public init(id: Int64, name: String, scope: TokenScope, createdAt: Date, storeID: StoreID? = nil, lastUsedAt: Date? = nil,
                clerkID: ClerkID? = nil) {
        self.clerkID = clerkID
        self.id = id
        self.name = name
        self.scope = scope
        self.createdAt = createdAt
        self.storeID = storeID
        self.lastUsedAt = lastUsedAt
    }
}

/// What a token may do. `admin` may do everything; a `store` token redeems prizes and confirms receipts for its
/// store; a `clerk` token binds its clerk to cases.
public enum TokenScope: String, Sendable, Codable, CaseIterable {
    case admin, issuer, marketing, sales, store, clerk
}

public protocol TokenStore: Sendable {
    /// Creates a token, `audit` (its id filled in) in the same transaction.
    func createToken(name: String, scope: TokenScope, hash: [UInt8], audit: AuditEntry) async throws -> APIToken
    func token(hash: [UInt8]) async throws -> APIToken?
    /// Every token (never a secret: only hashes are stored), in id order.
    func tokens() async throws -> [APIToken]
    /// Removes a token: it authenticates nothing from then on; `audit` in the same transaction. `false` (and no
    /// audit entry) when there is no such token.
    func revokeToken(_ id: Int64, audit: AuditEntry) async throws -> Bool
    /// Records that the token authenticated a request now.
    func touchToken(_ id: Int64, at: Date) async throws
}

/// The audit log: who did what and when, written by each audited action in its own transaction (the
/// methods that take an `AuditEntry`), append-only (the schema refuses changes and deletions).
public protocol AuditStore: Sendable {
    /// Entries newest first, before `before` (an id) when given, at most `limit`.
    func auditLog(before: Int64?, limit: Int) async throws -> [AuditRecord]
    /// Writes one entry on its own: for what changes nothing but is audited (an export of personal data).
    func record(_ entry: AuditEntry) async throws
}

/// Whether the database can take writes now: what a load balancer's readiness check asks.
public protocol StorageReadiness: Sendable {
    /// Returns once a write transaction could begin (and, on PostgreSQL, the schema is this binary's).
    /// - Throws: why not.
    func checkReady() async throws
}

/// Everything the service needs from storage: each feature's port, and the transactions the rules run in.
public typealias OneCodeStore = CatalogStore & ScanStore & TokenStore & AuditStore & UserStore & SessionStore & SummaryStore & FeedbackInboxStore & CampaignStore & OutboxStore & LinkerStore & LinkStore
    & IssueJobStore
    & ChannelStore & FakeStore & ResolutionStore & ChannelTransactions & ScanTransactions & ClaimTransactions & FeedbackTransactions & StorageReadiness

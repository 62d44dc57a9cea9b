import Foundation
import OneCodeDomain

/// A segment: a named rule and its materialised members.
public struct Segment: Sendable, Encodable, Equatable {
    public var id: SegmentID
    public var name: String
    /// The rule as JSON (`SegmentRule.parse` reads it).
    public var rules: String
    public var createdAt: Date
    public var refreshedAt: Date?
    public var members: Int

    public init(id: SegmentID, name: String, rules: String, createdAt: Date, refreshedAt: Date?, members: Int) {
        self.id = id
        self.name = name
        self.rules = rules
        self.createdAt = createdAt
        self.refreshedAt = refreshedAt
        self.members = members
    }

    enum CodingKeys: String, CodingKey { case id, name, rules, createdAt, refreshedAt, members }

    /// `rules` nests as the JSON object it is (not JSON inside a string).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(JSONValue(parsing: rules), forKey: .rules)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(refreshedAt, forKey: .refreshedAt)
        try container.encode(members, forKey: .members)
    }
}

/// A segment's size at its last refresh of a UTC day, and how many joined and left that day.
public struct SegmentDay: Sendable, Equatable {
    public var day: String
    public var members: Int
    public var added: Int
    public var removed: Int

    public init(day: String, members: Int, added: Int, removed: Int) {
        self.day = day
        self.members = members
        self.added = added
        self.removed = removed
    }
}

/// What one linker refresh did.
public struct LinkerRefresh: Sendable, Codable, Equatable {
    public var full: Bool
    public var scansRead: Int
    public var profilesChanged: Int
    public var segmentsRefreshed: Int
    public var membersAdded: Int
    public var membersRemoved: Int
    public var leadsChanged: Int
    public var leadsCreated: Int
    /// Segments that could not be refreshed, with why; the others were.
    public var failedSegments: [String]

    public init(full: Bool) {
        failedSegments = []
        self.full = full
        scansRead = 0
        profilesChanged = 0
        segmentsRefreshed = 0
        membersAdded = 0
        membersRemoved = 0
        leadsChanged = 0
        leadsCreated = 0
    }
}

/// Something sales can act on: a consenting consumer or a store, scored, with reasons and source.
public struct Lead: Sendable, Codable, Equatable {
    /// `erased`: a consumer lead whose person was erased, exported once more at the next cursor with no
    /// personal fields, so a CRM that imported it deletes it.
    public enum Kind: String, Sendable, Codable { case consumer, store, dealer, erased }
    public struct Source: Sendable, Codable, Equatable {
        public var batch: Int64?
        public var region: String?
        public var store: Int64?
        public init(batch: Int64?, region: String?, store: Int64?) {
            self.batch = batch
            self.region = region
            self.store = store
        }
    }

    public var kind: Kind
    /// The consumer id or the store id.
    public var id: String
    public var name: String?
    public var phone: String?
    public var score: Double
    public var reasons: [String]
    public var source: Source
    public var createdAt: Date
    public var updatedAt: Date
    /// The export position of this version of the lead: pass the largest seen as `after`.
    public var cursor: Int64
    /// What a CRM needs beside the score, read as the lead is exported: the marketing consent (when, which version,
    /// which text: the first 12 hex digits of its SHA-256), the campaign of the latest claim, the product
    /// of the source batch, and the consumer's latest rating and comment.
    public var crm = CRM()

    public struct CRM: Sendable, Codable, Equatable {
        public var consentedAt: Date?
        public var consentVersion: String?
        public var consentTextId: String?
        public var campaignId: Int64?
        public var productId: Int64?
        public var lastRating: Int?
        public var lastComment: String?
        public init() {}
    }

    public init(kind: Kind, id: String, name: String?, phone: String?, score: Double, reasons: [String], source: Source,
                createdAt: Date, updatedAt: Date, cursor: Int64) {
        self.kind = kind
        self.id = id
        self.name = name
        self.phone = phone
        self.score = score
        self.reasons = reasons
        self.source = source
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.cursor = cursor
    }
}

/// A page of leads and where the next export starts.
public struct LeadPage: Sendable, Codable, Equatable {
    public var leads: [Lead]
    /// Pass as `after` next time: the next page, or only what is new or changed since.
    public var cursor: Int64
    public var more: Bool

    public init(leads: [Lead], cursor: Int64, more: Bool) {
        self.leads = leads
        self.cursor = cursor
        self.more = more
    }
}

public struct FeedbackAggregate: Sendable, Codable, Equatable {
    public var productId: Int64
    public var batchId: Int64?
    public var count: Int
    public var average: Double
    /// Share of ratings of 1 or 2.
    public var lowShare: Double
    /// The product's name (and the batch's lot), beside the ids.
    public var name: String?

    public init(productId: Int64, batchId: Int64?, count: Int, average: Double, lowShare: Double) {
        self.productId = productId
        self.batchId = batchId
        self.count = count
        self.average = average
        self.lowShare = lowShare
    }
}

/// One row of a report: a key (batch, product, region, campaign or day) and its figures.
public struct ReportRow: Sendable, Codable, Equatable {
    public var key: String
    /// What the key names, for a person: a product's name, a batch's product and lot.
    public var name: String?
    public var issued: Int?
    public var scanned: Int
    public var scans: Int?
    public var rate: Double?

    public init(key: String, issued: Int?, scanned: Int, scans: Int?, rate: Double?) {
        self.key = key
        self.issued = issued
        self.scanned = scanned
        self.scans = scans
        self.rate = rate
    }
}

/// Scans of a batch outside its intended sales region.
public struct DiversionAlert: Sendable, Codable, Equatable {
    public var batchId: Int64
    public var intendedRegion: String
    public var region: String
    public var scans: Int
    public var codes: Int
    public var firstAt: Date
    public var lastAt: Date

    public init(batchId: Int64, intendedRegion: String, region: String, scans: Int, codes: Int, firstAt: Date, lastAt: Date) {
        self.batchId = batchId
        self.intendedRegion = intendedRegion
        self.region = region
        self.scans = scans
        self.codes = codes
        self.firstAt = firstAt
        self.lastAt = lastAt
    }
}

public enum ScanRateGrouping: String, Sendable, CaseIterable { case batch, product, region, campaign }

/// A store's profile, from its redemptions.
public struct StoreProfile: Sendable, Codable, Equatable {
    public var store: Store
    public var redemptions: Int
    /// Distinct consumers whose prizes it redeemed.
    public var consumers: Int
    public var lastRedemptionAt: Date?
    /// Cases it confirmed receipt of, and units of them a consumer scanned (sold through).
    public var receipts: Int
    public var unitsSold: Int

    public init(store: Store, redemptions: Int, consumers: Int, lastRedemptionAt: Date?, receipts: Int = 0, unitsSold: Int = 0) {
        self.receipts = receipts
        self.unitsSold = unitsSold
        self.store = store
        self.redemptions = redemptions
        self.consumers = consumers
        self.lastRedemptionAt = lastRedemptionAt
    }
}

/// Profiles, segments, leads, feedback and reports: the linker's storage.
public protocol LinkerStore: Sendable {
    /// Brings profiles, segment members and leads up to date. Incremental: only what changed since the
    /// last refresh (new scans, entries, feedback, claims), plus consumers whose membership changes with
    /// time alone (a scan leaving a window, a consumer lapsing). `full` recomputes everything from the
    /// base tables and gives the same result.
    func refreshLinker(now: Date, full: Bool) async throws -> LinkerRefresh

    /// `audit` (the segment's id filled in) in the same transaction.
    /// - Throws: `ConflictError("name", …)` when another segment has the name.
    func createSegment(name: String, rule: SegmentRule, audit: AuditEntry) async throws -> Segment
    /// Renames a segment and/or gives it a new rule; the next refresh evaluates a new rule whole and
    /// re-scores the leads of its former and new members.
    /// - Throws: `NotFoundError("id", …)`, `ConflictError("name", …)`.
    func updateSegment(_ id: SegmentID, name: String?, rule: SegmentRule?, audit: AuditEntry) async throws -> Segment
    /// Deletes a segment and its members; their leads are re-scored at the next refresh.
    /// - Returns: whether there was such a segment (`audit` is written only then).
    func deleteSegment(_ id: SegmentID, audit: AuditEntry) async throws -> Bool
    func segments() async throws -> [Segment]
    func segment(_ id: SegmentID) async throws -> Segment?
    /// Members in id order, after `after`.
    /// The segment's size by UTC day from `day` (`YYYY-MM-DD`) on, oldest first: days with a refresh only.
    func segmentDays(of segment: SegmentID, from day: String) async throws -> [SegmentDay]
    func members(of segment: SegmentID, after: String, limit: Int) async throws -> [String]
    /// Members' profiles in id order, after `after`.
    func memberProfiles(of segment: SegmentID, after: String, limit: Int) async throws -> [ConsumerProfile]

    func profile(_ consumer: String) async throws -> ConsumerProfile?
    func storeProfiles() async throws -> [StoreProfile]

    /// Leads with a cursor above `after`, oldest change first.
    func leads(after: Int64, limit: Int, segment: SegmentID?, minScore: Double?) async throws -> LeadPage

    /// Everything stored about a consumer, as a JSON document; `nil` when nothing is.
    func exportConsumer(_ consumer: String) async throws -> Data?
    /// Erases a consumer as `policy` says (`ErasureBook`; `.standard`: contact, claims' names and phones,
    /// comments, profile, memberships and lead go; scans, entries and ratings stay as anonymous
    /// aggregates), `audit` (when given) in the same transaction. Returns whether anything was known.
    func forgetConsumer(_ consumer: String, policy: ErasurePolicy, audit: AuditEntry?) async throws -> Bool

    func feedbackReport(byBatch: Bool) async throws -> [FeedbackAggregate]
    /// Ratings and comments, newest first: those with an id below `before` (0: from the newest), at most `limit`.
    func feedbackList(_ filter: FeedbackFilter, before: Int64, limit: Int) async throws -> [FeedbackItem]
    func scanRate(by: ScanRateGrouping) async throws -> [ReportRow]
    func dailyScans(batch: BatchID?) async throws -> [ReportRow]
    func diversion() async throws -> [DiversionAlert]
}

extension Lead {
    /// The `data` of a `lead.created` event.
    public static func createdEvent(kind: Kind, id: String, name: String?, phone: String?, score: Double, reasons: [String],
                                    source: Source) -> EventJSON {
        var data = EventJSON()
        data.add("kind", kind.rawValue)
        data.add("id", id)
        data.add("name", name)
        data.add("phone", phone)
        data.add("reasons", reasons)
        data.add("score", score)
        data.add("sourceBatch", source.batch)
        data.add("sourceRegion", source.region)
        data.add("sourceStore", source.store)
        return data
    }

    /// The `data` of a `consumer.erased` event: the ids only (`lead` when they had one, else null).
    public static func erasedEvent(consumer: String, hadLead: Bool) -> EventJSON {
        var data = EventJSON()
        data.add("consumer", consumer)
        data.add("lead", hadLead ? consumer : nil)
        return data
    }
}

extension LinkerStore {
    /// Erases a consumer as OneCode's policy says (`ErasurePolicy.standard`), unaudited (`Actions.eraseConsumer` audits).
    public func forgetConsumer(_ consumer: String) async throws -> Bool {
        try await forgetConsumer(consumer, policy: .standard, audit: nil)
    }

    public func forgetConsumer(_ consumer: String, policy: ErasurePolicy) async throws -> Bool {
        try await forgetConsumer(consumer, policy: policy, audit: nil)
    }
}

/// Which ratings the feedback inbox shows.
public struct FeedbackFilter: Sendable, Equatable {
    public var product: Int64?
    public var batch: Int64?
    /// Only ratings of at most this many stars (the unhappy ones first to answer).
    public var maxRating: Int?
    public init(product: Int64? = nil, batch: Int64? = nil, maxRating: Int? = nil) {
        self.product = product
        self.batch = batch
        self.maxRating = maxRating
    }
}

/// One rating in the inbox of the people who answer consumers.
public struct FeedbackItem: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Date
    public var code: String
    public var productId: Int64
    public var productName: String
    public var batchId: Int64
    public var rating: Int
    public var comment: String?
    /// `nil` once the consumer was erased.
    public var consumer: String?
    public init(id: Int64, at: Date, code: String, productId: Int64, productName: String, batchId: Int64, rating: Int,
                comment: String?, consumer: String?) {
        self.id = id
        self.at = at
        self.code = code
        self.productId = productId
        self.productName = productName
        self.batchId = batchId
        self.rating = rating
        self.comment = comment
        self.consumer = consumer
    }
}

extension Lead.CRM {
    /// The id of a consent text: the first 12 hex digits of its SHA-256 (the same text, the same id).
    public static func textId(_ text: String?) -> String? {
        text.map { String(CodeSigner.sha256Hex($0).prefix(12)) }
    }
}

/// The rows a backend reads for a page of leads' CRM fields, and how they are put on the leads: the
/// same for every backend (each reads them with its own four queries, in the page's snapshot).
public struct LeadCRMRows: Sendable {
    public var contacts: [String: (at: Date, version: String, text: String)] = [:]
    public var latestRatings: [String: (rating: Int, comment: String?)] = [:]
    public var latestCampaigns: [String: Int64] = [:]
    public var batchProducts: [Int64: Int64] = [:]
    public init() {}

    /// The consumer ids and batch ids a page needs rows for.
    public static func keys(_ leads: [Lead]) -> (consumers: [String], batches: [Int64]) {
        (leads.filter { $0.kind == .consumer }.map(\.id), Array(Set(leads.compactMap(\.source.batch))).sorted())
    }

    public func apply(to leads: inout [Lead]) {
        for index in leads.indices where leads[index].kind != .erased {
            let id = leads[index].id
            var crm = Lead.CRM()
            if leads[index].kind == .consumer {
                if let contact = contacts[id] {
                    crm.consentedAt = contact.at
                    crm.consentVersion = contact.version
                    crm.consentTextId = Lead.CRM.textId(contact.text)
                }
                crm.lastRating = latestRatings[id]?.rating
                crm.lastComment = latestRatings[id]?.comment
                crm.campaignId = latestCampaigns[id]
            }
            crm.productId = leads[index].source.batch.flatMap { batchProducts[$0] }
            leads[index].crm = crm
        }
    }
}

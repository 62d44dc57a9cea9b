import Foundation
import OneCodeDomain

// MARK: - Rows the linker reads and writes

/// Where a refresh starts: the last refresh's version, and whether this one computes everything anew.
public struct LinkerWindow: Sendable, Equatable {
    public var lastVersion: Int64
    /// A full computation: asked for, or needed because the backend has no window to start from.
    public var full: Bool
    /// The `now` of the last refresh (Unix time), if there was one.
    public var lastRefreshAt: Double?

    public init(lastVersion: Int64, full: Bool, lastRefreshAt: Double?) {
        self.lastVersion = lastVersion
        self.full = full
        self.lastRefreshAt = lastRefreshAt
    }
}

/// A counted scan that names its consumer, as the linker merges it into a profile.
public struct LinkerScan: Sendable, Equatable {
    public var consumer: String
    public var batch: Int64?
    public var region: String?
    /// Unix time.
    public var at: Double

    public init(consumer: String, batch: Int64?, region: String?, at: Double) {
        self.consumer = consumer
        self.batch = batch
        self.region = region
        self.at = at
    }
}

/// A scan the profiles hold already whose region changed since (a location shared after the scan).
public struct ScanRegionChange: Sendable, Equatable {
    public var consumer: String
    public var at: Double
    public var from: String?
    public var to: String?

    public init(consumer: String, at: Double, from: String?, to: String?) {
        self.consumer = consumer
        self.at = at
        self.from = from
        self.to = to
    }
}

/// A segment as stored, before its rule is read.
public struct StoredSegment: Sendable, Equatable {
    public var id: Int64
    public var rules: String
    /// The refresh that last evaluated it; 0 when it must be evaluated whole (new, or its rule edited).
    public var version: Int64
    public var refreshedAt: Double?
    public var members: Int

    public init(id: Int64, rules: String, version: Int64, refreshedAt: Double?, members: Int) {
        self.id = id
        self.rules = rules
        self.version = version
        self.refreshedAt = refreshedAt
        self.members = members
    }
}

/// A consumer whose memberships may have changed, with the segments (of those asked about) they are in now.
public struct MembershipCandidate: Sendable {
    public var profile: ConsumerProfile
    public var memberOf: Set<Int64>

    public init(profile: ConsumerProfile, memberOf: Set<Int64>) {
        self.profile = profile
        self.memberOf = memberOf
    }
}

/// One membership to add or remove.
public struct Membership: Sendable, Hashable {
    public var segment: Int64
    public var consumer: String

    public init(segment: Int64, consumer: String) {
        self.segment = segment
        self.consumer = consumer
    }
}

/// What the lead rules read of a consenting consumer.
public struct ConsumerLeadFacts: Sendable {
    public var profile: ConsumerProfile
    public var name: String?
    public var phone: String?
    /// The names of the segments they are a member of, sorted.
    public var segments: [String]
    /// The store that redeemed their latest redeemed prize.
    public var store: Int64?

    public init(profile: ConsumerProfile, name: String?, phone: String?, segments: [String], store: Int64?) {
        self.profile = profile
        self.name = name
        self.phone = phone
        self.segments = segments
        self.store = store
    }
}

/// What the lead rules read of a store: its redemptions and what the channel knows of it.
public struct StoreLeadFacts: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var region: String?
    public var redemptions: Int
    /// Distinct consumers whose prizes it redeemed.
    public var consumers: Int
    /// Cases it confirmed receipt of, and units of them consumers scanned.
    public var receipts: Int
    public var unitsSold: Int

    public init(id: Int64, name: String, region: String?, redemptions: Int, consumers: Int, receipts: Int = 0, unitsSold: Int = 0) {
        self.receipts = receipts
        self.unitsSold = unitsSold
        self.id = id
        self.name = name
        self.region = region
        self.redemptions = redemptions
        self.consumers = consumers
    }
}

/// A lead's identity: its kind and the consumer or store id.
public struct LeadKey: Sendable, Hashable {
    public var kind: Lead.Kind
    public var ref: String

    public init(kind: Lead.Kind, ref: String) {
        self.kind = kind
        self.ref = ref
    }
}

/// A lead as stored: reasons and source as their JSON text.
public struct LeadRow: Sendable, Equatable {
    public var key: LeadKey
    public var name: String?
    public var phone: String?
    public var score: Double
    public var reasons: String
    public var source: String
    public var createdAt: Double
    /// Its export cursor.
    public var seq: Int64

    public init(key: LeadKey, name: String?, phone: String?, score: Double, reasons: String, source: String, createdAt: Double, seq: Int64) {
        self.key = key
        self.name = name
        self.phone = phone
        self.score = score
        self.reasons = reasons
        self.source = source
        self.createdAt = createdAt
        self.seq = seq
    }

    /// Whether the two say the same to sales (cursor and times aside).
    public func saysTheSame(as other: LeadRow) -> Bool {
        name == other.name && phone == other.phone && score == other.score && reasons == other.reasons && source == other.source
    }
}

/// A whole segment's evaluation failed inside the database (its effects were rolled back); the
/// message says why and holds none of the rule's values.
public struct SegmentEvaluationError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

// MARK: - The port

/// The transaction a backend lends to the linker (`LinkerBook` in OneCodeRulebook): it reads and
/// writes rows and decides nothing. Which consumers, members and leads change is decided by the book.
///
/// Everything is read in one snapshot: the backend fixes in `begin` the window of rows this refresh
/// reads (what committed since the last refresh, or everything), and every later read sees that state.
public protocol LinkerTransaction: EventTransaction {
    /// Reads the linker's state and fixes this refresh's window.
    /// - Parameter requested: a full computation was asked for.
    func begin(full requested: Bool) throws -> LinkerWindow
    /// For a full computation: the profiles go, and the window becomes every row.
    func clearProfiles() throws
    /// Each batch's product.
    func batchProducts() throws -> [Int64: Int64]
    /// The window's next counted scans that name a consumer, at most `limit`, in consumer order (all
    /// of one consumer's together, across pages); empty once all were read.
    func nextScans(limit: Int) throws -> [LinkerScan]
    /// The stored profiles of these consumers (those that have one).
    func storedProfiles(_ consumers: [String]) throws -> [String: ProfileBuilder]
    /// Writes profiles' scan-derived fields (new rows or updates) with this refresh's version.
    func saveProfiles(_ profiles: [ProfileBuilder], version: Int64) throws
    /// Region changes in the window to scans read by earlier refreshes, oldest first (none on a full computation).
    func lateChanges() throws -> [ScanRegionChange]
    /// Adds the window's draws, prizes, points, ratings and consents to the stored profiles (every
    /// consent on a full computation), marking the profiles it changes with `version`.
    func addActivity(version: Int64, full: Bool) throws
    /// Records that the window was read: the next refresh starts after it.
    func closeWindow(version: Int64, now: Date) throws

    func segments() throws -> [StoredSegment]
    /// Makes the segment's members exactly the profiles the condition selects (`SegmentSQL`), writing
    /// only the differences, and remembers the consumers who joined or left for the leads.
    /// - Throws: `SegmentEvaluationError` when the database could not evaluate it (nothing of it written).
    func replaceMembers(of segment: Int64, condition: (sql: String, values: [SQLValue])) throws -> (added: Int, removed: Int)
    /// Collects the consumers whose memberships may have changed: profiles of a version above
    /// `version`, and consumers who scanned within any of `spans` (Unix times, from inclusive, to exclusive).
    func collectCandidates(changedAfter version: Int64, scannedWithin spans: [(from: Double, to: Double)]) throws
    /// The next page of collected candidates with id above `after`, in id order, with their
    /// memberships among `segments`.
    func candidates(after: String, limit: Int, segments: [Int64]) throws -> [MembershipCandidate]
    /// Writes membership changes and remembers their consumers for the leads.
    func changeMembers(adding: [Membership], removing: [Membership]) throws
    func segmentRefreshed(_ segment: Int64, version: Int64, at now: Date, members: Int) throws
    /// Keeps the segment's size on `day` (the last refresh's count) and adds the day's joins and leaves
    /// (`SegmentDay`, the console's counts over time).
    func recordSegmentDay(_ segment: Int64, day: String, members: Int, added: Int, removed: Int) throws

    /// Consenting consumers whose profile has a version above `version` or whose memberships changed
    /// in this transaction, id above `after`, in id order, at most `limit`.
    func consumerLeadFacts(changedAfter version: Int64, after: String, limit: Int) throws -> [ConsumerLeadFacts]
    /// Every store, with its redemptions and what the channel knows of it (`LinkerBook` picks the leads).
    func storeLeadFacts() throws -> [StoreLeadFacts]
    /// Every dealer, with what the channel knows of it (`LinkerBook` picks the leads).
    func dealerLeadFacts() throws -> [DealerProfile]
    /// The last export cursor given.
    func leadSequence() throws -> Int64
    func storedLeads(_ keys: [LeadKey]) throws -> [LeadKey: LeadRow]
    /// Writes leads (new or replacing the stored one of the same key) and the last cursor given.
    func writeLeads(_ rows: [LeadRow], sequence: Int64, at now: Date) throws
}

// MARK: - Erasure

/// The transaction a backend lends to erasure (`ErasureBook`): statements made from the policy's
/// tables and fields, which are the schema's own names (never input).
public protocol ErasureTransaction: EventTransaction {
    /// Deletes the rows of `table` whose `key` column is the consumer; returns how many.
    func delete(from table: String, where key: String, is consumer: String) throws -> Int
    /// Sets the fields of the rows of `table` whose `key` is the consumer; returns how many rows.
    func anonymise(_ table: String, where key: String, is consumer: String, fields: [ErasurePolicy.Field]) throws -> Int
    /// Sets fields of the events' `data` whose `data.<match>` is the consumer (of `onlyType`, or of every
    /// type but `exceptType`); returns how many events.
    func anonymiseEvents(_ rule: ErasurePolicy.EventRule, consumer: String) throws -> Int
    /// Turns the consumer's lead into a deletion marker with the next export cursor: kind `erased`,
    /// the fields set; an older marker of the same id gives way. Returns whether they had a lead.
    func tombstoneLead(of consumer: String, fields: [ErasurePolicy.Field], at now: Date) throws -> Bool
    /// Sets every segment's member count from its members.
    func recountSegments() throws
    /// Appends an audit log entry in this transaction.
    func appendAudit(_ entry: AuditEntry) throws
}

/// The write transaction a backend lends to the segment rules (`SegmentBook`): rows only.
public protocol SegmentTransaction {
    /// Inserts a segment; nil when another holds the name (the schema keeps names unique).
    func insertSegment(name: String, rules: String, at: Date) throws -> Segment?
    /// Whether the segment exists (PostgreSQL locks its row for the rest of the transaction).
    func segmentExists(_ id: SegmentID) throws -> Bool
    /// Renames a segment; false when another holds the name.
    func renameSegment(_ id: SegmentID, to name: String) throws -> Bool
    /// Sets a segment's rules and its version to 0, so the next refresh evaluates it whole.
    func replaceRules(of id: SegmentID, with rules: String) throws
    /// Marks the segment's members' profiles changed, so the next refresh scores their leads again.
    func markMembersChanged(_ id: SegmentID) throws
    /// Deletes the segment and its memberships; false when there was none.
    func deleteSegment(_ id: SegmentID) throws -> Bool
    /// Appends an audit log entry in this transaction.
    func appendAudit(_ entry: AuditEntry) throws
    func segment(_ id: SegmentID) throws -> Segment?
}

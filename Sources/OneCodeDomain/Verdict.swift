import Foundation

/// What a scan says about an item.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    /// The first counted scan of an issued code in an active batch.
    case genuine
    /// Scanned before: the page shows when first and how often.
    case `repeat`
    /// Scanned more often, or by more consumers, than one item plausibly is: flagged for follow-up.
    case suspicious
    /// Passes the keyed check but was never issued.
    case unknown
    /// Fails the keyed check; decided without any database work.
    case forged
    /// Issued, but its batch is not yet active.
    case inactive
    /// Its batch was voided, or the code blacklisted.
    case void
}

/// Why a verdict was given: a stable code for machines and translations.
extension Verdict {
    /// The verdict a stored row names. - Throws when it names none.
    public static func stored(_ text: String) throws -> Verdict {
        guard let verdict = Verdict(rawValue: text) else { throw InputError("verdict", "the database holds an unknown verdict '\(text)'") }
        return verdict
    }
}

public enum VerdictReason: String, Sendable, Codable, CaseIterable {
    case firstScan = "first-scan"
    case scannedBefore = "scanned-before"
    /// The same phone scanned this code before: its own rescan, recorded but not counted, so reloading
    /// one's own page never makes a code look suspicious.
    case rescannedByYou = "rescanned-by-you"
    case tooManyScans = "too-many-scans"
    case tooManyConsumers = "too-many-consumers"
    /// Another phone scanned the code, in another region, shortly before: one label printed twice.
    case clonedLabel = "cloned-label"
    case notIssued = "not-issued"
    case malformed
    case checkCharacter = "check-character"
    case signature
    case batchNotActive = "batch-not-active"
    case batchVoid = "batch-void"
    case blacklisted
    /// A GS1 Digital Link names a GTIN that is not the code's product's: the label was not issued so.
    case gtinMismatch = "gtin-mismatch"
    /// A GS1 Digital Link names a lot that is not the code's batch's.
    case lotMismatch = "lot-mismatch"

    public init(_ forgery: ForgeryReason) {
        switch forgery {
        case .malformed: self = .malformed
        case .checkCharacter: self = .checkCharacter
        case .signature: self = .signature
        }
    }
}

/// What storage knows of a code when a scan arrives, before the scan is counted.
public struct CodeState: Sendable, Equatable {
    public var batchStatus: BatchStatus
    public var blacklisted: Bool
    /// Counted scans so far.
    public var scanCount: Int
    /// Distinct consumers who scanned it so far.
    public var consumerCount: Int
    /// Whether this scan's consumer has not scanned this code before.
    public var newConsumer: Bool
    /// Whether this scan and the code's latest counted scan look like one label printed twice
    /// (`VerdictRules.clonedLabel`).
    public var clonedLabel: Bool

    public init(batchStatus: BatchStatus, blacklisted: Bool, scanCount: Int, consumerCount: Int, newConsumer: Bool, clonedLabel: Bool = false) {
        self.batchStatus = batchStatus
        self.blacklisted = blacklisted
        self.scanCount = scanCount
        self.consumerCount = consumerCount
        self.newConsumer = newConsumer
        self.clonedLabel = clonedLabel
    }
}

/// The verdict rules, with their thresholds.
public struct VerdictRules: Sendable, Equatable {
    /// A code scanned more than this many times (counted scans) is suspicious.
    public var maxScans: Int
    /// A code scanned by more than this many distinct consumers is suspicious.
    public var maxConsumers: Int
    /// A new phone's scan this soon after the code's latest counted scan, in a region where that one could
    /// not be (neither region contains the other), is a cloned label; 0 turns the rule off.
    public var cloneWindowSeconds: Double

    public init(maxScans: Int = 20, maxConsumers: Int = 5, cloneWindowSeconds: Double = 3600) {
        self.maxScans = maxScans
        self.maxConsumers = maxConsumers
        self.cloneWindowSeconds = cloneWindowSeconds
    }

    /// Whether a new phone's scan at `at` in `region` and the code's latest counted scan (`latest`, another
    /// phone's) are one label printed twice: both regions known, neither containing the other, within
    /// `cloneWindowSeconds`.
    public func clonedLabel(latest: (at: Date, region: String?)?, at: Date, region: String?) -> Bool {
        guard cloneWindowSeconds > 0, let latest, let earlier = latest.region, let region,
              at.timeIntervalSince(latest.at) < cloneWindowSeconds else { return false }
        return !RegionCode.covers(earlier, region) && !RegionCode.covers(region, earlier)
    }

    /// Decides a scan's verdict. `state` is `nil` for a code that was never issued.
    ///
    /// - Parameter counted: whether the scan counts (a consumer's scan, not a bot's or a preview's).
    ///   An uncounted scan gets the verdict the code would show without changing it.
    /// - Parameter ownRescan: the scanning phone has a counted scan of this code already: the scan is not
    ///   counted, and a code that would read `repeat` says it is the phone's own rescan.
    public func decide(_ state: CodeState?, counted: Bool, ownRescan: Bool = false) -> (Verdict, VerdictReason) {
        guard let state else { return (.unknown, .notIssued) }
        if state.blacklisted { return (.void, .blacklisted) }
        switch state.batchStatus {
        case .void: return (.void, .batchVoid)
        case .issued: return (.inactive, .batchNotActive)
        case .active: break
        }
        let scans = state.scanCount + (counted ? 1 : 0)
        let consumers = state.consumerCount + (counted && state.newConsumer ? 1 : 0)
        if scans > maxScans { return (.suspicious, .tooManyScans) }
        if consumers > maxConsumers { return (.suspicious, .tooManyConsumers) }
        if counted && state.newConsumer && state.clonedLabel { return (.suspicious, .clonedLabel) }
        if state.scanCount == 0 { return (.genuine, .firstScan) }
        return (.repeat, ownRescan ? .rescannedByYou : .scannedBefore)
    }
}

/// What a GS1 Digital Link says besides the serial, checked against the code it carries.
public struct LabelClaim: Sendable, Equatable {
    /// The GTIN in the URL, as 14 digits.
    public var gtin: String
    public var lot: String?
    public init(gtin: String, lot: String?) {
        self.gtin = gtin
        self.lot = lot
    }

    /// Why the claim does not match the code's product and batch, if it does not: a serial under
    /// another GTIN or lot was never issued so, and is `unknown` with this reason (recorded, not counted).
    public func mismatch(productGTIN: String?, batchLot: String?) -> VerdictReason? {
        if gtin != productGTIN { return .gtinMismatch }
        // Lots compare without regard to case: a link read or typed in lower case (or printed in upper
        // case) names the same lot; lots are letters, digits, '-', '.' and '_'.
        if let lot, lot.uppercased() != batchLot?.uppercased() { return .lotMismatch }
        return nil
    }
}

/// Whether a state change of a batch is allowed.
extension BatchStatus {
    /// issued → active, issued or active → void; void is final. Setting the same status is a no-op.
    public func canChange(to next: BatchStatus) -> Bool {
        switch (self, next) {
        case (.issued, .active), (.issued, .void), (.active, .void): true
        case let (a, b) where a == b: true
        default: false
        }
    }

    /// The one check every backend and surface runs before changing a batch's status.
    /// - Throws: `InputError("status", …)` naming the allowed changes.
    public func checkChange(to next: BatchStatus, of batch: BatchID) throws {
        guard canChange(to: next) else {
            throw InputError("status", "batch \(batch) is \(rawValue) and cannot become \(next.rawValue) (issued → active → void; void is final)")
        }
    }
}

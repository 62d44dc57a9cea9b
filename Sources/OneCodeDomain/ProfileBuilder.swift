import Foundation

/// Derives a consumer's profile from their counted scans, one scan at a time: the rule every
/// backend's linker applies, whether it rebuilds a profile from nothing or adds what arrived since.
///
/// Regions are counted, not just collected, so a scan whose region changes later (a location the
/// consumer shared after the scan) moves one count from the old region to the new one, and the
/// profile stays what a rebuild from the scans would give.
public struct ProfileBuilder: Sendable {
    public var consumer: String
    public var firstAt: Double
    public var lastAt: Double
    public var scans: Int
    // Small sets (a consumer scans a few products in a few regions) kept as arrays: no hashing per scan.
    public var products: [Int64]
    public var batches: [Int64]
    /// Counted scans per region, in first-seen order.
    public var regions: [(name: String, scans: Int)]
    public var lastBatch: Int64?
    /// The latest region known: the region of the latest scan that has one (a scan's region comes
    /// from its address or a location shared later, and may be unknown), so a lead's source region
    /// is not emptied by one scan without a region.
    public var lastRegion: String?
    /// The time of the scan `lastRegion` came from, so a region learnt later for an older scan (a
    /// location shared after the scan) is judged against it, as a rebuild from the scans would.
    public var lastRegionAt: Double?
    /// Counted scans per UTC day number.
    public var days: [Int: Int]
    // From entries, ratings and consent.
    public var draws = 0, prizesWon = 0, points = 0, ratings = 0, ratingSum = 0
    public var minRating: Int?
    public var consentAt: Double?

    public init(consumer: String) {
        self.consumer = consumer
        firstAt = .infinity
        lastAt = -.infinity
        scans = 0
        products = []
        batches = []
        regions = []
        days = [:]
    }

    /// Adds one counted scan.
    public mutating func add(batch: Int64?, product: Int64?, region: String?, at: Double) {
        scans += 1
        firstAt = min(firstAt, at)
        know(region, at: at)
        if at >= lastAt {  // the latest scan's batch
            lastAt = at
            lastBatch = batch
        }
        if let batch, !batches.contains(batch) { batches.append(batch) }
        if let product, !products.contains(product) { products.append(product) }
        if let region { count(region, by: 1) }
        days[Self.day(at), default: 0] += 1
    }

    /// A scan already in the profile changed region (from `old`, which may be none, to `new`).
    public mutating func moveScan(at: Double, from old: String?, to new: String?) {
        guard old != new else { return }
        if let old { count(old, by: -1) }
        if let new { count(new, by: 1) }
        know(new, at: at)
    }

    /// A scan at `at` has `region`: the latest known region unless a later scan has one (a scan without
    /// a region changes nothing). Among scans at the same time, the later one told wins.
    private mutating func know(_ region: String?, at: Double) {
        guard let region else { return }
        if lastRegionAt.map({ at >= $0 }) ?? true {
            lastRegion = region
            lastRegionAt = at
        }
    }

    private mutating func count(_ region: String, by change: Int) {
        if let index = regions.firstIndex(where: { $0.name == region }) {
            regions[index].scans += change
            if regions[index].scans <= 0 { regions.remove(at: index) }
        } else if change > 0 {
            regions.append((region, change))
        }
    }

    /// The UTC day number of a Unix time.
    public static func day(_ at: Double) -> Int { Int((at / 86_400).rounded(.down)) }

    /// Day counts within the longest window a segment rule may use.
    public var recentDays: [Int: Int] {
        let oldest = Self.day(lastAt) - SegmentRule.maxDays
        return days.filter { $0.key > oldest }
    }

    public var profile: ConsumerProfile {
        ConsumerProfile(consumer: consumer, firstScanAt: Date(timeIntervalSince1970: firstAt), lastScanAt: Date(timeIntervalSince1970: lastAt),
                        scans: scans, products: products.sorted(), batches: batches.sorted(), regions: regions.map(\.name).sorted(),
                        lastBatch: lastBatch, lastRegion: lastRegion, draws: draws, prizesWon: prizesWon, points: points, ratings: ratings,
                        ratingSum: ratingSum, minRating: minRating, consentAt: consentAt.map(Date.init(timeIntervalSince1970:)), days: recentDays)
    }
}

/// Who becomes a lead for sales: the rule the linker applies to every profile.
public enum LeadPolicy {
    /// Only a consumer who gave contact and recorded consent is a lead.
    public static func isLead(_ profile: ConsumerProfile) -> Bool { profile.consentAt != nil }
}

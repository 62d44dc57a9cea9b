import Foundation
import OneCodeDomain

/// Scans of codes that are not the brand's (forged: the keyed check fails; unknown: it passes, but the code
/// was never issued), counted by UTC day, region and verdict: where fakes surface. Forged scans are never
/// stored one by one (they cost the scan path nothing but a count in memory); each node adds what it
/// counted since its last flush, so several nodes add up.
public struct FakeCount: Sendable, Codable, Equatable, Hashable {
    /// The UTC day, `YYYY-MM-DD`.
    public var day: String
    /// Where the scan came from (IP region), or "" when not known.
    public var region: String
    /// `forged` or `unknown`.
    public var verdict: Verdict
    public var scans: Int

    public init(day: String, region: String, verdict: Verdict, scans: Int) {
        self.day = day
        self.region = region
        self.verdict = verdict
        self.scans = scans
    }
}

public protocol FakeStore: Sendable {
    /// Adds the counts to the stored ones, in one transaction.
    func addFakeCounts(_ counts: [FakeCount]) async throws
    /// The stored counts of days `from` through `to` (`YYYY-MM-DD`), by day, region and verdict.
    func fakeCounts(from: String, to: String) async throws -> [FakeCount]
}

/// Resolutions (GS1 Digital Link lookups that are not a phone's scan: a link type, the linkset, a
/// product's default link) counted by UTC day and link type (`default`, `linkset`, `gs1:pip`, …); each
/// node adds what it counted since its last flush, so the report covers every node.
public struct ResolutionCount: Sendable, Codable, Equatable, Hashable {
    /// The UTC day, `YYYY-MM-DD`.
    public var day: String
    public var linkType: String
    public var resolutions: Int

    public init(day: String, linkType: String, resolutions: Int) {
        self.day = day
        self.linkType = linkType
        self.resolutions = resolutions
    }
}

public protocol ResolutionStore: Sendable {
    /// Adds the counts to the stored ones, in one transaction.
    func addResolutionCounts(_ counts: [ResolutionCount]) async throws
    /// The stored counts of days `from` through `to` (`YYYY-MM-DD`), by day and link type.
    func resolutionCounts(from: String, to: String) async throws -> [ResolutionCount]
}

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
    /// `forged`, `unknown`, or `suspicious` for a cloned label (`VerdictReason.clonedLabel`).
    public var verdict: Verdict
    public var scans: Int
    /// Consumers' reports (`CounterfeitReport`) of that day, region and verdict.
    public var reports: Int

    public init(day: String, region: String, verdict: Verdict, scans: Int, reports: Int = 0) {
        self.day = day
        self.region = region
        self.verdict = verdict
        self.scans = scans
        self.reports = reports
    }
}

/// A consumer's report of a product whose code did not check out, as stored.
public struct FakeReport: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Date
    /// The code as it was scanned or typed (upper case, at most 64 characters).
    public var code: String
    /// `forged` or `unknown` (when it passed the keyed check but was never issued).
    public var verdict: Verdict
    /// Where the phone was (GeoIP), when known.
    public var region: String?
    public var whereBought: String?
    public var comment: String?
    /// Only with the consent to be contacted about the report.
    public var phone: String?
    public var contactConsentAt: Date?

    public init(id: Int64, at: Date, code: String, verdict: Verdict, region: String?, whereBought: String?, comment: String?, phone: String?,
                contactConsentAt: Date?) {
        self.id = id
        self.at = at
        self.code = code
        self.verdict = verdict
        self.region = region
        self.whereBought = whereBought
        self.comment = comment
        self.phone = phone
        self.contactConsentAt = contactConsentAt
    }
}

/// A report to store: the consumer's words, where it came from, and who (the phone's consumer id, for
/// erasure).
public struct NewFakeReport: Sendable {
    public var report: CounterfeitReport
    public var code: String
    public var verdict: Verdict
    public var region: String?
    public var consumer: String?
    public var ip: String?
    public var at: Date

    public init(report: CounterfeitReport, code: String, verdict: Verdict, region: String?, consumer: String?, ip: String?, at: Date) {
        self.report = report
        self.code = code
        self.verdict = verdict
        self.region = region
        self.consumer = consumer
        self.ip = ip
        self.at = at
    }

    /// The UTC day it is counted under in the fakes report.
    public var day: String { Day.today(at).description }
    /// When the consumer agreed to be contacted about it: with the report, and only when they left a number.
    public var contactConsentAt: Date? { report.phone == nil ? nil : at }
}

public protocol FakeStore: Sendable {
    /// Adds the counts to the stored ones, in one transaction.
    func addFakeCounts(_ counts: [FakeCount]) async throws
    /// The stored counts of days `from` through `to` (`YYYY-MM-DD`), by day, region and verdict, with
    /// the consumers' reports of each.
    func fakeCounts(from: String, to: String) async throws -> [FakeCount]
    /// Stores a consumer's report; returns its id.
    func addFakeReport(_ report: NewFakeReport) async throws -> Int64
    /// Reports newest first, with ids below `before` (all when nil), at most `limit`.
    func fakeReports(before: Int64?, limit: Int) async throws -> [FakeReport]
}

/// The fakes report's rows as SQL both backends run: scans counted and reports, by day, region and verdict.
public enum FakeReportSQL {
    /// `?`-free: the days are bound by each backend as `:from`/`:to` written its own way (`from`, `to` placeholders).
    public static func counts(from: String, to: String) -> String {
        """
        SELECT day, region, verdict, CAST(sum(scans) AS BIGINT) AS scans, CAST(sum(reports) AS BIGINT) AS reports FROM (
            SELECT day, region, verdict, scans, 0 AS reports FROM fake_count WHERE day >= \(from) AND day <= \(to)
            UNION ALL
            SELECT day, coalesce(region, '') AS region, verdict, 0 AS scans, 1 AS reports FROM fake_report WHERE day >= \(from) AND day <= \(to)
        ) t GROUP BY day, region, verdict ORDER BY day, region, verdict
        """
    }
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

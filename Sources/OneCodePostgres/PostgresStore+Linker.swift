import Foundation
import OneCodeDomain
import OneCodeStorage

/// The linker (profiles, segments, leads, feedback reports, consumer export and erasure) is not built on
/// PostgreSQL yet: every call answers `UnavailableError`, which the API turns into a 501 and the CLI
/// into one line and exit 1. The SQLite linker's cursors page on ids, which is sound only with one
/// writer; the PostgreSQL one must page on commit-ordered sequences as the outbox does.
extension PostgresStore: LinkerStore {
    static let noLinker = UnavailableError(
        "database", "the linker (segments, leads, reports, consumer export and erasure) does not run on PostgreSQL yet; use the SQLite database for it")

    public var hasLinker: Bool { false }
    public func refreshLinker(now: Date, full: Bool) async throws -> LinkerRefresh { throw Self.noLinker }
    public func createSegment(name: String, rule: SegmentRule) async throws -> Segment { throw Self.noLinker }
    public func updateSegment(_ id: SegmentID, name: String?, rule: SegmentRule?) async throws -> Segment { throw Self.noLinker }
    public func deleteSegment(_ id: SegmentID) async throws -> Bool { throw Self.noLinker }
    public func segments() async throws -> [Segment] { throw Self.noLinker }
    public func segment(_ id: SegmentID) async throws -> Segment? { throw Self.noLinker }
    public func members(of segment: SegmentID, after: String, limit: Int) async throws -> [String] { throw Self.noLinker }
    public func profile(_ consumer: String) async throws -> ConsumerProfile? { throw Self.noLinker }
    public func storeProfiles() async throws -> [StoreProfile] { throw Self.noLinker }
    public func leads(after: Int64, limit: Int, segment: SegmentID?, minScore: Double?) async throws -> LeadPage { throw Self.noLinker }
    public func exportConsumer(_ consumer: String) async throws -> Data? { throw Self.noLinker }
    public func forgetConsumer(_ consumer: String) async throws -> Bool { throw Self.noLinker }
    public func feedbackReport(byBatch: Bool) async throws -> [FeedbackAggregate] { throw Self.noLinker }
    public func scanRate(by: ScanRateGrouping) async throws -> [ReportRow] { throw Self.noLinker }
    public func dailyScans(batch: BatchID?) async throws -> [ReportRow] { throw Self.noLinker }
    public func diversion() async throws -> [DiversionAlert] { throw Self.noLinker }
}

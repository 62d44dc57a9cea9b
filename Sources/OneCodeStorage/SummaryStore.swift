import Foundation
import OneCodeDomain

/// Scans of OneCode's own codes counted by UTC day, batch, region and verdict: what the console's pages
/// read, so that a page costs the same at ten million scans as at ten. Each node counts the scans it
/// recorded and adds them every few seconds (`ScanTally`); a node that crashes loses its last seconds of
/// counts, never a scan.
public struct ScanDayCount: Sendable, Codable, Equatable, Hashable {
    /// The UTC day, `YYYY-MM-DD`.
    public var day: String
    public var batch: BatchID
    /// The region the scan came from, "" when not known.
    public var region: String
    public var verdict: Verdict
    public var scans: Int
    /// Of `scans`, those that were their code's first counted scan: codes scanned at least once.
    public var firstScans: Int

    public init(day: String, batch: BatchID, region: String, verdict: Verdict, scans: Int, firstScans: Int) {
        self.day = day
        self.batch = batch
        self.region = region
        self.verdict = verdict
        self.scans = scans
        self.firstScans = firstScans
    }
}

/// Scans of one UTC day with one verdict.
public struct ScanDayTotal: Sendable, Equatable {
    public var day: String
    public var verdict: Verdict
    public var scans: Int

    public init(day: String, verdict: Verdict, scans: Int) {
        self.day = day
        self.verdict = verdict
        self.scans = scans
    }
}

/// Scans of one batch from one region ("" when not known) over some days.
public struct ScanRegionCount: Sendable, Equatable {
    public var batch: BatchID
    public var region: String
    public var scans: Int

    public init(batch: BatchID, region: String, scans: Int) {
        self.batch = batch
        self.region = region
        self.scans = scans
    }
}

public protocol SummaryStore: Sendable {
    /// Adds the counts to the stored ones, in one transaction.
    func addScanDayCounts(_ counts: [ScanDayCount]) async throws
    /// Scans by day and verdict over days `from` through `to` (`YYYY-MM-DD`), of one batch or all, regions
    /// together: what the overview and a batch's page chart (a row a day and verdict, however many batches and regions).
    func scanDayTotals(from: String, to: String, batch: BatchID?) async throws -> [ScanDayTotal]
    /// Scans by batch and region over days `from` through `to`, every verdict together, of one batch or all (the regions page).
    func scanRegionCounts(from: String, to: String, batch: BatchID?) async throws -> [ScanRegionCount]
    /// Codes scanned at least once, over all days, of each of `batches` (0 for one never scanned).
    func scannedCodes(of batches: [BatchID]) async throws -> [BatchID: Int]
}

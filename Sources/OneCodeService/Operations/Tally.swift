import Foundation
import Logging
import OneCodeDomain
import OneCodeStorage
import ServiceLifecycle
import Synchronization

/// Counts in memory on a hot path and adds them to the database every `interval` and on shutdown: what
/// a request costs is a count under a lock, never a database write. A count the database refuses is kept
/// for the next flush.
public final class Tally<Key: Hashable & Sendable>: Service, Sendable {
    let interval: Duration
    let logger: Logger
    let what: String
    let write: @Sendable ([Key: Int]) async throws -> Void
    private let counts = Mutex<[Key: Int]>([:])

    /// - Parameters: `what` names the counts in a warning; `write` adds a flush's counts to the database.
    public init(_ what: String, interval: Duration = .seconds(10), logger: Logger, write: @escaping @Sendable ([Key: Int]) async throws -> Void) {
        self.what = what
        self.interval = interval
        self.logger = logger
        self.write = write
    }

    func count(_ key: Key) {
        counts.withLock { $0[key, default: 0] += 1 }
    }

    /// Counts each of `keys` once, under one lock.
    func count(contentsOf keys: [Key]) {
        guard !keys.isEmpty else { return }
        counts.withLock { counts in for key in keys { counts[key, default: 0] += 1 } }
    }

    /// One flush at a time: a report that flushes first must not read while the timer's flush holds counts it
    /// has taken from memory and not yet committed (it would see them in neither place).
    private let flushing = Mutex<(busy: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    private func enterFlush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = flushing.withLock { state -> Bool in
                if state.busy { state.waiters.append(continuation); return false }
                state.busy = true
                return true
            }
            if now { continuation.resume() }
        }
    }

    private func leaveFlush() {
        let next = flushing.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty { state.busy = false; return nil }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    /// Adds what was counted to the database; kept for the next flush when the database refuses. Returns once
    /// every count taken before it was called is committed (or kept), a flush already under way included.
    public func flush() async {
        await enterFlush()
        defer { leaveFlush() }
        let taken = counts.withLock { counts in defer { counts = [:] }; return counts }
        guard !taken.isEmpty else { return }
        do {
            // In a task of its own: a shutdown that cancels the caller does not cancel a write under way.
            let write = self.write
            try await Task { try await write(taken) }.value
        } catch {
            logger.warning("\(what) not written; kept for the next try", metadata: ["error": "\(error)"])
            counts.withLock { counts in for (key, value) in taken { counts[key, default: 0] += value } }
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // Cancelled (shutting down) in its sleep, the loop ends: the last flush below runs outside the
            // cancelled task (a flush in it would have its database call cancelled, and log a refusal for nothing).
            while (try? await Task.sleep(for: self.interval)) != nil {
                await self.flush()
            }
        }
        await flush()
    }

    /// The UTC day of a time, as the counts are kept by (`YYYY-MM-DD`): the domain's `Day`.
    static func day(_ at: Date) -> String { Day.today(at).description }
}

/// Scans of forged and unknown codes by UTC day, region and verdict (`FakeStore`): where fakes surface,
/// at the cost of a count on the scan path (a forged code's scan does no database work). A report reads
/// what was flushed; the API's report flushes this node's counts first.
public typealias FakeTally = Tally<FakeCount>

extension Tally where Key == FakeCount {
    public convenience init(store: any FakeStore, interval: Duration = .seconds(10), logger: Logger) {
        self.init("fake scan counts", interval: interval, logger: logger) { counts in
            try await store.addFakeCounts(counts.map { FakeCount(day: $0.key.day, region: $0.key.region, verdict: $0.key.verdict, scans: $0.value) })
        }
    }

    /// Counts one scan of a forged or unknown code.
    func count(_ verdict: Verdict, region: String?, at: Date) {
        count(FakeCount(day: Self.day(at), region: region ?? "", verdict: verdict, scans: 0))
    }
}

/// Resolutions by UTC day and link type (`ResolutionStore`), on every node.
public typealias ResolutionTally = Tally<ResolutionCount>

extension Tally where Key == ResolutionCount {
    public convenience init(store: any ResolutionStore, interval: Duration = .seconds(10), logger: Logger) {
        self.init("resolution counts", interval: interval, logger: logger) { counts in
            try await store.addResolutionCounts(counts.map { ResolutionCount(day: $0.key.day, linkType: $0.key.linkType, resolutions: $0.value) })
        }
    }

    /// Counts one resolution of `linkType`.
    func count(_ linkType: String, at: Date) {
        count(ResolutionCount(day: Self.day(at), linkType: linkType, resolutions: 0))
    }
}

/// Scans of OneCode's own codes by UTC day, batch, region and verdict (`SummaryStore`), counted by the scan
/// writer once a group is durable: what the console's pages read instead of the scan table.
public typealias ScanTally = Tally<ScanTallyKey>

public struct ScanTallyKey: Hashable, Sendable {
    var day: String
    var batch: BatchID
    var region: String
    var verdict: Verdict
    /// The code's first counted scan (`first-scan`): the code counts as scanned from then on.
    var first: Bool
}

extension Tally where Key == ScanTallyKey {
    public convenience init(store: any SummaryStore, interval: Duration = .seconds(10), logger: Logger) {
        self.init("scan day counts", interval: interval, logger: logger) { counts in
            var rows: [ScanTallyKey: ScanDayCount] = [:]
            for (key, scans) in counts {
                var plain = key
                plain.first = false
                rows[plain, default: ScanDayCount(day: key.day, batch: key.batch, region: key.region, verdict: key.verdict, scans: 0, firstScans: 0)]
                    .scans += scans
                if key.first { rows[plain]!.firstScans += scans }
            }
            try await store.addScanDayCounts(Array(rows.values))
        }
    }

    /// Counts a committed group's durable scans of OneCode's codes (bots' are not counted), under one lock.
    func count(_ requests: [ScanRequest], _ results: [ScanResult]) {
        count(contentsOf: zip(requests, results).compactMap { request, result in
            guard !request.bot, let batch = result.batchID else { return nil }
            return ScanTallyKey(day: Self.day(request.at), batch: batch, region: request.region ?? "", verdict: result.verdict,
                                first: result.reason == .firstScan)
        })
    }
}

/// The reports of counts by day: where fakes surface (`GET /api/reports/fakes`, `onecode report fakes`),
/// and resolutions by link type (`GET /api/reports/resolutions`, `onecode report resolutions`).
public enum DailyCounts {
    public struct FakeRow: Encodable, Equatable {
        public var day: String
        /// The region the scans came from, "" when not known.
        public var region: String
        public var verdict: String
        public var scans: Int
        /// Consumers' reports of fakes (the feedback inbox's), that day, region and verdict.
        public var reports: Int
        public init(_ count: FakeCount) {
            day = count.day
            region = count.region
            verdict = count.verdict.rawValue
            scans = count.scans
            reports = count.reports
        }
    }

    /// The days a report covers: `from` and `to` as `YYYY-MM-DD` (UTC), by default the 30 days up to today.
    public static func days(from: String?, to: String?, now: Date) throws -> (from: String, to: String) {
        let to = try to.map { try Day($0, field: "to") } ?? Day.today(now)
        let from = try from.map { try Day($0, field: "from") } ?? Day.today(now.addingTimeInterval(-29 * 86_400))
        guard from <= to else { throw InputError("from", "must not be after to (\(from) > \(to))") }
        return (from.description, to.description)
    }
}

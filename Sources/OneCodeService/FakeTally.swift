import Foundation
import Logging
import OneCodeDomain
import OneCodeStorage
import ServiceLifecycle
import Synchronization

/// Counts scans of forged and unknown codes by UTC day, region and verdict in memory, and adds them to the
/// database every `interval` and on shutdown (`FakeStore`): where fakes surface, at the cost of a count on
/// the scan path (a forged code's scan does no database work). A report reads what was flushed; the API's
/// report flushes this node's counts first.
public final class FakeTally: Service, Sendable {
    struct Key: Hashable { var day: String; var region: String; var verdict: Verdict }

    let store: any FakeStore
    let interval: Duration
    let logger: Logger
    private let counts = Mutex<[Key: Int]>([:])
    private static let day: Date.ISO8601FormatStyle = .iso8601.year().month().day()

    public init(store: any FakeStore, interval: Duration = .seconds(10), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// Counts one scan of a forged or unknown code.
    func count(_ verdict: Verdict, region: String?, at: Date) {
        let key = Key(day: Self.day.format(at), region: region ?? "", verdict: verdict)
        counts.withLock { $0[key, default: 0] += 1 }
    }

    /// Adds what was counted to the database; kept for the next flush when the database refuses.
    public func flush() async {
        let taken = counts.withLock { counts in defer { counts = [:] }; return counts }
        guard !taken.isEmpty else { return }
        do {
            try await store.addFakeCounts(taken.map { FakeCount(day: $0.key.day, region: $0.key.region, verdict: $0.key.verdict, scans: $0.value) })
        } catch {
            logger.warning("fake scan counts not written; kept for the next try", metadata: ["error": "\(error)"])
            counts.withLock { counts in for (key, value) in taken { counts[key, default: 0] += value } }
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                await self.flush()
            }
        }
        await flush()
    }
}

/// The fakes report (`GET /api/reports/fakes`, `onecode report fakes`): scans of forged and unknown codes by
/// UTC day, region and verdict.
public enum FakeReport {
    public struct Row: Encodable, Equatable {
        public var day: String
        /// The region the scans came from, "" when not known.
        public var region: String
        public var verdict: String
        public var scans: Int
        public init(_ count: FakeCount) {
            day = count.day
            region = count.region
            verdict = count.verdict.rawValue
            scans = count.scans
        }
    }

    /// The days a report covers: `from` and `to` as `YYYY-MM-DD` (UTC), by default the 30 days up to today.
    public static func days(from: String?, to: String?, now: Date) throws -> (from: String, to: String) {
        let style = Date.ISO8601FormatStyle.iso8601.year().month().day()
        func day(_ text: String?, _ field: String, default fallback: Date) throws -> String {
            guard let text else { return style.format(fallback) }
            guard text.utf8.count == 10, let date = try? style.parse(text), style.format(date) == text else {
                throw InputError(field, "must be a UTC day as YYYY-MM-DD (got \(text.prefix(40)))")
            }
            return text
        }
        let to = try day(to, "to", default: now)
        let from = try day(from, "from", default: now.addingTimeInterval(-29 * 86_400))
        guard from <= to else { throw InputError("from", "must not be after to (\(from) > \(to))") }
        return (from, to)
    }
}

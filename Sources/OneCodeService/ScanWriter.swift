import Foundation
import Logging
import Metrics
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage
import ServiceLifecycle
import Synchronization

/// The writer is full: the request should be retried shortly (HTTP 503 with Retry-After).
public struct WriterOverloaded: Error {}
/// The writer has stopped (the server is shutting down).
public struct WriterStopped: Error {}

/// Records scans with group commit: every scan that arrives while a transaction is being written waits
/// for the next one, so one fsync covers many scans, and no request waits longer than about one commit.
///
/// A request is answered only after the transaction holding its scan is durable. The queue is bounded:
/// when it is full, `record` fails at once with `WriterOverloaded` instead of growing memory. On
/// graceful shutdown the writer stops taking scans, commits every accepted one, then returns.
public final class ScanWriter: Service, Sendable {
    typealias Waiter = CheckedContinuation<ScanResult, any Error>

    struct State {
        var queue: [(ScanRequest, Waiter)] = []
        var wakeUp: CheckedContinuation<Void, Never>?
        var stopping = false
    }

    let store: any ScanTransactions
    let rules: VerdictRules
    let capacity: Int
    let maxGroup: Int
    let logger: Logger
    private let state = Mutex(State())

    let groupSize = Recorder(label: "onecode_writer_group_size")
    let commitLatency = Metrics.Timer(label: "onecode_writer_commit_seconds")
    let queueDepth = Gauge(label: "onecode_writer_queue_depth")
    let groups = Counter(label: "onecode_writer_commits_total")

    public init(store: any ScanTransactions, rules: VerdictRules, capacity: Int, maxGroup: Int, logger: Logger) {
        self.store = store
        self.rules = rules
        self.capacity = capacity
        self.maxGroup = maxGroup
        self.logger = logger
    }

    /// Queues a scan and returns once it is durable, with its verdict.
    /// - Throws: `WriterOverloaded` when the queue is full, `WriterStopped` after shutdown, or the storage error.
    public func record(_ request: ScanRequest) async throws -> ScanResult {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let outcome: Result<CheckedContinuation<Void, Never>?, any Error> = state.withLock { state in
                if state.stopping { return .failure(WriterStopped()) }
                if state.queue.count >= capacity { return .failure(WriterOverloaded()) }
                state.queue.append((request, waiter))
                let wake = state.wakeUp
                state.wakeUp = nil
                return .success(wake)
            }
            switch outcome {
            case let .failure(error): waiter.resume(throwing: error)
            case let .success(wake): wake?.resume()
            }
        }
    }

    /// Scans waiting for the writer.
    public var depth: Int { state.withLock { $0.queue.count } }

    public func run() async throws {
        // Graceful shutdown and cancellation both stop intake and let the loop drain the queue.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.loop()
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
    }

    private func stop() {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.stopping = true
            defer { state.wakeUp = nil }
            return state.wakeUp
        }
        wake?.resume()
    }

    private func loop() async {
        while true {
            await waitForWork()
            let (group, stopping) = state.withLock { state in
                let count = min(maxGroup, state.queue.count)
                let group = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                return (group, state.stopping)
            }
            queueDepth.record(depth)
            if group.isEmpty {
                if stopping { return }  // drained: every accepted scan is committed
                continue
            }
            await commit(group)
        }
    }

    /// Returns when there are scans to write or the writer is stopping.
    private func waitForWork() async {
        await withCheckedContinuation { (wake: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if !state.queue.isEmpty || state.stopping { return true }
                state.wakeUp = wake
                return false
            }
            if ready { wake.resume() }
        }
    }

    private func commit(_ group: [(ScanRequest, Waiter)]) async {
        let started = ContinuousClock.now
        do {
            let results = try await store.recordScans(group.map(\.0), rules: rules)
            commitLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            groupSize.record(group.count)
            groups.increment()
            for (index, (_, waiter)) in group.enumerated() { waiter.resume(returning: results[index]) }
        } catch {
            logger.error("scan commit failed", metadata: ["error": "\(error)", "scans": "\(group.count)"])
            for (_, waiter) in group { waiter.resume(throwing: error) }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

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
/// With `writers` above 1 (a backend with row locks: PostgreSQL) that many groups are written at once,
/// so one group's round trips and commit overlap another's; a code is never in two groups at once
/// (its later scans wait for the next group), so concurrent groups of one node do not race on a code.
///
/// A request is answered only after the transaction holding its scan is durable. The queue is bounded:
/// when it is full, `record` fails at once with `WriterOverloaded` instead of growing memory. On
/// graceful shutdown the writer stops taking scans, commits every accepted one, then returns.
public final class ScanWriter: Service, Sendable {
    typealias Waiter = CheckedContinuation<ScanResult, any Error>

    struct State {
        var queue: [(ScanRequest, Waiter)] = []
        var wakeUps: [CheckedContinuation<Void, Never>] = []
        var stopping = false
        /// Codes in groups being written.
        var writing: Set<CodeKey> = []
    }

    let store: any ScanTransactions
    let rules: VerdictRules
    let channel: ChannelRules
    let capacity: Int
    let maxGroup: Int
    let writers: Int
    let logger: Logger
    /// Counts each durable scan for the console's pages (nil: not counted, as in tests that need no pages).
    let tally: ScanTally?
    private let state = Mutex(State())

    let groupSize = Recorder(label: "onecode_writer_group_size")
    let commitLatency = Metrics.Timer(label: "onecode_writer_commit_seconds")
    let queueDepth = Gauge(label: "onecode_writer_queue_depth")
    let groups = Counter(label: "onecode_writer_commits_total")

    public init(store: any ScanTransactions, rules: VerdictRules, channel: ChannelRules = ChannelRules(), capacity: Int, maxGroup: Int,
                writers: Int = 1, tally: ScanTally? = nil, logger: Logger) {
        self.tally = tally
        self.channel = channel
        self.writers = max(1, writers)
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
                return .success(state.wakeUps.popLast())
            }
            switch outcome {
            case let .failure(error): waiter.resume(throwing: error)
            case let .success(wake): wake?.resume()
            }
        }
    }

    /// Whether the writer has stopped taking scans (shutting down).
    public var isStopping: Bool { state.withLock { $0.stopping } }

    /// Scans waiting for the writer.
    public var depth: Int { state.withLock { $0.queue.count } }

    public func run() async throws {
        // Graceful shutdown and cancellation both stop intake and let the loop drain the queue.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { loops in
                    for _ in 0..<self.writers { loops.addTask { await self.loop() } }
                }
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
    }

    private func stop() {
        let wakes = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.stopping = true
            defer { state.wakeUps = [] }
            return state.wakeUps
        }
        for wake in wakes { wake.resume() }
    }

    private func loop() async {
        while true {
            await waitForWork()
            let (group, drained) = state.withLock { state -> ([(ScanRequest, Waiter)], Bool) in
                if state.stopping && state.queue.isEmpty { return ([], true) }
                var group: [(ScanRequest, Waiter)] = []
                if writers == 1 {
                    group = Array(state.queue.prefix(maxGroup))
                    state.queue.removeFirst(group.count)
                } else {
                    // Codes another group is writing stay queued for a later group.
                    var rest: [(ScanRequest, Waiter)] = []
                    for item in state.queue {
                        if group.count < maxGroup, !state.writing.contains(item.0.key) {
                            state.writing.insert(item.0.key)
                            group.append(item)
                        } else {
                            rest.append(item)
                        }
                    }
                    state.queue = rest
                }
                return (group, false)
            }
            queueDepth.record(depth)
            if drained { return }  // every accepted scan is committed (or in another writer's group)
            if group.isEmpty { continue }
            await commit(group)
            if writers > 1 {
                let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    for (request, _) in group { state.writing.remove(request.key) }
                    return state.queue.isEmpty ? nil : state.wakeUps.popLast()
                }
                wake?.resume()
            }
        }
    }

    /// Returns when there are scans this writer may take (none of their codes in another writer's
    /// group), or the writer is stopping and nothing is queued.
    private func waitForWork() async {
        await withCheckedContinuation { (wake: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.stopping && state.queue.isEmpty { return true }
                if state.queue.contains(where: { !state.writing.contains($0.0.key) }) { return true }
                state.wakeUps.append(wake)
                return false
            }
            if ready { wake.resume() }
        }
    }

    private func commit(_ group: [(ScanRequest, Waiter)]) async {
        let started = ContinuousClock.now
        do {
            let results = try await store.recordScans(group.map(\.0), rules: rules, channel: channel)
            commitLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            groupSize.record(group.count)
            groups.increment()
            tally?.count(group.map(\.0), results)
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

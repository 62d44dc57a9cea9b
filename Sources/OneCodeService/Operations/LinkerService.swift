import Foundation
import Logging
import OneCodeDomain
import OneCodeStorage
import ServiceLifecycle

/// Refreshes profiles, segments and leads incrementally every `interval` while the service runs.
///
/// A refresh that fails (SQLite's "database is locked" while a long write holds the file, a PostgreSQL
/// hiccup) is tried again after 1, 2, 4 … seconds (at most the interval), not left for the next
/// interval; nothing is lost meanwhile, as the next refresh reads from the cursors the last one left.
public struct LinkerService: Service {
    let refresh: @Sendable () async throws -> LinkerRefresh
    let interval: Duration
    let logger: Logger
    /// The first retry's wait; each next one doubles, up to `interval`.
    let retryBase: Duration
    /// Before the first refresh (the interval, unless a test says otherwise).
    let firstWait: Duration

    /// - Parameter gate: shared with the API's refreshes; a round that finds one running waits for the
    ///   next interval (that one brings everything up to date).
    public init(store: any LinkerStore, gate: LinkerGate = LinkerGate(), interval: Duration, logger: Logger) {
        self.init(interval: interval, logger: logger) {
            do {
                return try await gate.run(full: false) { try await store.refreshLinker(now: Date(), full: false) }
            } catch is ConflictError {
                return LinkerRefresh(full: false)
            }
        }
    }

    init(interval: Duration, logger: Logger, retryBase: Duration = .seconds(1), firstWait: Duration? = nil,
         refresh: @escaping @Sendable () async throws -> LinkerRefresh) {
        self.refresh = refresh
        self.interval = interval
        self.logger = logger
        self.retryBase = retryBase
        self.firstWait = firstWait ?? interval
    }

    public func run() async throws {
        var wait = firstWait
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            do {
                let started = ContinuousClock.now
                let report = try await refresh()
                if report.profilesChanged > 0 || report.leadsChanged > 0 {
                    let elapsed = (ContinuousClock.now - started).components
                    let took = String(format: "%.3f s", Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
                    logger.info("linker: \(report.profilesChanged) profiles, +\(report.membersAdded) −\(report.membersRemoved) members, \(report.leadsChanged) leads changed in \(took)")
                }
                failures = 0
                wait = interval
            } catch {
                failures += 1
                wait = min(interval, retryBase * (1 << min(failures - 1, 20)))
                logger.warning("linker: refresh failed (\(error)); trying again in \(wait)")
            }
        }
    }
}

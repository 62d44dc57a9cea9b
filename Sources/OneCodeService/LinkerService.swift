import Foundation
import Logging
import OneCodeStorage
import ServiceLifecycle

/// Refreshes profiles, segments and leads incrementally every `interval` while the service runs.
public struct LinkerService: Service {
    let store: any LinkerStore
    let interval: Duration
    let logger: Logger

    public init(store: any LinkerStore, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            do {
                let report = try await store.refreshLinker(now: Date(), full: false)
                if report.profilesChanged > 0 || report.leadsChanged > 0 {
                    logger.info("linker: \(report.profilesChanged) profiles, +\(report.membersAdded) −\(report.membersRemoved) members, \(report.leadsChanged) leads changed")
                }
            } catch {
                logger.error("linker: refresh failed: \(error)")
            }
        }
    }
}

import Logging
import ServiceLifecycle
import Synchronization

/// Whether the node is leaving: set when graceful shutdown begins, read by `/readyz`.
public final class DrainSignal: Sendable {
    private let draining = Atomic<Bool>(false)
    public init() {}
    public var isDraining: Bool { draining.load(ordering: .relaxed) }
    func begin() { draining.store(true, ordering: .relaxed) }
}

/// The first service to stop (run it after the application in one service group): when graceful shutdown
/// begins, `/readyz` answers 503 `stopping` for `seconds` while the server still takes requests and
/// records scans, so a balancer polling readiness takes the node out before its listener closes; then it
/// returns and the application shuts down as it always does (server, then the writer's last commits).
public struct DrainService: Service {
    let signal: DrainSignal
    let seconds: Double
    public let logger: Logger

    public init(signal: DrainSignal, seconds: Double, logger: Logger) {
        self.signal = signal
        self.seconds = seconds
        self.logger = logger
    }

    public func run() async throws {
        do { try await gracefulShutdown() } catch { return }  // cancelled: nothing to drain
        signal.begin()
        guard seconds > 0 else { return }
        logger.notice("onecode: draining: /readyz answers 503 for \(seconds) s, then the server stops")
        try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
    }
}

import Hummingbird
import Metrics
import Synchronization
import NIOCore
import OneCodeDomain
import OneCodeStorage

/// `/healthz` (the process answers), `/readyz` (it can take scans now) and `/metrics` (Prometheus text format).
struct OpsController: Sendable {
    let writer: ScanWriter
    let drain: DrainSignal
    let storage: any StorageReadiness
    /// Where the pending webhook deliveries are counted (at each scrape).
    let outbox: any OutboxStore
    let pendingDeliveries = Gauge(label: "onecode_webhook_pending_deliveries")
    /// `false` when `/metrics` has a port of its own.
    var servesMetrics = true
    /// How long `/readyz` waits for the database before it says not ready.
    static let readinessBound: Duration = .seconds(2)

    func register(on router: Router<AppRequestContext>) {
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok","version":"\#(OneCodeVersion.current)"}"# + "\n")))
        }
        // For load balancers: 200 only when the writer takes scans and the database takes a write within the
        // bound (a lock held elsewhere, an unreachable server or a schema of another version is a 503).
        router.get("readyz") { _, _ in
            let problem: String?
            if drain.isDraining || writer.isStopping {
                problem = "stopping"
            } else {
                problem = await Self.within(Self.readinessBound) { try await storage.checkReady() }
            }
            let body = problem.map { #"{"status":"unavailable","reason":"\#(Self.escaped($0))"}"# } ?? #"{"status":"ready"}"#
            return Response(status: problem == nil ? .ok : .serviceUnavailable,
                            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: body + "\n")))
        }
        if servesMetrics { registerMetrics(on: router) }
        // The same server's cheapest route: the benchmark's ceiling for this framework here.
        router.get("ping") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "pong")))
        }
    }

    /// `/metrics`: on the public router, or alone on the internal one (`metrics.port`).
    func registerMetrics(on router: Router<AppRequestContext>) {
        router.get("metrics") { request, _ in
            // Exactly `/metrics`: the router ignores case (codes are printed in upper case too), and a
            // proxy that blocks `location = /metrics` must not be passed by `/METRICS` or `/metrics/`.
            guard request.uri.path == "/metrics" else { throw HTTPError(.notFound) }
            writer.queueDepth.record(writer.depth)
            // Queued and not yet delivered (nor given up): a number that only grows means a receiver is down.
            if let endpoints = try? await outbox.webhookStatus() {
                pendingDeliveries.record(endpoints.reduce(0) { $0 + $1.pending })
            }
            var buffer: [UInt8] = []
            PrometheusMetrics.registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    /// `nil` when `check` returned within `bound`, else why not. Answers at the bound even when the check
    /// cannot be cancelled (a database waiting on a lock); the check then ends on its own.
    static func within(_ bound: Duration, _ check: @escaping @Sendable () async throws -> Void) async -> String? {
        final class Once: Sendable {
            let done = Mutex(false)
            func first() -> Bool { done.withLock { done in defer { done = true }; return !done } }
        }
        let once = Once()
        return await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let answer: @Sendable (String?) -> Void = { value in
                if once.first() { continuation.resume(returning: value) }
            }
            let probe = Task {
                do { try await check(); answer(nil) } catch { answer("database: \(error)") }
            }
            Task {
                try? await Task.sleep(for: bound)
                answer("database: no write transaction within \(bound)")
                probe.cancel()
            }
        }
    }

    static func escaped(_ text: String) -> String {
        var json = EventJSON()
        json.add("r", text)
        return String(json.text.dropFirst(6).dropLast(2))
    }
}

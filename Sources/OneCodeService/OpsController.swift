import Hummingbird
import Metrics
import NIOCore
import OneCodeDomain

/// `/healthz` and `/metrics` (Prometheus text format).
struct OpsController: Sendable {
    let writer: ScanWriter

    func register(on router: Router<AppRequestContext>) {
        // The build's version as a metric (value 1), so dashboards can tell which build a node runs.
        Gauge(label: "onecode_build_info", dimensions: [("version", OneCodeVersion.current)]).record(1)
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok","version":"\#(OneCodeVersion.current)"}"# + "\n")))
        }
        router.get("metrics") { _, _ in
            writer.queueDepth.record(writer.depth)
            var buffer: [UInt8] = []
            PrometheusMetrics.registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        // The same server's cheapest route: the benchmark's ceiling for this framework here.
        router.get("ping") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "pong")))
        }
    }
}

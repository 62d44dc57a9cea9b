import CoreMetrics
import Metrics
import OneCodeDomain
import Prometheus
import Synchronization

/// The process's Prometheus registry, bootstrapped into swift-metrics once, through `HelpfulMetricsFactory`:
/// every series carries HELP text and every counter's name ends in `_total`, as `promtool check metrics`
/// asks (Hummingbird's `hb_requests` is exposed as `hb_requests_total`).
public enum PrometheusMetrics {
    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// What each series means: the HELP line `/metrics` gives it (README lists the same series).
    public static let help: [String: String] = [
        "onecode_build_info": "The running OneCode's version (the value is always 1).",
        "onecode_scans_total": "Counted scans answered, by verdict (bots excluded: see onecode_bot_scans_total).",
        "onecode_bot_scans_total": "Scans by crawlers and link previews: answered, recorded as bot scans, not counted.",
        "onecode_rejected_requests_total": "Scan requests refused with 429 or 503 (rate limit, full writer queue).",
        "onecode_writer_queue_depth": "Scans accepted and waiting for the group commit.",
        "onecode_writer_group_size": "Scans per group commit.",
        "onecode_writer_commit_seconds": "Time a group commit takes.",
        "onecode_writer_commits_total": "Group commits written.",
        "onecode_webhook_deliveries_total": "Webhook delivery attempts, by result (delivered, failed).",
        "onecode_webhook_pending_deliveries": "Webhook deliveries queued and not yet delivered or given up, all endpoints.",
        "onecode_resolutions_total": "GS1 resolver answers that are not scans, by the link type asked (default, linkset, gs1:...).",
        "onecode_receipt_pages_total": "Verdict pages shown from a resolver redirect's receipt (the scan was counted at the redirect).",
        "hb_requests_total": "HTTP requests answered, by method, route and status.",
        "hb_request_errors_total": "HTTP requests that ended in an error, by method, route and status.",
        "http_server_request_duration": "Time to answer an HTTP request, by method, route and status.",
        "http_server_active_requests": "HTTP requests being answered now, by method.",
    ]

    /// The series present from the start, before anything happened (a dashboard and an alert see 0, not nothing).
    static func declareSeries() {
        Gauge(label: "onecode_build_info", dimensions: [("version", OneCodeVersion.current)]).record(1)
        for verdict in Verdict.allCases { _ = Counter(label: "onecode_scans_total", dimensions: [("verdict", verdict.rawValue)]) }
        for result in ["delivered", "failed"] { _ = Counter(label: "onecode_webhook_deliveries_total", dimensions: [("result", result)]) }
        _ = Counter(label: "onecode_bot_scans_total")
        _ = Counter(label: "onecode_rejected_requests_total")
        _ = Counter(label: "onecode_writer_commits_total")
        _ = Counter(label: "onecode_receipt_pages_total")
        for linkType in ["default", "linkset"] { _ = Counter(label: "onecode_resolutions_total", dimensions: [("link_type", linkType)]) }
        Gauge(label: "onecode_writer_queue_depth").record(0)
        Gauge(label: "onecode_webhook_pending_deliveries").record(0)
    }

    /// The registry behind `MetricsSystem`; the first call bootstraps it.
    public static var registry: PrometheusCollectorRegistry {
        bootstrapped.withLock { registry in
            if let registry { return registry }
            let created = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(HelpfulMetricsFactory(registry: created))
            registry = created
            return created
        }
    }
}

/// swift-metrics onto a Prometheus registry with HELP text from `PrometheusMetrics.help` (a series with
/// none says so in its HELP, and a test fails on it) and `_total` on every counter.
struct HelpfulMetricsFactory: CoreMetrics.MetricsFactory {
    let registry: PrometheusCollectorRegistry
    let durationBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(15), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1),
    ]
    let valueBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]

    /// A metric name as Prometheus takes it (`http.server.request.duration` → `http_server_request_duration`).
    static func name(_ label: String) -> String {
        String(label.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" ? $0 : "_" })
    }

    static func help(_ name: String) -> String {
        PrometheusMetrics.help[name] ?? "Undocumented: \(name)"
    }

    static func counterName(_ label: String) -> String {
        let name = name(label)
        return name.hasSuffix("_total") ? name : name + "_total"
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let name = Self.counterName(label)
        return registry.makeCounter(name: name, labels: dimensions, help: Self.help(name))
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        let name = Self.counterName(label)
        return registry.makeCounter(name: name, labels: dimensions, help: Self.help(name))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        let name = Self.name(label)
        guard aggregate else { return registry.makeGauge(name: name, labels: dimensions, help: Self.help(name)) }
        return registry.makeValueHistogram(name: name, labels: dimensions, buckets: valueBuckets, help: Self.help(name))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        let name = Self.name(label)
        return registry.makeGauge(name: name, labels: dimensions, help: Self.help(name))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let name = Self.name(label)
        return registry.makeDurationHistogram(name: name, labels: dimensions, buckets: durationBuckets, help: Self.help(name))
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        switch handler {
        case let gauge as Prometheus.Gauge: registry.unregisterGauge(gauge)
        case let histogram as Histogram<Double>: registry.unregisterValueHistogram(histogram)
        default: break
        }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? Histogram<Duration> { registry.unregisterDurationHistogram(histogram) }
    }
}

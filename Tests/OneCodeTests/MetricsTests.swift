import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import OneCodeService
import Testing

@Suite("Metrics: what /metrics serves passes promtool, every series explained and present from the start", .serialized)
struct MetricsTests {
    static func metrics(_ base: String) async throws -> String {
        let (data, _) = try await DurabilityTests.session.data(from: URL(string: base + "/metrics")!)
        return String(decoding: data, as: UTF8.self)
    }

    @Test("promtool check metrics passes; HELP on every series; counters end in _total; the documented series are there before any scan")
    func promtool() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 3)
        let token = try await Run.run(Run.onecode, ["token", "create", "--scope", "marketing", "--name", "dashboards"], cwd: folder.path,
                                    environment: DurabilityTests.environment)
        let secret = try #require(token.stdout.split(separator: "\n").first { $0.hasPrefix("oc_") }.map(String.init), "\(token.stdout)")
        let (server, base) = try await DurabilityTests.startServer(folder)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        let fresh = try await Self.metrics(base)
        for series in ["onecode_scans_total{verdict=\"genuine\"} 0", "onecode_scans_total{verdict=\"suspicious\"} 0", "onecode_bot_scans_total 0",
                       "onecode_rejected_requests_total 0", "onecode_writer_commits_total 0", "onecode_writer_queue_depth 0",
                       "onecode_webhook_deliveries_total{result=\"failed\"} 0", "onecode_build_info{version="] {
            #expect(fresh.contains(series), "\(series) missing before any scan")
        }
        _ = await DurabilityTests.scanCodes(base, [codes[0], codes[1]], concurrency: 1)
        var bot = URLRequest(url: URL(string: base + "/s/" + codes[2])!)
        bot.setValue("Mozilla/5.0 (compatible; Googlebot/2.1)", forHTTPHeaderField: "User-Agent")
        _ = try await DurabilityTests.session.data(for: bot)
        _ = try await DurabilityTests.session.data(from: URL(string: base + "/api/products")!)  // a 401 too
        let text = try await Self.metrics(base)
        #expect(text.contains("onecode_scans_total{verdict=\"genuine\"} 2"), "\(text)")
        #expect(text.contains("onecode_bot_scans_total 1"))
        // The API's figures agree with the metrics: the bot's scan is in neither's genuine count.
        var stats = URLRequest(url: URL(string: base + "/api/stats/verdicts")!)
        stats.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        let (body, _) = try await DurabilityTests.session.data(for: stats)
        let figures = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Int])
        #expect(figures["genuine"] == 2 && figures.values.reduce(0, +) == 2, "\(figures)")
        try text.write(toFile: folder.file("metrics.txt"), atomically: true, encoding: .utf8)
        let check = try await Run.run("/bin/sh", ["-c", "promtool check metrics < \(folder.file("metrics.txt"))"])
        #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "promtool: \(check.stdout) \(check.stderr)")
        #expect(!text.contains("Undocumented"), "\(text.split(separator: "\n").filter { $0.contains("Undocumented") })")
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") && line.hasSuffix(" counter") {
            #expect(line.split(separator: " ")[2].hasSuffix("_total"), "\(line)")
        }
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.wait().status == 0)
    }

    @Test("onecode_webhook_pending_deliveries counts what a down receiver has not taken")
    func pendingDeliveries() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 2)
        let reserved = try DurabilityTests.ReservedPort()  // held, nothing listens: refused
        defer { reserved.release() }
        let closed = reserved.port
        let (server, base) = try await DurabilityTests.startServer(folder, extra: [
            "ONECODE_WEBHOOKS_URLS": "http://127.0.0.1:\(closed)/hook", "ONECODE_WEBHOOKS_SECRET": "metrics-webhook-secret-0123",
            "ONECODE_WEBHOOKS_POLL_SECONDS": "0.05", "ONECODE_SCAN_MAX_SCANS": "1",
        ])
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        #expect(try await Self.metrics(base).contains("onecode_webhook_pending_deliveries 0"))
        try await PostgresWebhookTests.suspicious(base, codes)  // two suspicious scans: two events
        var text = ""
        _ = try await eventually(every: .milliseconds(50)) {
            text = try await Self.metrics(base)
            return text.contains("onecode_webhook_pending_deliveries 2")
        }
        #expect(text.contains("onecode_webhook_pending_deliveries 2"), "\(text.split(separator: "\n").filter { $0.contains("webhook") })")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.wait().status == 0)
    }

    @Test("README names every series /metrics explains")
    func documented() throws {
        let readme = ConfigTests.readme
        for name in PrometheusMetrics.help.keys.sorted() {
            #expect(readme.contains("`\(name)"), "README does not name \(name)")
        }
    }

    @Test("metrics.port: /metrics alone on the internal listener; the public port answers it with 404")
    func separatePort() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 1)
        let (server, base) = try await DurabilityTests.startServer(folder, extra: ["ONECODE_METRICS_PORT": "0"])
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        var internalBase = ""
        _ = try await eventually {
            let log = (try? String(contentsOfFile: server.err, encoding: .utf8)) ?? ""
            if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("onecode: metrics on http://127.0.0.1:") }) {
                internalBase = String(line.dropFirst("onecode: metrics on ".count).dropLast("/metrics".count))
            }
            return !internalBase.isEmpty
        }
        try #require(!internalBase.isEmpty && internalBase != base)
        _ = await DurabilityTests.scanCodes(base, [codes[0]], concurrency: 1)
        let (_, publicAnswer) = try await DurabilityTests.session.data(from: URL(string: base + "/metrics")!)
        #expect((publicAnswer as? HTTPURLResponse)?.statusCode == 404)
        let (data, internalAnswer) = try await DurabilityTests.session.data(from: URL(string: internalBase + "/metrics")!)
        #expect((internalAnswer as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).contains("onecode_scans_total{verdict=\"genuine\"} 1"))
        let (_, scanThere) = try await DurabilityTests.session.data(from: URL(string: internalBase + "/s/" + codes[0])!)
        #expect((scanThere as? HTTPURLResponse)?.statusCode == 404, "the internal port serves /metrics only")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.wait().status == 0)
        let same = try await Run.run(Run.onecode, ["config", "check"], cwd: folder.path,
                                   environment: DurabilityTests.environment.merging(["ONECODE_METRICS_PORT": "8080"]) { $1 }, timeout: 60)
        #expect(same.status == 1 && same.stderr.contains("metrics.port: must differ from http.port"), "\(same.stderr)")
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

@Suite("Logs: JSON lines, an access log without codes, tokens or addresses, failed authentication with the truncated address")
struct LogTests {
    @Test("log.format=json, log.access=true: every line is JSON; requests by route template; a failed token is logged, never its text")
    func jsonAccessLog() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 3)
        let environment = DurabilityTests.environment.merging([
            "ONECODE_MODE": "production", "ONECODE_LOG_FORMAT": "json", "ONECODE_LOG_ACCESS": "true", "ONECODE_REGIONS_FILE": "",
        ]) { $1 }
        let server = try Run.start(Run.onecode, ["serve", "--port", "0"], cwd: folder.path, environment: environment)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        func lines(_ text: String? = nil) -> [[String: Any]] {
            (text ?? (try? String(contentsOfFile: server.err, encoding: .utf8)) ?? "").split(separator: "\n")
                .map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? ["unparsed": String($0)] }
        }
        let base = try await server.listening() ?? ""
        try #require(!base.isEmpty, "\(lines())")
        let wrongToken = "oc_WRONGTOKENTEXT0123456789"
        var request = URLRequest(url: URL(string: base + "/api/products")!)
        request.setValue("Bearer " + wrongToken, forHTTPHeaderField: "Authorization")
        let (_, refused) = try await DurabilityTests.session.data(for: request)
        #expect((refused as? HTTPURLResponse)?.statusCode == 401)
        var scan = URLRequest(url: URL(string: base + "/s/" + codes[0])!)
        scan.setValue("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", forHTTPHeaderField: "User-Agent")
        let (_, scanned) = try await DurabilityTests.session.data(for: scan)
        #expect((scanned as? HTTPURLResponse)?.statusCode == 200)
        kill(server.process.processIdentifier, SIGTERM)
        let result = await server.wait()
        #expect(result.status == 0)

        let all = lines(result.stderr)
        #expect(all.allSatisfy { $0["unparsed"] == nil && $0["time"] is String && $0["level"] is String && $0["message"] is String },
                "\(all.filter { $0["time"] == nil })")
        let requests = all.filter { $0["message"] as? String == "request" }.compactMap { $0["metadata"] as? [String: String] }
        #expect(requests.contains { $0["route"] == "/api/products" && $0["status"] == "401" && $0["method"] == "GET" && Double($0["ms"] ?? "") != nil },
                "\(requests)")
        #expect(requests.contains { $0["route"] == "/s/{code}" && $0["status"] == "200" }, "\(requests)")
        let failed = all.filter { $0["message"] as? String == "authentication failed" }
        #expect(failed.count == 1 && failed.first?["level"] as? String == "warning")
        #expect((failed.first?["metadata"] as? [String: String])?["client"] == "127.0.0.0/24", "\(failed)")
        let text = String(data: try JSONSerialization.data(withJSONObject: all), encoding: .utf8) ?? ""
        #expect(!text.contains(codes[0]) && !text.contains(wrongToken) && !text.contains("127.0.0.1\"") && !text.contains("127.0.0.1,"))
        #expect(all.contains { ($0["message"] as? String)?.hasPrefix("onecode: stopped") == true })
    }

    @Test("log.level, log.format and display.timeZone take known values only, named in the error")
    func badValues() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        for (variable, value, message) in [("ONECODE_LOG_LEVEL", "loud", "log.level: must be one of trace, debug, info"),
                                           ("ONECODE_LOG_FORMAT", "xml", "log.format: must be text or json (got 'xml')"),
                                           ("ONECODE_LOG_ACCESS", "sometimes", "log.access"),
                                           ("ONECODE_DISPLAY_TIME_ZONE", "Mars/Olympus", "display.timeZone: must be an IANA time zone")] {
            let result = try await Run.run(Run.onecode, ["config", "check"], cwd: folder.path, environment: [variable: value], timeout: 60)
            #expect(result.status == 1 && result.stderr.contains(message), "\(variable): \(result.stderr)")
        }
    }
}

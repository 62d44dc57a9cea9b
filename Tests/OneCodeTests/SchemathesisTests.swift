import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The live service against its own OpenAPI document: schemathesis (PyPI) sends generated requests to
/// every operation with an admin token and checks each answer.
@Suite("OpenAPI contract: schemathesis against a live onecode serve")
struct SchemathesisTests {
    /// Fixed so CI is repeatable; printed, and any seed can be tried by hand (README: Tests).
    static let seed = "20261201"

    @Test("every operation: no 5xx, documented status codes only, content types and bodies valid against /api/openapi.json")
    func contract() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let environment = ["ONECODE_CONFIG": "", "ONECODE_BATCH_MAX_COUNT": "100", "ONECODE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE": "0",
                           "ONECODE_LINKER_REFRESH_SECONDS": "0", "ONECODE_REGIONS_FILE": ""]
        let server = try Run.start(Run.onecode, ["serve", "--port", "0"], cwd: folder.path, environment: environment)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        let base = try await server.listening() ?? ""
        // The demo's token is said (and its file written) once the server listens.
        _ = try await eventually {
            ((try? String(contentsOfFile: server.err, encoding: .utf8)) ?? "").contains("demo: admin token") || !server.process.isRunning
        }
        try #require(!base.isEmpty, "\((try? String(contentsOfFile: server.err, encoding: .utf8)) ?? "")")
        let token = try String(contentsOfFile: folder.file("data/demo-admin-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        // A campaign and a segment, so their routes find something besides 404s.
        for (path, body) in [("/api/campaigns", String(decoding: CampaignTests.definition(), as: UTF8.self)),
                             ("/api/segments", #"{"name": "all", "rules": {"product": [1]}}"#)] {
            var request = URLRequest(url: URL(string: base + path)!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            let (_, response) = try await DurabilityTests.session.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 201, "\(path)")
        }
        // Awaited, not blocking: the run takes seconds, and a blocked thread is half of this machine's
        // cooperative pool (other suites' database waits and receivers would starve meanwhile).
        let run = await (try Run.start("/bin/sh", ["-c", """
            exec python3 -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "schemathesis"; sys.exit(schemathesis())' \
              --no-color run "$0/api/openapi.json" -H "Authorization: Bearer $1" \
              --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
              --max-examples 10 --workers 1 --seed \(Self.seed) --request-timeout 30 --exclude-path-regex '^/api/tokens/' 
            """, base, token], cwd: folder.path)).wait(timeout: 400)
        let output = run.stdout + run.stderr
        #expect(run.status == 0, "schemathesis (seed \(Self.seed)):\n\(output.suffix(6000))")
        // Every operation but revoking a token (it would revoke the run's own).
        #expect(output.contains("63 selected / 64 total"), "\(output.suffix(2000))")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.wait().status == 0)
    }
}

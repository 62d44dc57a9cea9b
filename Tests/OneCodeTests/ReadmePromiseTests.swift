import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OneCodeDomain
import OneCodeStorage
import Testing

/// Promises README makes that no other test held (issue 22's list), each test named after its promise;
/// the expected values are README's words.
@Suite("README's promises, each held by a test that names it")
struct ReadmePromiseTests {
    /// A command on the fixture's database, run without holding one of the test pool's threads while it runs.
    static func onecode(_ fixture: ServiceFixture, _ arguments: [String]) async throws -> ProcessResult {
        try await Run.run(Run.onecode, arguments + ["--database", try fixture.backend.database(fixture.folder)], cwd: fixture.folder.path,
                          environment: DurabilityTests.environment.merging(["ONECODE_CODES_SECRET": ServiceFixture.secret]) { $1 }, timeout: 60)
    }

    /// README, Admin API: `{"error": {"code": …, "message": …, "field": …}}`.
    static func error(_ response: TestResponse) throws -> (code: String?, field: String?, message: String?) {
        let body = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any]
        let error = body?["error"] as? [String: Any]
        return (error?["code"] as? String, error?["field"] as? String, error?["message"] as? String)
    }

    @Test("every error has one body: forbidden (403), gone (410), too_large (413), too_many_requests (429), each with its code", arguments: Backend.complete)
    func errorBodies(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let sales = try await fixture.token(.sales)
        let app = try fixture.app(["rateLimit.authFailuresPerMinute": .init(.double(2), isSecret: false)])
        try await app.test(.router) { client in
            let forbidden = try await client.execute(uri: "/api/products", method: .post, headers: [.authorization: "Bearer \(sales)", .contentType: "application/json"],
                                                     body: ByteBuffer(string: #"{"name": "Tea"}"#))
            let forbiddenError = try Self.error(forbidden)
            #expect(forbidden.status == .forbidden && forbiddenError.code == "forbidden", "\(forbidden.text)")
            let gone = try await client.execute(uri: "/s/\(fixture.codes[0])?r=stale.receipt", method: .get, headers: phone(json: true))
            let goneError = try Self.error(gone)
            #expect(gone.status == .gone && goneError.code == "gone" && goneError.field == "r", "\(gone.text)")
            let admin = try await fixture.token(.admin)
            let large = try await client.execute(uri: "/api/products", method: .post, headers: [.authorization: "Bearer \(admin)", .contentType: "application/json"],
                                                 body: ByteBuffer(string: #"{"name": ""# + String(repeating: "x", count: 70_000) + #""}"#))
            let largeError = try Self.error(large)
            #expect(large.status == .contentTooLarge && largeError.code == "too_large", "\(large.status) \(large.text.prefix(200))")
            // Failed authentications from one address beyond rateLimit.authFailuresPerMinute (2 here).
            var last: TestResponse?
            for _ in 0..<4 { last = try await client.execute(uri: "/api/products", method: .get, headers: [.authorization: "Bearer oc_not_a_token"]) }
            let limited = try #require(last)
            let limitedError = try Self.error(limited)
            #expect(limited.status == .tooManyRequests && limitedError.code == "too_many_requests", "\(limited.status) \(limited.text)")
        }
    }

    @Test("GET /ping is the cheapest route: 200, no database")
    func ping() async throws {
        let fixture = try await ServiceFixture(backend: .sqlite)
        defer { fixture.folder.cleanup() }
        try await fixture.app().test(.router) { client in
            let response = try await client.execute(uri: "/ping", method: .get)
            #expect(response.status == .ok)
        }
    }

    @Test("code check says unknown for a code that passes the keyed check and was never issued (exit not 0)", arguments: Backend.complete)
    func codeCheckUnknown(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let unknown = ServiceFixture.signer.code(for: CodeKey(rawValue: 987_654_321))
        let result = try await Self.onecode(fixture, ["code", "check", unknown])
        #expect(result.status != 0 && result.stdout.contains("unknown"), "\(result.stdout) \(result.stderr)")
        let valid = try await Self.onecode(fixture, ["code", "check", fixture.codes[0]])
        #expect(valid.status == 0 && valid.stdout.contains("valid"), "\(valid.stdout)")
    }

    @Test("segment list, show, edit and delete on the command line", arguments: Backend.complete)
    func segmentCommands(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let created = try await Self.onecode(fixture, ["segment", "create", "--name", "Shanghai", "--rules", #"{"region": ["CN-31"]}"#])
        #expect(created.status == 0, "\(created.stderr)")
        let list = try await Self.onecode(fixture, ["segment", "list"])
        #expect(list.status == 0 && list.stdout.contains("Shanghai") && list.stdout.contains("CN-31"), "\(list.stdout)")
        let edited = try await Self.onecode(fixture, ["segment", "edit", "1", "--name", "East", "--rules", #"{"region": ["CN-31", "CN-32"]}"#])
        #expect(edited.status == 0, "\(edited.stderr)")
        let show = try await Self.onecode(fixture, ["segment", "show", "1"])
        #expect(show.status == 0 && show.stdout.contains("East") && show.stdout.contains("CN-32") && !show.stdout.contains("Shanghai"), "\(show.stdout)")
        let deleted = try await Self.onecode(fixture, ["segment", "delete", "1"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let again = try await Self.onecode(fixture, ["segment", "show", "1"])
        #expect(again.status != 0 && again.stderr.contains("error: id:"), "\(again.stderr)")
        #expect(try await fixture.store.segments().isEmpty)
    }

    @Test("webhooks events lists the outbox as JSON lines, from --after N", arguments: Backend.complete)
    func webhookEvents(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let campaign = try await fixture.store.liveCampaign()
        let app = try fixture.app()
        try await app.test(.router) { client in
            for code in fixture.codes.prefix(3) { _ = try await client.execute(uri: "/s/\(code)", method: .get, headers: phone(json: true)) }
        }
        let all = try await Self.onecode(fixture, ["webhooks", "events"])
        let lines = all.stdout.split(separator: "\n").map(String.init)
        #expect(all.status == 0 && lines.count == 3, "\(all.stdout) \(all.stderr)")
        let events = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(events.allSatisfy { ($0["event"] as? [String: Any])?["type"] as? String == "prize.won" || $0["type"] as? String == "prize.won" }, "\(lines)")
        let sequences = events.compactMap { ($0["sequence"] as? Int) }
        let after = try await Self.onecode(fixture, ["webhooks", "events", "--after", String(sequences.first ?? 0)])
        #expect(after.stdout.split(separator: "\n").count == 2, "\(after.stdout)")
        _ = campaign
    }

    @Test("reports print as a table or JSON (--format table|json)", arguments: Backend.complete)
    func reportFormats(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let table = try await Self.onecode(fixture, ["report", "scan-rate", "--by", "batch", "--format", "table"])
        #expect(table.status == 0 && table.stdout.contains("batch 1") && table.stdout.contains(String(fixture.codes.count)), "\(table.stdout)")
        let json = try await Self.onecode(fixture, ["report", "scan-rate", "--by", "batch", "--format", "json"])
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(json.status == 0 && rows?.first?["issued"] as? Int == fixture.codes.count, "\(json.stdout)")
    }

    @Test("every file onecode makes is its owner's alone: a package's files and a backup are 0600")
    func privateFiles() async throws {
        let fixture = try await ServiceFixture(backend: .sqlite)
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("printer")
        let issued = try await Self.onecode(fixture, ["batch", "issue", "--product", "1", "--count", "5", "--out", out])
        #expect(issued.status == 0, "\(issued.stderr)")
        let backup = try await Self.onecode(fixture, ["backup", "--out", fixture.folder.file("copy.sqlite")])
        #expect(backup.status == 0, "\(backup.stderr)")
        var files = try FileManager.default.contentsOfDirectory(atPath: out).map { out + "/" + $0 }.filter { !$0.hasSuffix("/qr") }
        files.append(fixture.folder.file("copy.sqlite"))
        #expect(files.count >= 3)
        for file in files {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode & 0o077 == 0, "\(file) is \(String(mode, radix: 8))")
        }
    }
}

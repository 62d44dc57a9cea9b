import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OneCodeApplication
import OneCodeDomain
import OneCodeStorage
import OneCodeService
import Testing

@Suite("The application layer's audit log: who did what and when")
struct AuditTests {
    /// The entries the actions wrote (not the fixture's own set-up).
    static func entries(_ store: any OneCodeStore) async throws -> [AuditRecord] {
        try await store.auditLog(before: nil, limit: 1000).filter { $0.action != "test.setup" }
    }

    @Test("each action over the API and the CLI writes one entry naming its actor (the token, the operating-system user); a refused action writes none; GET /api/audit pages them newest first, admin only",
          arguments: Backend.complete)
    func actionsAreAudited(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 3, activate: false)
        defer { fixture.folder.cleanup() }
        let issuer = try await fixture.token(.issuer), marketing = try await fixture.token(.marketing), admin = try await fixture.token(.admin)
        let tokens = try await fixture.store.tokens()
        let issuerToken = try #require(tokens.first { $0.scope == .issuer }), marketingToken = try #require(tokens.first { $0.scope == .marketing })
        let adminToken = try #require(tokens.first { $0.scope == .admin })
        let (productID, campaignID, segmentID) = try await fixture.app().test(.router) { client -> (Int, Int, Int) in
            var response = try await ChannelTests.call(client, .post, "/api/products", token: issuer, ["name": "Oolong"])
            let productID = try #require(try response.json()["id"] as? Int, "\(response.text)")
            response = try await ChannelTests.call(client, .post, "/api/batches/\(fixture.batch.id)/activate", token: issuer)
            #expect(response.status == .ok, "\(response.text)")
            // Refused: a reason of blanks. Not written.
            response = try await ChannelTests.call(client, .post, "/api/codes/\(fixture.codes[0])/blacklist", token: issuer, ["reason": "   "])
            #expect(response.status == .badRequest && response.text.contains("reason"), "\(response.text)")
            response = try await ChannelTests.call(client, .post, "/api/codes/\(fixture.codes[0])/blacklist", token: issuer, ["reason": "  stolen pallet "])
            #expect(response.status == .ok, "\(response.text)")
            let campaign = try JSONSerialization.jsonObject(with: Data(#"""
                {"name": "Audit", "start": "2020-01-01T00:00:00", "end": "2099-01-01T00:00:00", "timeZone": "Asia/Shanghai", "status": "live",
                 "tiers": [{"name": "Bottle", "kind": "goods", "value": 1, "probability": 0.5, "stock": 10}]}
                """#.utf8))
            response = try await ChannelTests.call(client, .post, "/api/campaigns", token: marketing, campaign)
            let campaignID = try #require(try response.json()["id"] as? Int, "\(response.text)")
            response = try await ChannelTests.call(client, .post, "/api/campaigns/\(campaignID)/pause", token: marketing)
            #expect(response.status == .ok, "\(response.text)")
            response = try await ChannelTests.call(client, .post, "/api/segments", token: marketing, ["name": "Shanghai", "rules": ["region": ["CN-31"]]])
            let segmentID = try #require(try response.json()["id"] as? Int, "\(response.text)")
            response = try await ChannelTests.call(client, .delete, "/api/segments/\(segmentID)", token: marketing)
            #expect(response.status == .noContent, "\(response.text)")
            response = try await ChannelTests.call(client, .delete, "/api/tokens/\(marketingToken.id)", token: admin)
            #expect(response.status == .noContent, "\(response.text)")
            response = try await ChannelTests.call(client, .delete, "/api/tokens/9999", token: admin)
            #expect(response.status == .notFound, "\(response.text)")
            return (productID, campaignID, segmentID)
        }
        var expected: [(kind: String, actor: String, action: String, subject: String, detail: String?)] = [
            ("token", issuerToken.name, "product.add", "product \(productID)", "Oolong"),
            ("token", issuerToken.name, "batch.activate", "batch \(fixture.batch.id)", nil),
            ("token", issuerToken.name, "code.blacklist", "code \(fixture.codes[0])", "stolen pallet"),
            ("token", marketingToken.name, "campaign.create", "campaign \(campaignID)", "Audit"),
            ("token", marketingToken.name, "campaign.pause", "campaign \(campaignID)", nil),
            ("token", marketingToken.name, "segment.create", "segment \(segmentID)", "Shanghai"),
            ("token", marketingToken.name, "segment.delete", "segment \(segmentID)", nil),
            ("token", adminToken.name, "token.revoke", "token \(marketingToken.id)", nil),
        ]
        // The command line acts as the operating-system user who runs it (as `id -un` names them).
        let user = try await Run.run("/usr/bin/id", ["-un"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try await ReadmePromiseTests.onecode(fixture, ["token", "create", "--scope", "sales", "--name", "crm export", "--json"])
        let tokenID = try #require((try JSONSerialization.jsonObject(with: Data(token.stdout.utf8)) as? [String: Any])?["id"] as? Int, "\(token.stderr)")
        expected.append(("cli", user, "token.create", "token \(tokenID)", "sales: crm export"))
        let store = try await ReadmePromiseTests.onecode(fixture, ["store", "add", "--name", "Jing'an shop", "--json"])
        let storeID = try #require(((try JSONSerialization.jsonObject(with: Data(store.stdout.utf8)) as? [String: Any])?["store"] as? [String: Any])?["id"] as? Int)
        expected.append(("cli", user, "store.add", "store \(storeID)", "Jing'an shop"))
        let clerk = try await ReadmePromiseTests.onecode(fixture, ["clerk", "add", "--store", String(storeID), "--name", "Xiao Li", "--json"])
        let clerkID = try #require(((try JSONSerialization.jsonObject(with: Data(clerk.stdout.utf8)) as? [String: Any])?["clerk"] as? [String: Any])?["id"] as? Int,
                                   "\(clerk.stdout)\(clerk.stderr)")
        expected.append(("cli", user, "clerk.add", "clerk \(clerkID)", "store \(storeID): Xiao Li"))
        #expect(try await ReadmePromiseTests.onecode(fixture, ["batch", "void", String(fixture.batch.id.rawValue), "--yes"]).status == 0)
        expected.append(("cli", user, "batch.void", "batch \(fixture.batch.id)", nil))
        // Refused, so not written: a token that does not exist; a void batch activated again.
        #expect(try await ReadmePromiseTests.onecode(fixture, ["token", "revoke", "9999"]).status != 0)
        #expect(try await ReadmePromiseTests.onecode(fixture, ["batch", "activate", String(fixture.batch.id.rawValue)]).status != 0)

        let written = try await Self.entries(fixture.store)
        let read = written.reversed().map { ($0.actorKind, $0.actorName, $0.action, [$0.subject, $0.subjectId].compactMap { $0 }.joined(separator: " "), $0.detail) }
        #expect(read.count == expected.count, "\(read)")
        for (got, want) in zip(read, expected) {
            #expect(got.0 == want.kind && got.1 == want.actor && got.2 == want.action && got.3 == want.subject && got.4 == want.detail, "\(got) ≠ \(want)")
        }
        #expect(written.last?.actorId == issuerToken.id, "the token is named by its id too")
        // Over the API, newest first, two at a time; the CLI's JSON shows the same.
        try await fixture.app().test(.router) { client in
            let first = try await ChannelTests.call(client, .get, "/api/audit?limit=2", token: admin)
            let items = try first.json()["items"] as? [[String: Any]] ?? []
            #expect(items.compactMap { $0["action"] as? String } == ["batch.void", "clerk.add"], "\(first.text)")
            let next = try #require(try first.json()["next"] as? String)
            let second = try await ChannelTests.call(client, .get, "/api/audit?limit=2&after=\(next)", token: admin)
            #expect((try second.json()["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String } == ["store.add", "token.create"],
                    "\(second.text)")
            #expect(try await ChannelTests.call(client, .get, "/api/audit", token: issuer).status == .forbidden)
        }
        let listed = try await ReadmePromiseTests.onecode(fixture, ["audit", "--limit", "1", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])?.first?["action"] as? String == "batch.void",
                "\(listed.stdout)\(listed.stderr)")
    }

    @Test("the audit log is append-only: the database refuses to change or delete an entry (and, on PostgreSQL, to truncate the table)",
          arguments: Backend.complete)
    func appendOnly(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 1, activate: false)
        defer { fixture.folder.cleanup() }
        _ = try await Actions(store: fixture.store, actor: .cli(user: "ops")).activateBatch(fixture.batch.id.rawValue)
        let database = try await backend.database(fixture.folder)
        var statements = ["UPDATE audit_log SET actor_name = 'someone else'", "DELETE FROM audit_log"]
        if backend == .postgres { statements.append("TRUNCATE audit_log") }
        for statement in statements {
            let result = backend == .sqlite
                ? try await Run.run("/usr/bin/sqlite3", [database, statement])
                : try await Run.run("/usr/bin/psql", [database, "-q", "-v", "ON_ERROR_STOP=1", "-c", statement])
            #expect(result.status != 0 && result.stderr.contains("audit_log is append-only"), "\(statement): \(result.stderr)")
        }
        let entries = try await Self.entries(fixture.store)
        #expect(entries.count == 1 && entries.first?.actorName == "ops" && entries.first?.action == "batch.activate", "\(entries)")
    }
}

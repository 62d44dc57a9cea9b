import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage
import Testing

/// `campaign edit` (`PUT /api/campaigns/{id}`): what may change on a campaign, decided once
/// (`CampaignEditRules`, `CampaignBook.edit`), the same on both backends.
@Suite("Campaign edit: what can safely change on a live campaign changes; what cannot is refused with the field and why")
struct CampaignEditTests {
    static let twoTiers = #"[{"name": "Free bottle", "kind": "goods", "value": 1, "probability": 1, "stock": 100}, {"name": "Cash", "kind": "cash", "value": 500, "probability": 0, "stock": 5}]"#

    static func parse(_ data: Data) throws -> CampaignDefinition { try CampaignDefinition.parse(data) }

    @Test("a live campaign that has drawn: name, later end, stock, daily stock and limits change (the next draw sees them); odds, start, time zone, narrower scope, other tiers, stock below awarded, status are refused naming the field",
          arguments: Backend.complete)
    func live(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 10, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let campaign = try await store.liveCampaign(CampaignTests.definition(#", "scope": {"products": [1]}"#, tiers: Self.twoTiers))
        for _ in 0..<3 { try await world.scan(ConsumerID.random(), at: Date(), region: nil) }
        #expect(try await store.stock(of: campaign.id).map(\.awarded) == [3, 0])

        // Safe changes.
        let changed = try Self.parse(CampaignTests.definition(#", "scope": {"products": [1]}, "limits": {"winsPerConsumer": 2}"#,
            tiers: #"[{"name": "Bottle", "kind": "goods", "value": 1, "probability": 1, "stock": 4, "dailyStock": 10}, {"name": "Cash", "kind": "cash", "value": 500, "probability": 0, "stock": 50}]"#,
            end: "2099-06-01T00:00:00"))
        var renamed = changed
        renamed.name = "Summer, longer"
        let edited = try await store.editCampaign(campaign.id, renamed, audit: .test)
        #expect(edited.definition.name == "Summer, longer" && edited.status == .live)
        #expect(try await store.campaign(campaign.id)?.definition == renamed)
        #expect(try await store.stock(of: campaign.id).map(\.stock) == [4, 50])
        // The next draws see the new stock: one more prize, then none.
        try await world.scan(ConsumerID.random(), at: Date(), region: nil)
        try await world.scan(ConsumerID.random(), at: Date(), region: nil)
        #expect(try await store.stock(of: campaign.id).map(\.awarded) == [4, 0])

        // Refused, nothing changed.
        func refused(_ change: (inout CampaignDefinition) -> Void, _ field: String) async throws {
            var next = renamed
            change(&next)
            do {
                _ = try await store.editCampaign(campaign.id, next, audit: .test)
                Issue.record("\(field): accepted")
            } catch let error as InputError {
                #expect(error.field == field, "\(error)")
            }
        }
        try await refused({ $0.tiers[1].probability = 0.5; $0.tiers[0].probability = 0.5 }, "tiers[0].probability")
        try await refused({ $0.tiers[0].stock = 3 }, "tiers[0].stock")
        try await refused({ $0.tiers[0].kind = .coupon }, "tiers[0].kind")
        try await refused({ $0.start = $0.start.addingTimeInterval(-86_400) }, "start")
        try await refused({ $0.timeZone = "UTC" }, "timeZone")
        try await refused({ $0.scope.products = [] }, "scope.products")
        try await refused({ $0.tiers.removeLast() }, "tiers")
        try await refused({ $0.end = Date().addingTimeInterval(-60) }, "end")
        try await refused({ $0.status = .paused }, "status")
        #expect(try await store.campaign(campaign.id)?.definition == renamed)
        await #expect(throws: NotFoundError.self) { try await store.editCampaign(CampaignID(rawValue: 999), renamed, audit: .test) }
    }

    @Test("before it starts, a campaign may change whole: other tiers, odds and start", arguments: Backend.complete)
    func beforeStart(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let store = fixture.store
        let campaign = try await store.liveCampaign(CampaignTests.definition(start: "2098-01-01T00:00:00"))
        let next = try Self.parse(CampaignTests.definition(tiers: Self.twoTiers, start: "2097-06-01T00:00:00"))
        let edited = try await store.editCampaign(campaign.id, next, audit: .test)
        #expect(edited.definition.tiers.count == 2)
        #expect(try await store.stock(of: campaign.id).map(\.stock) == [100, 5])
    }

    @Test("onecode campaign edit and PUT /api/campaigns/{id}: a change shown, a refusal naming the field (exit 1, 400)", arguments: Backend.complete)
    func surfaces(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend)
        defer { fixture.folder.cleanup() }
        let campaign = try await fixture.store.liveCampaign()
        let environment = DurabilityTests.environment.merging(["ONECODE_CODES_SECRET": ServiceFixture.secret]) { $1 }
        let file = fixture.folder.file("campaign.json")
        try CampaignTests.definition(end: "2099-03-01T00:00:00").write(to: URL(fileURLWithPath: file))
        let edit = try await Run.run(Run.onecode, ["campaign", "edit", String(campaign.id.rawValue), "--file", file, "--database", try backend.database(fixture.folder)],
                                   cwd: fixture.folder.path, environment: environment, timeout: 60)
        #expect(edit.status == 0 && edit.stdout.contains("campaign \(campaign.id): Summer changed (live, 1 tiers)"), "\(edit.stdout) \(edit.stderr)")
        try CampaignTests.definition(start: "2021-01-01T00:00:00").write(to: URL(fileURLWithPath: file))
        let refused = try await Run.run(Run.onecode, ["campaign", "edit", String(campaign.id.rawValue), "--file", file, "--database", try backend.database(fixture.folder)],
                                      cwd: fixture.folder.path, environment: environment, timeout: 60)
        #expect(refused.status == 1 && refused.stderr.contains("error: start: cannot move once the campaign has started"), "\(refused.stderr)")

        let token = try await fixture.token(.marketing)
        let app = try fixture.app()
        try await app.test(.router) { client in
            var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let ok = try await client.execute(uri: "/api/campaigns/\(campaign.id)", method: .put, headers: headers,
                                              body: ByteBuffer(data: CampaignTests.definition(end: "2099-04-01T00:00:00")))
            #expect(ok.status == .ok, "\(ok.text)")
            let bad = try await client.execute(uri: "/api/campaigns/\(campaign.id)", method: .put, headers: headers,
                                               body: ByteBuffer(data: CampaignTests.definition(start: "2021-01-01T00:00:00")))
            #expect(bad.status == .badRequest && bad.text.contains("start: cannot move once the campaign has started"), "\(bad.text)")
            headers[.authorization] = "Bearer \(try await fixture.token(.sales))"
            let forbidden = try await client.execute(uri: "/api/campaigns/\(campaign.id)", method: .put, headers: headers,
                                                     body: ByteBuffer(data: CampaignTests.definition()))
            #expect(forbidden.status == .forbidden)
        }
        #expect(try await fixture.store.campaign(campaign.id)?.definition.end == (try Self.parse(CampaignTests.definition(end: "2099-04-01T00:00:00"))).end)
    }
}

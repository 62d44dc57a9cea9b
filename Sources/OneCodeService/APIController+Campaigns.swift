import Foundation
import Hummingbird
import NIOCore
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage

extension APIController {
    /// Campaign routes: marketing defines and steers campaigns and reads their audit trail.
    func registerCampaigns(_ api: RouterGroup<AppRequestContext>) {
        route(api, .post, "campaigns", [.marketing]) { request, context in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let definition = try CampaignDefinition.parse(Data(body.readableBytesView))
            return try Response.json(try await store.createCampaign(definition), status: .created)
        }
        route(api, .get, "campaigns", [.marketing, .sales]) { _, _ in
            try Response.json(try await store.campaigns(), status: .ok)
        }
        route(api, .get, "campaigns/:id", [.marketing, .sales]) { _, context in
            let campaign = try await campaign(context)
            struct Reply: Encodable { var campaign: Campaign; var stock: [TierStock] }
            return try Response.json(Reply(campaign: campaign, stock: try await store.stock(of: campaign.id)), status: .ok)
        }
        for (action, status) in [("pause", CampaignStatus.paused), ("resume", .live), ("end", .ended)] {
            route(api, .post, "campaigns/:id/\(action)", [.marketing]) { _, context in
                try Response.json(try await store.setStatus(status, of: campaign(context).id), status: .ok)
            }
        }
        route(api, .get, "campaigns/:id/entries", [.marketing]) { request, context in
            let after = request.uri.queryParameters.get("after", as: Int64.self) ?? 0
            guard after >= 0 else { throw HTTPError(.badRequest, message: "after: must be an entry id, 0 or more") }
            let limit = try limit(request, default: 100, maximum: 1000)
            let entries = try await store.entries(of: campaign(context).id, after: after, limit: limit)
            struct Page: Encodable { var entries: [CampaignEntry]; var next: Int64? }
            return try Response.json(Page(entries: entries, next: entries.count == limit ? entries.last?.id.rawValue : nil), status: .ok)
        }
    }

    /// A store redeems a claimed prize with its store token: once, recorded with the store.
    func registerRedemptions(_ api: RouterGroup<AppRequestContext>) {
        route(api, .post, "redemptions", [.store]) { request, context in
            struct Body: Decodable { var redemptionCode: String }
            guard let storeID = context.token?.storeID else {
                throw HTTPError(.badRequest, message: "authorization: redemptions need a store's token (see `onecode store add`)")
            }
            let body = try await request.decodeJSON(Body.self, context: context)
            // Read as loosely as scan codes: any case, spaces and dashes, I/L/O for 1/1/0.
            guard let code = Crockford.canonical(body.redemptionCode), (1...32).contains(code.count) else {
                throw HTTPError(.badRequest, message: "redemptionCode: must be the code shown to the winner (letters and digits)")
            }
            return try Response.json(try await store.redeem(code, store: storeID, at: Date()), status: .created)
        }
    }

    func campaign(_ context: AppRequestContext) async throws -> Campaign {
        guard let id = CampaignID(try context.parameters.require("id")) else { throw HTTPError(.badRequest, message: "id: must be a positive campaign id") }
        guard let campaign = try await store.campaign(id) else { throw HTTPError(.notFound, message: "id: no campaign \(id)") }
        return campaign
    }
}

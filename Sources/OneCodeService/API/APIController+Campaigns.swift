import Foundation
import Hummingbird
import NIOCore
import OneCodeApplication
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage

extension APIController {
    /// Campaign routes: marketing defines and steers campaigns and reads their audit trail.
    func registerCampaigns(_ api: RouterGroup<AppRequestContext>) {
        route(api, .post, "campaigns") { request, context in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let campaign = try await actions(context).createCampaign(try CampaignDefinition.parse(Data(body.readableBytesView)))
            return try Response.api(try await view(campaign), status: .created, headers: [.location: "/api/campaigns/\(campaign.id)"])
        }
        route(api, .get, "campaigns") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            var views: [CampaignView] = []
            for campaign in try await store.campaigns() { views.append(try await view(campaign)) }
            return try Response.api(try Page(of: views, query, key: \.campaign.id.rawValue), status: .ok)
        }
        route(api, .get, "campaigns/:id") { _, context in
            try Response.api(try await view(try await campaign(context)), status: .ok)
        }
        route(api, .put, "campaigns/:id") { request, context in
            guard let id = CampaignID(try context.parameters.require("id")) else { throw HTTPError(.badRequest, message: "id: must be a positive campaign id") }
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            return try Response.api(try await view(try await actions(context).editCampaign(id.rawValue, try CampaignDefinition.parse(Data(body.readableBytesView)))), status: .ok)
        }
        for (action, status) in [("pause", CampaignStatus.paused), ("resume", .live), ("end", .ended)] {
            route(api, .post, "campaigns/:id/\(action)") { _, context in
                try Response.api(try await view(try await actions(context).setCampaignStatus(status, of: campaign(context).id.rawValue)), status: .ok)
            }
        }
        route(api, .get, "campaigns/:id/entries") { request, context in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            let entries = try await store.entries(of: campaign(context).id, after: try query.afterNumber(), limit: query.limit + 1)
            return try Response.api(Page(fetched: entries, limit: query.limit) { String($0.id.rawValue) }, status: .ok)
        }
    }

    /// A store redeems a claimed prize with its store token: once, recorded with the store.
    func registerRedemptions(_ api: RouterGroup<AppRequestContext>) {
        route(api, .post, "redemptions") { request, context in
            struct Body: Decodable { var redemptionCode: String; var store: Int64? }
            let body = try await request.decodeJSON(Body.self, context: context)
            // A store's token redeems as that store; an admin redeems on behalf of the store it names.
            let storeID = try await actingStore(context, named: body.store, doing: "redeem")
            let code = try Actions.RedemptionCode(body.redemptionCode)
            return try Response.api(try await actions(context).redeem(code, store: storeID), status: .created)
        }
    }

    /// A campaign as every route shows it: its definition (whose status is the campaign's), and the stock
    /// of each tier.
    func view(_ campaign: Campaign) async throws -> CampaignView {
        CampaignView(campaign: campaign, stock: try await store.stock(of: campaign.id),
                     notice: campaign.definition.regionNotice(geoIPConfigured: geoIPConfigured))
    }

    func campaign(_ context: AppRequestContext) async throws -> Campaign {
        guard let id = CampaignID(try context.parameters.require("id")) else { throw HTTPError(.badRequest, message: "id: must be a positive campaign id") }
        guard let campaign = try await store.campaign(id) else { throw HTTPError(.notFound, message: "id: no campaign \(id)") }
        return campaign
    }
}

/// One shape for a campaign on list, get, create and status changes.
struct CampaignView: Encodable {
    var campaign: Campaign
    var stock: [TierStock]
    /// What the campaign needs to draw as defined, when it lacks it (a region scope without GeoIP).
    var notice: String? = nil

    enum Keys: String, CodingKey { case id, status, createdAt, definition, stock, notice }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var definition = campaign.definition
        definition.status = campaign.status  // a paused campaign's definition says paused, not the status it was created with
        try container.encode(campaign.id, forKey: .id)
        try container.encode(campaign.status, forKey: .status)
        try container.encode(campaign.createdAt, forKey: .createdAt)
        try container.encode(definition, forKey: .definition)
        try container.encode(stock, forKey: .stock)
        try container.encodeIfPresent(notice, forKey: .notice)
    }
}

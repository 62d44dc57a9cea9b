import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import OneCodeApplication
import OneCodeDomain
import OneCodeIssuing
import OneCodeRendering
import OneCodeStorage

/// Campaigns: the list, the form (create and edit), a campaign's stock and entries, pause, resume and end.
extension ConsoleController {
    func registerCampaigns(on console: RouterGroup<ConsoleContext>) {
        console.get("campaigns") { request, context in try await page(request, context, .campaigns) { try await campaigns($0, $1, $2) } }
        console.post("campaigns") { request, context in
            try await page(request, context, .campaigns, task: .runCampaigns) { request, context, chrome in
                try await saveCampaign(request, context, chrome, id: nil, fields: try await form(request, context))
            }
        }
        console.get("campaigns/:id") { request, context in
            try await page(request, context, .campaigns) { request, context, chrome in try await campaignPage(request, context, chrome, id: try pathID(context)) }
        }
        console.post("campaigns/:id") { request, context in
            try await page(request, context, .campaigns, task: .runCampaigns) { request, context, chrome in
                try await saveCampaign(request, context, chrome, id: try pathID(context), fields: try await form(request, context))
            }
        }
        console.post("campaigns/:id/status") { request, context in
            try await page(request, context, .campaigns, task: .runCampaigns) { request, context, chrome in
                try await campaignStatus(request, context, chrome, id: try pathID(context), fields: try await form(request, context))
            }
        }
    }

    /// The campaign form's values: `form` (as typed, or from a definition), the tier rows with their kinds and
    /// errors, the scope's products and batches to tick.
    func campaignFormValues(_ form: [String: String], errors: [String: String], chrome: ConsoleViews.Chrome, newCampaign: Bool,
                            action: String, title: String, button: String) async throws -> [String: Any] {
        let language = chrome.language
        var c: [String: Any] = form
        if form["timeZone"] == nil { c["timeZone"] = "Asia/Shanghai" }
        c["live"] = form["status"] == "live"
        c["requirePin"] = form["requirePin"] == "yes"
        c["tiers"] = (0..<CampaignForm.rows).map { row -> [String: Any] in
            var tier: [String: Any] = ["i": row, "n": row + 1]
            for key in ["name", "value", "probability", "stock", "dailyStock"] { tier[key] = form["tier\(row)_\(key)"] ?? "" }
            let kind = form["tier\(row)_kind"] ?? "goods"
            tier["kinds"] = PrizeKind.allCases.map { ["value": $0.rawValue, "label": views.text("pkind_\($0.rawValue)", language), "selected": $0.rawValue == kind] }
            if let error = errors["tier\(row)"] { tier["error"] = error }
            return tier
        }
        let products = try await store.products()
        let batches = try await store.batches(product: nil).prefix(100)
        return [
            "c": c, "errors": errors, "newCampaign": newCampaign, "formAction": action, "formTitle": title, "formButton": button,
            "scopeProducts": products.map { ["id": $0.id.rawValue, "name": $0.name, "checked": form["product_\($0.id.rawValue)"] == "yes"] as [String: Any] },
            "scopeBatches": batches.map { ["id": $0.id.rawValue, "name": $0.lot ?? "", "checked": form["batch_\($0.id.rawValue)"] == "yes"] as [String: Any] },
        ]
    }

    func window(_ definition: CampaignDefinition) -> String {
        let format = CampaignForm.localTime(definition, "yyyy-MM-dd HH:mm")
        return format.string(from: definition.start) + " – " + format.string(from: definition.end)
    }

    /// Every campaign with its stock; for marketing, the form to create one.
    func campaigns(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, form: [String: String] = [:],
                   errors: [String: String] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        var rows: [[String: Any]] = []
        for campaign in try await store.campaigns().reversed() {
            let stock = try await store.stock(of: campaign.id)
            rows.append(["id": campaign.id.rawValue, "name": campaign.definition.name, "status": views.text("cstatus_\(campaign.status.rawValue)", language),
                         "window": window(campaign.definition), "awarded": stock.map(\.awarded).reduce(0, +), "stock": stock.map(\.stock).reduce(0, +)])
        }
        var values: [String: Any] = ["campaigns": rows, "hasCampaigns": !rows.isEmpty, "mayRun": chrome.may(.runCampaigns)]
        if chrome.may(.runCampaigns) {
            values.merge(try await campaignFormValues(form, errors: errors, chrome: chrome, newCampaign: true, action: "/console/campaigns",
                                                      title: views.text("createCampaign", language), button: views.text("createCampaign", language))) { _, b in b }
        }
        return views.page("campaigns", title: views.text("area_campaigns", language), values: values, chrome: chrome, status: status)
    }

    /// One campaign: stock per tier (awarded, claimed, redeemed, left), pause, resume and end, its entries, and the
    /// form to edit it (what may change once it has started is `CampaignBook.edit`'s to say).
    func campaignPage(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, form: [String: String]? = nil,
                      errors: [String: String] = [:], notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        guard let campaign = try await store.campaign(CampaignID(rawValue: id)) else { return views.message("notFound", status: .notFound, chrome: chrome) }
        let stock = try await store.stock(of: campaign.id).map { tier -> [String: Any] in
            ["name": tier.name, "stock": tier.stock, "awarded": tier.awarded, "claimed": tier.claimed, "redeemed": tier.redeemed, "left": tier.stock - tier.awarded]
        }
        let entries = try await store.entries(of: campaign.id, after: 0, limit: 100).map { entry -> [String: Any] in
            ["at": views.time.minute(entry.at), "code": entry.code, "result": entry.prize ?? views.text("result_\(entry.result.rawValue)", language),
             "consumer": entry.consumer ?? ""]
        }
        let transitions: [(CampaignStatus, String)] = [(.live, campaign.status == .draft ? "goLive" : "resume"), (.paused, "pause"), (.ended, "endCampaign")]
        var values: [String: Any] = [
            "campaign": ["id": campaign.id.rawValue, "name": campaign.definition.name, "status": views.text("cstatus_\(campaign.status.rawValue)", language),
                         "statusValue": campaign.status.rawValue, "window": window(campaign.definition), "timeZone": campaign.definition.timeZone] as [String: Any],
            "stock": stock, "entries": entries, "hasEntries": !entries.isEmpty,
            "actions": transitions.filter { campaign.status.canChange(to: $0.0) }.map { ["to": $0.0.rawValue, "label": views.text($0.1, language), "confirm": $0.0 == .ended] },
            "mayRun": chrome.may(.runCampaigns), "editable": campaign.status != .ended,
        ]
        if let notice = campaign.definition.regionNotice(geoIPConfigured: geoIPConfigured) { values["notice2"] = notice }
        values.merge(try await campaignFormValues(form ?? CampaignForm.values(campaign.definition), errors: errors, chrome: chrome, newCampaign: false,
                                                  action: "/console/campaigns/\(id)", title: views.text("saveCampaign", language),
                                                  button: views.text("saveCampaign", language))) { a, _ in a }
        values["errors"] = errors
        return views.page("campaign", title: campaign.definition.name, values: values, chrome: chrome, notice: notice, status: status)
    }

    /// Creates (`id` nil) or edits a campaign from the form: read as the CLI's and the API's files are, errors beside their fields.
    func saveCampaign(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64?, fields: [String: String]) async throws -> Response {
        var kept = fields
        kept["csrf"] = nil
        let current = id == nil ? nil : try await store.campaign(CampaignID(rawValue: id!))
        if id != nil, current == nil { return views.message("notFound", status: .notFound, chrome: chrome) }
        do {
            let definition = try CampaignDefinition.parse(CampaignForm.document(fields, newCampaign: id == nil, status: current?.status))
            if let id {
                _ = try await actions(context).editCampaign(id, definition)
                return try await campaignPage(request, context, chrome, id: id, notice: views.text("campaignSaved", chrome.language))
            }
            let campaign = try await actions(context).createCampaign(definition)
            return try await campaignPage(request, context, chrome, id: campaign.id.rawValue, notice: views.text("campaignCreated", chrome.language),
                                          status: .created)
        } catch let error as InputError {
            let errors = [CampaignForm.field(of: error.field): views.say(error, chrome.language)]
            if let id { return try await campaignPage(request, context, chrome, id: id, form: kept, errors: errors, status: .badRequest) }
            return try await campaigns(request, context, chrome, form: kept, errors: errors, status: .badRequest)
        } catch let error as ConflictError {
            let errors = [CampaignForm.field(of: error.field): views.say(error, chrome.language)]
            if let id { return try await campaignPage(request, context, chrome, id: id, form: kept, errors: errors, status: .conflict) }
            return try await campaigns(request, context, chrome, form: kept, errors: errors, status: .conflict)
        }
    }

    func campaignStatus(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, fields: [String: String]) async throws -> Response {
        do {
            guard let to = CampaignStatus(rawValue: fields["to"] ?? "") else { throw InputError("to", "must be live, paused or ended") }
            if to == .ended, fields["confirm"] != "yes" { throw InputError("confirm", views.text("endNeedsConfirm", chrome.language)) }
            _ = try await actions(context).setCampaignStatus(to, of: id)
            return try await campaignPage(request, context, chrome, id: id, notice: views.text("statusChanged", chrome.language))
        } catch let error as InputError {
            return try await campaignPage(request, context, chrome, id: id, errors: ["confirm": error.field == "confirm" ? error.message : views.say(error, chrome.language)],
                                          status: .badRequest)
        } catch let error as ConflictError {
            return try await campaignPage(request, context, chrome, id: id, errors: ["confirm": views.say(error, chrome.language)], status: .conflict)
        }
    }
}

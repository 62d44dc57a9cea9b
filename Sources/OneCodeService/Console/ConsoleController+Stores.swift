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

/// Stores with their redemptions and consumers reached; adding one.
extension ConsoleController {
    func registerStores(on console: RouterGroup<ConsoleContext>) {
        console.get("stores") { request, context in try await page(request, context, .stores) { try await stores($0, $1, $2) } }
        console.post("stores") { request, context in
            try await page(request, context, .stores, task: .addStores) { request, context, chrome in
                try await addStore(request, context, chrome, fields: try await form(request, context))
            }
        }
    }

    /// Stores with their redemptions and consumers reached, and what the channel delivered and sold through them;
    /// for marketing, a form to add one (its API token shown once).
    func stores(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, form: [String: String] = [:], errors: [String: String] = [:],
                token: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let profiles = try await store.storeProfiles()
        var values: [String: Any] = [
            "stores": profiles.map { profile -> [String: Any] in
                ["id": profile.store.id.rawValue, "name": profile.store.name, "region": profile.store.region ?? "", "redemptions": profile.redemptions,
                 "consumers": profile.consumers, "last": profile.lastRedemptionAt.map(views.time.minute) ?? "", "receipts": profile.receipts,
                 "sold": profile.unitsSold]
            },
            "hasStores": !profiles.isEmpty, "form": form, "errors": errors,
            "mayAdd": chrome.may(.addStores),
        ]
        if let token { values["token"] = token }
        var response = views.page("stores", title: views.text("area_stores", chrome.language), values: values, chrome: chrome, notice: notice, status: status)
        if token != nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    func addStore(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        let kept = fields.filter { ["name", "region"].contains($0.key) }
        do {
            let region = (fields["region"] ?? "").trimmingCharacters(in: .whitespaces)
            let (_, secret) = try await actions(context).addStore(try Actions.NewStore(name: fields["name"] ?? "", region: region.isEmpty ? nil : region))
            return try await stores(request, context, chrome, token: secret, notice: views.text("storeAdded", chrome.language), status: .created)
        } catch let error as InputError {
            return try await stores(request, context, chrome, form: kept, errors: [error.field: views.say(error, chrome.language)], status: .badRequest)
        } catch let error as ConflictError {
            return try await stores(request, context, chrome, form: kept, errors: [error.field: views.say(error, chrome.language)], status: .conflict)
        }
    }
}

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

/// The clerk's redemption screen.
extension ConsoleController {
    func registerRedeem(on console: RouterGroup<ConsoleContext>) {
        console.get("redeem") { request, context in try await page(request, context, .redeem) { try await redeemPage($0, $1, $2) } }
        console.post("redeem") { request, context in
            try await page(request, context, .redeem) { request, context, chrome in
                try await redeem(request, context, chrome, fields: try await form(request, context))
            }
        }
    }

    /// The clerk's screen, phone-sized: type the winner's code, see the prize, redeem it once. A clerk redeems as
    /// their store; an admin names the store.
    func redeemPage(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, form: [String: String] = [:],
                    errors: [String: String] = [:], prize: [String: Any]? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        var values: [String: Any] = ["form": form, "errors": errors, "chooseStore": context.identity?.storeId == nil]
        if let prize { values["prize"] = prize }
        return views.page("redeem", title: views.text("redeemTitle", chrome.language), values: values, chrome: chrome, status: status)
    }

    func redeem(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        let kept = fields.filter { ["redemptionCode", "store"].contains($0.key) }
        let user = context.identity!
        do {
            let code = try Actions.RedemptionCode(fields["redemptionCode"] ?? "")
            let storeID: StoreID
            if let own = user.storeId {
                storeID = StoreID(rawValue: own)
            } else {
                guard let named = try Self.storeID(fields["store"] ?? "") else {
                    throw InputError("store", "must be a store's id, a positive number (got '')")
                }
                storeID = named
            }
            let actions = actions(context)
            let facts = try await actions.redemption(code)
            var prize = prizeView(facts, code: code, chrome: chrome)
            if user.storeId == nil { prize["store"] = storeID.rawValue }
            guard fields["step"] == "redeem", facts.redeemedAt == nil else {
                if facts.redeemedAt != nil { prize["already"] = true } else { prize["ready"] = true }
                return try await redeemPage(request, context, chrome, form: kept, prize: prize)
            }
            do {
                let redemption = try await actions.redeem(code, store: storeID)
                prize["done"] = true
                prize["redeemedAt"] = views.time.minute(redemption.at)
                prize["redeemedBy"] = redemption.store.rawValue
                prize["state"] = "redeemed"
                return try await redeemPage(request, context, chrome, prize: prize, status: .created)
            } catch is ConflictError {
                // Redeemed at another till between the check and now: shown as it stands.
                var now = prizeView(try await actions.redemption(code), code: code, chrome: chrome)
                now["already"] = true
                return try await redeemPage(request, context, chrome, form: kept, prize: now, status: .conflict)
            }
        } catch let error as InputError {
            return try await redeemPage(request, context, chrome, form: kept, errors: [error.field: views.say(error, chrome.language)], status: .badRequest)
        } catch let error as NotFoundError {
            return try await redeemPage(request, context, chrome, form: kept, errors: [error.field: views.say(error, chrome.language)], status: .notFound)
        }
    }

    func prizeView(_ facts: RedemptionFacts, code: Actions.RedemptionCode, chrome: ConsoleViews.Chrome) -> [String: Any] {
        let tiers = facts.definition.tiers
        var prize: [String: Any] = [
            "name": facts.tier.flatMap { $0 < tiers.count ? tiers[$0].name : nil } ?? facts.definition.name, "campaign": facts.definition.name,
            "code": facts.code, "redemptionCode": code.text, "state": facts.redeemedAt == nil ? "ready" : "redeemed",
        ]
        if let at = facts.redeemedAt { prize["redeemedAt"] = views.time.minute(at) }
        if let by = facts.redeemedBy { prize["redeemedBy"] = by.rawValue }
        return prize
    }
}

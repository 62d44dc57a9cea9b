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

/// Code lookup and blacklisting.
extension ConsoleController {
    func registerCodes(on console: RouterGroup<ConsoleContext>) {
        console.get("codes") { request, context in
            try await page(request, context, .codes) { request, context, chrome in
                try await codes(request, context, chrome, query: request.uri.queryParameters.get("q") ?? "")
            }
        }
        console.post("codes/blacklist") { request, context in
            try await page(request, context, .codes, task: .blacklist) { request, context, chrome in
                try await blacklist(request, context, chrome, fields: try await form(request, context))
            }
        }
    }

    /// A code typed or pasted (or a URL ending in one): its state, batch and product, place in the channel,
    /// every scan, its draws with their claims and redemptions; an issuer may blacklist it from here.
    func codes(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, query: String, form: [String: String] = [:],
               errors: [String: String] = [:], notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        var values: [String: Any] = ["q": query, "form": form, "errors": errors]
        let typed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        if !typed.isEmpty {
            let report = try await CodeLookup(store: store, signer: signer).report(String(typed.prefix(500)))
            var shown: [String: Any] = [
                "code": report.code, "verdict": report.verdict, "verdictLabel": views.text("lookup_\(report.verdict)", language),
            ]
            if let reason = report.reason { shown["reason"] = reason }
            if let batch = report.batch {
                shown["batch"] = ["id": batch.id.rawValue, "lot": batch.lot ?? "", "status": views.text("status_\(batch.status.rawValue)", language),
                                  "sequence": report.sequence ?? 0]
            }
            if let product = report.product {
                shown["product"] = ["name": (language == .zh ? product.nameZh : product.nameEn) ?? product.name].merging(Self.present(["gtin": product.gtin?.digits])) { a, _ in a }
            }
            shown["packedIn"] = (report.packedIn ?? []).map { ["kind": $0.kind.words, "code": $0.code] }
            if let holds = report.holds { shown["holds"] = holds }
            if let shipped = report.shippedTo {
                shown["shipped"] = "\(shipped.dealer) (\(shipped.territory.joined(separator: ", "))) · \(views.time.minute(shipped.at))"
                    + (shipped.store.map { " → \($0)" } ?? "")
            }
            if let wrong = report.wrongPins { shown["pins"] = "\(wrong)" + (report.pinLockedAt.map { " · locked \(views.time.minute($0))" } ?? "") }
            if let key = report.key, report.batch != nil {
                let scans = try await store.scans(of: key, limit: 200).reversed().map { scan -> [String: Any] in
                    ["at": views.time.minute(scan.at), "verdict": views.text("verdict_\(scan.verdict.rawValue)", language), "region": scan.region ?? "",
                     "consumer": scan.consumer ?? ""]
                }
                let draws = try await store.draws(of: key).map { draw -> [String: Any] in
                    ["at": views.time.minute(draw.entry.at), "campaign": draw.campaignName,
                     "result": draw.entry.prize ?? draw.entry.result.rawValue, "claimed": draw.claimedAt.map(views.time.minute) ?? "",
                     "redeemed": draw.redeemedAt.map { views.time.minute($0) + (draw.redeemedBy.map { " · \($0)" } ?? "") } ?? ""]
                }
                shown["issued"] = true
                values["scans"] = Array(scans)
                values["hasScans"] = !scans.isEmpty
                values["draws"] = draws
                values["hasDraws"] = !draws.isEmpty
                values["mayBlacklist"] = chrome.may(.blacklist) && report.verdict != "void"
            }
            values["report"] = shown
        }
        return views.page("codes", title: views.text("area_codes", language), values: values, chrome: chrome, notice: notice, status: status)
    }

    func blacklist(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        let code = fields["code"] ?? ""
        do {
            let reason = try Actions.BlacklistReason(fields["reason"] ?? "")
            guard case let .read(.valid(key, canonical)) = signer.read(typed: code) else {
                throw InputError("code", "must be one of this service's codes (got '\(code.prefix(40))')")
            }
            try await actions(context).blacklist(key, code: canonical, reason: reason)
            return try await codes(request, context, chrome, query: canonical, notice: views.text("blacklisted", chrome.language))
        } catch let error as InputError {
            return try await codes(request, context, chrome, query: code, form: ["reason": fields["reason"] ?? ""],
                                   errors: [error.field: views.say(error, chrome.language)], status: .badRequest)
        } catch let error as NotFoundError {
            return try await codes(request, context, chrome, query: code, errors: ["reason": views.say(error, chrome.language)], status: .notFound)
        }
    }
}

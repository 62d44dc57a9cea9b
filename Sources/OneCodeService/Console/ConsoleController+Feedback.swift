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

/// The feedback inbox: low ratings first, handled with a cause; causes by product.
extension ConsoleController {
    func registerFeedback(on console: RouterGroup<ConsoleContext>) {
        console.get("feedback") { request, context in try await page(request, context, .feedback) { try await feedback($0, $1, $2) } }
        console.post("feedback/:id/handle") { request, context in
            try await page(request, context, .feedback, task: .answerFeedback) { request, context, chrome in
                try await handleFeedback(request, context, chrome, id: try pathID(context), fields: try await form(request, context))
            }
        }
    }

    /// The service team's inbox: low ratings first, then newest; waiting ones unless all are asked; by product. Each is
    /// marked handled with a cause; the causes counted by product are what marketing reads.
    func feedback(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, errors: [String: String] = [:],
                  notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        let all = request.uri.queryParameters.get("show") == "all"
        let maxRating = request.uri.queryParameters.get("maxRating").flatMap { Int($0) }.flatMap { (1...5).contains($0) ? $0 : nil }
        let product = request.uri.queryParameters.get("product").flatMap { Int64($0) }
        let cases = try await store.feedbackInbox(all: all, maxRating: maxRating, product: product, limit: 200)
        let mayHandle = chrome.may(.answerFeedback)
        let products = try await store.products(), causes = try await store.feedbackCauses()
        return views.page("feedback", title: views.text("area_feedback", language), values: [
            "showAll": all, "errors": errors, "hasCases": !cases.isEmpty,
            "cases": cases.map { item -> [String: Any] in
                var values: [String: Any] = ["id": item.item.id, "rating": item.item.rating, "product": item.item.productName, "batch": item.item.batchId,
                                             "code": item.item.code, "at": views.time.minute(item.item.at), "handled": item.handledAt != nil,
                                             "mayHandle": mayHandle]
                values.merge(Self.present(["comment": item.item.comment, "cause": item.cause, "handledBy": item.handledBy,
                                           "handledAt": item.handledAt.map(views.time.minute)])) { _, b in b }
                return values
            },
            "ratings": [["value": "", "label": views.text("starsAny", language), "selected": maxRating == nil] as [String: Any]]
                + (1...5).map { ["value": "\($0)", "label": "\($0)★", "selected": maxRating == $0] as [String: Any] },
            "products": products.map { ["id": $0.id.rawValue, "name": (language == .zh ? $0.nameZh : $0.nameEn) ?? $0.name, "selected": $0.id.rawValue == product] as [String: Any] },
            "causes": causes.map { ["product": $0.productName, "cause": $0.cause, "count": $0.count] as [String: Any] }, "hasCauses": !causes.isEmpty,
        ], chrome: chrome, notice: notice, status: status)
    }

    func handleFeedback(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, fields: [String: String]) async throws -> Response {
        do {
            try await actions(context).handleFeedback(id, cause: try Actions.FeedbackCause(fields["cause"] ?? ""))
            return try await feedback(request, context, chrome, notice: views.text("feedbackHandled", chrome.language))
        } catch let error as InputError {
            return try await feedback(request, context, chrome, errors: ["form": views.say(error, chrome.language)], status: .badRequest)
        } catch let error as NotFoundError {
            return try await feedback(request, context, chrome, errors: ["form": views.say(error, chrome.language)], status: .notFound)
        }
    }
}

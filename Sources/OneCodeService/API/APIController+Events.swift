import Foundation
import Hummingbird
import OneCodeApplication
import NIOCore
import OneCodeStorage

extension APIController {
    /// The outbox and webhook deliveries, for operators (admin only).
    func registerEvents(_ api: RouterGroup<AppRequestContext>) {
        route(api, .get, "events") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            let fetched = try await store.events(after: try query.afterNumber(), limit: query.limit + 1)
            let events = fetched.prefix(query.limit)
            // Bodies are stored as the JSON receivers get; they are spliced in unchanged.
            let items = events.map { "{\"sequence\":\($0.sequence),\"event\":\($0.body)}" }.joined(separator: ",")
            let next = fetched.count > query.limit ? events.last.map { "\"\($0.sequence)\"" } ?? "null" : "null"
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "{\"items\":[\(items)],\"next\":\(next)}")))
        }
        route(api, .get, "tokens") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            return try Response.api(try Page(of: try await store.tokens(), query, key: \.id), status: .ok)
        }
        route(api, .delete, "tokens/:id") { _, context in
            let text = try context.parameters.require("id")
            guard let id = Int64(text) else { throw HTTPError(.badRequest, message: "id: must be a positive token id") }
            try await actions(context).revokeToken(id)
            return Response(status: .noContent)
        }
        route(api, .get, "audit") { request, context in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            let before = try query.afterNumber()
            let entries = try await store.auditLog(before: before == 0 ? nil : before, limit: query.limit + 1)
            return try Response.api(Page(fetched: entries, limit: query.limit) { String($0.id) }, status: .ok)
        }
        route(api, .get, "webhooks") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            let endpoints = try await store.webhookStatus().map(\.redacted)
            return try Response.api(try Page(rows: endpoints, query), status: .ok)
        }
        route(api, .post, "webhooks/retry") { request, context in
            let endpoint = request.uri.queryParameters.get("endpoint")
            return try Response.api(["requeued": try await actions(context).retryWebhooks(endpoint: endpoint)], status: .ok)
        }
    }
}

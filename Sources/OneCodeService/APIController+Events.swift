import Foundation
import Hummingbird
import NIOCore
import OneCodeStorage

extension APIController {
    /// The outbox and webhook deliveries, for operators (admin only).
    func registerEvents(_ api: RouterGroup<AppRequestContext>) {
        route(api, .get, "events", []) { request, _ in
            let after = request.uri.queryParameters.get("after", as: Int64.self) ?? 0
            guard after >= 0 else { throw HTTPError(.badRequest, message: "after: must be an event sequence number, 0 or more") }
            let limit = try limit(request, default: 100, maximum: 1000)
            let events = try await store.events(after: after, limit: limit)
            // Bodies are stored as the JSON receivers get; they are spliced in unchanged.
            let items = events.map { "{\"sequence\":\($0.sequence),\"event\":\($0.body)}" }.joined(separator: ",")
            let next = events.count == limit ? events.last.map { String($0.sequence) } ?? "null" : "null"
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "{\"events\":[\(items)],\"next\":\(next)}")))
        }
        route(api, .get, "webhooks", []) { _, _ in
            try Response.json(try await store.webhookStatus().map(\.redacted), status: .ok)
        }
        route(api, .post, "webhooks/retry", []) { request, _ in
            let endpoint = request.uri.queryParameters.get("endpoint")
            return try Response.json(["requeued": try await store.retryFailedDeliveries(endpoint: endpoint)], status: .ok)
        }
    }
}

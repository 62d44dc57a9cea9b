import Foundation
import HTTPTypes
import Hummingbird
import OneCodeDomain
import OneCodeStorage

extension APIController {
    struct LinkBody: Decodable {
        var gtin: String
        var lot: String?
        var type: String
        var href: String
        var title: String
        var language: String?
        var context: String?
        var `default`: Bool?
    }

    /// The resolver's links: `POST /api/links`, `GET /api/links[?gtin=]`, `DELETE /api/links/{id}` (issuer, marketing).
    func registerLinks(_ api: RouterGroup<AppRequestContext>) {
        route(api, .post, "links") { request, context in
            let body = try await decode(LinkBody.self, request, context)
            let link = try NewResolverLink(gtin: body.gtin, lot: body.lot, type: body.type, href: body.href, title: body.title, language: body.language,
                                           context: body.context, makeDefault: body.default ?? false)
            return try Response.api(try await store.addLink(link), status: .created)
        }
        route(api, .get, "links") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            let gtin = try request.uri.queryParameters.get("gtin").map { try GTIN(String($0), field: "gtin").digits }
            return try Response.api(try Page(of: try await store.links(gtin: gtin).sorted { $0.id < $1.id }, query, key: \.id), status: .ok)
        }
        route(api, .delete, "links/:id") { _, context in
            guard let id = Int64(try context.parameters.require("id")), id > 0 else { throw HTTPError(.badRequest, message: "id: must be a positive link id") }
            guard try await store.removeLink(id) else { throw HTTPError(.notFound, message: "id: no link \(id)") }
            return Response(status: .noContent)
        }
    }
}

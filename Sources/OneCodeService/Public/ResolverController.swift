import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import OneCodeDomain
import OneCodeGS1
import OneCodeStorage

/// The GS1 Digital Link resolver (GS1-Conformant Resolver Standard 1.2): an item's links by GS1 link
/// type, the default link, the linkset, and the resolver description. A resolution is not a scan: it
/// records nothing and is counted by link type only.
struct ResolverController: Sendable {
    let links: any LinkStore
    let catalog: any CatalogStore
    /// The public base URL: linksets' anchors and the Link header name the item there.
    let baseURL: String
    /// Resolutions by day and link type, for the report across nodes.
    var tally: ResolutionTally? = nil

    static let linksetType = "application/linkset+json"
    /// Where GS1 publishes the linkset's JSON-LD context (gs1/linkset's linksetContext.jsonld).
    static let context = "https://ref.gs1.org/standards/resolver/linkset-context"

    static func counter(_ linkType: String) -> Counter {
        Counter(label: "onecode_resolutions_total", dimensions: [("link_type", linkType)])
    }

    /// Counts a resolution of `linkType`: in this node's metrics, and by day for the report.
    func counted(_ linkType: String) {
        Self.counter(linkType).increment()
        tally?.count(linkType, at: Date())
    }

    func register(on router: Router<AppRequestContext>) {
        for path in ["/01/:gtin", "/01/:gtin/10/:lot"] {
            router.get(RouterPath(path)) { request, context in try await resolve(request, context) }
            router.head(RouterPath(path)) { request, context in try await resolve(request, context, head: true) }
        }
        for path in ["/01/:gtin", "/01/:gtin/10/:lot", "/01/:gtin/21/:serial", "/01/:gtin/10/:lot/21/:serial"] {
            router.on(RouterPath(path), method: .options) { _, _ in Self.options() }
        }
        router.get("/.well-known/gs1resolver") { _, _ in try description() }
    }

    /// Whether a request to a serialised item's path asks the resolver (a link type, or the linkset)
    /// rather than being a phone's scan.
    static func wantsResolution(_ request: Request) -> Bool {
        if let type = request.uri.queryParameters["linkType"], !type.isEmpty { return true }
        return request.headers[.accept].map { $0.contains(linksetType) } ?? false
    }

    /// The `Link` header every resolver answer carries: where the item's linkset is.
    static func linksetLink(_ anchor: String) -> String {
        "<\(anchor)?linkType=linkset>; rel=\"linkset\"; type=\"\(linksetType)\""
    }

    static func corsHeaders(_ headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = "*"
        headers[.accessControlAllowMethods] = "GET, HEAD, OPTIONS"
        headers[.accessControlAllowHeaders] = "Accept, Accept-Language"
        headers[.accessControlExposeHeaders] = "Link, Location"
    }

    static func options() -> Response {
        var headers: HTTPFields = [.allow: "GET, HEAD, OPTIONS", .cacheControl: "public, max-age=86400"]
        corsHeaders(&headers)
        return Response(status: .noContent, headers: headers)
    }

    /// Resolves the item the request names (its GS1 Digital Link read by `DigitalLinkMiddleware`).
    func resolve(_ request: Request, _ context: AppRequestContext, head: Bool = false) async throws -> Response {
        guard let link = context.digitalLink, let gtin = link.gtin else { throw HTTPError(.badRequest, message: "path: not a GS1 Digital Link URI") }
        let query = request.uri.queryParameters
        let asked = query["linkType"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let wantsLinkset = asked == "linkset" || asked == "all" || (asked == nil && request.headers[.accept].map { $0.contains(Self.linksetType) } ?? false)
        var path = Substring(request.uri.path)
        while path.last == "/" { path = path.dropLast() }  // a trailing slash is tolerated
        let anchor = baseURL + path
        var headers: HTTPFields = [:]
        Self.corsHeaders(&headers)
        headers[.link] = Self.linksetLink(anchor)
        let all = try await links.links(gtin: gtin)
        if wantsLinkset {
            counted("linkset")
            headers[.contentType] = Self.linksetType
            headers.append(HTTPField(name: .link, value: "<\(Self.context)>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\""))
            let body = try await linkset(all, lot: link.lot, serialised: link.serial != nil, anchor: anchor, gtin: gtin)
            return Response(status: .ok, headers: headers, body: head ? .init() : .init(byteBuffer: ByteBuffer(data: body)))
        }
        let linkType: String?
        do {
            linkType = try asked.map { try LinkType.normalised($0, field: "linkType") }
        } catch let error as InputError {
            throw HTTPError(.badRequest, headers: headers, message: error.description)
        }
        counted(linkType ?? "default")
        let resolution = Resolver.resolve(all, lot: link.lot, linkType: linkType, languages: Resolver.languages(request.headers[.acceptLanguage]),
                                          context: query["context"].map(String.init))
        switch resolution {
        case let .redirect(target):
            headers[.location] = Self.passingOn(query: request.uri.query, to: target.href)
            headers[.cacheControl] = "no-store"
            return Response(status: .temporaryRedirect, headers: headers)
        case let .choices(targets):
            headers[.contentType] = "text/html; charset=utf-8"
            let items = targets.map { target in
                "<li><a href=\"\(LandingPage.escape(target.href))\" hreflang=\"\(LandingPage.escape(target.language ?? ""))\">\(LandingPage.escape(target.title))</a></li>"
            }.joined()
            let page = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Choose a link</title></head><body><ul>\(items)</ul></body></html>"
            return Response(status: .multipleChoices, headers: headers, body: head ? .init() : .init(byteBuffer: ByteBuffer(string: page)))
        case .none:
            let what = linkType.map { "no \($0) link" } ?? "no default link"
            throw HTTPError(.notFound, headers: headers, message: "linkType: \(what) for \(link.elementString) (its linkset: \(anchor)?linkType=linkset)")
        }
    }

    /// The target with the request's query passed on, `linkType` and `context` left out (they were for the resolver).
    static func passingOn(query: String?, to href: String) -> String {
        let kept = (query ?? "").split(separator: "&").filter { part in
            let name = part.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return !name.isEmpty && name != "linkType" && name != "context"
        }
        guard !kept.isEmpty else { return href }
        return href + (href.contains("?") ? "&" : "?") + kept.joined(separator: "&")
    }


    /// The item's linkset (RFC 9264, GS1's linkset schema): each type's links from the most specific
    /// level that has it; a serialised item's default link is its scan page (this anchor).
    func linkset(_ all: [ResolverLink], lot: String?, serialised: Bool, anchor: String, gtin: String) async throws -> Data {
        var entry: [String: Any] = ["anchor": anchor]
        let product = try await catalog.products().first { $0.gtin?.digits == gtin }
        entry["itemDescription"] = product?.name ?? "GTIN \(gtin)"
        func object(_ link: ResolverLink) -> [String: Any] {
            var object: [String: Any] = ["href": link.href, "title": link.title]
            if let language = link.language { object["hreflang"] = [language] }
            if let context = link.context { object["context"] = [context] }
            return object
        }
        for type in Set(all.map(\.type)).sorted() {
            let chosen = Resolver.level(all, lot: lot) { $0.type == type }
            if !chosen.isEmpty { entry[LinkType.uri(type)] = chosen.map(object) }
        }
        if serialised {
            entry[LinkType.namespace + "defaultLink"] = [["href": anchor, "title": "Verify this item (\(product?.name ?? "GTIN \(gtin)"))"]]
        } else if let primary = Resolver.level(all, lot: lot, \.isDefault).first {
            entry[LinkType.namespace + "defaultLink"] = [object(primary)]
        }
        return try JSONSerialization.data(withJSONObject: ["linkset": [entry]], options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// The resolver description file (GS1-Conformant Resolver Standard, section on `/.well-known/gs1resolver`).
    func description() throws -> Response {
        let document: [String: Any] = [
            "name": "OneCode",
            "resolverRoot": baseURL,
            "supportedPrimaryKeys": ["01"],
            "supportedLinkType": LinkType.labels.keys.sorted().map { ["namespace": LinkType.namespace, "prefix": "gs1:", "profile": LinkType.uri($0)] },
            "linkTypeDefaultCanBeLinkset": true,
            "supportedContextValuesEnumerated": [String](),
            "contact": ["fn": "OneCode"],
        ]
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "public, max-age=3600"]
        Self.corsHeaders(&headers)
        return Response(status: .ok, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(data: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes]))))
    }
}

extension HTTPField.Name {
    /// RFC 8288's `Link` header: the linkset and the linkset's JSON-LD context.
    static let link = HTTPField.Name("Link")!
}

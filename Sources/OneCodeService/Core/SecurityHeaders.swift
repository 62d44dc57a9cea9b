import HTTPTypes
import Hummingbird

/// Headers every response carries, decided in one place: no MIME sniffing, no referrer beyond this
/// site, no framing; HTML gets a Content-Security-Policy that allows only this service's own resources;
/// anything that did not choose its caching is `no-store` (scan pages, claims, redemption codes,
/// contact replies, leads, consumer data and packages are personal or one-off).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// The policy of a scan page that shows a product's picture from `origin` (and nothing else from there).
    static func contentSecurityPolicy(imagesFrom origin: String) -> String {
        contentSecurityPolicy.replacingOccurrences(of: "img-src 'self' data:;", with: "img-src 'self' data: \(origin);")
    }

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            Self.apply(&response.headers)
            return response
        } catch let error as any HTTPResponseError {
            // Error responses get the same headers.
            throw HeaderedError(base: error)
        }
    }

    /// The headers every response carries. The scan page starts its header literal from these (its hot
    /// path then skips `apply`); the middleware adds them to every other response.
    static let common: HTTPFields = [.xContentTypeOptions: "nosniff", .referrerPolicy: "same-origin", .xFrameOptions: "DENY"]

    static func apply(_ headers: inout HTTPFields) {
        if headers[.xFrameOptions] != nil { return }  // made from `common` where the response was made
        headers.append(contentsOf: common)
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
        if headers[.contentType]?.hasPrefix("text/html") == true { headers[.contentSecurityPolicy] = contentSecurityPolicy }
    }

    /// An error response with the security headers added.
    struct HeaderedError: HTTPResponseError {
        let base: any HTTPResponseError
        var status: HTTPResponse.Status { base.status }
        func response(from request: Request, context: some RequestContext) throws -> Response {
            var response = try base.response(from: request, context: context)
            SecurityHeadersMiddleware.apply(&response.headers)
            return response
        }
    }
}

/// Refuses public POSTs from other sites: a page elsewhere must not claim a prize, rate an item or post
/// a location with the visitor's cookie. A request is accepted when the browser says it is same-origin
/// (`Sec-Fetch-Site: same-origin` or `none`), or its `Origin` is the service's public base URL or the
/// host it was sent to; requests with neither header (non-browser clients, older browsers without
/// `Origin` on same-site form posts) carry no cross-site risk from a browser and are accepted.
struct SameOriginCheck: Sendable {
    /// The public base URL's origin, such as `https://q.example.com`.
    let origin: String?

    init(baseURL: String) {
        var origin: String?
        if let scheme = baseURL.range(of: "://") {
            let rest = baseURL[scheme.upperBound...]
            let host = rest.prefix { $0 != "/" }
            origin = baseURL[..<scheme.upperBound].lowercased() + host.lowercased()
        }
        self.origin = origin
    }

    /// - Throws: 403 for a cross-site request.
    func check(_ request: Request) throws {
        if let site = request.headers[.secFetchSite]?.lowercased(), site != "same-origin", site != "none" {
            throw HTTPError(.forbidden, message: "origin: cross-site requests are refused; use the page this service shows")
        }
        guard let given = request.headers[.origin]?.lowercased() else { return }
        if given == origin { return }
        if let host = request.head.authority?.lowercased(), given == "https://" + host || given == "http://" + host { return }
        throw HTTPError(.forbidden, message: "origin: requests from \(given) are refused; use the page this service shows")
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let secFetchSite = Self("Sec-Fetch-Site")!
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OneCodeDomain
import OneCodeStorage
import Synchronization

/// Maps errors to HTTP responses in one place, with one body everywhere:
/// `{"error": {"code": "invalid", "message": "count: must be …", "field": "count"}}`. Bad input is a 400
/// and a missing entity a 404, each naming the field; a conflict (taken already: a claim, a rating, a
/// GTIN) a 409; anything unexpected a 500 whose details stay in
/// the log. Under `/api`, a path no route has is a JSON 404 and a route asked with another method a 405
/// with `Allow`.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// The API's routes of this router (nil where there is no API), for 405's `Allow`.
    var routes: APIRouteTable? = nil
    /// The brand on the page a phone gets for a path that is no page (nil: no such page, as on the metrics port).
    var brand: Brand? = nil

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            if error.status == .notFound && error.body == nil && request.uri.path.hasPrefix("/api") {
                let methods = routes?.methods(for: request.uri.path) ?? []
                if !methods.isEmpty {
                    throw APIError(.methodNotAllowed, code: "method_not_allowed",
                                   message: "\(request.method.rawValue) is not a method of \(request.uri.path); it takes \(methods.joined(separator: ", "))",
                                   headers: [.allow: methods.joined(separator: ", ")])
                }
                throw APIError(.notFound, code: "not_found", message: "no API route \(request.method.rawValue) \(request.uri.path); README lists them")
            }
            // A phone that opens a path that is no page (`/s/`, a mistyped link) gets a page in its
            // language with the way to the code-entry page, not an empty answer.
            if error.status == .notFound && error.body == nil, let brand, !request.wantsJSON {
                let answer = FormAnswer(language: LandingPage.language(request.headers[.acceptLanguage]), path: "/", brand: brand)
                let strings = answer.strings
                return answer.page(status: .notFound, heading: strings["notFound"]!,
                                   body: "<p>\(LandingPage.escape(strings["notFound.body"]!))</p>", id: "not-found", back: strings["notFound.link"]!)
            }
            guard let message = error.body else { throw error }
            throw APIError(error.status, code: APIError.code(for: error.status), message: message, headers: error.headers)
        } catch let error as any HTTPResponseError {
            throw error
        } catch let error as InputError {
            throw APIError(.badRequest, code: "invalid", message: error.description, field: error.field)
        } catch let error as NotFoundError {
            throw APIError(.notFound, code: "not_found", message: error.description, field: error.field)
        } catch let error as ConflictError {
            throw APIError(.conflict, code: "conflict", message: error.description, field: error.field)
        } catch {
            // The route's template, never the path: a path holds a code or a consumer id.
            context.logger.error("request failed", metadata: ["error": "\(error)", "route": "\(context.endpointPath ?? "(no route)")"])
            throw APIError(.internalServerError, code: "internal", message: "internal error; the details are in the server log")
        }
    }
}

/// The one error body: `{"error": {"code": …, "message": …, "field": …}}` (`field` is null when the error
/// is not about one; a message "field: …" names it).
struct APIError: HTTPResponseError, Sendable {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    let field: String?
    let headers: HTTPFields

    init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        // "count: must be …" names its field.
        if let field {
            self.field = field
        } else if let colon = message.firstIndex(of: ":"), message[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || ".[]_-".contains($0) }),
                  !message[..<colon].isEmpty {
            self.field = String(message[..<colon])
        } else {
            self.field = nil
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "invalid"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 410: "gone"
        case 413: "too_large"
        case 415: "unsupported_media_type"
        case 429: "too_many_requests"
        case 503: "unavailable"
        default: status.code >= 500 ? "internal" : "error"
        }
    }

    struct Body: Encodable {
        struct Inner: Encodable {
            var code: String
            var message: String
            var field: String?
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(code, forKey: .code)
                try container.encode(message, forKey: .message)
                try container.encode(field, forKey: .field)  // null, not absent
            }
            enum CodingKeys: String, CodingKey { case code, message, field }
        }
        var error: Inner
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(Body(error: .init(code: code, message: message, field: field)))
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The API routes one router registered: "METHOD /api/path" → the scopes each accepts besides `admin`.
/// One table a router (`APIController.route` fills it), so apps built side by side share nothing.
final class APIRouteTable: Sendable {
    private let entries = Mutex<[String: Set<TokenScope>]>([:])

    func add(_ method: HTTPRequest.Method, _ path: String, _ scopes: Set<TokenScope>) {
        entries.withLock { $0["\(method.rawValue) \(path)"] = scopes }
    }

    var all: [String: Set<TokenScope>] { entries.withLock { $0 } }

    /// The methods routes with `path`'s shape answer (a `{parameter}` matches any one segment).
    func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return all.keys.compactMap { key -> String? in
            let pieces = key.split(separator: " ", maxSplits: 1).map(String.init)
            guard pieces.count == 2 else { return nil }
            let pattern = pieces[1].split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            guard pattern.count == parts.count else { return nil }
            for (want, have) in zip(pattern, parts) where !(want.hasPrefix("{") && want.hasSuffix("}")) && want.lowercased() != have.lowercased() {
                return nil
            }
            return pieces[0]
        }.sorted()
    }
}

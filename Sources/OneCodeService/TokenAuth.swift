import Crypto
import Foundation
import Hummingbird
import OneCodeDomain
import OneCodeStorage

/// Admin API tokens: `oc_` and 32 random bytes in base32; only their SHA-256 is stored.
public enum TokenAuth {
    /// A new token's text (shown once) and the hash to store.
    public static func generate() -> (text: String, hash: [UInt8]) {
        let text = "oc_" + String(decoding: Crockford.random(52), as: UTF8.self)
        return (text, hash(text))
    }

    public static func hash(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }
}

/// Refuses `/api` requests without a valid bearer token (401); the route then checks its scope (403).
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: any TokenStore

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "authorization: send 'Authorization: Bearer <token>' (see `onecode token create`)")
        }
        let text = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard text.utf8.count <= 128, let token = try await store.token(hash: TokenAuth.hash(text)) else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""], message: "authorization: unknown token")
        }
        var context = context
        context.token = token
        return try await next(request, context)
    }
}

extension AppRequestContext {
    /// - Throws: 403 unless the request's token has one of `scopes` (or `admin`).
    func require(_ scopes: Set<TokenScope>) throws {
        guard let token else { throw HTTPError(.unauthorized, message: "authorization: missing token") }
        guard token.scope == .admin || scopes.contains(token.scope) else {
            let names = (scopes.map(\.rawValue) + ["admin"]).sorted().joined(separator: ", ")
            throw HTTPError(.forbidden, message: "scope: this route needs one of \(names); the token has \(token.scope.rawValue)")
        }
    }
}

import Crypto
import Foundation
import Hummingbird
import OneCodeDomain
import OneCodeApplication
import OneCodeStorage

/// Refuses `/api` requests without a valid bearer token (401); the route then checks its scope (403).
///
/// Failed authentications are throttled per client address: after `failures.burst` of them, that
/// address's failures get 429 until the bucket refills. A valid token always passes: failures sent
/// "from" a victim's address (a forged header, a shared NAT) never lock its owner out, and tokens
/// (260 random bits) are not guessed by trying faster.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: any TokenStore
    /// `perMinute` failures in a burst, then one more every 60/`perMinute` seconds (0: no limit).
    let failures: RateLimiter

    let uptime: @Sendable () -> UInt64

    /// - Parameter uptime: the throttle's clock (`ServiceDependencies.uptime`, which holds its default).
    init(store: any TokenStore, failuresPerMinute: Double, uptime: @escaping @Sendable () -> UInt64) {
        self.store = store
        failures = RateLimiter(rate: failuresPerMinute / 60, burst: max(1, failuresPerMinute))
        self.uptime = uptime
    }

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        let client = IPAddress.bucketKey(context.clientAddress)
        func refuse(_ headers: HTTPFields, _ message: String) -> HTTPError {
            let now = uptime()
            if let wait = failures.waitBeforeNext(client, now: now) {
                context.logger.warning("authentication throttled", metadata: ["client": "\(IPAddress.stored(context.clientAddress, truncate: true) ?? "unknown")"])
                return HTTPError(.tooManyRequests, headers: [.retryAfter: String(max(1, Int(wait.rounded(.up))))],
                                 message: "authorization: too many failed attempts from this address; retry later")
            }
            _ = failures.take(client, now: now)
            // The address truncated whatever privacy.truncateIP says: enough to see a pattern, not a person.
            context.logger.warning("authentication failed", metadata: [
                "client": "\(IPAddress.stored(context.clientAddress, truncate: true) ?? "unknown")", "reason": "\(message)",
            ])
            return HTTPError(.unauthorized, headers: headers, message: message)
        }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw refuse([.wwwAuthenticate: "Bearer"], "authorization: send 'Authorization: Bearer <token>' (see `onecode token create`)")
        }
        let text = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard text.utf8.count <= 128, let token = try await store.token(hash: TokenSecret.hash(text)) else {
            throw refuse([.wwwAuthenticate: "Bearer error=\"invalid_token\""], "authorization: unknown token")
        }
        // Last use to the minute: a write at most once a minute per token, not one per request.
        let now = Date()
        if token.lastUsedAt.map({ now.timeIntervalSince($0) >= 60 }) ?? true {
            do { try await store.touchToken(token.id, at: now) } catch {
                context.logger.warning("cannot record a token's last use", metadata: ["token": "\(token.id)", "error": "\(error)"])
            }
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

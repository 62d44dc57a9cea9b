import Crypto
import Foundation
import Hummingbird
import HummingbirdAuth
import NIOCore
import OneCodeApplication
import OneCodeDomain
import OneCodeStorage

/// What a console session holds: who signed in and when, and the token every form of the session carries.
struct ConsoleSession: Codable, Sendable {
    var user: Int64
    var signedInAt: Date
    /// The CSRF token: every form posts it back; a post without it is refused.
    var csrf: String
    /// The password was right and the second factor's code is still to come: the session signs no one in yet.
    var secondFactorPending: Bool?

    /// How long a session waiting for its second factor lasts.
    static let secondFactorSeconds = 300

    init(user: Int64, signedInAt: Date, secondFactorPending: Bool = false) {
        self.user = user
        self.signedInAt = signedInAt
        csrf = ConsoleSession.randomToken()
        self.secondFactorPending = secondFactorPending ? true : nil
    }

    /// 200 random bits, as 40 Crockford symbols (as tokens' secrets are made).
    static func randomToken() -> String { String(decoding: Crockford.random(40), as: UTF8.self) }

    /// Whether a form brought the token it was given (compared as tags are, in constant time); never for an empty one.
    static func same(_ given: String, _ expected: String) -> Bool {
        !expected.isEmpty && equalInConstantTime(Array(given.utf8), Array(expected.utf8))
    }
}

/// hummingbird-auth's sessions kept in OneCode's database (`SessionStore`), so every node knows every
/// session. The store sees a SHA-256 of each session id, never the id: a copy of the database signs no one in.
struct StoreSessionDriver: PersistDriver {
    let store: any SessionStore

    static func keyHash(_ key: String) -> [UInt8] { Array(SHA256.hash(data: Data(key.utf8))) }

    func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        do {
            try await store.putSession(keyHash: Self.keyHash(key), data: Self.encode(value), expiresAt: Self.date(expires ?? .seconds(43_200)), create: true)
        } catch is ConflictError {
            throw PersistError.duplicate
        }
    }

    func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        try await store.putSession(keyHash: Self.keyHash(key), data: Self.encode(value), expiresAt: expires.map(Self.date), create: false)
    }

    func get<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> Object? {
        try await getWithTTL(key: key, as: Object.self)?.object
    }

    func getWithTTL<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        let now = Date()
        guard let (data, expiresAt) = try await store.session(keyHash: Self.keyHash(key), now: now) else { return nil }
        do {
            let object = try JSONDecoder().decode(Object.self, from: Data(data.utf8))
            return (object, .seconds(max(0, expiresAt.timeIntervalSince(now))))
        } catch {
            throw PersistError.invalidConversion
        }
    }

    func remove(key: String) async throws {
        try await store.removeSession(keyHash: Self.keyHash(key))
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func date(_ duration: Duration) -> Date {
        Date().addingTimeInterval(Double(duration.components.seconds))
    }
}

/// The console's request context: the parent's, with the session and the signed-in user.
struct ConsoleContext: ChildRequestContext, SessionRequestContext, AuthRequestContext {
    var coreContext: CoreRequestContextStorage
    let sessions = SessionContext<ConsoleSession>()
    var identity: ConsoleUser?
    /// The client's address (a trusted proxy's word for it, as on the parent).
    let clientAddress: SocketAddress?

    init(context: AppRequestContext) throws {
        coreContext = context.coreContext
        clientAddress = context.clientAddress
    }

    /// Forms are small; a batch's options at most.
    var maxUploadSize: Int { 64 * 1024 }
}

/// Finds who a session is for: ends it past its absolute lifetime or when its user is gone, and moves its
/// idle expiry on (a write at most once a minute per session, not one per page).
struct ConsoleIdentityMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext
    let users: any UserStore
    let idleSeconds: Int
    let sessionSeconds: Int

    func handle(_ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response) async throws -> Response {
        var context = context
        if let session = context.sessions.session {
            if session.secondFactorPending == true {
                // Half signed in: nobody's identity; gone after a few minutes.
                if Date().timeIntervalSince(session.signedInAt) >= Double(ConsoleSession.secondFactorSeconds) { context.sessions.clearSession() }
            } else if Date().timeIntervalSince(session.signedInAt) >= Double(sessionSeconds) {
                context.sessions.clearSession()
            } else if let user = try await users.user(id: session.user) {
                context.identity = user
                context.sessions.withLockedSession { data in
                    if let left = data?.expiresIn, left < .seconds(idleSeconds - 60) { data?.expiresIn = .seconds(idleSeconds) }
                }
            } else {
                context.sessions.clearSession()
            }
        }
        return try await next(request, context)
    }
}

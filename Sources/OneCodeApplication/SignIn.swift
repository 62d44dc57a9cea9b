import Foundation
import HummingbirdBcrypt
import NIOPosix
import OneCodeDomain
import OneCodeStorage

/// Signing in to the console, written once: the throttle (per account and per address, counted in the
/// database so every node refuses alike), the password check (bcrypt, off the event loops), and the audit
/// entry of a sign-in. The console's routes keep the session; this decides who it is for.
public struct SignIn: Sendable {
    /// Failed sign-ins an account may have in `window` before it is refused: a guesser gets five tries
    /// per quarter hour, whichever address they come from.
    public static let accountLimit = 5
    /// Failed sign-ins an address may have in `window`, over any accounts: one address trying many names.
    public static let addressLimit = 20
    public static let window: TimeInterval = 15 * 60

    public enum Outcome: Sendable, Equatable {
        case signedIn(ConsoleUser)
        /// The password was right and the user has a second factor: its code is asked next (`confirm`).
        case secondFactor(ConsoleUser)
        /// No such user, or the wrong password: the two are not told apart.
        case refused
        /// Too many failures; try again after `retryAfter` seconds.
        case throttled(retryAfter: Int)
    }

    let store: any UserStore & SessionStore
    let factor: SecondFactor

    public init(store: any UserStore & SessionStore, factor: SecondFactor) {
        self.store = store
        self.factor = factor
    }

    /// Checks `password` for `name` from `address` (as stored: truncated when privacy asks).
    public func attempt(name: String, password: String, address: String, now: Date = Date()) async throws -> Outcome {
        let account = name.trimmingCharacters(in: .whitespaces).lowercased()
        let failures = try await store.signInFailures(account: account, address: address, since: now.addingTimeInterval(-Self.window))
        if failures.account >= Self.accountLimit || failures.address >= Self.addressLimit {
            return .throttled(retryAfter: Int(Self.window))
        }
        let found = account.utf8.count <= 64 ? try await store.user(named: account) : nil
        // An unknown name costs the same bcrypt as a known one: the time does not tell which names exist.
        // (The unknown name's hash is made at the first sign-in, a bcrypt of its own: on the same threads.)
        let known = found?.passwordHash
        let matches = password.utf8.count <= 72
            ? try await Passwords.threads.runIfActive { Bcrypt.verify(password, hash: known ?? Self.unknownUserHash) } : false
        guard let user = found?.user, matches else {
            // Kept a day (the throttle reads a quarter of an hour; the rest is for someone looking into an attack).
            try await store.recordSignInFailure(account: account, address: address, at: now, forgetBefore: now.addingTimeInterval(-86_400))
            return .refused
        }
        if try await store.secondFactor(of: user.id) != nil { return .secondFactor(user) }
        try await store.signedIn(account: account, audit: AuditEntry(.user(id: user.id, name: user.name), "user.signin", subject: "user",
                                                                     id: String(user.id), detail: address))
        return .signedIn(user)
    }

    /// The second step for a user whose password was right (`.secondFactor`): `code` from their authenticator,
    /// throttled and counted as a password is; each code signs in once.
    public func confirm(user: ConsoleUser, code: String, address: String, now: Date = Date()) async throws -> Outcome {
        let failures = try await store.signInFailures(account: user.name, address: address, since: now.addingTimeInterval(-Self.window))
        if failures.account >= Self.accountLimit || failures.address >= Self.addressLimit {
            return .throttled(retryAfter: Int(Self.window))
        }
        // A factor removed meanwhile (reset on the command line) signs no one in here: they sign in again.
        guard let sealed = try await store.secondFactor(of: user.id),
              let step = SecondFactor.step(of: code, secret: try factor.open(sealed), at: now),
              try await store.useSecondFactorStep(of: user.id, step: step) else {
            try await store.recordSignInFailure(account: user.name, address: address, at: now, forgetBefore: now.addingTimeInterval(-86_400))
            return .refused
        }
        try await store.signedIn(account: user.name, audit: AuditEntry(.user(id: user.id, name: user.name), "user.signin", subject: "user",
                                                                       id: String(user.id), detail: "\(address), second factor"))
        return .signedIn(user)
    }

    /// A hash no password is known for, at the users' cost.
    static let unknownUserHash = Bcrypt.hash(UUID().uuidString, cost: Actions.NewUser.bcryptCost)
}

/// Where bcrypt runs: a quarter second or more of a core per password, on threads of its own. Not on Swift's
/// cooperative threads (as many as cores: every request waits for them), nor on NIO's shared blocking pool (the
/// service reads files for downloads there: a burst of sign-ins, or an attack on them, held package downloads
/// back for longer than a client waits). Two threads: sign-ins take turns beyond that.
enum Passwords {
    static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()
}

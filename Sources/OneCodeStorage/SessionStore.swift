import Foundation
import OneCodeDomain

/// What the console's sign-in keeps in the database, so every node knows it: sessions, by a hash of their
/// id (the id itself is only in the browser's cookie), and failed sign-ins, for throttling by account and by
/// address on every node at once.
public protocol SessionStore: Sendable {
    /// Stores a session's data. `create`: a new id only (`ConflictError` when it exists, which 256 random bits
    /// never do). Otherwise: with `expiresAt`, inserted or replaced; without, the stored one's data replaced and its
    /// expiry kept (nothing when there is none). Expired sessions are removed whenever one is inserted.
    func putSession(keyHash: [UInt8], data: String, expiresAt: Date?, create: Bool) async throws
    /// A session's data and expiry; nil when there is none or it has expired by `now`.
    func session(keyHash: [UInt8], now: Date) async throws -> (data: String, expiresAt: Date)?
    func removeSession(keyHash: [UInt8]) async throws
    /// Records a failed sign-in; failures before `forgetBefore` are removed on the way.
    func recordSignInFailure(account: String, address: String, at: Date, forgetBefore: Date) async throws
    /// Failed sign-ins since `since`: for the account (on any address) and from the address (for any account).
    func signInFailures(account: String, address: String, since: Date) async throws -> (account: Int, address: Int)
    /// A sign-in succeeded: forgets the account's failures and appends `audit`, in one transaction.
    func signedIn(account: String, audit: AuditEntry) async throws
}

import Foundation
import OneCodeDomain

/// What a console user may see and do: the API's scopes, and a store's clerk (bound to one store).
public enum ConsoleRole: String, Sendable, Codable, CaseIterable {
    case admin, issuer, marketing, sales, service, clerk

    /// The role a stored row names (the schema admits only these). - Throws when it names another.
    public static func stored(_ text: String) throws -> ConsoleRole {
        guard let role = ConsoleRole(rawValue: text) else { throw InputError("role", "the database holds an unknown role '\(text)'") }
        return role
    }
}

/// A person who signs in to the console. Only a bcrypt hash of the password is stored.
public struct ConsoleUser: Sendable, Codable, Equatable {
    public var id: Int64
    /// The login name, lower case.
    public var name: String
    public var role: ConsoleRole
    /// A clerk's store.
    public var storeId: Int64?
    public var createdAt: Date
    public init(id: Int64, name: String, role: ConsoleRole, storeId: Int64?, createdAt: Date) {
        self.id = id
        self.name = name
        self.role = role
        self.storeId = storeId
        self.createdAt = createdAt
    }
}

/// Console users.
public protocol UserStore: Sendable {
    /// Adds a user, `audit` (the id filled in) in the same transaction.
    /// - Throws: `ConflictError("name", …)` when the name is taken; `NotFoundError("store", …)` for a clerk's unknown store.
    func addUser(name: String, role: ConsoleRole, storeID: Int64?, passwordHash: String, audit: AuditEntry) async throws -> ConsoleUser
    /// Every user, in id order.
    func users() async throws -> [ConsoleUser]
    /// A user and the stored hash of their password, by login name (lower case); nil when there is none.
    func user(named name: String) async throws -> (user: ConsoleUser, passwordHash: String)?
    /// A user by id (a console session names one); nil when there is none.
    func user(id: Int64) async throws -> ConsoleUser?

    /// The user's second factor as stored: the sealed TOTP secret (`SecondFactor` opens it), nil when they have none.
    func secondFactor(of user: Int64) async throws -> [UInt8]?
    /// Sets (or with nil removes) the user's sealed TOTP secret, `audit` in the same transaction; the record of
    /// the last code used starts over. Returns false (and writes nothing) when there is no such user.
    func setSecondFactor(of user: Int64, sealed: [UInt8]?, audit: AuditEntry) async throws -> Bool
    /// Records that the code of time step `step` was used: true when it is later than every step used before,
    /// false when it (or a later one) was used already, so a code signs in once, on whichever node.
    func useSecondFactorStep(of user: Int64, step: Int64) async throws -> Bool
}

import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage

/// The application layer: each action staff take, written once. Input is checked here, with errors that
/// name the field; the rule runs in the store (the domain decides, storage persists); and one audit entry,
/// naming `actor`, is written in the action's own transaction. The command line, the admin API and the
/// console call these and repeat none of their checks.
public struct Actions: Sendable {
    public let store: any OneCodeStore
    /// Who acts: a user, a token, the command line.
    public let actor: AuditActor

    public init(store: any OneCodeStore, actor: AuditActor) {
        self.store = store
        self.actor = actor
    }

    // MARK: Products

    /// A product (checked by `NewProduct`: names, GTIN check digit, image URL).
    public func addProduct(_ product: NewProduct) async throws -> Product {
        try await store.addProduct(product, audit: AuditEntry(actor, "product.add", subject: "product", detail: product.name))
    }

    /// A product's names per language and image. - Throws: `NotFoundError("id", …)` when there is none.
    public func editProduct(_ id: Int64, _ change: ProductChange) async throws -> Product {
        guard id > 0 else { throw InputError("id", "must be a positive product id") }
        guard let product = try await store.updateProduct(ProductID(rawValue: id), change,
                                                          audit: AuditEntry(actor, "product.edit", subject: "product", id: String(id))) else {
            throw NotFoundError("id", "no product \(id); `onecode product list` shows them")
        }
        return product
    }

    // MARK: Batches and codes

    /// issued → active. - Throws: `InputError("id" | "status", …)`, `NotFoundError("id", …)`.
    public func activateBatch(_ id: Int64) async throws -> Batch { try await setStatus(.active, of: id, action: "batch.activate") }

    /// Void is final: every code of the batch is answered void from then on.
    public func voidBatch(_ id: Int64) async throws -> Batch { try await setStatus(.void, of: id, action: "batch.void") }

    private func setStatus(_ status: BatchStatus, of id: Int64, action: String) async throws -> Batch {
        guard id > 0 else { throw InputError("id", "must be a positive batch id") }
        return try await store.setStatus(status, of: BatchID(rawValue: id), audit: AuditEntry(actor, action, subject: "batch", id: String(id)))
    }

    /// One code is answered void from now on; `reason` (trimmed, 1 to 500 characters) is kept with it.
    /// - Returns: the reason as kept.
    @discardableResult
    public func blacklist(_ key: CodeKey, code: String, reason: BlacklistReason) async throws -> String {
        try await store.blacklist(key, reason: reason.text, audit: AuditEntry(actor, "code.blacklist", subject: "code", id: code, detail: reason.text))
        return reason.text
    }

    // MARK: Leads

    /// A page of leads to take away (a CSV or JSON-lines download): personal data leaving OneCode, audited as
    /// `leads.export` with what was asked and how many went. Reading leads page by page (the API's JSON, a
    /// sales tool's poll) is not an export.
    /// - Throws: `NotFoundError("segment", …)` for an unknown segment, `InputError("minScore", …)` outside 0-100.
    public func exportLeads(segment: SegmentID?, minScore: Double?, after: Int64, limit: Int, format: String) async throws -> LeadPage {
        let page = try await leads(segment: segment, minScore: minScore, after: after, limit: limit)
        try await auditExport(format: format, count: page.leads.count, segment: segment, minScore: minScore)
        return page
    }

    /// Every lead the filter selects, up to `cap`, as one file: audited once as `leads.export`, with the count.
    public func exportAllLeads(segment: SegmentID?, minScore: Double?, cap: Int, format: String) async throws -> [Lead] {
        var leads: [Lead] = [], after: Int64 = 0
        while leads.count < cap {
            let page = try await self.leads(segment: segment, minScore: minScore, after: after, limit: min(5000, cap - leads.count))
            leads += page.leads
            after = page.cursor
            if !page.more { break }
        }
        try await auditExport(format: format, count: leads.count, segment: segment, minScore: minScore)
        return leads
    }

    private func auditExport(format: String, count: Int, segment: SegmentID?, minScore: Double?) async throws {
        var asked = "\(format), \(count) leads"
        if let segment { asked += ", segment \(segment)" }
        if let minScore { asked += ", score at least \(minScore)" }
        try await store.record(AuditEntry(actor, "leads.export", subject: "leads", detail: asked))
    }

    /// A page of leads, filtered, after a cursor. - Throws as `exportLeads`.
    public func leads(segment: SegmentID?, minScore: Double?, after: Int64, limit: Int) async throws -> LeadPage {
        if let minScore, !(0...100).contains(minScore) { throw InputError("minScore", "must be from 0 to 100") }
        if let segment, try await store.segment(segment) == nil { throw NotFoundError("segment", "no segment with id \(segment)") }
        return try await store.leads(after: after, limit: limit, segment: segment, minScore: minScore)
    }

    // MARK: Feedback

    /// Marks a rating handled, with the cause service found (or none), audited as `feedback.handle`.
    /// - Throws: `NotFoundError("id", …)` when there is no such rating.
    public func handleFeedback(_ id: Int64, cause: FeedbackCause?) async throws {
        guard id > 0, try await store.handleFeedback(id, cause: cause?.text, by: actor.name,
                                                    audit: AuditEntry(actor, "feedback.handle", subject: "feedback", id: String(id), detail: cause?.text)) else {
            throw NotFoundError("id", "no rating \(id)")
        }
    }

    // MARK: Redemption

    /// Redeems a claimed prize at `store`, once (`CampaignBook.redeem`), audited as `prize.redeem`.
    /// - Throws: `NotFoundError("redemptionCode", …)` for a code no claim has; `ConflictError("redemptionCode", …)`
    ///   when it was redeemed already (saying where and when).
    public func redeem(_ code: RedemptionCode, store: StoreID) async throws -> Redemption {
        try await requireStore(store)
        return try await self.store.redeem(code.text, store: store, at: Date(), audit: AuditEntry(actor, "prize.redeem", subject: "redemption"))
    }

    /// What a clerk is shown before redeeming: the claimed prize and its redemption if it had one.
    /// - Throws: `NotFoundError("redemptionCode", …)` for a code no claim has.
    public func redemption(_ code: RedemptionCode) async throws -> RedemptionFacts {
        guard let facts = try await store.redemptionFacts(code.text) else { throw RedemptionRules.unknown }
        return facts
    }

    /// - Throws: `NotFoundError("store", …)` unless the store exists.
    private func requireStore(_ id: StoreID) async throws {
        guard try await store.stores().contains(where: { $0.id == id }) else {
            throw NotFoundError("store", "no store \(id); see `onecode store list`")
        }
    }

    // MARK: Tokens and stores

    /// An admin API token for `scope`; the secret is returned once (only its hash is stored).
    public func createToken(_ new: NewToken) async throws -> (token: APIToken, secret: String) {
        let secret = TokenSecret.generate()
        let token = try await store.createToken(name: new.name, scope: new.scope, hash: secret.hash,
                                                audit: AuditEntry(actor, "token.create", subject: "token", detail: "\(new.scope.rawValue): \(new.name)"))
        return (token, secret.text)
    }

    /// A token authenticates nothing from now on. - Throws: `NotFoundError("id", …)` when there is none.
    public func revokeToken(_ id: Int64) async throws {
        guard id > 0 else { throw InputError("id", "must be a positive token id") }
        guard try await store.revokeToken(id, audit: AuditEntry(actor, "token.revoke", subject: "token", id: String(id))) else {
            throw NotFoundError("id", "no token \(id) (`onecode token list` shows them)")
        }
    }

    /// Deliveries given up (after `webhooks.maxAttempts`) are queued again, of one endpoint or all; returns how many.
    public func retryWebhooks(endpoint: String?) async throws -> Int {
        try await store.retryFailedDeliveries(endpoint: endpoint, audit: AuditEntry(actor, "webhook.retry", subject: "webhook",
                                                                                   detail: endpoint.map(WebhookURL.redacted) ?? "every endpoint"))
    }

    /// A store that redeems prizes and confirms receipts, with its token (returned once).
    public func addStore(_ new: NewStore) async throws -> (store: Store, secret: String) {
        let secret = TokenSecret.generate()
        let created = try await store.addStore(name: new.name, region: new.region, tokenHash: secret.hash,
                                               audit: AuditEntry(actor, "store.add", subject: "store", detail: new.name))
        return (created, secret.text)
    }

    // MARK: Campaigns

    /// live ↔ paused, and to ended (final), as `CampaignStatus` allows.
    public func setCampaignStatus(_ status: CampaignStatus, of id: Int64) async throws -> Campaign {
        guard id > 0 else { throw InputError("id", "must be a positive campaign id") }
        let action = switch status {
        case .live: "campaign.resume"
        case .paused: "campaign.pause"
        case .ended: "campaign.end"
        default: "campaign.\(status.rawValue)"
        }
        return try await store.setStatus(status, of: CampaignID(rawValue: id), audit: AuditEntry(actor, action, subject: "campaign", id: String(id)))
    }

    /// A campaign from its definition (read by `CampaignDefinition.parse`, before anything is opened: unknown
    /// keys, syntax errors at their line and column), its scope naming only products and batches of the catalogue.
    public func createCampaign(_ definition: CampaignDefinition) async throws -> Campaign {
        try await store.createCheckedCampaign(definition, audit: AuditEntry(actor, "campaign.create", subject: "campaign", detail: definition.name))
    }

    /// A campaign's new definition, as `CampaignBook.edit` allows it.
    public func editCampaign(_ id: Int64, _ definition: CampaignDefinition) async throws -> Campaign {
        guard id > 0 else { throw InputError("id", "must be a positive campaign id") }
        return try await store.editCheckedCampaign(CampaignID(rawValue: id), definition,
                                                   audit: AuditEntry(actor, "campaign.edit", subject: "campaign", id: String(id), detail: definition.name))
    }

    // MARK: Segments

    /// A segment of consumers by `rule` (read by `SegmentRule.parse`); it fills on the next refresh.
    public func createSegment(name: String, rule: SegmentRule) async throws -> Segment {
        try await store.createSegment(name: name, rule: rule, audit: AuditEntry(actor, "segment.create", subject: "segment", detail: name))
    }

    /// Renames a segment and/or gives it a new rule (at least one of them).
    public func editSegment(_ id: Int64, name: String?, rule: SegmentRule?) async throws -> Segment {
        guard id > 0 else { throw InputError("id", "must be a positive segment id") }
        guard name != nil || rule != nil else { throw InputError("name", "give a name, rules or both") }
        return try await store.updateSegment(SegmentID(rawValue: id), name: name, rule: rule,
                                             audit: AuditEntry(actor, "segment.edit", subject: "segment", id: String(id), detail: name))
    }

    /// Deletes a segment and its members. - Throws: `NotFoundError("id", …)` when there is none.
    public func deleteSegment(_ id: Int64) async throws {
        guard try await store.deleteSegment(SegmentID(rawValue: id), audit: AuditEntry(actor, "segment.delete", subject: "segment", id: String(id))) else {
            throw NotFoundError("id", "no segment with id \(id)")
        }
    }

    // MARK: The channel

    /// A store's clerk, with their token (returned once).
    public func addClerk(_ new: NewClerk) async throws -> (clerk: Clerk, secret: String) {
        let secret = TokenSecret.generate()
        let clerk = try await store.addClerk(store: new.store, name: new.name, tokenHash: secret.hash,
                                             audit: AuditEntry(actor, "clerk.add", subject: "clerk", detail: "store \(new.store): \(new.name)"))
        return (clerk, secret.text)
    }

    // MARK: People

    /// A console user, their password kept as a bcrypt hash (cost `NewUser.bcryptCost`, computed on `Passwords.threads`).
    public func addUser(_ new: NewUser) async throws -> ConsoleUser {
        let password = new.password
        let hash = try await Passwords.threads.runIfActive { Bcrypt.hash(password, cost: NewUser.bcryptCost) }
        return try await store.addUser(name: new.name, role: new.role, storeID: new.store, passwordHash: hash,
                                       audit: AuditEntry(actor, "user.add", subject: "user", detail: "\(new.role.rawValue): \(new.name)"))
    }
}

// MARK: Requests, checked when made

// An action's input is checked where it is made, before anything is opened (a command line's mistake is
// named before the database is), and only there: the action takes the checked value.
extension Actions {
    /// A token to create: a name of 1 to 100 characters, an admin API scope (stores' and clerks' tokens come
    /// with them).
    // MARK: Consumers' data

    /// Everything stored about a consumer, as JSON; the export of personal data is audited (`consumer.export`).
    /// - Throws: `NotFoundError("id", …)` when nothing is stored about them.
    public func exportConsumer(_ id: String) async throws -> Data {
        let id = try Self.consumerID(id)
        guard let data = try await store.exportConsumer(id) else { throw NotFoundError("id", "nothing is stored about consumer \(id)") }
        try await store.record(AuditEntry(actor, "consumer.export", subject: "consumer", id: id))
        return data
    }

    /// Erases a consumer as OneCode's policy says, audited (`consumer.erase`) in the same transaction.
    /// - Throws: `NotFoundError("id", …)` when nothing is stored about them.
    public func eraseConsumer(_ id: String) async throws {
        let id = try Self.consumerID(id)
        guard try await store.forgetConsumer(id, policy: .standard, audit: AuditEntry(actor, "consumer.erase", subject: "consumer", id: id)) else {
            throw NotFoundError("id", "nothing is stored about consumer \(id)")
        }
    }

    /// A consumer id as given (the `oc_cid` cookie's value): 1 to 100 printable characters.
    static func consumerID(_ text: String) throws -> String {
        guard (1...100).contains(text.count), text.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
            throw InputError("id", "must be a consumer id (the oc_cid cookie's value, 1 to 100 printable characters)")
        }
        return text
    }

    // MARK: Second factor

    /// Turns on `user`'s second factor once they typed the current code of `secret` (only admins use one).
    public func enableSecondFactor(_ user: ConsoleUser, secret: String, code: String, factor: SecondFactor, now: Date = Date()) async throws {
        guard user.role == .admin else { throw InputError("role", "only admins use a second factor") }
        guard secret.utf8.count == 32, secret.utf8.allSatisfy({ Crockford.value(of: $0) != nil }) else {
            throw InputError("secret", "must be the 32-symbol secret this page gave (reload the page for a new one)")
        }
        guard let step = SecondFactor.step(of: code, secret: secret, at: now) else {
            throw InputError("code", "is not the authenticator's current code: six digits, from the account just added (is the phone's clock right?)")
        }
        guard try await store.setSecondFactor(of: user.id, sealed: try factor.seal(secret),
                                              audit: AuditEntry(actor, "user.secondFactor.enable", subject: "user", id: String(user.id), detail: user.name)) else {
            throw NotFoundError("user", "no user \(user.id)")
        }
        // The code just typed has been used.
        _ = try await store.useSecondFactorStep(of: user.id, step: step)
    }

    /// Turns off a user's second factor: in the console with a current code (`factor` and `code`), on the command
    /// line (`code` nil) for one whose phone is lost. - Throws: `NotFoundError("name", …)`, `InputError("code", …)`.
    public func disableSecondFactor(named name: String, code: String?, factor: SecondFactor?) async throws {
        guard let user = try await store.user(named: name.lowercased())?.user else { throw NotFoundError("name", "no user named \(name)") }
        guard let sealed = try await store.secondFactor(of: user.id) else {
            throw InputError("name", "\(user.name) has no second factor")
        }
        if let code {
            guard let factor, SecondFactor.step(of: code, secret: try factor.open(sealed)) != nil else {
                throw InputError("code", "is not the authenticator's current code (six digits)")
            }
        }
        _ = try await store.setSecondFactor(of: user.id, sealed: nil,
                                            audit: AuditEntry(actor, "user.secondFactor.disable", subject: "user", id: String(user.id), detail: user.name))
    }

    public struct NewToken: Sendable {
        public let name: String
        public let scope: TokenScope
        public init(name: String, scope: TokenScope) throws {
            self.name = try Name.validate(name, field: "name", maximum: 100)
            guard scope != .store else { throw InputError("scope", "a store's token comes with the store: use `onecode store add`") }
            guard scope != .clerk else { throw InputError("scope", "a clerk's token comes with the clerk: use `onecode clerk add --store S --name N`") }
            self.scope = scope
        }
    }

    /// A store to add: a name of 1 to 200 characters, optionally its ISO 3166 region.
    public struct NewStore: Sendable {
        public let name: String
        public let region: String?
        public init(name: String, region: String?) throws {
            self.name = try Name.validate(name, field: "name", maximum: 200)
            if let region, !NewBatch.isRegionCode(region) { throw InputError("region", "must be an ISO 3166 code such as CN or CN-31") }
            self.region = region
        }
    }

    /// A store's clerk to add.
    public struct NewClerk: Sendable {
        public let store: StoreID
        public let name: String
        public init(store: Int64, name: String) throws {
            self.name = try Name.validate(name, field: "name", maximum: 200)
            guard store > 0 else { throw InputError("store", "must be a positive store id") }
            self.store = StoreID(rawValue: store)
        }
    }

    /// A console user to add: a login name (3 to 64 of `a-z 0-9 . _ - @`, kept in lower case), a role, a store
    /// exactly when the role is `clerk`, and a password of 12 to 72 bytes (bcrypt reads no further).
    public struct NewUser: Sendable {
        public static let bcryptCost: UInt8 = 12
        public let name: String
        public let role: ConsoleRole
        public let store: Int64?
        let password: String
        public init(name: String, role: ConsoleRole, store: Int64?, password: String) throws {
            let name = name.trimmingCharacters(in: .whitespaces).lowercased()
            guard (3...64).contains(name.count), name.unicodeScalars.allSatisfy({ CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789._-@").contains($0) }) else {
                throw InputError("name", "must be 3 to 64 letters a-z, digits, '.', '_', '-' or '@' (got \(name.debugDescription))")
            }
            if role == .clerk {
                guard let store, store > 0 else { throw InputError("store", "a clerk belongs to a store: give its id (`onecode store list`)") }
            } else if store != nil {
                throw InputError("store", "only a clerk belongs to a store (the role is \(role.rawValue))")
            }
            guard password.utf8.count >= 12 else { throw InputError("password", "must be at least 12 characters") }
            guard password.utf8.count <= 72 else { throw InputError("password", "must be at most 72 bytes (bcrypt reads no further)") }
            self.name = name
            self.role = role
            self.store = store
            self.password = password
        }
    }

    /// Why a code is blacklisted: trimmed, 1 to 500 characters.
    /// A winner's redemption code as a clerk types it: read as loosely as scan codes (any case, spaces and
    /// dashes, I/L/O for 1/1/0).
    public struct RedemptionCode: Sendable {
        public let text: String
        public init(_ typed: String) throws {
            guard let code = Crockford.canonical(typed), (1...32).contains(code.count) else {
                throw InputError("redemptionCode", "must be the code shown to the winner (letters and digits)")
            }
            text = code
        }
    }

    /// What service found behind a rating, as a short tag marketing counts by product: trimmed, lower case,
    /// 1 to 40 characters, no line breaks.
    public struct FeedbackCause: Sendable {
        public let text: String
        public init?(_ typed: String) throws {
            let text = typed.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            if text.isEmpty { return nil }
            guard text.count <= 40, !text.contains(where: \.isNewline) else { throw InputError("cause", "must be a short tag of at most 40 characters on one line") }
            self.text = text
        }
    }

    public struct BlacklistReason: Sendable {
        public let text: String
        public init(_ reason: String) throws {
            text = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...500).contains(text.count) else { throw InputError("reason", "must be 1 to 500 characters") }
        }
    }
}

/// API tokens' secrets: 52 random Crockford characters after `oc_` (260 bits); only the SHA-256 is stored.
public enum TokenSecret {
    public static func generate() -> (text: String, hash: [UInt8]) {
        let text = "oc_" + String(decoding: Crockford.random(52), as: UTF8.self)
        return (text, hash(text))
    }

    public static func hash(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }
}

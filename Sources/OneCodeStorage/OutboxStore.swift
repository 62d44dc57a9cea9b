import Foundation
import OneCodeDomain

/// The kinds of event written to the outbox, each in the transaction of the change it reports.
public enum EventType: String, Sendable, Codable, CaseIterable {
    /// A counted scan got the verdict `suspicious`.
    case scanSuspicious = "scan.suspicious"
    /// A draw won a prize.
    case prizeWon = "prize.won"
    /// A winner claimed their prize (contact given).
    case prizeClaimed = "prize.claimed"
    /// A store redeemed a claimed prize.
    case prizeRedeemed = "prize.redeemed"
    /// A linker refresh found a new lead.
    case leadCreated = "lead.created"
    /// A consumer was erased: `{"consumer", "lead"}` ids only, so every system that received their
    /// data can delete it too.
    case consumerErased = "consumer.erased"
    /// A consumer scanned a unit outside the territory of the dealer it was last shipped to (once per unit and dealer).
    case diversionDetected = "diversion.detected"
    /// A store confirmed a case's receipt.
    case receiptConfirmed = "receipt.confirmed"
    /// A clerk earned a reward for a consumer's first scan of a unit of their case.
    case clerkRewarded = "clerk.rewarded"
    /// A code took too many wrong hidden PINs and is locked for draws.
    case pinLocked = "pin.locked"
}

/// One event as written: `body` is the whole JSON document a webhook receives.
public struct OutboxEvent: Sendable, Equatable {
    /// Order of writing; cursors page on it.
    public var sequence: Int64
    /// The event's stable id (`evt_…`), sent as the idempotency key.
    public var id: String
    public var type: String
    public var createdAt: Date
    /// `{"id":…,"type":…,"createdAt":…,"data":{…}}`
    public var body: String

    public init(sequence: Int64, id: String, type: String, createdAt: Date, body: String) {
        self.sequence = sequence
        self.id = id
        self.type = type
        self.createdAt = createdAt
        self.body = body
    }
}

extension OutboxEvent {
    /// A new event's id and body (`{"createdAt":…,"data":{…},"id":…,"type":…}`), as every backend writes it.
    /// The rules make `data` (OneCodeRulebook's `Events`); this adds the envelope.
    public static func envelope(_ type: EventType, at: Date, data payload: EventJSON) -> (id: String, body: String) {
        let id = "evt_" + String(decoding: Crockford.random(20).map { $0 | 0x20 }, as: UTF8.self)  // lower case
        var body = EventJSON()
        body.add("createdAt", at)
        body.add("data", payload)
        body.add("id", id)
        body.add("type", type.rawValue)
        return (id, body.text)
    }
}

/// One event due for delivery to one endpoint.
public struct WebhookDelivery: Sendable, Equatable {
    public var id: Int64
    public var endpoint: String
    public var event: OutboxEvent
    /// Attempts made before this one.
    public var attempts: Int

    public init(id: Int64, endpoint: String, event: OutboxEvent, attempts: Int) {
        self.id = id
        self.endpoint = endpoint
        self.event = event
        self.attempts = attempts
    }
}

/// Where an endpoint's deliveries stand.
public struct WebhookEndpointStatus: Sendable, Codable, Equatable {
    public var url: String
    public var pending: Int
    public var delivered: Int
    public var failed: Int
    public var lastError: String?

    public init(url: String, pending: Int, delivered: Int, failed: Int, lastError: String?) {
        self.url = url
        self.pending = pending
        self.delivered = delivered
        self.failed = failed
        self.lastError = lastError
    }
}

/// The outbox: events written with the changes they report, and their deliveries to webhook endpoints.
///
/// ## Cursors never skip
/// Every reader of an append-only table pages on its id (`events(after:)`, the endpoints' fan-out
/// cursors, the linker's scan, entry, feedback, outbox and change cursors, lead export). That is only
/// sound when a row can never become visible after a row with a larger id: a reader that passed id 7
/// would never see an id 6 committed later. Each backend must promise it. SQLite keeps it by
/// construction: a database has one write lock across all connections and processes, an id is
/// assigned inside the write transaction that commits it, so transactions commit in id order
/// (`ContractTests.cursorsNeverSkip` holds a transaction open and shows a second writer waits). A
/// backend whose ids can commit out of order (PostgreSQL sequences) must page only up to a safe
/// horizon: the ids of transactions older than the oldest one still open.
public protocol OutboxStore: Sendable {
    /// Events in writing order, after `sequence`: never one that could still be followed by a smaller
    /// sequence (see "Cursors never skip").
    func events(after sequence: Int64, limit: Int) async throws -> [OutboxEvent]

    /// The newest events of `type`, newest first, at most `limit` (the console's alerts; an index on type
    /// keeps it one index range however long the outbox).
    func newestEvents(of type: EventType, limit: Int) async throws -> [OutboxEvent]

    /// Endpoints seen for the first time start at the newest event: they receive what is written from
    /// now on, not the history. Known endpoints keep their place. The service calls this before it
    /// accepts requests, so no event falls between.
    func registerEndpoints(_ urls: [String]) async throws

    /// Deliveries due at `now`, oldest first. Before reading, every event written since an endpoint's
    /// cursor becomes a pending delivery for it (an unregistered endpoint is registered first).
    ///
    /// With several nodes, a delivery is taken by one node at a time: it is not due again for `lease`
    /// seconds (longer than an attempt may take), so when the node that took it dies, another node
    /// takes it after that. A backend with one process (SQLite's `serve`) may ignore `lease`.
    func dueDeliveries(endpoints: [String], now: Date, limit: Int, lease: TimeInterval) async throws -> [WebhookDelivery]

    /// The receiver answered 2xx.
    func markDelivered(_ delivery: Int64, at: Date) async throws

    /// The attempt failed: try again at `retryAt`, or give up when it is `nil`.
    func markFailed(_ delivery: Int64, error: String, retryAt: Date?) async throws

    /// Failed (given-up) deliveries become pending again, due now, `audit` in the same transaction; returns how many.
    func retryFailedDeliveries(endpoint: String?, audit: AuditEntry) async throws -> Int

    /// Counts by endpoint.
    func webhookStatus() async throws -> [WebhookEndpointStatus]
}

/// Webhook URLs as they may be shown: in logs, `webhooks status` and the API. A URL can carry a
/// secret (`https://user:token@host/…`, `?key=…`); the user information and every query value are
/// replaced by `***`, the rest (where events go) is kept.
public enum WebhookURL {
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return "(unreadable URL)" }
        if parts.user != nil || parts.password != nil {
            parts.user = "***"
            parts.password = nil
        }
        if let items = parts.queryItems, !items.isEmpty {
            parts.queryItems = items.map { URLQueryItem(name: $0.name, value: $0.value == nil ? nil : "***") }
        }
        return parts.string ?? "(unreadable URL)"
    }
}

extension WebhookEndpointStatus {
    /// The status with its URL redacted, also where the last error quotes it.
    public var redacted: WebhookEndpointStatus {
        var copy = self
        copy.url = WebhookURL.redacted(url)
        copy.lastError = lastError.map { $0.replacingOccurrences(of: url, with: copy.url) }
        return copy
    }
}

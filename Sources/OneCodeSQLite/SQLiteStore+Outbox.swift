import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

extension SQLiteStore: OutboxStore {
    /// Writes an event to the outbox inside the caller's transaction, so it exists exactly when the
    /// change it reports does. `data` fills the event's `data` object.
    /// The envelope is `OutboxEvent.envelope`'s.
    static func emit(_ db: Database, _ type: EventType, at: Date, data payload: EventJSON) throws {
        let (id, body) = OutboxEvent.envelope(type, at: at, data: payload)
        try db.cachedStatement(sql: "INSERT INTO outbox (event_id, type, body, created_at) VALUES (?, ?, ?, ?)")
            .execute(arguments: [id, type.rawValue, body, at.timeIntervalSince1970])
    }

    // MARK: OutboxStore

    static func event(from row: Row) -> OutboxEvent {
        OutboxEvent(sequence: row["id"], id: row["event_id"], type: row["type"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]), body: row["body"])
    }

    public func events(after sequence: Int64, limit: Int) async throws -> [OutboxEvent] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE id > ? ORDER BY id LIMIT ?", arguments: [sequence, limit]).map(Self.event(from:))
        }
    }

    public func newestEvents(of type: EventType, limit: Int) async throws -> [OutboxEvent] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE type = ? ORDER BY id DESC LIMIT ?", arguments: [type.rawValue, limit]).map(Self.event(from:))
        }
    }

    public func registerEndpoints(_ urls: [String]) async throws {
        try await writer.write { db in
            for url in urls { try Self.register(db, url) }
        }
    }

    static func register(_ db: Database, _ url: String) throws {
        try db.execute(sql: """
            INSERT INTO webhook_endpoint (url, cursor) VALUES (?, (SELECT coalesce(max(id), 0) FROM outbox)) ON CONFLICT (url) DO NOTHING
            """, arguments: [url])
    }

    public func dueDeliveries(endpoints: [String], now: Date, limit: Int, lease: TimeInterval) async throws -> [WebhookDelivery] {
        // Enqueue only when something is new: a read decides, so an idle poll writes nothing.
        let behind = try await writer.read { db -> Bool in
            let newest = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM outbox") ?? 0
            let cursors = try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT url, cursor FROM webhook_endpoint")
                .map { ($0[0] as String, $0[1] as Int64) })
            return endpoints.contains { cursors[$0].map { $0 < newest } ?? true }
        }
        if behind {
            try await writer.write { db in
                for endpoint in endpoints {
                    try Self.register(db, endpoint)
                    // Outbox ids grow in commit order (SQLite's one write lock; see OutboxStore's "Cursors never
                    // skip"), so a cursor never skips an event.
                    try db.execute(sql: """
                        INSERT INTO webhook_delivery (endpoint, event, next_at)
                        SELECT ?, id, created_at FROM outbox WHERE id > (SELECT cursor FROM webhook_endpoint WHERE url = ?) ORDER BY id
                        """, arguments: [endpoint, endpoint])
                    try db.execute(sql: "UPDATE webhook_endpoint SET cursor = (SELECT coalesce(max(id), 0) FROM outbox) WHERE url = ?",
                                   arguments: [endpoint])
                }
            }
        }
        return try await writer.read { db in
            let marks = databaseQuestionMarks(count: endpoints.count)
            return try Row.fetchAll(db, sql: """
                SELECT d.id AS delivery, d.endpoint, d.attempts, o.* FROM webhook_delivery d JOIN outbox o ON o.id = d.event
                WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_at <= ? AND d.endpoint IN (\(marks))
                ORDER BY d.next_at, d.id LIMIT ?
                """, arguments: StatementArguments([now.timeIntervalSince1970] + endpoints + [limit])).map {
                WebhookDelivery(id: $0["delivery"], endpoint: $0["endpoint"], event: Self.event(from: $0), attempts: $0["attempts"])
            }
        }
    }

    public func markDelivered(_ delivery: Int64, at: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE webhook_delivery SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                           arguments: [at.timeIntervalSince1970, delivery])
        }
    }

    public func markFailed(_ delivery: Int64, error: String, retryAt: Date?) async throws {
        try await writer.write { db in
            if let retryAt {
                try db.execute(sql: "UPDATE webhook_delivery SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?",
                               arguments: [retryAt.timeIntervalSince1970, error, delivery])
            } else {
                try db.execute(sql: "UPDATE webhook_delivery SET attempts = attempts + 1, failed_at = ?, last_error = ? WHERE id = ?",
                               arguments: [Date().timeIntervalSince1970, error, delivery])
            }
        }
    }

    public func retryFailedDeliveries(endpoint: String?, audit: AuditEntry) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: """
                UPDATE webhook_delivery SET failed_at = NULL, next_at = ? WHERE failed_at IS NOT NULL AND (? IS NULL OR endpoint = ?)
                """, arguments: [Date().timeIntervalSince1970, endpoint, endpoint])
            let count = db.changesCount
            try Self.append(audit, db)
            return count
        }
    }

    public func webhookStatus() async throws -> [WebhookEndpointStatus] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.url,
                    (SELECT count(*) FROM webhook_delivery WHERE endpoint = e.url AND delivered_at IS NULL AND failed_at IS NULL),
                    (SELECT count(*) FROM webhook_delivery WHERE endpoint = e.url AND delivered_at IS NOT NULL),
                    (SELECT count(*) FROM webhook_delivery WHERE endpoint = e.url AND failed_at IS NOT NULL),
                    (SELECT last_error FROM webhook_delivery WHERE endpoint = e.url AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1)
                FROM webhook_endpoint e ORDER BY e.url
                """).map { WebhookEndpointStatus(url: $0[0], pending: $0[1], delivered: $0[2], failed: $0[3], lastError: $0[4]) }
        }
    }
}

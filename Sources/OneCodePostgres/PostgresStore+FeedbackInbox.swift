import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

extension PostgresStore: FeedbackInboxStore {
    public func handleFeedback(_ id: Int64, cause: String?, by: String, audit: AuditEntry) async throws -> Bool {
        try await write { db in
            guard try db.row("SELECT 1 FROM feedback WHERE id = \(id)") != nil else { return false }
            _ = try db.execute("""
                INSERT INTO feedback_handling (feedback_id, at, handled_by, cause) VALUES (\(id), \(Date()), \(by), \(cause))
                ON CONFLICT (feedback_id) DO UPDATE SET at = excluded.at, handled_by = excluded.handled_by, cause = excluded.cause
                """)
            try Self.append(audit, db)
            return true
        }
    }

    public func feedbackInbox(all: Bool, maxRating: Int?, product: Int64?, limit: Int) async throws -> [FeedbackCase] {
        try await read { db in
            var binds = PostgresBindings()
            binds.append(maxRating.map(Int64.init))
            binds.append(product)
            binds.append(Int64(limit))
            // Typed where they may be null: PostgreSQL cannot tell a bare null parameter's type.
            let marks = ["$1::int8", "$2::int8", "$3::int8"]
            return try db.rows(PostgresQuery(unsafeSQL: FeedbackInboxSQL.inbox(all: all) { marks[$0 - 1] }, binds: binds)).map {
                let (id, at, code, productID, name, batch, rating, comment, consumer, handledAt, by, cause) =
                    try $0.decode((Int64, Date, String, Int64, String, Int64, Int, String?, String?, Date?, String?, String?).self)
                return FeedbackCase(item: FeedbackItem(id: id, at: at, code: code, productId: productID, productName: name, batchId: batch,
                                                       rating: rating, comment: comment, consumer: consumer),
                                    handledAt: handledAt, handledBy: by, cause: cause)
            }
        }
    }

    public func feedbackCauses() async throws -> [FeedbackCauseCount] {
        try await read { db in
            try db.rows(PostgresQuery(unsafeSQL: FeedbackInboxSQL.causes, binds: PostgresBindings())).map {
                let (product, name, cause, count) = try $0.decode((Int64, String, String, Int64).self)
                return FeedbackCauseCount(productId: product, productName: name, cause: cause, count: Int(count))
            }
        }
    }
}

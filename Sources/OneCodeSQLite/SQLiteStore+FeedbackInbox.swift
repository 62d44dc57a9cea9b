import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

extension SQLiteStore: FeedbackInboxStore {
    public func handleFeedback(_ id: Int64, cause: String?, by: String, audit: AuditEntry) async throws -> Bool {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM feedback WHERE id = ?)", arguments: [id]) == true else { return false }
            try db.execute(sql: """
                INSERT INTO feedback_handling (feedback_id, at, handled_by, cause) VALUES (?, ?, ?, ?)
                ON CONFLICT (feedback_id) DO UPDATE SET at = excluded.at, handled_by = excluded.handled_by, cause = excluded.cause
                """, arguments: [id, Date().timeIntervalSince1970, by, cause])
            try Self.append(audit, db)
            return true
        }
    }

    public func feedbackInbox(all: Bool, maxRating: Int?, product: Int64?, limit: Int) async throws -> [FeedbackCase] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: FeedbackInboxSQL.inbox(all: all) { "?\($0)" }, arguments: [maxRating, product, limit]).map {
                FeedbackCase(item: FeedbackItem(id: $0[0], at: Date(timeIntervalSince1970: $0[1]), code: $0[2], productId: $0[3], productName: $0[4],
                                                batchId: $0[5], rating: $0[6], comment: $0[7], consumer: $0[8]),
                             handledAt: ($0[9] as Double?).map(Date.init(timeIntervalSince1970:)), handledBy: $0[10], cause: $0[11])
            }
        }
    }

    public func feedbackCauses() async throws -> [FeedbackCauseCount] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: FeedbackInboxSQL.causes).map { FeedbackCauseCount(productId: $0[0], productName: $0[1], cause: $0[2], count: $0[3]) }
        }
    }
}

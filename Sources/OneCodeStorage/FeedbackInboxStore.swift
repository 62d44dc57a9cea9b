import Foundation
import OneCodeDomain

/// A rating in the service team's inbox, with how it was handled: when, by whom, and the cause they tagged.
public struct FeedbackCase: Sendable, Equatable {
    public var item: FeedbackItem
    public var handledAt: Date?
    public var handledBy: String?
    public var cause: String?
    public init(item: FeedbackItem, handledAt: Date?, handledBy: String?, cause: String?) {
        self.item = item
        self.handledAt = handledAt
        self.handledBy = handledBy
        self.cause = cause
    }
}

/// Handled ratings counted by product and cause: what service tells marketing.
public struct FeedbackCauseCount: Sendable, Equatable {
    public var productId: Int64
    public var productName: String
    public var cause: String
    public var count: Int
    public init(productId: Int64, productName: String, cause: String, count: Int) {
        self.productId = productId
        self.productName = productName
        self.cause = cause
        self.count = count
    }
}

/// The feedback inbox: ratings waiting for an answer, marked handled with a cause.
public protocol FeedbackInboxStore: Sendable {
    /// Marks a rating handled (again: the new cause replaces the old), `audit` in the same transaction.
    /// - Returns: false (and no audit entry) when there is no such rating.
    func handleFeedback(_ id: Int64, cause: String?, by: String, audit: AuditEntry) async throws -> Bool
    /// Ratings lowest first, then newest: only those waiting unless `all`; at most `maxRating` stars; of one product.
    func feedbackInbox(all: Bool, maxRating: Int?, product: Int64?, limit: Int) async throws -> [FeedbackCase]
    /// Handled ratings with a cause, counted by product and cause, most first.
    func feedbackCauses() async throws -> [FeedbackCauseCount]
}

/// The inbox's queries as both backends run them; `mark(n)` writes the n-th parameter the backend's way.
public enum FeedbackInboxSQL {
    /// Parameters, in order: maxRating (or null), product (or null), limit.
    public static func inbox(all: Bool, mark: (Int) -> String) -> String {
        """
        SELECT f.id, f.at, f.code, f.product_id, p.name, f.batch_id, f.rating, f.comment, f.consumer, h.at, h.handled_by, h.cause
        FROM feedback f JOIN product p ON p.id = f.product_id LEFT JOIN feedback_handling h ON h.feedback_id = f.id
        WHERE \(all ? "1 = 1" : "h.feedback_id IS NULL")
          AND (\(mark(1)) IS NULL OR f.rating <= \(mark(1))) AND (\(mark(2)) IS NULL OR f.product_id = \(mark(2)))
        ORDER BY f.rating, f.id DESC LIMIT \(mark(3))
        """
    }

    public static let causes = """
        SELECT f.product_id, p.name, h.cause, count(*) FROM feedback_handling h JOIN feedback f ON f.id = h.feedback_id
        JOIN product p ON p.id = f.product_id WHERE h.cause IS NOT NULL GROUP BY f.product_id, p.name, h.cause
        ORDER BY count(*) DESC, f.product_id, h.cause
        """
}

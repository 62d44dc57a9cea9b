import Foundation
import OneCodeDomain

/// A batch being issued from the console, seen from any node: how far it got, and what came of it.
public struct IssueJob: Sendable, Equatable {
    public var id: String
    public var user: Int64
    public var total: Int
    public var done: Int
    /// The batch, once issued.
    public var batch: BatchID?
    /// Why it failed (the batch was not issued: nothing of it was kept).
    public var error: String?
    public var startedAt: Date
    public var updatedAt: Date

    public init(id: String, user: Int64, total: Int, done: Int, batch: BatchID?, error: String?, startedAt: Date, updatedAt: Date) {
        self.id = id
        self.user = user
        self.total = total
        self.done = done
        self.batch = batch
        self.error = error
        self.startedAt = startedAt
        self.updatedAt = updatedAt
    }
}

/// The console's batches in progress, kept in the database so a progress page served by any node shows them.
public protocol IssueJobStore: Sendable {
    /// Records a new job; jobs not updated since `forgetBefore` are removed on the way.
    func startIssueJob(id: String, user: Int64, total: Int, at: Date, forgetBefore: Date) async throws
    /// Moves a running job's count on (never back: reports may arrive out of order; a finished job stays as it ended).
    func progressIssueJob(id: String, done: Int, at: Date) async throws
    /// Ends a job with its batch and the codes done, or with the error that stopped it (`done` nil: as it stood).
    func finishIssueJob(id: String, batch: BatchID?, done: Int?, error: String?, at: Date) async throws
    func issueJob(id: String) async throws -> IssueJob?
}

import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

extension PostgresStore: IssueJobStore {
    public func startIssueJob(id: String, user: Int64, total: Int, at: Date, forgetBefore: Date) async throws {
        try await write { db in
            try db.execute("DELETE FROM issue_job WHERE updated_at < \(forgetBefore)")
            try db.execute("INSERT INTO issue_job (id, user_id, total, done, started_at, updated_at) VALUES (\(id), \(user), \(total), 0, \(at), \(at))")
        }
    }

    public func progressIssueJob(id: String, done: Int, at: Date) async throws {
        try await write { db in _ = try db.execute("UPDATE issue_job SET done = greatest(done, \(done)), updated_at = \(at) WHERE id = \(id) AND batch_id IS NULL AND error IS NULL") }
    }

    public func finishIssueJob(id: String, batch: BatchID?, done: Int?, error: String?, at: Date) async throws {
        try await write { db in
            _ = try db.execute("""
                UPDATE issue_job SET batch_id = \(batch?.rawValue), error = \(error), done = coalesce(\(done)::int8, done), updated_at = \(at)
                WHERE id = \(id)
                """)
        }
    }

    public func issueJob(id: String) async throws -> IssueJob? {
        try await read { db in
            try db.row("SELECT id, user_id, total, done, batch_id, error, started_at, updated_at FROM issue_job WHERE id = \(id)").map {
                let (id, user, total, done, batch, error, started, updated) = try $0.decode((String, Int64, Int64, Int64, Int64?, String?, Date, Date).self)
                return IssueJob(id: id, user: user, total: Int(total), done: Int(done), batch: batch.map(BatchID.init), error: error,
                                startedAt: started, updatedAt: updated)
            }
        }
    }
}

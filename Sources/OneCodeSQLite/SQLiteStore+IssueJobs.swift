import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

extension SQLiteStore: IssueJobStore {
    public func startIssueJob(id: String, user: Int64, total: Int, at: Date, forgetBefore: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM issue_job WHERE updated_at < ?", arguments: [forgetBefore.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO issue_job (id, user_id, total, done, started_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)",
                           arguments: [id, user, total, at.timeIntervalSince1970, at.timeIntervalSince1970])
        }
    }

    public func progressIssueJob(id: String, done: Int, at: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE issue_job SET done = max(done, ?), updated_at = ? WHERE id = ? AND batch_id IS NULL AND error IS NULL", arguments: [done, at.timeIntervalSince1970, id])
        }
    }

    public func finishIssueJob(id: String, batch: BatchID?, done: Int?, error: String?, at: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE issue_job SET batch_id = ?, error = ?, done = coalesce(?, done), updated_at = ? WHERE id = ?",
                           arguments: [batch?.rawValue, error, done, at.timeIntervalSince1970, id])
        }
    }

    public func issueJob(id: String) async throws -> IssueJob? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM issue_job WHERE id = ?", arguments: [id]).map { row in
                IssueJob(id: row["id"], user: row["user_id"], total: row["total"], done: row["done"], batch: (row["batch_id"] as Int64?).map(BatchID.init),
                         error: row["error"], startedAt: Date(timeIntervalSince1970: row["started_at"]),
                         updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
            }
        }
    }
}

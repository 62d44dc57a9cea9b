import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

extension SQLiteStore: AuditStore {
    /// Writes `entry` in the caller's transaction.
    static func append(_ entry: AuditEntry, _ db: Database, at: Date = Date()) throws {
        try db.execute(sql: """
            INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, action, subject, subject_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [at.timeIntervalSince1970, entry.actor.kind, entry.actor.id, entry.actor.name, entry.action, entry.subject,
                             entry.subjectID, entry.detail])
    }

    public func record(_ entry: AuditEntry) async throws {
        try await writer.write { db in try Self.append(entry, db) }
    }

    public func auditLog(before: Int64?, limit: Int) async throws -> [AuditRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
                             arguments: [before ?? Int64.max, limit]).map { row in
                AuditRecord(id: row["id"], at: Date(timeIntervalSince1970: row["at"]), actorKind: row["actor_kind"], actorId: row["actor_id"],
                            actorName: row["actor_name"], action: row["action"], subject: row["subject"], subjectId: row["subject_id"],
                            detail: row["detail"])
            }
        }
    }
}

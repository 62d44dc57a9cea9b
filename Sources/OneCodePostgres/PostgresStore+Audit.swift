import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

extension PostgresStore: AuditStore {
    /// Writes `entry` in the caller's transaction.
    static func append(_ entry: AuditEntry, _ db: SyncConnection, at: Date = Date()) throws {
        try db.execute("""
            INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, action, subject, subject_id, detail)
            VALUES (\(at), \(entry.actor.kind), \(entry.actor.id), \(entry.actor.name), \(entry.action), \(entry.subject),
                    \(entry.subjectID), \(entry.detail))
            """)
    }

    public func record(_ entry: AuditEntry) async throws {
        try await write { db in try Self.append(entry, db) }
    }

    public func auditLog(before: Int64?, limit: Int) async throws -> [AuditRecord] {
        try await read { db in
            try db.rows("""
                SELECT id, at, actor_kind, actor_id, actor_name, action, subject, subject_id, detail FROM audit_log
                WHERE id < \(before ?? Int64.max) ORDER BY id DESC LIMIT \(limit)
                """).map { row in
                let (id, at, kind, actorID, name, action, subject, subjectID, detail) =
                    try row.decode((Int64, Date, String, Int64?, String, String, String, String?, String?).self)
                return AuditRecord(id: id, at: at, actorKind: kind, actorId: actorID, actorName: name, action: action, subject: subject,
                                   subjectId: subjectID, detail: detail)
            }
        }
    }
}

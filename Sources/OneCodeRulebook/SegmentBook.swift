import Foundation
import OneCodeDomain
import OneCodeStorage

/// Segments are created, edited and deleted by these rules on every backend (`SegmentTransaction`):
/// a name is validated and unique; a new name re-scores the members' leads (their reasons name it); new
/// rules make the next refresh evaluate the segment whole (re-scoring its former and new members); a
/// deleted segment's members are re-scored too.
public enum SegmentBook {
    /// The conflict a taken name is (a backend whose schema sees the race throws it too).
    public static func taken(_ name: String) -> ConflictError { ConflictError("name", "a segment named '\(name)' exists already") }

    /// Each change writes `audit` in its transaction (a creation with the new id; a delete only when there was one).
    public static func create(in tx: any SegmentTransaction, name: String, rule: SegmentRule, at: Date, audit: AuditEntry) throws -> Segment {
        let name = try Name.validate(name, field: "name", maximum: 100)
        guard let segment = try tx.insertSegment(name: name, rules: rule.jsonText, at: at) else { throw taken(name) }
        try tx.appendAudit(audit.created(segment.id.rawValue))
        return segment
    }

    /// - Throws: `NotFoundError("id", …)`, `ConflictError("name", …)`, or `InputError` for a bad name.
    public static func update(in tx: any SegmentTransaction, _ id: SegmentID, name: String?, rule: SegmentRule?, audit: AuditEntry) throws -> Segment {
        let name = try name.map { try Name.validate($0, field: "name", maximum: 100) }
        guard try tx.segmentExists(id) else { throw NotFoundError("id", "no segment with id \(id)") }
        if let name {
            guard try tx.renameSegment(id, to: name) else { throw taken(name) }
            try tx.markMembersChanged(id)
        }
        if let rule { try tx.replaceRules(of: id, with: rule.jsonText) }
        guard let segment = try tx.segment(id) else { throw NotFoundError("id", "no segment with id \(id)") }
        try tx.appendAudit(audit)
        return segment
    }

    public static func delete(in tx: any SegmentTransaction, _ id: SegmentID, audit: AuditEntry) throws -> Bool {
        try tx.markMembersChanged(id)
        guard try tx.deleteSegment(id) else { return false }
        try tx.appendAudit(audit)
        return true
    }
}

import Foundation
import OneCodeDomain
import OneCodeStorage

/// Erasing a consumer, decided here for every backend from `ErasurePolicy`.
public enum ErasureBook {
    /// Carries out `policy` for the consumer in the lent transaction and, when anything was known of
    /// them, emits `consumer.erased` (after the events lost the person: it names the ids only).
    /// `audit`, when given, is written in the same transaction when anything was known.
    /// - Returns: whether anything was known.
    public static func forget(_ consumer: String, policy: ErasurePolicy = .standard, in tx: any ErasureTransaction, now: Date = Date(),
                              audit: AuditEntry? = nil) throws -> Bool {
        var known = 0
        var hadLead = false
        // Every field a table's rows lose goes in one statement, where the table's first rule stands: a
        // rule that empties the key column (the consumer) would hide the rows from a later rule.
        var fieldsOf: [String: [ErasurePolicy.Field]] = [:]
        for rule in policy.rules {
            if case let .anonymise(fields) = rule.action { fieldsOf[rule.table + "." + rule.key, default: []] += fields }
        }
        for rule in policy.rules {
            switch rule.action {
            case .delete:
                known += try tx.delete(from: rule.table, where: rule.key, is: consumer)
            case .anonymise:
                guard let fields = fieldsOf.removeValue(forKey: rule.table + "." + rule.key) else { continue }
                known += try tx.anonymise(rule.table, where: rule.key, is: consumer, fields: fields)
            case let .tombstone(fields):
                if try tx.tombstoneLead(of: consumer, fields: fields, at: now) {
                    hadLead = true
                    known += 1
                }
            case let .anonymiseEvents(events):
                for event in events { known += try tx.anonymiseEvents(event, consumer: consumer) }
            }
        }
        guard known > 0 else { return false }
        try tx.recountSegments()
        try tx.emit(.consumerErased, at: now, data: Lead.erasedEvent(consumer: consumer, hadLead: hadLead))
        if let audit { try tx.appendAudit(audit) }
        return true
    }
}

import ArgumentParser
import Foundation
import OneCodeDomain

/// `onecode audit`: who did what and when, newest first.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit log: who did what and when, newest first.",
        discussion: """
            Every audited action writes one entry in its own transaction: user add, product add and edit, batch activate and void, code blacklist, \
            token create and revoke, store and clerk add, campaign create, edit, pause, resume and end, segment \
            create, edit and delete. The actor is the API token, the \
            operating-system user who ran the command, or OneCode itself (demo data). Entries are never changed or \
            deleted (the database refuses). Over the API: GET /api/audit (admin).
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Only entries older than this id (the next page).", valueName: "id")) var before: Int64?
    @Option(help: "How many entries (1 to 1000).") var limit: Int = 100

    func run() async throws {
        try await reportingErrors {
            if let before, before < 1 { throw InputError("before", "must be an entry id from an earlier page") }
            guard (1...1000).contains(limit) else { throw InputError("limit", "must be from 1 to 1000 (got \(limit))") }
            let (_, store) = try await global.open()
            let entries = try await store.auditLog(before: before, limit: limit)
            let time = try await global.displayTime()
            let rows: [[String]] = entries.map { entry in
                let actor = [entry.actorKind, entry.actorId.map(String.init), entry.actorName].compactMap { $0 }.joined(separator: " ")
                let subject = [entry.subject, entry.subjectId].compactMap { $0 }.joined(separator: " ")
                return [String(entry.id), time.minute(entry.at), actor, entry.action, subject, entry.detail ?? ""]
            }
            try global.emit(entries) {
                entries.isEmpty ? "no audit entries yet" : Table(["id", "at (\(time.label))", "actor", "action", "subject", "detail"], rows).text
            }
        }
    }
}

import Foundation

/// Who did something: a person signed in, an API token, the command line (as the operating-system
/// user who ran it), or OneCode itself (the demo data it makes).
public enum AuditActor: Sendable, Equatable {
    case user(id: Int64, name: String)
    case token(id: Int64, name: String)
    case cli(user: String)
    case system(String)

    /// `user`, `token`, `cli` or `system`: what the audit log stores as the actor's kind.
    public var kind: String {
        switch self {
        case .user: "user"
        case .token: "token"
        case .cli: "cli"
        case .system: "system"
        }
    }

    public var id: Int64? {
        switch self {
        case let .user(id, _), let .token(id, _): id
        case .cli, .system: nil
        }
    }

    public var name: String {
        switch self {
        case let .user(_, name), let .token(_, name), let .cli(name), let .system(name): name
        }
    }

    /// The command line's actor: the operating-system user running it.
    public static var commandLine: AuditActor {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return .cli(user: String(cString: name)) }
        return .cli(user: "uid \(geteuid())")
    }
}

/// One action to record in the audit log, in the same transaction as the action itself.
public struct AuditEntry: Sendable, Equatable {
    public var actor: AuditActor
    /// What was done, `batch.activate`.
    public var action: String
    /// What it was done to: a kind and, once known, an id (`batch`, `7`); a creation's id is the new row's.
    public var subject: String
    public var subjectID: String?
    /// What else the action said (a blacklist's reason, a token's scope), as short text.
    public var detail: String?

    public init(_ actor: AuditActor, _ action: String, subject: String, id: String? = nil, detail: String? = nil) {
        self.actor = actor
        self.action = action
        self.subject = subject
        subjectID = id
        self.detail = detail
    }

    /// The entry for a creation, once the new row's id is known.
    public func created(_ id: Int64) -> AuditEntry {
        var entry = self
        entry.subjectID = String(id)
        return entry
    }
}

/// An audit log row as read back.
public struct AuditRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Date
    public var actorKind: String
    public var actorId: Int64?
    public var actorName: String
    public var action: String
    public var subject: String
    public var subjectId: String?
    public var detail: String?

    public init(id: Int64, at: Date, actorKind: String, actorId: Int64?, actorName: String, action: String, subject: String,
                subjectId: String?, detail: String?) {
        self.id = id
        self.at = at
        self.actorKind = actorKind
        self.actorId = actorId
        self.actorName = actorName
        self.action = action
        self.subject = subject
        self.subjectId = subjectId
        self.detail = detail
    }
}

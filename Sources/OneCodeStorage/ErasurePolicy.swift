import Foundation
import OneCodeDomain

/// What erasing a consumer does to each kind of data stored about them, in the schema's own tables
/// and columns (both backends share them): the policy `ErasureBook` carries out, in one transaction,
/// on every backend. Personal data goes; what counts anonymously (a scan happened, a prize was
/// drawn, a rating was given) stays, no longer linked to the person.
///
/// Nothing else decides what erasure removes: a field added here is erased on every backend.
public struct ErasurePolicy: Sendable {
    /// A field and the value it is given (`nil`: NULL).
    public struct Field: Sendable, Equatable {
        public var column: String
        public var becomes: SQLValue?

        public init(_ column: String, becomes: SQLValue? = nil) {
            self.column = column
            self.becomes = becomes
        }
    }

    /// Events that name the consumer in `data.<match>`: those fields of their `data` are set to null.
    public struct EventRule: Sendable, Equatable {
        public var match: String
        /// Only events of this type; `nil`: all but `exceptType`.
        public var onlyType: String?
        public var exceptType: String?
        public var fields: [String]

        public init(match: String, onlyType: String? = nil, exceptType: String? = nil, fields: [String]) {
            self.match = match
            self.onlyType = onlyType
            self.exceptType = exceptType
            self.fields = fields
        }
    }

    public enum Action: Sendable, Equatable {
        /// The rows go.
        case delete
        /// The rows stay; the fields are set.
        case anonymise([Field])
        /// The lead stays as a deletion marker for those who copied it: kind `erased`, the fields
        /// set, the next export cursor.
        case tombstone([Field])
        /// The events stay; what names the person goes.
        case anonymiseEvents([EventRule])
    }

    /// Each kind of data, for people reading the policy.
    public enum Data: String, Sendable, CaseIterable {
        case contact, profile, segmentMemberships, lead, linkerChanges, claims, feedback, entries, scans, events
    }

    /// One step: the rows of `table` whose `key` column is the consumer, and what becomes of them.
    public struct Rule: Sendable, Equatable {
        public var data: Data
        public var table: String
        public var key: String
        public var action: Action

        public init(_ data: Data, table: String, key: String = "consumer", _ action: Action) {
            self.data = data
            self.table = table
            self.key = key
            self.action = action
        }
    }

    /// The steps, in order.
    public var rules: [Rule]

    public init(rules: [Rule]) { self.rules = rules }

    /// OneCode's policy.
    public static let standard = ErasurePolicy(rules: [
        Rule(.contact, table: "consumer_contact", .delete),
        Rule(.profile, table: "consumer_profile", .delete),
        Rule(.segmentMemberships, table: "segment_member", .delete),
        Rule(.lead, table: "lead", key: "ref", .tombstone([
            Field("name"), Field("phone"), Field("score", becomes: .real(0)), Field("reasons", becomes: .text("[]")),
            Field("source", becomes: .text("{}")),
        ])),
        Rule(.linkerChanges, table: "linker_change", .delete),
        // A claim keeps its row (the prize was claimed); the schema wants a consumer and contact text.
        Rule(.claims, table: "claim", .anonymise([Field("consumer", becomes: .text("erased")), Field("name", becomes: .text("")),
                                                   Field("phone", becomes: .text(""))])),
        Rule(.feedback, table: "feedback", .anonymise([Field("consumer"), Field("comment")])),
        // A counterfeit report keeps its row (it is counted), not the person's words or number.
        Rule(.feedback, table: "fake_report", .anonymise([Field("consumer"), Field("where_bought"), Field("comment"), Field("phone"),
                                                          Field("contact_consent_at"), Field("ip")])),
        Rule(.entries, table: "entry", .anonymise([Field("consumer")])),
        Rule(.scans, table: "scan", .anonymise(["consumer", "ip", "user_agent", "referer", "latitude", "longitude"].map { Field($0) })),
        Rule(.scans, table: "code_log", .anonymise([Field("consumer")])),
        // Events name the consumer (and a claim's contact): keep the events, drop the person. The
        // erasure's own event names the ids, for every receiver to erase too.
        Rule(.events, table: "outbox", .anonymiseEvents([
            EventRule(match: "consumer", exceptType: EventType.consumerErased.rawValue, fields: ["consumer", "name", "phone"]),
            EventRule(match: "id", onlyType: EventType.leadCreated.rawValue, fields: ["id", "name", "phone"]),
        ])),
    ])
}

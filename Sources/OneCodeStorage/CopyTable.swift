/// A table as `onecode db copy` moves it between backends: its columns, how each is typed, and the key
/// it is read in order of. Both backends keep these tables with these columns.
public struct CopyTable: Sendable {
    public enum Kind: Sendable {
        case integer, real, text, bool, time, blob
        /// PostgreSQL's type for the value as the copy carries it (times as seconds, blobs as hex).
        public var carried: String {
            switch self {
            case .integer: "bigint"
            case .real, .time: "double precision"
            case .text, .blob: "text"
            case .bool: "int"
            }
        }
    }

    public var name: String
    public var columns: [(name: String, kind: Kind)]
    /// Columns of the primary key (or `rowid`), read in this order.
    public var key: [String]
    /// The target's unique key a row already copied meets (the key, but a partitioned table's includes
    /// its partition column).
    public var unique: [String]

    public init(_ name: String, key: [String] = ["id"], unique: [String]? = nil, _ columns: [(String, Kind)]) {
        self.name = name
        self.key = key
        self.unique = unique ?? key
        self.columns = columns.map { (name: $0.0, kind: $0.1) }
    }

    /// Every table of the catalogue, scans, campaigns, outbox and linker that is not derived, parents before children.
    /// Console sessions and failed sign-ins are not copied: they are short-lived (staff sign in again).
    public static let all: [CopyTable] = [
        CopyTable("product", [("id", .integer), ("name", .text), ("name_zh", .text), ("name_en", .text), ("gtin", .text), ("sku", .text),
                              ("image_url", .text), ("created_at", .time)]),
        CopyTable("batch", [("id", .integer), ("product_id", .integer), ("count", .integer), ("lot", .text), ("production_date", .text),
                            ("expiry_date", .text), ("region", .text), ("status", .text), ("url_form", .text), ("uppercase", .bool),
                            ("code_length", .integer), ("created_at", .time), ("kind", .text),
                            ("pin_length", .integer)]),
        CopyTable("code", key: ["key"], [("key", .integer), ("batch_id", .integer), ("seq", .integer), ("blacklist_reason", .text)]),
        CopyTable("store", [("id", .integer), ("name", .text), ("region", .text), ("created_at", .time)]),
        CopyTable("clerk", [("id", .integer), ("store_id", .integer), ("name", .text), ("created_at", .time)]),
        CopyTable("audit_log", [("id", .integer), ("at", .time), ("actor_kind", .text), ("actor_id", .integer), ("actor_name", .text),
                                ("action", .text), ("subject", .text), ("subject_id", .text), ("detail", .text)]),
        CopyTable("console_user", [("id", .integer), ("name", .text), ("role", .text), ("store_id", .integer), ("password_hash", .text),
                                   ("created_at", .time), ("totp_sealed", .blob), ("totp_step", .integer)]),
        CopyTable("api_token", [("id", .integer), ("name", .text), ("scope", .text), ("hash", .blob), ("created_at", .time), ("store_id", .integer),
                                ("clerk_id", .integer)]),
        CopyTable("scan", unique: ["id", "at"], [("id", .integer), ("at", .time), ("code_key", .integer), ("code", .text), ("batch_id", .integer), ("consumer", .text),
                           ("ip", .text), ("user_agent", .text), ("referer", .text), ("bot", .bool), ("counted", .bool), ("region", .text),
                           ("latitude", .real), ("longitude", .real), ("verdict", .text), ("reason", .text)]),
        CopyTable("code_log", key: ["code_key", "slot"], [("code_key", .integer), ("slot", .integer), ("ref", .integer), ("at", .time),
                                                          ("consumer", .text)]),
        CopyTable("campaign", [("id", .integer), ("name", .text), ("definition", .text), ("status", .text), ("starts_at", .time),
                               ("ends_at", .time), ("created_at", .time)]),
        CopyTable("campaign_tier", key: ["campaign_id", "tier"], [("campaign_id", .integer), ("tier", .integer), ("stock", .integer),
                                                                  ("awarded", .integer)]),
        CopyTable("campaign_tier_day", key: ["campaign_id", "tier", "day"], [("campaign_id", .integer), ("tier", .integer), ("day", .text),
                                                                             ("awarded", .integer)]),
        CopyTable("entry", [("id", .integer), ("campaign_id", .integer), ("scan_id", .integer), ("code_key", .integer), ("code", .text),
                            ("consumer", .text), ("at", .time), ("day", .text), ("result", .text), ("tier", .integer), ("points", .integer)]),
        CopyTable("consumer_contact", key: ["consumer"], [("consumer", .text), ("name", .text), ("phone", .text), ("consent_version", .text),
                                                          ("consent_text", .text), ("consented_at", .time),
                                                          ("marketing_consent_version", .text), ("marketing_consent_text", .text),
                                                          ("marketing_consented_at", .time)]),
        CopyTable("claim", key: ["entry_id"], [("entry_id", .integer), ("consumer", .text), ("name", .text), ("phone", .text),
                                               ("consent_version", .text), ("marketing_consent_version", .text), ("at", .time),
                                               ("redemption_code", .text)]),
        CopyTable("redemption", key: ["entry_id"], [("entry_id", .integer), ("store_id", .integer), ("at", .time)]),
        CopyTable("feedback", [("id", .integer), ("at", .time), ("code_key", .integer), ("code", .text), ("batch_id", .integer),
                               ("product_id", .integer), ("consumer", .text), ("rating", .integer), ("comment", .text)]),
        CopyTable("feedback_handling", key: ["feedback_id"], [("feedback_id", .integer), ("at", .time), ("handled_by", .text), ("cause", .text)]),
        CopyTable("outbox", [("id", .integer), ("event_id", .text), ("type", .text), ("body", .text), ("created_at", .time)]),
        CopyTable("webhook_endpoint", key: ["url"], [("url", .text), ("cursor", .integer)]),
        CopyTable("webhook_delivery", [("id", .integer), ("endpoint", .text), ("event", .integer), ("attempts", .integer), ("next_at", .time),
                                       ("delivered_at", .time), ("failed_at", .time), ("last_error", .text)]),
        CopyTable("resolver_link", [("id", .integer), ("gtin", .text), ("lot", .text), ("link_type", .text), ("href", .text), ("title", .text),
                                    ("language", .text), ("context", .text), ("is_default", .bool), ("created_at", .time)]),
        // The channel: packing, dealers, warehouses, shipments and diversions.
        CopyTable("code_parent", key: ["child_key"], [("child_key", .integer), ("parent_key", .integer), ("aggregation_id", .integer)]),
        CopyTable("aggregation", [("id", .integer), ("parent_key", .integer), ("action", .text), ("at", .time), ("children", .integer)]),
        CopyTable("aggregation_child", key: ["aggregation_id", "child_key"], [("aggregation_id", .integer), ("child_key", .integer)]),
        CopyTable("dealer", [("id", .integer), ("name", .text), ("territory", .text), ("contact", .text), ("created_at", .time)]),
        CopyTable("warehouse", [("id", .integer), ("name", .text), ("region", .text), ("created_at", .time)]),
        CopyTable("shipment", [("id", .integer), ("dealer_id", .integer), ("from_dealer_id", .integer), ("warehouse_id", .integer), ("store_id", .integer), ("at", .time),
                               ("codes", .integer)]),
        CopyTable("shipment_code", key: ["code_key", "shipment_id"], [("code_key", .integer), ("shipment_id", .integer)]),
        CopyTable("diversion", key: ["code_key", "dealer_id"], [("code_key", .integer), ("dealer_id", .integer), ("shipment_id", .integer),
                                                                ("scan_id", .integer), ("at", .time), ("region", .text), ("territory", .text)]),
        CopyTable("code_pin", key: ["code_key"], [("code_key", .integer), ("failures", .integer), ("locked_at", .time)]),
        CopyTable("fake_count", key: ["day", "region", "verdict"], [("day", .text), ("region", .text), ("verdict", .text), ("scans", .integer)]),
        CopyTable("scan_day", key: ["day", "batch_id", "region", "verdict"], [("day", .text), ("batch_id", .integer), ("region", .text),
                                                                            ("verdict", .text), ("scans", .integer), ("first_scans", .integer)]),
        CopyTable("resolution_count", key: ["day", "link_type"], [("day", .text), ("link_type", .text), ("resolutions", .integer)]),
        CopyTable("fake_report", [("id", .integer), ("at", .time), ("day", .text), ("code", .text), ("verdict", .text), ("region", .text),
                                  ("where_bought", .text), ("comment", .text), ("phone", .text), ("contact_consent_at", .time), ("consumer", .text),
                                  ("ip", .text)]),
        CopyTable("receipt", [("id", .integer), ("code_key", .integer), ("store_id", .integer), ("at", .time)]),
        CopyTable("clerk_case", key: ["code_key"], [("code_key", .integer), ("clerk_id", .integer), ("at", .time)]),
        CopyTable("clerk_day", key: ["clerk_id", "day"], [("clerk_id", .integer), ("day", .text), ("amount", .integer)]),
        CopyTable("ledger", [("id", .integer), ("at", .time), ("store_id", .integer), ("clerk_id", .integer), ("amount", .integer), ("cause", .text),
                             ("receipt_id", .integer), ("scan_id", .integer), ("code", .text)]),
        // The linker's own records: segments (people wrote them) and leads (sales tools hold their cursors).
        // Profiles and memberships are derived: the first refresh on the target rebuilds them.
        CopyTable("segment", [("id", .integer), ("name", .text), ("rules", .text), ("created_at", .real)]),
        CopyTable("lead", key: ["kind", "ref"], [("kind", .text), ("ref", .text), ("name", .text), ("phone", .text), ("score", .real),
                                                 ("reasons", .text), ("source", .text), ("created_at", .real), ("updated_at", .real),
                                                 ("seq", .integer)]),
    ]
}

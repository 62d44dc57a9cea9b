import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

/// The linker (profiles, segments, leads, feedback reports) is not built on PostgreSQL yet: those calls
/// answer `UnavailableError`, which the API turns into a 501 and the CLI into one line and exit 1. The
/// SQLite linker's cursors page on ids, which is sound only with one writer; the PostgreSQL one must
/// page on commit-ordered sequences as the outbox does. A consumer's export and erasure work: they
/// read and change the rows that exist here.
extension PostgresStore: LinkerStore {
    static let noLinker = UnavailableError(
        "database", "the linker (segments, leads, reports) does not run on PostgreSQL yet; use the SQLite database for it")

    public var hasLinker: Bool { false }
    public func refreshLinker(now: Date, full: Bool) async throws -> LinkerRefresh { throw Self.noLinker }
    public func createSegment(name: String, rule: SegmentRule) async throws -> Segment { throw Self.noLinker }
    public func updateSegment(_ id: SegmentID, name: String?, rule: SegmentRule?) async throws -> Segment { throw Self.noLinker }
    public func deleteSegment(_ id: SegmentID) async throws -> Bool { throw Self.noLinker }
    public func segments() async throws -> [Segment] { throw Self.noLinker }
    public func segment(_ id: SegmentID) async throws -> Segment? { throw Self.noLinker }
    public func members(of segment: SegmentID, after: String, limit: Int) async throws -> [String] { throw Self.noLinker }
    public func profile(_ consumer: String) async throws -> ConsumerProfile? { throw Self.noLinker }
    public func storeProfiles() async throws -> [StoreProfile] { throw Self.noLinker }
    public func leads(after: Int64, limit: Int, segment: SegmentID?, minScore: Double?) async throws -> LeadPage { throw Self.noLinker }
    public func feedbackReport(byBatch: Bool) async throws -> [FeedbackAggregate] { throw Self.noLinker }
    public func scanRate(by: ScanRateGrouping) async throws -> [ReportRow] { throw Self.noLinker }
    public func dailyScans(batch: BatchID?) async throws -> [ReportRow] { throw Self.noLinker }
    public func diversion() async throws -> [DiversionAlert] { throw Self.noLinker }
}

// MARK: - A consumer's data

extension PostgresStore {
    /// Everything stored about a consumer, as on SQLite (profile, segments and lead are not kept here).
    public func exportConsumer(_ consumer: String) async throws -> Data? {
        let parts = try await read { db -> [String: String] in
            func rows(_ sql: String) throws -> String {
                var binds = PostgresBindings()
                binds.append(consumer)
                let query = PostgresQuery(unsafeSQL: "SELECT coalesce(json_agg(t), '[]')::text FROM (\(sql)) t", binds: binds)
                return try db.row(query)?.decode(String.self) ?? "[]"
            }
            return [
                "contact": try rows("SELECT name, phone, consent_version, consent_text, consented_at FROM consumer_contact WHERE consumer = $1"),
                "scans": try rows("SELECT id, at, code, batch_id, ip, user_agent, region, latitude, longitude, verdict FROM scan WHERE consumer = $1 ORDER BY id"),
                "entries": try rows("SELECT id, campaign_id, code, at, result, tier, points FROM entry WHERE consumer = $1 ORDER BY id"),
                "claims": try rows("SELECT entry_id, name, phone, consent_version, at, redemption_code FROM claim WHERE consumer = $1"),
                "feedback": try rows("SELECT at, code, rating, comment FROM feedback WHERE consumer = $1 ORDER BY id"),
            ]
        }
        var document: [String: Any] = ["consumer": consumer, "segments": [String]()]
        for (name, json) in parts { document[name] = try JSONSerialization.jsonObject(with: Data(json.utf8)) }
        document["contact"] = (document["contact"] as? [Any])?.first
        let empty = ["scans", "entries", "claims", "feedback"].allSatisfy { (document[$0] as? [Any])?.isEmpty ?? true } && document["contact"] == nil
        if empty { return nil }
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])
    }

    /// Erases a consumer as `ErasurePolicy` says, in one transaction. Old row versions stay in the table
    /// files until PostgreSQL's (auto)vacuum reuses them: README says so.
    public func forgetConsumer(_ consumer: String) async throws -> Bool {
        try await write { db in
            var known = 0
            func run(_ sql: String) throws {
                var binds = PostgresBindings()
                binds.append(consumer)
                known += try db.execute(PostgresQuery(unsafeSQL: sql, binds: binds))
            }
            for data in ErasurePolicy.Data.allCases {
                switch (data, ErasurePolicy.action(for: data)) {
                case (.contact, .delete): try run("DELETE FROM consumer_contact WHERE consumer = $1")
                case (.profile, .delete), (.segmentMemberships, .delete), (.lead, .delete), (.linkerChanges, .delete):
                    break  // the linker's rows: none on PostgreSQL yet
                case (.claims, .anonymise): try run("UPDATE claim SET consumer = 'erased', name = '', phone = '' WHERE consumer = $1")
                case (.feedback, .anonymise): try run("UPDATE feedback SET consumer = NULL, comment = NULL WHERE consumer = $1")
                case (.entries, .anonymise): try run("UPDATE entry SET consumer = NULL WHERE consumer = $1")
                case (.scans, .anonymise):
                    try run("UPDATE scan SET consumer = NULL, ip = NULL, user_agent = NULL, referer = NULL, latitude = NULL, longitude = NULL WHERE consumer = $1")
                    try run("UPDATE code_log SET consumer = NULL WHERE consumer = $1")
                case (.events, .anonymise):
                    // Events name the consumer (and a claim's contact): keep the events, drop the person.
                    for field in ["consumer", "id"] {
                        try run("""
                            UPDATE outbox SET body = jsonb_set(jsonb_set(jsonb_set(body::jsonb, '{data,\(field)}', 'null', false),
                                '{data,name}', 'null', false), '{data,phone}', 'null', false)::text
                            WHERE (body::jsonb) #>> '{data,\(field)}' = $1\(field == "id" ? " AND type = 'lead.created'" : "")
                            """)
                    }
                default:
                    throw InputError("erasure", "the PostgreSQL store does not know how to carry out \(data) erasure")
                }
            }
            return known > 0
        }
    }
}

import Foundation
import OneCodeDomain
import OneCodePostgres
import OneCodeSQLite
import OneCodeStorage
import Testing

/// The linker and erasure are decided once (`LinkerBook`, `ErasureBook`); these hold what each
/// backend must mean by them: the counts a refresh reports, the erasure policy, the one region rule.
@Suite("Linker engine: one meaning on every backend", .serialized)
struct LinkerEngineTests {
    static let day = 86_400.0

    /// The counts a refresh reports, as LinkerBook's documentation defines them, for a scenario
    /// whose answers are counted by hand here (three consumers, one segment, one consent).
    @Test("a refresh's counts mean the same on both backends: scans read, profiles, members added and removed, leads; a full refresh counts only real changes; a segment whose rule no longer parses keeps its members",
          arguments: Backend.complete)
    func refreshCounts(_ backend: Backend) async throws {
        var world = try await LinkerWorld(backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let now = Date()
        let campaign = try await store.liveCampaign()
        let (a, b, c) = (ConsumerID.random(), ConsumerID.random(), ConsumerID.random())
        let (codeA, _) = try await world.scan(a, at: now - 2 * Self.day, region: "CN-31")
        try await world.scan(a, at: now - Self.day, region: "CN-31")
        try await world.scan(b, at: now - Self.day, region: "CN-31")
        let (codeC, _) = try await world.scan(c, at: now - Self.day, region: "CN-11")
        _ = try await store.claim(campaign: campaign.id, key: world.key(codeA), consumer: a,
                                  contact: try ContactDetails(name: "A", phone: "13800000001"), consentVersion: "v1", consentText: "ok", at: now)
        let shanghai = try await store.createSegment(name: "Shanghai", rule: try SegmentRule.parse(Data(#"{"region": ["CN-31"]}"#.utf8)))

        // 4 scans by 3 consumers; a and b are in Shanghai; a alone consented.
        let first = try await store.refreshLinker(now: now, full: false)
        #expect(first.scansRead == 4 && first.profilesChanged == 3, "\(first)")
        #expect(first.segmentsRefreshed == 1 && first.membersAdded == 2 && first.membersRemoved == 0, "\(first)")
        #expect(first.leadsCreated == 1 && first.leadsChanged == 1 && first.failedSegments.isEmpty, "\(first)")

        // Nothing new: nothing changes.
        let idle = try await store.refreshLinker(now: now, full: false)
        #expect(idle.scansRead == 0 && idle.profilesChanged == 0 && idle.membersAdded == 0 && idle.membersRemoved == 0
                    && idle.leadsChanged == 0 && idle.leadsCreated == 0, "\(idle)")

        // A full computation reads everything again but finds the same members and leads: no change to count.
        let full = try await store.refreshLinker(now: now, full: true)
        #expect(full.full && full.scansRead == 4 && full.profilesChanged == 3, "\(full)")
        #expect(full.membersAdded == 0 && full.membersRemoved == 0 && full.leadsChanged == 0 && full.leadsCreated == 0, "\(full)")

        // c shares a location in Shanghai: one profile changes, one member joins; b's scan moves to Beijing: one leaves.
        #expect(try await store.attachLocation(key: world.key(codeC), consumer: c, latitude: 31.2, longitude: 121.5, region: "CN-31") != nil)
        let moved = try await store.refreshLinker(now: now, full: false)
        #expect(moved.scansRead == 0 && moved.profilesChanged == 1 && moved.membersAdded == 1 && moved.membersRemoved == 0, "\(moved)")
        #expect(try await world.members(shanghai) == [a.value, b.value, c.value])

        // The rule stops parsing (stored before today's limits, say): the segment is reported, skipped,
        // and keeps its last members, on an incremental and a full refresh alike.
        try world.sql("UPDATE segment SET rules = '{\"bogus\": 1}' WHERE id = \(shanghai.id.rawValue)")
        for full in [false, true] {
            let broken = try await store.refreshLinker(now: now, full: full)
            #expect(broken.failedSegments.count == 1 && broken.failedSegments[0].hasPrefix("segment \(shanghai.id.rawValue): its rule no longer parses"),
                    "\(broken)")
            #expect(broken.segmentsRefreshed == 0 && broken.membersAdded == 0 && broken.membersRemoved == 0, "\(broken)")
            #expect(try await world.members(shanghai) == [a.value, b.value, c.value], "full: \(full)")
        }
    }

    /// A policy with one more field, and one without a kind of data: erasure follows the policy, on
    /// both backends, with no other change.
    @Test("the erasure policy drives erasure: a field added to it is erased, a rule taken out leaves its data", arguments: Backend.complete)
    func erasureFollowsThePolicy(_ backend: Backend) async throws {
        var world = try await LinkerWorld(backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let now = Date()
        let (a, b) = (ConsumerID.random(), ConsumerID.random())
        let (codeA, resultA) = try await world.scan(a, at: now, region: "CN-31")
        let (codeB, resultB) = try await world.scan(b, at: now, region: "CN-44")
        try await store.addFeedback(key: world.key(codeA), code: codeA, consumer: a, rating: 2, comment: "too sweet", at: now)
        try await store.addFeedback(key: world.key(codeB), code: codeB, consumer: b, rating: 4, comment: "fine", at: now)

        // The standard policy keeps a scan's region (an anonymous count by region); this one erases it too.
        var wider = ErasurePolicy.standard
        wider.rules.append(ErasurePolicy.Rule(.scans, table: "scan", .anonymise([ErasurePolicy.Field("region")])))
        #expect(try await forget(a.value, policy: wider, in: store))
        #expect(try backend.query("SELECT count(*) FROM scan WHERE id = \(resultA.scanID) AND region IS NULL AND consumer IS NULL", in: world.fixture.folder) == "1")
        #expect(try backend.query("SELECT count(*) FROM feedback WHERE comment = 'too sweet'", in: world.fixture.folder) == "0")

        // Without the feedback rule, b's comment stays (the standard policy removes it).
        let narrower = ErasurePolicy(rules: ErasurePolicy.standard.rules.filter { $0.data != .feedback })
        #expect(try await forget(b.value, policy: narrower, in: store))
        #expect(try backend.query("SELECT count(*) FROM scan WHERE id = \(resultB.scanID) AND region = 'CN-44' AND consumer IS NULL",
                                  in: world.fixture.folder) == "1")
        #expect(try backend.query("SELECT count(*) FROM feedback WHERE comment = 'fine' AND consumer = '\(b.value)'", in: world.fixture.folder) == "1")
        // Someone never seen: nothing known, nothing emitted.
        #expect(try await forget(ConsumerID.random().value, policy: .standard, in: store) == false)
        #expect(try backend.query("SELECT count(*) FROM outbox WHERE type = 'consumer.erased'", in: world.fixture.folder) == "2")
    }

    func forget(_ consumer: String, policy: ErasurePolicy, in store: any OneCodeStore) async throws -> Bool {
        switch store {
        case let sqlite as SQLiteStore: try await sqlite.forgetConsumer(consumer, policy: policy)
        case let postgres as PostgresStore: try await postgres.forgetConsumer(consumer, policy: policy)
        default: fatalError("no erasure for \(type(of: store))")
        }
    }

    /// Pairs chosen to tell a prefix test from a subdivision test, and `LIKE` from equality.
    static let regionPairs: [(area: String, region: String, covers: Bool)] = [
        ("CN", "CN", true), ("CN", "CN-31", true), ("CN-31", "CN-31", true), ("CN-31", "CN-31-01", true),
        ("CN-3", "CN-31", false), ("CN", "CNX", false), ("CN", "cn-31", false), ("CN-31", "CN", false),
        ("C_", "CN-1", false), ("%", "CN", false), ("CN", "HK", false), ("CN-4", "CN-44", false),
    ]

    @Test("one region rule: RegionCode.covers as README says it (CN covers CN-31), and its SQL selects the same on both backends",
          arguments: Backend.complete)
    func regionCovers(_ backend: Backend) async throws {
        for pair in Self.regionPairs { #expect(RegionCode.covers(pair.area, pair.region) == pair.covers, "\(pair)") }
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        _ = try await backend.open(folder)
        let values = Self.regionPairs.enumerated().map { "(\($0.offset), '\($0.element.area)', '\($0.element.region)')" }.joined(separator: ", ")
        // A common table expression names the columns on both backends.
        let rows = try backend.query("""
            WITH t(n, area, region) AS (VALUES \(values))
            SELECT n, CASE WHEN \(RegionCode.coversSQL(area: "area", region: "region")) THEN 1 ELSE 0 END FROM t ORDER BY n
            """, in: folder)
        let selected = rows.split(separator: "\n").map { $0.split(separator: "|").last.map(String.init) ?? "" }
        #expect(selected == Self.regionPairs.map { $0.covers ? "1" : "0" }, "\(rows)")
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OneCodeDomain
import OneCodeIssuing
@testable import OneCodeService
@testable import OneCodePostgres
@testable import OneCodeSQLite
import OneCodeRulebook
import OneCodeStorage
import Testing

/// Builds linker data through the real store: scans through `recordScans`, claims, feedback.
struct LinkerWorld {
    let fixture: ServiceFixture
    var store: any OneCodeStore { fixture.store }
    var backend: Backend { fixture.backend }
    var nextCode = 0

    init(codes: Int = 200, backend: Backend = .sqlite) async throws {
        fixture = try await ServiceFixture(backend: backend, count: codes)
    }

    func key(_ code: String) -> CodeKey {
        guard case let .valid(key, _) = ServiceFixture.signer.check(code) else { fatalError("bad code") }
        return key
    }

    /// A counted scan of a fresh code (or of `code`) by `consumer`, at `at`, in `region`.
    @discardableResult
    mutating func scan(_ consumer: ConsumerID, at: Date, region: String?, code: String? = nil) async throws -> (String, ScanResult) {
        let code = code ?? fixture.codes[nextCode]
        if code == fixture.codes[nextCode] { nextCode += 1 }
        let result = try await store.recordScans([ScanRequest(key: key(code), code: code, at: at, consumer: consumer, ip: nil,
                                                              userAgent: ServiceFixture.phone, referer: nil, bot: false, region: region)],
                                                 rules: VerdictRules(maxScans: 1000, maxConsumers: 1000))
        return (code, result[0])
    }

    func members(_ segment: Segment) async throws -> Set<String> {
        Set(try await store.members(of: segment.id, after: "", limit: 100_000))
    }

    /// Profiles and memberships as text, to compare refreshes (versions left out).
    func dump() async throws -> String {
        try await backend.dump(["""
            SELECT consumer, first_at, last_at, scans, products, batches, regions, last_batch, last_region, draws, prizes_won, points,
                   ratings, rating_sum, min_rating, consent_at, days FROM consumer_profile ORDER BY consumer
            """, "SELECT segment_id, consumer FROM segment_member ORDER BY segment_id, consumer",
            backend == .sqlite ? "SELECT s.id, coalesce(st.members, 0) FROM segment s LEFT JOIN segment_state st ON st.id = s.id ORDER BY s.id"
                : "SELECT id, members FROM segment ORDER BY id"], in: fixture.folder) + "\n"
    }

    /// Runs SQL on the world's database with the backend's client (tests that change rows behind the store's back).
    func sql(_ statement: String) async throws {
        _ = try await backend.query(statement, in: fixture.folder)
    }

    /// The consumers a rule selects, evaluated in the backend's SQL.
    func evaluate(_ rule: SegmentRule, now: Date) async throws -> Set<String> {
        switch store {
        case let sqlite as SQLiteStore: try await sqlite.evaluate(rule, now: now)
        case let postgres as PostgresStore: try await postgres.evaluate(rule, now: now)
        default: fatalError("no SQL evaluation for \(type(of: store))")
        }
    }
}

@Suite("Linker: profiles, segments, leads, feedback, reports", .serialized)
struct LinkerTests {
    static let day = 86_400.0

    @Test("segment rules are validated with the JSON path of the bad part", arguments: [
        (#"[]"#, "rules"),
        (#"{"region": ["Shanghai"]}"#, "rules.region[0]"),
        (#"{"all": [{"scans": {"atLeast": 0, "days": 3}}]}"#, "rules.all[0].scans.atLeast"),
        (#"{"any": [{"consent": true}, {"lapsed": {"days": 1.5}}]}"#, "rules.any[1].lapsed.days"),
        (#"{"rating": {"atMost": 6}}"#, "rules.rating.atMost"),
        (#"{"consent": 1}"#, "rules.consent"),
        (#"{"product": [true]}"#, "rules.product[0]"),
        (#"{"colour": "red"}"#, "rules.colour"),
        (#"{"all": []}"#, "rules.all"),
    ])
    func ruleValidation(json: String, field: String) {
        #expect { try SegmentRule.parse(Data(json.utf8)) } throws: { ($0 as? InputError)?.field == field }
    }

    @Test("each rule selects exactly the consumers it describes; only consenting consumers become leads", arguments: Backend.complete)
    func ruleSemantics(_ backend: Backend) async throws {
        var world = try await LinkerWorld(backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let now = Date()
        let (a, b, c, d) = (ConsumerID.random(), ConsumerID.random(), ConsumerID.random(), ConsumerID.random())
        for offset in [4.0, 2, 1] { try await world.scan(a, at: now - offset * Self.day, region: "CN-31") }  // regular in Shanghai
        try await world.scan(b, at: now - 90 * Self.day, region: "CN-11")  // lapsed, Beijing
        try await world.scan(d, at: now - 3 * Self.day, region: nil)
        // C scans in the US, then wins a prize (a live campaign with probability 1) on a scan whose
        // region is unknown, and claims it with consent: the lead's source region is the latest known.
        try await world.scan(c, at: now - 2 * Self.day, region: "US")
        let campaign = try await store.liveCampaign()
        let (cCode, cScan) = try await world.scan(c, at: now - Self.day, region: nil)
        #expect(cScan.draws.first?.result == .won)
        _ = try await store.claim(campaign: campaign.id, key: world.key(cCode), consumer: c, contact: try ContactDetails(name: "Cui", phone: "13800000001"),
                                  consentVersion: "v1", consentText: "ok", marketing: .ok, at: now)
        try await store.addFeedback(key: world.key(world.fixture.codes[4]), code: world.fixture.codes[4], consumer: d, rating: 2, comment: "meh", at: now)
        let rules: [(String, Set<ConsumerID>)] = [
            (#"{"region": ["CN-31"]}"#, [a]),
            (#"{"region": ["CN"]}"#, [a, b]),
            (#"{"scans": {"atLeast": 3, "days": 7}}"#, [a]),
            (#"{"scans": {"atLeast": 2, "days": 2}}"#, []),  // only two of A's scans are in the last two days: today and yesterday? (1 and 2 days ago: days today-1, today-2)
            (#"{"lapsed": {"days": 60}}"#, [b]),
            (#"{"wonPrize": true}"#, [c]),
            (#"{"consent": true}"#, [c]),
            (#"{"consent": false}"#, [a, b, d]),
            (#"{"rating": {"atMost": 2}}"#, [d]),
            (#"{"product": [1]}"#, [a, b, c, d]),
            (#"{"all": [{"region": ["CN"]}, {"scans": {"atLeast": 1, "days": 30}}]}"#, [a]),
            (#"{"any": [{"wonPrize": true}, {"lapsed": {"days": 60}}]}"#, [b, c]),
        ]
        var segments: [Segment] = []
        for (index, (json, _)) in rules.enumerated() {
            segments.append(try await store.createSegment(name: "s\(index)", rule: try SegmentRule.parse(Data(json.utf8)), audit: .test))
        }
        let report = try await store.refreshLinker(now: now, full: false)
        #expect(report.profilesChanged == 4)
        for (segment, (json, expected)) in zip(segments, rules) {
            let members = try await world.members(segment)
            // "scans in the last 2 days" counts UTC days, today and yesterday: of A's scans (4, 2 and 1 days
            // ago) only yesterday's is in it, whatever the time of day, so nobody has 2.
            let wanted = Set(expected.map(\.value))
            #expect(members == wanted, "\(json): \(members.count) members")
            #expect(try await store.segment(segment.id)?.members == wanted.count)
        }
        // Leads: only C, who consented.
        let page = try await store.leads(after: 0, limit: 100, segment: nil, minScore: nil)
        #expect(page.leads.map(\.id) == [c.value] && page.leads[0].phone == "+8613800000001" && page.leads[0].source.region == "US")
        #expect(page.leads[0].reasons.contains { $0.contains("1 won") })
        // README's formula by hand for C: last scan a day ago, 2 scans of 1 product, 1 prize, no rating:
        // 30·e^(−1/30) + 25·2/20 + 15·1/5 + 20·1/3 + 10·0.5 = 29.016 + 2.5 + 3 + 6.667 + 5 = 46.2
        #expect(page.leads[0].score == 46.2)
        let events = try await store.events(after: 0, limit: 100).map(\.type)
        #expect(events.filter { $0 == "lead.created" }.count == 1)
        let profile = try #require(try await store.profile(a.value))
        #expect(profile.scans == 3 && profile.regions == ["CN-31"] && profile.products == [world.fixture.product.id.rawValue])
    }

    @Test("incremental refreshes over 40 simulated days give exactly what a full rebuild gives", arguments: Backend.complete)
    func incrementalEqualsFull(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 400, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let seed = TestSeed.make("incrementalEqualsFull \(backend)")
        var random = SeededGenerator(seed: seed)
        let consumers = (0..<40).map { _ in ConsumerID.random() }
        let regions = ["CN-31", "CN-11", "CN-44", "US", nil]
        let campaign = try await store.createCampaign(try CampaignDefinition.parse(CampaignTests.definition(
            tiers: #"[{"name": "Bottle", "kind": "goods", "value": 1, "probability": 0.3, "stock": 1000}]"#)), audit: .test)
        let rules = [
            #"{"scans": {"atLeast": 2, "days": 7}}"#, #"{"lapsed": {"days": 5}}"#, #"{"region": ["CN"]}"#,
            #"{"all": [{"consent": true}, {"scans": {"atLeast": 1, "days": 3}}]}"#, #"{"any": [{"rating": {"atMost": 2}}, {"wonPrize": true}]}"#,
        ]
        for (index, json) in rules.enumerated() { _ = try await store.createSegment(name: "r\(index)", rule: try SegmentRule.parse(Data(json.utf8)), audit: .test) }
        let start = Date().addingTimeInterval(-45 * Self.day)
        var clock = start
        var consented = Set<String>()
        for day in 0..<40 {
            for _ in 0..<Int.random(in: 0...8, using: &random) where world.nextCode < 390 {
                clock += Double.random(in: 60...7200, using: &random)
                let consumer = consumers.randomElement(using: &random)!
                let (code, result) = try await world.scan(consumer, at: clock, region: regions.randomElement(using: &random)!)
                if result.draws.first?.result == .won, Bool.random(using: &random) {
                    _ = try await store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer,
                                              contact: try ContactDetails(name: "C\(day)", phone: "1380000\(String(format: "%04d", day))"),
                                              consentVersion: "v1", consentText: "ok", marketing: .ok, at: clock)
                    consented.insert(consumer.value)
                }
                if Int.random(in: 0..<4, using: &random) == 0 {
                    try await store.addFeedback(key: world.key(code), code: code, consumer: consumer, rating: Int.random(in: 1...5, using: &random),
                                                 comment: nil, at: clock)
                }
            }
            // Some days are skipped: the time-only changes (windows, lapsing) must still be caught.
            if day % 3 != 1 {
                _ = try await store.refreshLinker(now: start + Double(day + 1) * Self.day, full: false)
            }
        }
        let end = start + 41 * Self.day
        _ = try await store.refreshLinker(now: end, full: false)
        let incremental = try await world.dump()
        let leads = Set(try await store.leads(after: 0, limit: 1000, segment: nil, minScore: nil).leads.map(\.id))
        let report = try await store.refreshLinker(now: end, full: true)
        #expect(report.full && report.scansRead > 50)
        let full = try await world.dump()
        #expect(incremental == full, "seed \(seed)")
        #expect(incremental.split(separator: "\n").count > 40, "\(incremental)")
        #expect(leads == consented && !consented.isEmpty)
    }

    @Test("consumer ids of another form (imported data) are profiled alike; incremental from nothing equals full", arguments: Backend.complete)
    func fullRefreshFallback(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 30, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let start = Date().addingTimeInterval(-10 * Self.day)
        let consumers = (0..<5).map { _ in ConsumerID.random() }
        for index in 0..<25 {
            try await world.scan(consumers[index % 5], at: start + Double(index) * 3600 * 7, region: ["CN-31", "US", nil][index % 3])
        }
        _ = try await world.store.createSegment(name: "busy", rule: try SegmentRule.parse(Data(#"{"scans": {"atLeast": 2, "days": 30}}"#.utf8)), audit: .test)
        _ = try await world.store.refreshLinker(now: Date(), full: true)
        let packed = try await world.dump()
        try await world.sql("UPDATE scan SET consumer = 'imported-' || consumer WHERE consumer = '\(consumers[0].value)'")
        let report = try await world.store.refreshLinker(now: Date(), full: true)
        #expect(report.scansRead == 25)
        let sorted = try await world.dump()
        // The same profiles, the renamed consumer's under its new id.
        #expect(Set(sorted.split(separator: "\n").map { $0.replacingOccurrences(of: "imported-", with: "") })
                == Set(packed.split(separator: "\n").map(String.init)), "\(sorted)")
        #expect(sorted.contains("imported-\(consumers[0].value)|"))
        // Incremental from nothing gives the same as the full (fallback) refresh.
        try await world.sql("DELETE FROM consumer_profile; DELETE FROM segment_member; " + (backend == .sqlite
            ? "UPDATE segment_state SET version = 0, members = 0; "
                + "UPDATE linker_state SET scan_cursor = 0, scan_cursor_at = NULL, entry_cursor = 0, feedback_cursor = 0, outbox_cursor = 0"
            : "UPDATE segment SET version = 0, members = 0; UPDATE linker_state SET snapshot = NULL, outbox_cursor = 0"))
        _ = try await world.store.refreshLinker(now: Date(), full: false)
        #expect(try await world.dump() == sorted)
    }

    @Test("lead export cursors: no gaps and no duplicates while scans and refreshes run beside the export", arguments: Backend.complete)
    func exportCursors(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 300, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let campaign = try await store.createCampaign(try CampaignDefinition.parse(CampaignTests.definition(
            tiers: #"[{"name": "Bottle", "kind": "goods", "value": 1, "probability": 1, "stock": 1000}]"#)), audit: .test)
        var consumers: [ConsumerID] = []
        for index in 0..<30 {
            let consumer = ConsumerID.random()
            let (code, _) = try await world.scan(consumer, at: Date(), region: "CN-31")
            _ = try await store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer,
                                      contact: try ContactDetails(name: "Lead \(index)", phone: "139000000\(String(format: "%02d", index))"),
                                      consentVersion: "v1", consentText: "ok", marketing: .ok, at: Date())
            consumers.append(consumer)
        }
        _ = try await store.refreshLinker(now: Date(), full: false)
        var seen: [(String, Int64)] = []
        var cursor: Int64 = 0
        for _ in 0..<6 {
            // Scans and a refresh run while this round's export pages through.
            let scanner = Task { [world] in
                var world = world
                for consumer in consumers.shuffled().prefix(8) { try await world.scan(consumer, at: Date(), region: "CN-11") }
                _ = try await world.store.refreshLinker(now: Date(), full: false)
                return world.nextCode
            }
            while true {
                let page = try await store.leads(after: cursor, limit: 4, segment: nil, minScore: nil)
                seen += page.leads.map { ($0.id, $0.cursor) }
                #expect(page.cursor >= cursor)
                cursor = page.cursor
                if !page.more { break }
            }
            world.nextCode = try await scanner.value
        }
        // Drain what the last refresh changed.
        while true {
            let page = try await store.leads(after: cursor, limit: 4, segment: nil, minScore: nil)
            seen += page.leads.map { ($0.id, $0.cursor) }
            cursor = page.cursor
            if !page.more { break }
        }
        let cursors = seen.map(\.1)
        #expect(cursors == cursors.sorted() && Set(cursors).count == cursors.count, "cursors repeat or go back")
        let final = try await store.leads(after: 0, limit: 1000, segment: nil, minScore: nil).leads
        #expect(final.count == 30)
        let exported = Set(seen.map { "\($0.0)@\($0.1)" })
        for lead in final { #expect(exported.contains("\(lead.id)@\(lead.cursor)"), "lead \(lead.id)'s latest version was never exported") }
        #expect(try await store.leads(after: cursor, limit: 10, segment: nil, minScore: nil).leads.isEmpty)
        // An idle refresh re-issues nothing; after three consumers scan again, exactly their leads come back.
        _ = try await store.refreshLinker(now: Date(), full: false)
        #expect(try await store.leads(after: cursor, limit: 10, segment: nil, minScore: nil).leads.isEmpty)
        let rescanned = Set(consumers.prefix(3).map(\.value))
        for consumer in consumers.prefix(3) { try await world.scan(consumer, at: Date(), region: "CN-44") }
        _ = try await store.refreshLinker(now: Date(), full: false)
        let back = try await store.leads(after: cursor, limit: 100, segment: nil, minScore: nil).leads
        #expect(Set(back.map(\.id)) == rescanned && back.count == 3)
    }

    @Test("CSV export survives commas, quotes and Chinese (read back by Python's csv module); JSONL too", arguments: Backend.complete)
    func csvExport(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 20, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let campaign = try await store.liveCampaign()
        let tricky = "王, \"小明\" Smith"  // names cannot hold control characters (nor line breaks)
        let segmentName = "VIP Shanghai, \"A\""
        await #expect(throws: InputError.self) { _ = try await store.createSegment(name: "VIP\nShanghai", rule: .consent(true), audit: .test) }
        let consumer = ConsumerID.random()
        let (code, _) = try await world.scan(consumer, at: Date(), region: "CN-31")
        _ = try await store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer,
                                  contact: try ContactDetails(name: tricky, phone: "+8613800000000"), consentVersion: "v1", consentText: "ok", marketing: .ok, at: Date())
        _ = try await store.createSegment(name: segmentName, rule: .product([world.fixture.product.id]), audit: .test)
        _ = try await store.refreshLinker(now: Date(), full: false)
        _ = try await store.refreshLinker(now: Date(), full: true)  // reasons name the segment once it has members
        let folder = world.fixture.folder
        let environment = ["ONECODE_CODES_SECRET": ServiceFixture.secret]
        var result = try await Run.run(Run.onecode, ["leads", "export", "--format", "csv", "--out", "leads.csv", "--database", try backend.database(folder)], cwd: folder.path, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote 1 leads") && result.stdout.contains("--since 1"))
        let parsed = try await Run.run("/usr/bin/env", ["python3", "-c", """
            import csv, json, sys
            rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
            print(json.dumps([[r['name'], r['phone'], r['reasons']] for r in rows]))
            """, folder.file("leads.csv")])
        let rows = try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [[String]]
        #expect(rows?.first?.first == tricky && rows?.first?.last?.contains(segmentName) == true, "\(parsed.stdout) \(parsed.stderr)")
        // The phone as a CRM imports it: no formula guard's quote before a validated number.
        #expect(rows?.first?[1] == "+8613800000000", "\(parsed.stdout)")
        // The byte-order mark Excel needs is the default; --no-bom leaves it out.
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.file("leads.csv"))).prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        result = try await Run.run(Run.onecode, ["leads", "export", "--format", "csv", "--no-bom", "--no-refresh", "--out", "plain.csv", "--database", try backend.database(folder)],
                                 cwd: folder.path, environment: environment)
        let plain = try Data(contentsOf: URL(fileURLWithPath: folder.file("plain.csv")))
        #expect(result.status == 0 && plain.prefix(6) == Data("cursor".utf8), "\(result.stderr)")
        // --bom (the default, said): Python's utf-8-sig reads the same rows.
        result = try await Run.run(Run.onecode, ["leads", "export", "--format", "csv", "--bom", "--no-refresh", "--out", "bom.csv", "--database", try backend.database(folder)],
                                 cwd: folder.path, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.file("bom.csv"))).prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        let withBOM = try await Run.run("/usr/bin/env", ["python3", "-c", """
            import csv, sys
            rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8-sig')))
            print(rows[0]['name'] == sys.argv[2], list(rows[0].keys())[0])
            """, folder.file("bom.csv"), tricky])
        #expect(withBOM.stdout == "True cursor\n", "\(withBOM.stdout) \(withBOM.stderr)")
        result = try await Run.run(Run.onecode, ["leads", "export", "--format", "jsonl", "--bom", "--out", "x.jsonl", "--database", try backend.database(folder)], cwd: folder.path, environment: environment)
        #expect(result.status == 1 && result.stderr.hasPrefix("error: bom:"))
        result = try await Run.run(Run.onecode, ["leads", "export", "--format", "jsonl", "--since", "1", "--out", "more.jsonl", "--database", try backend.database(folder)],
                                 cwd: folder.path, environment: environment)
        #expect(result.status == 0 && result.stdout.contains("wrote 0 leads"), "\(result.stdout) \(result.stderr)")
        result = try await Run.run(Run.onecode, ["leads", "export", "--format", "jsonl", "--segment", "1", "--min-score", "0", "--out", "seg.jsonl", "--database", try backend.database(folder)],
                                 cwd: folder.path, environment: environment)
        let line = try String(contentsOfFile: folder.file("seg.jsonl"), encoding: .utf8)
        #expect((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["name"] as? String == tricky)
        // A segment by its name too; a name that is none gets the nearest one.
        result = try await Run.run(Run.onecode, ["leads", "export", "--format", "jsonl", "--segment", segmentName, "--out", "named.jsonl", "--database", try backend.database(folder)],
                                 cwd: folder.path, environment: environment)
        let named = try String(contentsOfFile: folder.file("named.jsonl"), encoding: .utf8)
        #expect(result.status == 0 && named == line, "\(result.stderr)")
        result = try await Run.run(Run.onecode, ["leads", "export", "--format", "jsonl", "--segment", segmentName + "x", "--out", "none.jsonl", "--database", try backend.database(folder)],
                                 cwd: folder.path, environment: environment)
        #expect(result.status == 1 && result.stderr.hasPrefix("error: segment: no segment named \(segmentName)x (did you mean \(segmentName)?)"), "\(result.stderr)")
        for (arguments, field) in [(["--format", "xml"], "format"), (["--format", "csv", "--min-score", "101"], "min-score"),
                                   (["--format", "csv", "--segment", "9"], "segment"), (["--format", "csv", "--since", "-1"], "since")] {
            result = try await Run.run(Run.onecode, ["leads", "export", "--out", "x.csv", "--database", try backend.database(folder)] + arguments, cwd: folder.path, environment: environment)
            #expect(result.status != 0 && result.stderr.contains(field), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("x.csv")))
    }

    @Test("store leads by README's formula; leads export refreshes first unless --no-refresh, and replaces its file whole (a new file renamed over the old; a failure leaves no part)",
          arguments: Backend.complete)
    func storeLeadsAndExportFile(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 10, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let campaign = try await store.liveCampaign()
        let shop = try await store.addStore(name: "Corner shop", region: "CN-31", tokenHash: Array(repeating: 9, count: 32), audit: .test)
        // Two winners claim; the shop redeems both prizes.
        var redemptions: [String] = []
        for (index, name) in ["Ana", "Bo"].enumerated() {
            let consumer = ConsumerID.random()
            let (code, _) = try await world.scan(consumer, at: Date(), region: "CN-31")
            let claim = try await store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer,
                                              contact: try ContactDetails(name: name, phone: "1380000001\(index)"), consentVersion: "v1",
                                              consentText: "ok", marketing: .ok, at: Date())
            redemptions.append(try #require(claim.redemptionCode))
        }
        for code in redemptions { _ = try await store.redeem(code, store: shop.id, at: Date()) }
        _ = try await store.refreshLinker(now: Date(), full: false)
        let page = try await store.leads(after: 0, limit: 100, segment: nil, minScore: nil)
        let shopLead = try #require(page.leads.first { $0.kind == .store })
        // 60·min(redemptions, 50)/50 + 40·min(consumers reached, 50)/50 = 60·2/50 + 40·2/50 = 2.4 + 1.6
        #expect(shopLead.id == String(shop.id.rawValue) && shopLead.name == "Corner shop" && shopLead.score == 4.0, "\(shopLead)")
        #expect(shopLead.reasons == ["2 prize redemptions for 2 consumers"] && shopLead.source.region == "CN-31" && shopLead.source.store == shop.id.rawValue)
        #expect(page.leads.filter { $0.kind == .consumer }.count == 2)

        guard backend == .sqlite else { return }  // the command line below reads the SQLite file
        let folder = world.fixture.folder
        let environment = ["ONECODE_CODES_SECRET": ServiceFixture.secret]
        func export(_ extra: [String], to file: String) async throws -> ProcessResult {
            try await Run.run(Run.onecode, ["leads", "export", "--format", "jsonl", "--out", file, "--database", try backend.database(folder)] + extra,
                              cwd: folder.path, environment: environment)
        }
        func lines(_ file: String) throws -> [String] {
            try String(contentsOfFile: folder.file(file), encoding: .utf8).split(separator: "\n").map(String.init)
        }
        #expect(try await export([], to: "leads.jsonl").status == 0)
        #expect(try lines("leads.jsonl").count == 3)
        let inode = try FileManager.default.attributesOfItem(atPath: folder.file("leads.jsonl"))[.systemFileNumber] as? Int
        // A third consenting winner, not refreshed yet: --no-refresh exports what the last refresh computed.
        let third = ConsumerID.random()
        let (code, _) = try await world.scan(third, at: Date(), region: nil)
        _ = try await store.claim(campaign: campaign.id, key: world.key(code), consumer: third,
                                  contact: try ContactDetails(name: "Cy", phone: "13800000019"), consentVersion: "v1", consentText: "ok", marketing: .ok, at: Date())
        #expect(try await export(["--no-refresh"], to: "leads.jsonl").status == 0)
        #expect(try lines("leads.jsonl").count == 3)
        let replaced = try FileManager.default.attributesOfItem(atPath: folder.file("leads.jsonl"))[.systemFileNumber] as? Int
        #expect(inode != nil && replaced != inode, "the export wrote into the old file instead of renaming a new one over it")
        #expect(try await export([], to: "leads.jsonl").status == 0)  // refreshes first
        #expect(try lines("leads.jsonl").count == 4 && (try lines("leads.jsonl")).contains { $0.contains("\"Cy\"") })
        // A destination that cannot be replaced (a folder): an error naming out, the folder untouched, no partial file.
        try FileManager.default.createDirectory(atPath: folder.file("taken"), withIntermediateDirectories: false)
        let failed = try await export([], to: "taken")
        #expect(failed.status != 0 && failed.stderr.hasPrefix("error: out:"), "\(failed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("taken")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.file("taken.partial")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".partial") }.isEmpty)
    }

    @Test("the command line's reports and consumer commands: report feedback, daily and diversion (CSV read by Python); consumer export and forget", arguments: Backend.complete)
    func reportAndConsumerCommands(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 10, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store, folder = world.fixture.folder
        // A second batch meant for Beijing, scanned in Shanghai: a diversion.
        let issued = try await Issuer(store: store, signer: ServiceFixture.signer, baseURL: "https://q.example.com").issue(
            try NewBatch(productID: world.fixture.product.id, count: 3, maxCount: 100, region: "CN-11"),
            package: PackageOptions(directory: folder.file("beijing")))
        _ = try await store.setStatus(.active, of: issued.batch.id, audit: .test)
        let diverted = try CodesCSV(folder.file("beijing/codes.csv")).codes[0]
        let consumer = ConsumerID.random()
        try await world.scan(consumer, at: Date(), region: "CN-31", code: String(diverted))
        let (code, _) = try await world.scan(consumer, at: Date(), region: "CN-31")
        try await store.addFeedback(key: world.key(code), code: code, consumer: consumer, rating: 2, comment: "too sweet, 太甜", at: Date())
        let environment = ["ONECODE_CONFIG": "", "ONECODE_CODES_SECRET": ServiceFixture.secret]
        func onecode(_ arguments: [String]) async throws -> ProcessResult {
            try await Run.run(Run.onecode, arguments + ["--database", try backend.database(folder)], cwd: folder.path, environment: environment)
        }
        func csv(_ text: String) async throws -> [[String: String]] {
            try text.write(toFile: folder.file("report.csv"), atomically: true, encoding: .utf8)
            let parsed = try await Run.run("/usr/bin/python3", ["-c", "import csv, json, sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))))",
                                                                folder.file("report.csv")])
            return try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [[String: String]] ?? []
        }
        let diversion = try await onecode(["report", "diversion", "--format", "csv"])
        let alerts = try await csv(diversion.stdout)
        #expect(diversion.status == 0 && alerts.count == 1, "\(diversion.stdout) \(diversion.stderr)")
        #expect(alerts.first?["batch"] == String(issued.batch.id.rawValue) && alerts.first?["intended"] == "CN-11" && alerts.first?["scanned in"] == "CN-31")
        let daily = try await onecode(["report", "daily", "--format", "csv"])
        let days = try await csv(daily.stdout)
        #expect(days.count == 1 && days.first?["scans"] == "2" && days.first?["codes"] == "2", "\(daily.stdout)")
        let feedback = try await onecode(["report", "feedback", "--format", "csv"])
        let ratings = try await csv(feedback.stdout)
        #expect(feedback.status == 0 && ratings.count == 1 && ratings.first?["name"] == world.fixture.product.name
                && ratings.first?["ratings"] == "1" && ratings.first?["average"] == "2.00" && ratings.first?["rated 1-2"] == "100.00%", "\(feedback.stdout)")
        // A consumer's data, then their erasure.
        let export = try await onecode(["consumer", "export", consumer.value])
        let document = try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any]
        #expect(export.status == 0 && document != nil && export.stdout.contains("too sweet, 太甜"), "\(export.stdout.prefix(300)) \(export.stderr)")
        let forget = try await onecode(["consumer", "forget", consumer.value])
        #expect(forget.status == 0 && forget.stdout.hasPrefix("erased consumer \(consumer.value)"), "\(forget.stdout) \(forget.stderr)")
        let gone = try await onecode(["consumer", "export", consumer.value])
        #expect(gone.status != 0 && gone.stderr.hasPrefix("error: id:") && gone.stdout.isEmpty, "\(gone.stderr)")
        #expect(try await onecode(["consumer", "forget", consumer.value]).status != 0)
        // The export and the erasure are audited (the erasure in its own transaction); the refused ones are not.
        let audit = try await store.auditLog(before: nil, limit: 10).filter { $0.subject == "consumer" }.map { "\($0.actorKind):\($0.action):\($0.subjectId ?? "")" }
        #expect(audit == ["cli:consumer.erase:\(consumer.value)", "cli:consumer.export:\(consumer.value)"], "\(audit)")
    }

    @Test("forgetting a consumer erases contact, names, phones, comments and events' personal data; anonymous counts stay", arguments: Backend.complete)
    func erasure(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 20, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let campaign = try await store.liveCampaign()
        let consumer = ConsumerID.random(), other = ConsumerID.random()
        let (code, _) = try await world.scan(consumer, at: Date(), region: "CN-31")
        try await world.scan(other, at: Date(), region: "CN-31")
        _ = try await store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer,
                                  contact: try ContactDetails(name: "Erin", phone: "13800000009"), consentVersion: "v1", consentText: "ok", marketing: .ok, at: Date())
        try await store.addFeedback(key: world.key(code), code: code, consumer: consumer, rating: 1, comment: "my number is 13800000009", at: Date())
        _ = try await store.createSegment(name: "all", rule: .product([world.fixture.product.id]), audit: .test)
        _ = try await store.refreshLinker(now: Date(), full: false)
        let imported = try await store.leads(after: 0, limit: 100, segment: nil, minScore: nil)
        #expect(imported.leads.map(\.id) == [consumer.value] && imported.leads[0].kind == .consumer)
        // What a CRM needs beside the score: the consent, the campaign and product behind the lead, the latest rating.
        let crm = imported.leads[0].crm
        #expect(crm.consentVersion == "v1" && crm.consentTextId == "2689367b205c" /* `printf ok | sha256sum`, its first 12 hex digits (README) */ && crm.consentTextId?.count == 12 && crm.consentedAt != nil)
        #expect(crm.campaignId == campaign.id.rawValue && crm.productId == world.fixture.product.id.rawValue, "\(crm)")
        #expect(crm.lastRating == 1 && crm.lastComment == "my number is 13800000009", "\(crm)")
        let csvLine = imported.leads[0].csvRow
        #expect(Lead.csvHeader.hasSuffix("consented_at,consent_version,consent_text_id,campaign_id,product_id,last_rating,last_comment\r\n"))
        #expect(csvLine.contains(",v1,\(crm.consentTextId!),\(campaign.id),\(world.fixture.product.id),1,my number is 13800000009\r\n"), "\(csvLine)")
        let exported = try #require(try await store.exportConsumer(consumer.value))
        let document = try #require(try JSONSerialization.jsonObject(with: exported) as? [String: Any])
        #expect((document["contact"] as? [String: Any])?["phone"] as? String == "+8613800000009")
        #expect((document["scans"] as? [Any])?.count == 1 && (document["segments"] as? [String]) == ["all"])
        // The API's one shape: camelCase, ISO 8601 times, the profile's stored encodings read out.
        let scan = try #require((document["scans"] as? [[String: Any]])?.first)
        #expect((scan["at"] as? String)?.hasSuffix("Z") == true && scan["batchId"] as? Int == Int(world.fixture.batch.id.rawValue), "\(scan)")
        #expect((document["contact"] as? [String: Any])?["consentVersion"] as? String == "v1")
        let profile = try #require(document["profile"] as? [String: Any], "\(document)")
        #expect(profile["products"] as? [Int] == [Int(world.fixture.product.id.rawValue)] && (profile["regions"] as? [String: Int]) == ["CN-31": 1], "\(profile)")
        #expect((profile["days"] as? [String: Int])?.count == 1 && (profile["firstAt"] as? String)?.hasSuffix("Z") == true, "\(profile)")
        #expect((document["lead"] as? [String: Any])?["reasons"] is [String], "\(document["lead"] ?? "no lead")")
        let exportText = String(decoding: exported, as: UTF8.self)
        #expect(!exportText.contains("_id") && !exportText.contains("_at") && !exportText.contains("\"version\""), "\(exportText)")
        #expect(try await store.forgetConsumer(consumer.value))
        #expect(try await store.exportConsumer(consumer.value) == nil)
        #expect(try await store.forgetConsumer(consumer.value) == false)
        let text = try await backend.dump([
            "SELECT count(*) FROM scan", "SELECT count(*) FROM scan WHERE consumer IS NOT NULL", "SELECT count(*) FROM consumer_contact",
            "SELECT name || '|' || phone FROM claim", "SELECT rating || '|' || coalesce(comment, 'none') FROM feedback",
            "SELECT count(*) FROM outbox WHERE body LIKE '%Erin%' OR body LIKE '%13800000009%'",
            "SELECT type FROM outbox WHERE body LIKE '%\(consumer.value)%'",
            backend == .sqlite ? "SELECT members FROM segment_state" : "SELECT members FROM segment",
            "SELECT kind || '|' || coalesce(name, '') || coalesce(phone, '') || '|' || score || '|' || reasons || '|' || source FROM lead",
        ], in: world.fixture.folder)
        #expect(text == ["2", "1", "0", "|", "1|none", "0", "consumer.erased", "1", "erased||0\(backend == .sqlite ? ".0" : "")|[]|{}"]
            .joined(separator: "\n--\n"), "\(text)")
        // The CRM that imported the lead reads its deletion at the next cursor: the id, no personal field.
        let next = try await store.leads(after: imported.cursor, limit: 100, segment: nil, minScore: 50)
        #expect(next.leads.count == 1 && next.leads[0].kind == .erased && next.leads[0].id == consumer.value
                && next.leads[0].name == nil && next.leads[0].phone == nil && next.leads[0].reasons.isEmpty && next.leads[0].cursor > imported.cursor,
                "\(next.leads)")
        #expect(try await store.leads(after: next.cursor, limit: 100, segment: nil, minScore: nil).leads.isEmpty)
        let events = try await store.events(after: 0, limit: 100).filter { $0.type == "consumer.erased" }
        #expect(events.count == 1 && events[0].body.contains(#""data":{"consumer":"\#(consumer.value)","lead":"\#(consumer.value)"}"#), "\(events)")
        #expect(try await store.feedbackReport(byBatch: false).first?.count == 1)
    }

    @Test("feedback on the page: a rating and comment, validated, once per phone and code; aggregates by product and batch", arguments: Backend.complete)
    func feedback(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 4)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let admin = try await fixture.token(.sales)
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone())
            #expect(page.text.contains("<form method=\"post\" class=\"feedback\">") && page.text.contains("name=\"rating\" value=\"5\""))
            let cookie = try #require(page.cookie)
            var form = phone(cookie: cookie)
            form[.contentType] = "application/x-www-form-urlencoded"
            for (body, field, status) in [("rating=6", "rating", HTTPResponse.Status.badRequest), ("rating=x", "rating", .badRequest),
                                          ("rating=3&comment=" + String(repeating: "a", count: 501), "comment", .badRequest)] {
                let bad = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .post, headers: form, body: ByteBuffer(string: body))
                #expect(bad.status == status && bad.text.contains(field), "\(body): \(bad.text)")
            }
            let ok = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .post, headers: form,
                                              body: ByteBuffer(string: "rating=2&comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E+%E5%A4%AA%E7%94%9C"))
            #expect(ok.status == .created && ok.text.contains("Thank you for your feedback"))
            let again = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .post, headers: form, body: ByteBuffer(string: "rating=5"))
            #expect(again.status == .conflict)
            var json = phone(cookie: cookie, json: true)
            json[.contentType] = "application/json"
            _ = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone(cookie: cookie))
            let viaJSON = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .post, headers: json, body: ByteBuffer(string: #"{"rating": 5}"#))
            #expect(viaJSON.status == .created)
            let report = try await client.execute(uri: "/api/reports/feedback?by=batch", method: .get, headers: [.authorization: "Bearer \(admin)"])
            let rows = try report.json()["items"] as? [[String: Any]]
            #expect(rows?.first?["count"] as? Int == 2 && rows?.first?["average"] as? Double == 3.5 && rows?.first?["lowShare"] as? Double == 0.5)
            let csv = try await client.execute(uri: "/api/reports/feedback?format=csv", method: .get, headers: [.authorization: "Bearer \(admin)"])
            // Names beside the ids.
            #expect(csv.text.hasPrefix("product,batch,name,ratings,average,low_share\r\n\(fixture.product.id),,\(fixture.product.name),2,3.5,0.5\r\n"), "\(csv.text)")
        }
        let stored = try await backend.query("SELECT comment FROM feedback WHERE rating = 2", in: fixture.folder) + "\n"
        #expect(stored == "<script>alert(1)</script> 太甜\n")
    }

    @Test("reports: scan rate by batch, product, region and campaign; scans per day; diversion alerts; API scopes and CSV", arguments: Backend.complete)
    func reports(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 10, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        _ = try await store.liveCampaign()
        let consumer = ConsumerID.random()
        try await world.scan(consumer, at: Date(), region: "US")
        try await world.scan(consumer, at: Date(), region: "CN-31")
        try await world.scan(consumer, at: Date(), region: "US")
        // The fixture's batch has no intended region: nothing is diverted yet.
        #expect(try await store.diversion().isEmpty)
        try await world.sql("UPDATE batch SET region = 'CN'")
        let alerts = try await store.diversion()
        #expect(alerts.count == 1 && alerts[0].region == "US" && alerts[0].scans == 2 && alerts[0].codes == 2 && alerts[0].intendedRegion == "CN")
        let byBatch = try await store.scanRate(by: .batch)
        #expect(byBatch.count == 1 && byBatch[0].issued == 10 && byBatch[0].scanned == 3 && byBatch[0].rate == 0.3)
        #expect(try await store.scanRate(by: .product).first?.scanned == 3)
        #expect(try await store.scanRate(by: .region).first?.key == "CN")
        let campaign = try await store.scanRate(by: .campaign)
        #expect(campaign.first?.scanned == 3 && campaign.first?.issued == 10)
        let daily = try await store.dailyScans(batch: nil)
        #expect(daily.count == 1 && daily[0].scans == 3)
        let app = try world.fixture.app()
        let marketing = try await world.fixture.token(.marketing), issuer = try await world.fixture.token(.issuer)
        try await app.test(.router) { client in
            var response = try await client.execute(uri: "/api/reports/diversion?format=csv", method: .get, headers: [.authorization: "Bearer \(marketing)"])
            #expect(response.status == .ok && response.text.hasPrefix("batch,intended_region,region,scans,codes,first_at,last_at\r\n1,CN,US,2,2,"))
            response = try await client.execute(uri: "/api/reports/scan-rate?by=shelf", method: .get, headers: [.authorization: "Bearer \(marketing)"])
            #expect(response.status == .badRequest && response.text.contains("by"))
            response = try await client.execute(uri: "/api/reports/daily", method: .get, headers: [.authorization: "Bearer \(issuer)"])
            #expect(response.status == .forbidden)
        }
        let result = try await Run.run(Run.onecode, ["report", "scan-rate", "--by", "batch", "--format", "csv", "--database", backend.database(world.fixture.folder)],
                                     cwd: world.fixture.folder.path, environment: ["ONECODE_CODES_SECRET": ServiceFixture.secret])
        #expect(result.stdout == "batch,name,issued,scanned,scans,rate\r\nbatch 1,\"Tea 绿茶, lot L1\",10,3,3,30.00%\r\n", "\(result.stdout) \(result.stderr)")
    }

    @Test("the feedback inbox: ratings and comments newest first, filtered by product, batch and rating, paged, on the API and the CLI", arguments: Backend.complete)
    func feedbackInbox(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 4)
        defer { fixture.folder.cleanup() }
        let app = try fixture.app()
        let marketing = try await fixture.token(.marketing)
        try await app.test(.router) { client in
            for (index, (rating, comment)) in [(1, "leaking cap"), (4, "fine"), (2, "tastes stale\\nsince May")].enumerated() {
                let cookie = try #require(try await client.execute(uri: "/s/\(fixture.codes[index])", method: .get, headers: phone()).cookie)
                var json = phone(cookie: cookie, json: true)
                json[.contentType] = "application/json"
                let rated = try await client.execute(uri: "/s/\(fixture.codes[index])", method: .post, headers: json,
                                                     body: ByteBuffer(string: #"{"rating": \#(rating), "comment": "\#(comment)"}"#))
                #expect(rated.status == .created)
            }
            let auth: HTTPFields = [.authorization: "Bearer \(marketing)"]
            var response = try await client.execute(uri: "/api/feedback", method: .get, headers: auth)
            var items = try response.json()["items"] as? [[String: Any]] ?? []
            #expect(items.compactMap { $0["comment"] as? String } == ["tastes stale\nsince May", "fine", "leaking cap"], "\(response.text)")
            #expect(items.allSatisfy { $0["productName"] as? String == fixture.product.name && $0["code"] is String })
            response = try await client.execute(uri: "/api/feedback?maxRating=2&product=\(fixture.product.id)&batch=\(fixture.batch.id)", method: .get, headers: auth)
            items = try response.json()["items"] as? [[String: Any]] ?? []
            #expect(items.compactMap { $0["rating"] as? Int } == [2, 1], "\(response.text)")
            response = try await client.execute(uri: "/api/feedback?limit=2", method: .get, headers: auth)
            let next = try #require(try response.json()["next"] as? String)
            response = try await client.execute(uri: "/api/feedback?limit=2&after=\(next)", method: .get, headers: auth)
            items = try response.json()["items"] as? [[String: Any]] ?? []
            let last = try response.json()
            #expect(items.compactMap { $0["comment"] as? String } == ["leaking cap"] && last["next"] is NSNull)
            response = try await client.execute(uri: "/api/feedback?maxRating=9", method: .get, headers: auth)
            #expect(response.status == .badRequest && response.text.contains("maxRating"))
            response = try await client.execute(uri: "/api/feedback?product=999", method: .get, headers: auth)
            #expect((try response.json()["items"] as? [Any])?.isEmpty == true)
        }
        let environment = ["ONECODE_CONFIG": "", "ONECODE_CODES_SECRET": ServiceFixture.secret]
        let list = try await Run.run(Run.onecode, ["feedback", "list", "--max-rating", "2", "--database", try backend.database(fixture.folder)],
                                   cwd: fixture.folder.path, environment: environment)
        #expect(list.status == 0 && list.stdout.contains("tastes stale") && list.stdout.contains("leaking cap") && !list.stdout.contains("fine"), "\(list.stdout) \(list.stderr)")
        #expect(list.stdout.contains(fixture.product.name) && list.stdout.contains("★☆☆☆☆"))
        // A comment of two lines stays on its row: a header and one line for each rating.
        #expect(list.stdout.contains("tastes stale ↵ since May") && list.stdout.split(separator: "\n").count == 3, "\(list.stdout)")
        let bad = try await Run.run(Run.onecode, ["feedback", "list", "--max-rating", "7", "--database", try backend.database(fixture.folder)],
                                  cwd: fixture.folder.path, environment: environment)
        #expect(bad.status == 1 && bad.stderr.hasPrefix("error: max-rating:"))
    }

    @Test("segments and leads over the API: create with path errors, refresh, members, leads with cursor, consumer export and erasure", arguments: Backend.complete)
    func api(_ backend: Backend) async throws {
        var world = try await LinkerWorld(codes: 10, backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let campaign = try await store.liveCampaign()
        let consumer = ConsumerID.random()
        let (code, _) = try await world.scan(consumer, at: Date(), region: "CN-31")
        _ = try await store.claim(campaign: campaign.id, key: world.key(code), consumer: consumer,
                                  contact: try ContactDetails(name: "Api", phone: "13800000007"), consentVersion: "v1", consentText: "ok", marketing: .ok, at: Date())
        let app = try world.fixture.app()
        let fixture = world.fixture
        let marketing = try await world.fixture.token(.marketing), sales = try await world.fixture.token(.sales), admin = try await world.fixture.token(.admin)
        try await app.test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(marketing)", .contentType: "application/json"]
            var response = try await client.execute(uri: "/api/segments", method: .post, headers: headers,
                                                     body: ByteBuffer(string: #"{"name": "Shanghai", "rules": {"all": [{"region": ["CN-31"]}, {"scans": {"atLeast": 0, "days": 7}}]}}"#))
            #expect(response.status == .badRequest && response.text.contains("rules.all[1].scans.atLeast"))
            response = try await client.execute(uri: "/api/segments", method: .post, headers: headers,
                                                 body: ByteBuffer(string: #"{"name": "Shanghai", "rules": {"region": ["CN-31"]}}"#))
            #expect(response.status == .created)
            response = try await client.execute(uri: "/api/segments/refresh", method: .post, headers: headers)
            let refreshed = try response.json()["profilesChanged"] as? Int
            #expect(response.status == .ok && refreshed == 1)
            response = try await client.execute(uri: "/api/segments/1/members", method: .get, headers: headers)
            // Members come with their profile summary, products named.
            let members = try #require(try response.json()["items"] as? [[String: Any]], "\(response.text)")
            #expect(members.map { $0["consumer"] as? String } == [consumer.value] && response.text.contains("\"next\":null"), "\(response.text)")
            #expect(members.first?["scans"] as? Int == 1 && members.first?["regions"] as? [String] == ["CN-31"] && members.first?["prizesWon"] as? Int == 1)
            #expect(JSONBool.value(members.first?["consent"]) == true && members.first?["lastScanAt"] is String)
            let products = members.first?["products"] as? [[String: Any]]
            #expect(products?.count == 1 && products?.first?["name"] as? String == fixture.product.name, "\(response.text)")
            // The same on the command line: a table with names, or the ids alone.
            let environment = ["ONECODE_CONFIG": "", "ONECODE_CODES_SECRET": ServiceFixture.secret]
            let database = await ["--database", try backend.database(fixture.folder)]
            let table = try await Run.run(Run.onecode, ["segment", "members", "1"] + database, cwd: fixture.folder.path, environment: environment)
            let row = table.stdout.split(separator: "\n").last.map(String.init) ?? ""
            #expect(table.status == 0 && table.stdout.hasPrefix("consumer") && row.hasPrefix(consumer.value), "\(table.stdout) \(table.stderr)")
            #expect(row.contains(fixture.product.name) && row.contains("CN-31") && row.hasSuffix("yes"), "\(row)")
            let ids = try await Run.run(Run.onecode, ["segment", "members", "1", "--ids"] + database, cwd: fixture.folder.path, environment: environment)
            #expect(ids.status == 0 && ids.stdout == consumer.value + "\n", "\(ids.stdout)")
            let missing = try await Run.run(Run.onecode, ["segment", "members", "9"] + database, cwd: fixture.folder.path, environment: environment)
            #expect(missing.status != 0 && missing.stderr.hasPrefix("error: id:"), "\(missing.stderr)")
            response = try await client.execute(uri: "/api/leads?segment=1&limit=10", method: .get, headers: [.authorization: "Bearer \(sales)"])
            let leads = try response.json()["items"] as? [[String: Any]]
            let leadCursor = try response.json()["next"] as? String
            #expect(leads?.first?["name"] as? String == "Api" && leadCursor == "1", "\(response.text)")
            // A cursor beyond every one this list gave is refused, not echoed back.
            response = try await client.execute(uri: "/api/leads?after=99", method: .get, headers: [.authorization: "Bearer \(sales)"])
            #expect(response.status == .badRequest && response.text.contains("beyond the newest cursor (1)"), "\(response.text)")
            response = try await client.execute(uri: "/api/leads?after=1&format=csv", method: .get, headers: [.authorization: "Bearer \(sales)"])
            // The header alone, its columns as README lists them.
            let columns = "cursor,kind,id,name,phone,score,reasons,source_batch,source_region,source_store,created_at,updated_at,"
                + "consented_at,consent_version,consent_text_id,campaign_id,product_id,last_rating,last_comment\r\n"
            // After the byte-order mark Excel needs (the default; bom=false leaves it out).
            #expect(response.text == "\u{FEFF}" + columns && response.headers[HTTPField.Name("OneCode-Cursor")!] == "1", "\(response.text)")
            response = try await client.execute(uri: "/api/leads?after=1&format=csv&bom=false", method: .get, headers: [.authorization: "Bearer \(sales)"])
            #expect(response.text == columns)
            response = try await client.execute(uri: "/api/leads?after=1&format=csv&bom=yes", method: .get, headers: [.authorization: "Bearer \(sales)"])
            #expect(response.status == .badRequest && response.text.contains("bom: must be true or false"))
            response = try await client.execute(uri: "/api/leads", method: .get, headers: [.authorization: "Bearer \(marketing)"])
            #expect(response.status == .forbidden)
            response = try await client.execute(uri: "/api/consumers/\(consumer.value)", method: .get, headers: [.authorization: "Bearer \(admin)"])
            #expect(response.status == .ok && response.text.contains("+8613800000007"))
            response = try await client.execute(uri: "/api/consumers/\(consumer.value)", method: .delete, headers: [.authorization: "Bearer \(admin)"])
            #expect(response.status == .ok)
            response = try await client.execute(uri: "/api/consumers/\(consumer.value)", method: .get, headers: [.authorization: "Bearer \(admin)"])
            #expect(response.status == .notFound && response.text.contains("id: nothing is stored about consumer"))
            let audit = try await fixture.store.auditLog(before: nil, limit: 10).filter { $0.subject == "consumer" }.map { "\($0.actorKind):\($0.action)" }
            #expect(audit == ["token:consumer.erase", "token:consumer.export"], "\(audit)")
        }
    }
}

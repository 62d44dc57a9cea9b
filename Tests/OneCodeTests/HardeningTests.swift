import Foundation
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage
import Testing

/// The second attack pass's findings, each held by a test that failed before its fix.
@Suite("Hardening: what the second attack pass found")
struct HardeningTests {
    /// The attack: fresh cookie jars, each scanning one label and rating it, were all accepted.
    @Test("one label cannot flood ratings: none once the code reads suspicious, at most 5 per code", arguments: Backend.complete)
    func ratingsPerLabel(_ backend: Backend) async throws {
        var world = try await LinkerWorld(backend: backend)
        defer { world.fixture.folder.cleanup() }
        let store = world.store
        let now = Date()
        let rules = VerdictRules(maxScans: 20, maxConsumers: 5)  // the defaults README states
        let label = world.fixture.codes[0]
        var outcomes: [String] = []
        for _ in 0..<7 {
            let phone = ConsumerID.random()
            try await world.scan(phone, at: now, region: nil, code: label)
            do {
                try await store.addFeedback(key: world.key(label), code: label, consumer: phone, rating: 1, comment: nil, at: now, rules: rules)
                outcomes.append("rated")
            } catch let error as InputError where error == FeedbackRules.suspiciousCode {
                outcomes.append("suspicious")
            }
        }
        // Five phones: still genuine or repeat; the sixth makes the code suspicious (more than 5 consumers).
        #expect(outcomes == ["rated", "rated", "rated", "rated", "rated", "suspicious", "suspicious"])

        // With a looser rule for suspicion, the cap still holds: five ratings, the sixth is refused.
        let other = world.fixture.codes[1]
        var refused: (any Error)?
        for index in 0..<6 {
            let phone = ConsumerID.random()
            try await world.scan(phone, at: now, region: nil, code: other)
            do {
                try await store.addFeedback(key: world.key(other), code: other, consumer: phone, rating: 1, comment: nil, at: now,
                                            rules: VerdictRules(maxScans: 1000, maxConsumers: 1000))
            } catch {
                refused = error
                #expect(index == 5)
            }
        }
        #expect(refused as? ConflictError == FeedbackRules.ratingsFull)
        #expect(try backend.query("SELECT count(*) FROM feedback", in: world.fixture.folder) == "10")
    }
}

@Suite("Hardening: CSV in a semicolon locale")
struct CSVSemicolonTests {
    /// The attack: `x;=1+1` in a name was written bare; a spreadsheet splitting on `;` ran `=1+1`.
    @Test("a cell with a semicolon is quoted: a reader splitting on ';' (Python's csv module) sees one cell, not a formula")
    func semicolonsAreQuoted() async throws {
        #expect(CSV.row(["x;=1+1", "plain", "a,b"]) == "\"x;=1+1\",plain,\"a,b\"\r\n")
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try CSV.row(["x;=1+1"]).write(toFile: folder.file("row.csv"), atomically: true, encoding: .utf8)
        let read = try await Run.run("python3", ["-c", """
            import csv, sys
            print([row for row in csv.reader(open(sys.argv[1], newline=''), delimiter=';')])
            """, folder.file("row.csv")])
        #expect(read.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[['x;=1+1']]", "\(read.stdout) \(read.stderr)")
    }
}

import Foundation
@testable import OneCodeGS1
import Testing

/// The resolver's GS1 Digital Link parser (GS1's Barcode Syntax Engine behind `DigitalLink`) against
/// GS1's own vectors and against biip, a second parser written independently (Python).
@Suite("GS1 Digital Link URIs: GS1's vectors and a second parser agree with OneCode's")
struct DigitalLinkTests {
    struct Vector: Decodable {
        struct Settings: Decodable {
            let permitZeroSuppressedGTIN: Bool
            let permitUnknownAIs: Bool
            let unknownAINotDLAttr: Bool
            let convenienceAlphas: Bool
        }
        let valid: Bool
        let uri: String
        let data: String
        let settings: Settings
    }

    struct Vectors: Decodable {
        let source: String
        let vectors: [Vector]
    }

    /// Tests/Vectors/gs1-dl-parse.json: extracted from gs1/gs1-syntax-engine's src/c-lib/dl.c (its `source` says which commit).
    static let vectors: Vectors = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Vectors/gs1-dl-parse.json")
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: file))
    }()

    static func options(_ settings: Vector.Settings) -> DigitalLink.Options {
        DigitalLink.Options(permitZeroSuppressedGTIN: settings.permitZeroSuppressedGTIN, permitUnknownAIs: settings.permitUnknownAIs,
                            unknownAIsOnlyAsAttributes: settings.unknownAINotDLAttr)
    }

    /// The path and query of a vector's URI on a plain host, when the vector is about them (not the host,
    /// a fragment, which never reaches a server, or a trailing slash, which the resolver tolerates).
    static func pathAndQuery(_ uri: String) -> (path: String, query: String?)? {
        guard let range = uri.range(of: #"^https?://(a|id\.gs1\.org|example\.com|brand\.example\.com)(?=/)"#, options: .regularExpression),
              !uri.contains("#") else { return nil }
        let rest = uri[range.upperBound...]
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        guard !path.hasSuffix("/") else { return nil }
        return (path, parts.count > 1 ? String(parts[1]) : nil)
    }

    @Test("GS1's parser vectors (valid and invalid URIs, each with its element string) give the same answers through OneCode's wrapper")
    func gs1Vectors() throws {
        let all = Self.vectors.vectors.filter { !$0.settings.convenienceAlphas }
        #expect(all.count > 100 && all.contains { $0.valid } && all.contains { !$0.valid })
        var throughService = 0
        for vector in all {
            let parsed = Result { () throws(DigitalLink.SyntaxError) in try DigitalLink.parse(uri: vector.uri, options: Self.options(vector.settings)) }
            switch parsed {
            case let .success((_, raw)):
                #expect(vector.valid, "\(vector.uri) was accepted; GS1 says it is invalid")
                #expect(raw == vector.data, "\(vector.uri)")
            case let .failure(error):
                #expect(!vector.valid, "\(vector.uri) was refused (\(error)); GS1 says it gives \(vector.data)")
            }
            // The same path and query as a request brings them, read as the service reads them.
            guard let (path, query) = Self.pathAndQuery(vector.uri) else { continue }
            let standard = Self.options(vector.settings) == .standard
            if vector.valid, !vector.settings.permitUnknownAIs {
                let link = try DigitalLink.parse(path: path, query: query)
                #expect(link.dataString == vector.data, "\(vector.uri)")
                throughService += 1
            } else if !vector.valid, standard {
                #expect(throws: DigitalLink.SyntaxError.self, "\(vector.uri)") { try DigitalLink.parse(path: path, query: query) }
                throughService += 1
            }
        }
        #expect(throughService > 50)
    }

    @Test("elements come back in order with their values; a ( in a value is not the start of the next AI; a trailing slash is tolerated, a trailing segment is not")
    func elements() throws {
        let link = try DigitalLink.parse(path: "/01/09520123456788/10/AB%28C1/21/12345", query: "17=180426&linkType=gs1:pip")
        #expect(link.elements == [.init(ai: "01", value: "09520123456788"), .init(ai: "10", value: "AB(C1"), .init(ai: "21", value: "12345"),
                                  .init(ai: "17", value: "180426")])
        #expect(link.gtin == "09520123456788" && link.lot == "AB(C1" && link.serial == "12345")
        #expect(try DigitalLink.parse(path: "/01/09520123456788/21/12345/", query: nil).serial == "12345")
        #expect(throws: DigitalLink.SyntaxError.self) { try DigitalLink.parse(path: "/01/09520123456788/21/12345/foo", query: nil) }
        do {
            _ = try DigitalLink.parse(path: "/01/09520123456789/21/12345", query: nil)
            Issue.record("a bad check digit was accepted")
        } catch {
            #expect(error.message.localizedCaseInsensitiveContains("check digit"), "\(error)")
        }
        // Key qualifiers in the wrong order.
        #expect(throws: DigitalLink.SyntaxError.self) { try DigitalLink.parse(path: "/01/09520123456788/21/12345/10/ABC", query: nil) }
    }

    @Test("biip, an independent parser, reads the same elements from valid URIs and refuses the same invalid ones")
    func biip() async throws {
        // The resolver's URIs: a GTIN as primary key, no stem before it (GS1 allows a stem; biip does not).
        let valid = Self.vectors.vectors.filter {
            $0.valid && !$0.settings.convenienceAlphas && !$0.settings.permitUnknownAIs && !$0.uri.contains("#")
                && ($0.uri.range(of: #"^https://[^/]+/01/"#, options: .regularExpression) != nil)
        }.map(\.uri) + [
            "https://q.example.com/01/06291041500213/21/K7M2QX9TB4W8",
            "https://q.example.com/01/06291041500213/10/L2026-07/21/K7M2QX9TB4W8",
        ]
        let invalid = [
            "https://q.example.com/01/06291041500214/21/K7M2QX9TB4W8",   // check digit
            "https://q.example.com/01/0629104150021/21/K7M2QX9TB4W8",    // 13 digits where 14 are due, not zero-suppressed
            "https://q.example.com/01/06291041500213/21/" + String(repeating: "A", count: 21),  // serial over 20
        ]
        let script = """
            import json, sys
            from biip.gs1_digital_link_uris import GS1DigitalLinkURI
            out = []
            for uri in json.load(open(sys.argv[1])):
                try:
                    elements = GS1DigitalLinkURI.parse(uri).element_strings
                    # biip reports a bad check digit beside the value instead of refusing it.
                    bad = any(getattr(e, name, None) for e in elements for name in ("gtin_error", "sscc_error", "gln_error"))
                    out.append(None if bad else [[e.ai.ai, e.value] for e in elements])
                except Exception as error:
                    out.append(None)
            print(json.dumps(out))
            """
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try JSONEncoder().encode(valid + invalid).write(to: URL(fileURLWithPath: folder.file("uris.json")))
        let result = try await Run.run("/usr/bin/env", ["python3", "-c", script, folder.file("uris.json")])
        #expect(result.status == 0, "\(result.stderr)")
        let theirs = try JSONDecoder().decode([[[String]]?].self, from: Data(result.stdout.utf8))
        var compared = 0
        for (index, uri) in (valid + invalid).enumerated() {
            let url = URLComponents(string: uri)!
            let ours = try? DigitalLink.parse(path: url.percentEncodedPath, query: url.percentEncodedQuery)
            if index >= valid.count {
                #expect(ours == nil && theirs[index] == nil, "\(uri): OneCode \(String(describing: ours)), biip \(String(describing: theirs[index]))")
                continue
            }
            // biip leaves out some attributes GS1's engine reads (and reads a few it does not); both must accept, and agree on what both read.
            guard let ours, let their = theirs[index] else {
                Issue.record("\(uri): OneCode \(String(describing: ours)), biip \(String(describing: theirs[index]))")
                continue
            }
            let mine = Dictionary(ours.elements.map { ($0.ai, $0.value) }, uniquingKeysWith: { first, _ in first })
            for pair in their where mine[pair[0]] != nil {
                #expect(mine[pair[0]] == pair[1], "\(uri): \(pair[0]) is \(mine[pair[0]]!) here, \(pair[1]) in biip")
                compared += 1
            }
        }
        #expect(compared > 30)
    }

    @Test("the printed form's fast reading gives what GS1's engine gives, on random paths near it (seed printed; ONECODE_TEST_SEED replays)")
    func printedFormEqualsEngine() throws {
        var random = SeededGenerator(seed: TestSeed.make("printedFormEqualsEngine"))
        let alphabet = Array("ABCDEFGHJKMNPQRSTVWXYZabcxyz0123456789-._%~!*'()+,/:;=?@ ")
        func text(_ length: Int) -> String { String((0..<length).map { _ in alphabet[Int.random(in: 0..<(random.next() % 3 == 0 ? alphabet.count : 39), using: &random)] }) }
        func gtin() -> String {
            var digits = (0..<13).map { _ in Int.random(in: 0...9, using: &random) }
            let sum = digits.enumerated().reduce(0) { $0 + $1.element * ($1.offset % 2 == 0 ? 3 : 1) }
            digits.append(Int.random(in: 0..<4, using: &random) == 0 ? Int.random(in: 0...9, using: &random) : (10 - sum % 10) % 10)
            return digits.map(String.init).joined()
        }
        var fast = 0, compared = 0
        for _ in 0..<3000 {
            let lot = Int.random(in: 0..<2, using: &random) == 0 ? nil : text(Int.random(in: 0...22, using: &random))
            let serial = text(Int.random(in: 0...22, using: &random))
            let path = "/01/\(gtin())" + (lot.map { "/10/\($0)" } ?? "") + "/21/\(serial)"
            guard let quick = DigitalLink.printed(path) else { continue }
            fast += 1
            let engine = try? DigitalLink.parse(uri: "https://resolver.invalid" + path, options: .standard).link
            #expect(engine == quick, "\(path): fast \(quick.elementString), engine \(engine?.elementString ?? "refused")")
            compared += 1
        }
        // And paths the engine refuses are never read fast: a wrong check digit, an empty or long serial.
        #expect(DigitalLink.printed("/01/06291041500214/21/ABC") == nil && DigitalLink.printed("/01/06291041500213/21/") == nil
                && DigitalLink.printed("/01/06291041500213/21/" + String(repeating: "A", count: 21)) == nil)
        #expect(fast > 200 && compared == fast)
    }
}

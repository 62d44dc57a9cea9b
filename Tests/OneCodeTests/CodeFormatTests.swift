import Testing
@testable import OneCodeDomain
@testable import OneCodeIssuing

@Suite("Code format")
struct CodeFormatTests {
    let signer = try! CodeSigner(secret: Array("test-secret-0123456789abcdef".utf8))

    @Test("1,000,000 generated codes are unique and all pass the keyed check")
    func millionUnique() async throws {
        // Seconds of one core, computed on a thread of its own (`computed`).
        let signer = self.signer
        let codes = try await computed {
            let keys = RandomBytes.keys(count: 1_000_000)
            var codes = Set<String>(minimumCapacity: keys.count)
            for key in keys { codes.insert(signer.code(for: CodeKey(rawValue: key))) }
            return codes
        }
        #expect(codes.count == 1_000_000)
        for code in codes.prefix(1000) { #expect(signer.check(code).isValid) }
    }

    @Test("codes are 17 characters of Crockford base32 and carry their key")
    func format() throws {
        let key = CodeKey(rawValue: 0x0ABC_DEF0_1234_5678)
        let code = signer.code(for: key)
        #expect(code.count == 17)
        #expect(code.utf8.allSatisfy { Crockford.alphabet.contains($0) })
        #expect(signer.check(code) == .valid(key, canonical: code))
    }

    @Test("every single-character change fails the check", arguments: [17, 20])
    func singleChanges(length: Int) throws {
        let signer = try CodeSigner(secret: Array("test-secret-0123456789abcdef".utf8), length: length)
        var tried = 0
        for key in RandomBytes.keys(count: 300) {
            let code = Array(signer.code(for: CodeKey(rawValue: key)).utf8)
            for position in code.indices {
                for symbol in Crockford.alphabet where symbol != code[position] {
                    var changed = code
                    changed[position] = symbol
                    #expect(!signer.check(String(decoding: changed, as: UTF8.self)).isValid)
                    tried += 1
                }
            }
        }
        #expect(tried == 300 * length * 31)
    }

    @Test("every transposition of neighbours fails the check", arguments: [17, 20])
    func transpositions(length: Int) throws {
        let signer = try CodeSigner(secret: Array("test-secret-0123456789abcdef".utf8), length: length)
        var tried = 0
        for key in RandomBytes.keys(count: 5000) {
            let code = Array(signer.code(for: CodeKey(rawValue: key)).utf8)
            for position in 0..<(code.count - 1) where code[position] != code[position + 1] {
                var swapped = code
                swapped.swapAt(position, position + 1)
                #expect(signer.check(String(decoding: swapped, as: UTF8.self)) == .forged(.checkCharacter))
                tried += 1
            }
        }
        #expect(tried > 5000 * (length - 2))
    }

    @Test("decoding is case-insensitive and reads I, L as 1 and O as 0")
    func caseInsensitive() {
        for key in RandomBytes.keys(count: 200) {
            let code = signer.code(for: CodeKey(rawValue: key))
            let expected = signer.check(code)
            #expect(signer.check(code.lowercased()) == expected)
            let mixed = String(code.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.lowercased()) : $0.element })
            #expect(signer.check(mixed) == expected)
            let typed = code.replacingOccurrences(of: "1", with: "l").replacingOccurrences(of: "0", with: "O")
            #expect(signer.check(typed) == expected)
        }
    }

    @Test("a code made under another secret is forged by its signature")
    func otherSecret() throws {
        let other = try CodeSigner(secret: Array("another-secret-0123456789".utf8))
        var signatureFailures = 0
        for key in RandomBytes.keys(count: 1000) {
            let result = signer.check(other.code(for: CodeKey(rawValue: key)))
            #expect(!result.isValid)
            if result == .forged(.signature) { signatureFailures += 1 }
        }
        #expect(signatureFailures == 1000)
    }

    @Test("malformed strings are refused", arguments: ["", "ABC", "A4VGNXGZH9FV3EKF!", "A4VGNXGZH9FV3EKFUU", String(repeating: "0", count: 21), "A4VGNXGZH9FV3EKF\u{0}", "中文中文中文中文中文中文中文中文中"])
    func malformed(text: String) {
        #expect(signer.check(text) == .forged(.malformed))
    }

    @Test("a short secret and an out-of-range length are refused with the field named")
    func badSigner() {
        #expect(throws: InputError.self) { try CodeSigner(secret: Array("short".utf8)) }
        #expect { try CodeSigner(secret: Array("test-secret-0123456789abcdef".utf8), length: 16) } throws: {
            ($0 as? InputError)?.field == "codes.length"
        }
    }
}

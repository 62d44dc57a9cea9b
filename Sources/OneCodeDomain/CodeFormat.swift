import Crypto

/// The random part of a code: 60 bits from a CSPRNG, and the code's key in storage.
public struct CodeKey: RawRepresentable, Hashable, Comparable, Sendable, Codable {
    /// The 60 random bits, in the low bits.
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue & CodeKey.mask }
    public static func < (lhs: CodeKey, rhs: CodeKey) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The bits a key keeps.
    public static let mask: Int64 = (1 << 60) - 1
}

/// Why a string is not a code this service issued.
public enum ForgeryReason: String, Sendable, Codable, Equatable {
    /// Wrong length or a character outside the code alphabet.
    case malformed
    /// The check character does not match: most likely mistyped.
    case checkCharacter = "check-character"
    /// The keyed check (HMAC under the server secret) does not match.
    case signature
}

/// What the keyed check says of a string, computed without any storage lookup.
public enum CodeCheck: Sendable, Equatable {
    /// The string passes the keyed check; `canonical` is its upper-case spelling.
    case valid(CodeKey, canonical: String)
    /// The string is not a code this secret signed.
    case forged(ForgeryReason)

    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }
}

/// The code format: 12 random symbols (60 bits), a keyed check of 4 to 7 symbols, one check symbol.
///
/// A code reads `RRRRRRRRRRRR` `MMMM` `C` in Crockford base32 (17 to 20 characters, default 17):
/// - `R`: the 60-bit random key, drawn from the operating system's CSPRNG;
/// - `M`: the first 20 to 35 bits of HMAC-SHA256(secret, "onecode/v1" ‖ key), so only the holder of
///   the secret can make a code that passes;
/// - `C`: a check symbol over GF(32) (weights αⁱ), so every single-symbol change and every swap of
///   neighbouring symbols is caught by arithmetic alone, whatever the keyed check says.
///
/// All characters are GS1 AI 21-safe, so a code is also a valid GS1 serial.
public struct CodeSigner: Sendable {
    public static let randomSymbols = 12
    /// Lengths a code may have; the configured length decides how many keyed-check symbols it has.
    public static let lengths: ClosedRange<Int> = 17...20
    public static let defaultLength = 17

    /// The length of the codes this signer issues.
    public let length: Int
    private let hmac: HMAC<SHA256>

    /// - Parameters:
    ///   - secret: the server secret; at least 16 bytes.
    ///   - length: the length of issued codes, 17 to 20.
    /// - Throws: `InputError` for a short secret or a length out of range.
    public init(secret: [UInt8], length: Int = CodeSigner.defaultLength) throws {
        guard secret.count >= 16 else {
            throw InputError("codes.secret", "must be at least 16 bytes long (got \(secret.count))")
        }
        guard Self.lengths.contains(length) else {
            throw InputError("codes.length", "must be from \(Self.lengths.lowerBound) to \(Self.lengths.upperBound) (got \(length))")
        }
        self.length = length
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret))
        hmac.update(data: Array("onecode/v1".utf8))
        self.hmac = hmac
    }

    /// A key for another use of the server secret (`purpose` names it), independent of the codes'
    /// keyed check: HMAC-SHA256 of the purpose under the secret.
    public func derivedKey(_ purpose: String) -> SymmetricKey {
        var derivation = hmac
        derivation.update(data: Array("key/\(purpose)".utf8))
        return SymmetricKey(data: Array(derivation.finalize()))
    }

    /// Names the secret without revealing it: the first 16 hex digits of a key derived from it for this
    /// purpose alone. A database records the fingerprint its codes were issued under, so a different
    /// secret (a restore into a new folder, a mistyped setting) is refused instead of making every code forged.
    public var fingerprint: String {
        derivedKey("secret-fingerprint").withUnsafeBytes { Array($0.prefix(8)).hex }
    }

    /// The printed code for a key.
    public func code(for key: CodeKey) -> String {
        var symbols = [UInt8](repeating: 0, count: length)
        fill(&symbols, key: key)
        return String(decoding: symbols, as: UTF8.self)
    }

    /// Writes the code for `key` into `symbols` (whose count is `length`) as ASCII bytes.
    public func fill(_ symbols: inout [UInt8], key: CodeKey) {
        var values = [UInt8](repeating: 0, count: length)
        Self.randomValues(key, into: &values)
        macValues(key, count: length - Self.randomSymbols - 1, into: &values)
        values[length - 1] = GF32.checkValue(values, count: length - 1)
        for index in 0..<length { symbols[index] = Crockford.alphabet[Int(values[index])] }
    }

    /// Checks a string: format, check symbol, then the keyed check. No storage is touched.
    public func check<S: StringProtocol>(_ text: S) -> CodeCheck {
        let utf8 = text.utf8
        guard Self.lengths.contains(utf8.count) else { return .forged(.malformed) }
        var values = [UInt8]()
        values.reserveCapacity(utf8.count)
        for byte in utf8 {
            guard let value = Crockford.value(of: byte) else { return .forged(.malformed) }
            values.append(value)
        }
        guard GF32.checkValue(values, count: values.count - 1) == values[values.count - 1] else {
            return .forged(.checkCharacter)
        }
        var key: Int64 = 0
        for index in 0..<Self.randomSymbols { key = key << 5 | Int64(values[index]) }
        let codeKey = CodeKey(rawValue: key)
        var expected = values
        macValues(codeKey, count: values.count - Self.randomSymbols - 1, into: &expected)
        guard expected == values else { return .forged(.signature) }
        let canonical = String(decoding: values.map { Crockford.alphabet[Int($0)] }, as: UTF8.self)
        return .valid(codeKey, canonical: canonical)
    }

    // MARK: - Parts

    private static func randomValues(_ key: CodeKey, into values: inout [UInt8]) {
        var bits = key.rawValue
        for index in stride(from: randomSymbols - 1, through: 0, by: -1) {
            values[index] = UInt8(truncatingIfNeeded: bits & 31)
            bits >>= 5
        }
    }

    private func macValues(_ key: CodeKey, count: Int, into values: inout [UInt8]) {
        var mac = hmac
        withUnsafeBytes(of: key.rawValue.bigEndian) { mac.update(data: $0) }
        let digest = mac.finalize()
        var bits: UInt64 = 0
        digest.withUnsafeBytes { bytes in
            for index in 0..<8 { bits = bits << 8 | UInt64(bytes[index]) }
        }
        for index in 0..<count {
            values[Self.randomSymbols + index] = UInt8(truncatingIfNeeded: bits >> 59)
            bits <<= 5
        }
    }
}

/// Arithmetic in GF(2⁵) with the primitive polynomial x⁵ + x² + 1, for the check symbol.
enum GF32 {
    static let product: [UInt8] = {
        func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
            var result: UInt8 = 0, a = a, b = b
            while b != 0 {
                if b & 1 != 0 { result ^= a }
                a <<= 1
                if a & 0x20 != 0 { a ^= 0x25 }
                b >>= 1
            }
            return result
        }
        var table = [UInt8](repeating: 0, count: 32 * 32)
        for a in 0..<32 { for b in 0..<32 { table[a * 32 + b] = multiply(UInt8(a), UInt8(b)) } }
        return table
    }()

    /// αⁱ⁺¹ for position i; all distinct and none equal to 1 for the first 30 positions.
    static let weights: [UInt8] = {
        var weights = [UInt8](), power: UInt8 = 1
        for _ in 0..<30 {
            power = product[Int(power) * 32 + 2]
            weights.append(power)
        }
        return weights
    }()

    /// The symbol that makes Σ wᵢ·vᵢ + c = 0 over the first `count` values.
    @inline(__always)
    static func checkValue(_ values: [UInt8], count: Int) -> UInt8 {
        var sum: UInt8 = 0
        for index in 0..<count { sum ^= product[Int(weights[index]) * 32 + Int(values[index])] }
        return sum
    }
}

extension CodeSigner {
    /// SHA-256 of a text, as lower-case hex (for ids of texts, such as a consent's).
    public static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// A code as a person typed it (the code-entry page, `onecode code check`, the admin API's and CLI's code
/// arguments): any case, spaces and dashes, the look-alikes I, L and O read as the label means them.
public enum TypedCode: Sendable, Equatable {
    /// Nothing typed.
    case empty
    /// A character that is no symbol of the label's alphabet.
    case symbols
    /// Symbols enough for no code: how many there are.
    case length(Int)
    /// The check symbol does not match: a symbol is most likely mistyped (never called forged).
    case typo(String)
    /// Read whole: valid, or forged by the keyed check alone.
    case read(CodeCheck)

    /// What a person should be told, in English, when the code cannot be used (nil when it reads valid).
    public var problem: String? {
        switch self {
        case .empty: "type the code printed under the QR symbol"
        case .symbols: "a code has only the letters and digits printed on the label"
        case let .length(count): "a code has \(CodeSigner.lengths.lowerBound) to \(CodeSigner.lengths.upperBound) letters and digits; this has \(count)"
        case .typo: "does not check out: a letter or digit is probably mistyped; compare it with the label"
        case .read(.forged): "fails the keyed check: not a code of this service"
        case .read(.valid): nil
        }
    }
}

extension CodeSigner {
    /// Reads a typed code (or a URL ending in one) the one way the page, the CLI and the API share.
    public func read(typed: String) -> TypedCode {
        var text = typed.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.contains("/") {
            text = String(text.prefix { $0 != "?" && $0 != "#" }).split(separator: "/").last.map(String.init) ?? ""
        }
        guard !text.isEmpty else { return .empty }
        guard let canonical = Crockford.canonical(text) else { return .symbols }
        guard Self.lengths.contains(canonical.utf8.count) else { return .length(canonical.utf8.count) }
        let checked = check(canonical)
        if case .forged(.checkCharacter) = checked { return .typo(canonical) }
        return .read(checked)
    }
}

extension CodeSigner {
    /// The lengths a hidden PIN may have.
    public static let pinLengths = 6...8

    /// A unit's hidden PIN: `length` decimal digits of an HMAC of its key under a key derived from the
    /// secret, so PINs are stored nowhere and cannot be told from the printed code.
    public func pin(for key: CodeKey, length: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: key.rawValue >> (56 - 8 * index)) }
        let mac = Array(HMAC<SHA256>.authenticationCode(for: bytes, using: derivedKey("hidden-pin")))
        var value: UInt64 = 0
        for byte in mac.prefix(8) { value = value << 8 | UInt64(byte) }
        var modulus: UInt64 = 1
        for _ in 0..<length { modulus *= 10 }
        let digits = String(value % modulus)
        return String(repeating: "0", count: length - digits.count) + digits
    }

    /// Whether `typed` is the unit's PIN (spaces ignored), compared in constant time.
    public func checkPIN(_ typed: String, for key: CodeKey, length: Int) -> Bool {
        equalInConstantTime(Array(typed.filter { !$0.isWhitespace }.utf8), Array(pin(for: key, length: length).utf8))
    }
}

/// Whether two tags are equal, comparing every byte whatever the first difference (a tag's check must
/// not tell how much of a guess was right by how long it took).
public func equalInConstantTime(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
    guard given.count == expected.count else { return false }
    var difference: UInt8 = 0
    for index in given.indices { difference |= given[index] ^ expected[index] }
    return difference == 0
}


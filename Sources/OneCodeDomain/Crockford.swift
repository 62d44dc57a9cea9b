/// Crockford's base32: digits and upper-case letters without I, L, O and U.
///
/// Decoding is case-insensitive and reads the look-alikes a person may type for a symbol
/// (`I`/`L` as `1`, `O` as `0`), so a code read off a label and typed by hand still decodes.
public enum Crockford {
    /// The 32 symbols, in value order.
    public static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Symbol value for each byte, or 0xFF for a byte that is no symbol.
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, symbol) in alphabet.enumerated() {
            table[Int(symbol)] = UInt8(value)
            if symbol >= UInt8(ascii: "A") && symbol <= UInt8(ascii: "Z") {
                table[Int(symbol + 32)] = UInt8(value)  // lower case
            }
        }
        for (alias, value) in [("I", 1), ("i", 1), ("L", 1), ("l", 1), ("O", 0), ("o", 0)] {
            table[Int(Character(alias).asciiValue!)] = UInt8(value)
        }
        return table
    }()

    /// `count` symbols from the system CSPRNG, twelve from each 64-bit draw.
    public static func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var symbols: [UInt8] = []
        symbols.reserveCapacity(count)
        var bits: UInt64 = 0
        for index in 0..<count {
            if index % 12 == 0 { bits = generator.next() }
            symbols.append(alphabet[Int(bits & 31)])
            bits >>= 5
        }
        return symbols
    }

    /// Text a person typed, read as Crockford symbols: any case, spaces and dashes dropped, the look-alikes
    /// read as their symbols (`I`/`L` as `1`, `O` as `0`). `nil` when a character is no symbol.
    public static func canonical(_ typed: String) -> String? {
        var symbols: [UInt8] = []
        for byte in typed.utf8 where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "-") {
            guard let value = value(of: byte) else { return nil }
            symbols.append(alphabet[Int(value)])
        }
        return String(decoding: symbols, as: UTF8.self)
    }

    /// The value (0..<32) of one symbol byte, or `nil` when the byte is no symbol.
    @inline(__always)
    public static func value(of byte: UInt8) -> UInt8? {
        let value = values[Int(byte)]
        return value == 0xFF ? nil : value
    }
}

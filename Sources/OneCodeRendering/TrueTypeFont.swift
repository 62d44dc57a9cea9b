import Foundation

/// A TrueType font (glyph outlines in `glyf`) read from a file: enough of it to map characters to glyphs,
/// measure them and write a subset that holds only the glyphs a document uses, for embedding.
///
/// Subsetting renumbers the glyphs kept (0, `.notdef`, stays first), rewrites the component references of
/// composite glyphs, and writes `head`, `hhea`, `maxp`, `hmtx`, `loca` and `glyf` (with the hinting
/// tables `cvt `, `fpgm` and `prep` as they are) and a minimal `post`: the tables a PDF's CIDFontType2
/// program needs (OpenType 1.9, "TrueType outlines"; PDF 32000-1, 9.9).
public struct TrueTypeFont: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case unreadable(String, String)
        public var description: String {
            switch self {
            case let .unreadable(path, why): "font \(path): \(why)"
            }
        }
    }

    /// The PostScript-style name the font is embedded under (before the subset tag).
    public let name: String
    public let unitsPerEm: Int
    public let ascent: Int, descent: Int
    public let boundingBox: (xMin: Int, yMin: Int, xMax: Int, yMax: Int)
    public let glyphCount: Int
    private let bytes: [UInt8]
    private let tables: [String: Range<Int>]
    private let longOffsets: Bool
    private let metricsCount: Int
    /// Unicode scalar → glyph, from the font's Unicode `cmap` subtable.
    private let characterMap: [UInt32: Int]

    public init(path: String, name: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure.unreadable(path, "cannot be read") }
        try self.init(bytes: [UInt8](data), name: name, path: path)
    }

    init(bytes: [UInt8], name: String, path: String) throws {
        self.bytes = bytes
        self.name = name
        func fail(_ why: String) -> Failure { .unreadable(path, why) }
        guard bytes.count >= 12, [0x0001_0000, 0x7472_7565].contains(Self.u32(bytes, 0)) else { throw fail("is not a TrueType font") }
        var tables: [String: Range<Int>] = [:]
        for index in 0..<Self.u16(bytes, 4) {
            let record = 12 + 16 * index
            guard record + 16 <= bytes.count else { throw fail("table directory is cut short") }
            let tag = String(decoding: bytes[record..<record + 4], as: UTF8.self)
            let offset = Self.u32(bytes, record + 8), length = Self.u32(bytes, record + 12)
            guard offset + length <= bytes.count else { throw fail("table \(tag) lies outside the file") }
            tables[tag] = offset..<offset + length
        }
        for tag in ["head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"] where tables[tag] == nil {
            throw fail("has no \(tag) table (only TrueType outlines can be embedded)")
        }
        self.tables = tables
        let head = tables["head"]!.lowerBound, hhea = tables["hhea"]!.lowerBound
        unitsPerEm = Self.u16(bytes, head + 18)
        boundingBox = (Self.i16(bytes, head + 36), Self.i16(bytes, head + 38), Self.i16(bytes, head + 40), Self.i16(bytes, head + 42))
        longOffsets = Self.i16(bytes, head + 50) == 1
        ascent = Self.i16(bytes, hhea + 4)
        descent = Self.i16(bytes, hhea + 6)
        metricsCount = Self.u16(bytes, hhea + 34)
        glyphCount = Self.u16(bytes, tables["maxp"]!.lowerBound + 4)
        guard metricsCount >= 1, metricsCount <= glyphCount, unitsPerEm > 0 else { throw fail("has inconsistent metrics") }
        characterMap = try Self.readCharacterMap(bytes, tables["cmap"]!, fail: fail)
    }

    /// The glyph for a character, or nil when the font has none.
    public func glyph(for scalar: Unicode.Scalar) -> Int? { characterMap[scalar.value] }

    /// A glyph's advance width in font units.
    public func advance(_ glyph: Int) -> Int {
        Self.u16(bytes, tables["hmtx"]!.lowerBound + 4 * min(glyph, metricsCount - 1))
    }

    /// A TrueType program holding `glyphs` (and `.notdef`, and every glyph their composites use),
    /// renumbered in the order given after `.notdef`; answers the program and each kept glyph's new number.
    public func subset(_ glyphs: [Int]) -> (program: [UInt8], numbers: [Int: Int]) {
        var order: [Int] = [], numbers: [Int: Int] = [:]
        var queue = [0] + glyphs, next = 0
        while next < queue.count {
            let glyph = queue[next]
            next += 1
            guard glyph < glyphCount, numbers[glyph] == nil else { continue }
            numbers[glyph] = order.count
            order.append(glyph)
            queue += components(of: glyph).map(\.glyph)
        }
        var glyf: [UInt8] = [], loca: [UInt8] = [], hmtx: [UInt8] = []
        for glyph in order {
            Self.put32(&loca, glyf.count)
            var outline = Array(bytes[glyphRange(glyph)])
            for component in components(of: glyph) {
                Self.set16(&outline, component.offset - glyphRange(glyph).lowerBound, numbers[component.glyph]!)
            }
            glyf += outline
            while glyf.count % 4 != 0 { glyf.append(0) }
            let metrics = tables["hmtx"]!.lowerBound
            Self.put16(&hmtx, advance(glyph))
            let bearing = glyph < metricsCount ? metrics + 4 * glyph + 2 : metrics + 4 * metricsCount + 2 * (glyph - metricsCount)
            hmtx += bytes[bearing..<bearing + 2]
        }
        Self.put32(&loca, glyf.count)
        var head = Array(bytes[tables["head"]!])
        Self.set32(&head, 8, 0)  // checkSumAdjustment, set below
        Self.set16(&head, 50, 1)  // long loca offsets
        var hhea = Array(bytes[tables["hhea"]!])
        Self.set16(&hhea, 34, order.count)
        var maxp = Array(bytes[tables["maxp"]!])
        Self.set16(&maxp, 4, order.count)
        // post format 3: no glyph names.
        var post: [UInt8] = [0, 3, 0, 0]
        if let original = tables["post"], original.count >= 32 { post += bytes[original.lowerBound + 4..<original.lowerBound + 16] } else {
            post += [UInt8](repeating: 0, count: 12)
        }
        post += [UInt8](repeating: 0, count: 16)
        var out: [(String, [UInt8])] = [("glyf", glyf), ("head", head), ("hhea", hhea), ("hmtx", hmtx), ("loca", loca),
                                         ("maxp", maxp), ("post", post)]
        for tag in ["cvt ", "fpgm", "prep"] { if let range = tables[tag] { out.append((tag, Array(bytes[range]))) } }
        out.sort { $0.0 < $1.0 }
        var program = Self.assemble(out)
        let adjustment = (0xB1B0_AFBA &- Self.checksum(program)) & 0xFFFF_FFFF
        let headOffset = Self.tableOffset("head", in: program)
        Self.set32(&program, headOffset + 8, Int(adjustment))
        return (program, numbers)
    }

    // MARK: Reading

    private func glyphRange(_ glyph: Int) -> Range<Int> {
        let loca = tables["loca"]!.lowerBound, glyf = tables["glyf"]!.lowerBound
        let start = longOffsets ? Self.u32(bytes, loca + 4 * glyph) : 2 * Self.u16(bytes, loca + 2 * glyph)
        let end = longOffsets ? Self.u32(bytes, loca + 4 * glyph + 4) : 2 * Self.u16(bytes, loca + 2 * glyph + 2)
        let lower = min(glyf + start, tables["glyf"]!.upperBound), upper = min(glyf + max(start, end), tables["glyf"]!.upperBound)
        return lower..<upper
    }

    /// The glyphs a composite glyph draws, with the file offset of each reference.
    private func components(of glyph: Int) -> [(glyph: Int, offset: Int)] {
        let range = glyphRange(glyph)
        guard range.count >= 10, Self.i16(bytes, range.lowerBound) < 0 else { return [] }
        var found: [(Int, Int)] = [], at = range.lowerBound + 10
        while at + 4 <= range.upperBound {
            let flags = Self.u16(bytes, at)
            found.append((Self.u16(bytes, at + 2), at + 2))
            at += 4 + (flags & 0x1 != 0 ? 4 : 2)
            if flags & 0x8 != 0 { at += 2 } else if flags & 0x40 != 0 { at += 4 } else if flags & 0x80 != 0 { at += 8 }
            if flags & 0x20 == 0 { break }
        }
        return found
    }

    private static func readCharacterMap(_ bytes: [UInt8], _ range: Range<Int>, fail: (String) -> Failure) throws -> [UInt32: Int] {
        let base = range.lowerBound
        var format4: Int?, format12: Int?
        for index in 0..<u16(bytes, base + 2) {
            let record = base + 4 + 8 * index
            let platform = u16(bytes, record), encoding = u16(bytes, record + 2), offset = base + u32(bytes, record + 4)
            guard offset + 4 <= range.upperBound else { continue }
            let unicode = platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10))
            guard unicode else { continue }
            switch u16(bytes, offset) {
            case 4: format4 = format4 ?? offset
            case 12: format12 = format12 ?? offset
            default: break
            }
        }
        var map: [UInt32: Int] = [:]
        if let table = format12 {
            for group in 0..<u32(bytes, table + 12) {
                let at = table + 16 + 12 * group
                let first = u32(bytes, at), last = u32(bytes, at + 4), glyph = u32(bytes, at + 8)
                guard last >= first, last - first < 0x110000 else { continue }
                for scalar in first...last { map[UInt32(scalar)] = glyph + scalar - first }
            }
        } else if let table = format4 {
            let segments = u16(bytes, table + 6) / 2
            let ends = table + 14, starts = ends + 2 * segments + 2, deltas = starts + 2 * segments, offsets = deltas + 2 * segments
            for segment in 0..<segments {
                let first = u16(bytes, starts + 2 * segment), last = u16(bytes, ends + 2 * segment)
                let delta = u16(bytes, deltas + 2 * segment), rangeOffset = u16(bytes, offsets + 2 * segment)
                guard first <= last, last != 0xFFFF || first != 0xFFFF else { continue }
                for scalar in first...last {
                    var glyph: Int
                    if rangeOffset == 0 {
                        glyph = (scalar + delta) & 0xFFFF
                    } else {
                        let at = offsets + 2 * segment + rangeOffset + 2 * (scalar - first)
                        guard at + 2 <= range.upperBound else { continue }
                        glyph = u16(bytes, at)
                        if glyph != 0 { glyph = (glyph + delta) & 0xFFFF }
                    }
                    if glyph != 0 { map[UInt32(scalar)] = glyph }
                }
            }
        } else {
            throw fail("has no Unicode character map")
        }
        return map
    }

    // MARK: Writing

    private static func assemble(_ tables: [(String, [UInt8])]) -> [UInt8] {
        var power = 1, exponent = 0
        while power * 2 <= tables.count { power *= 2; exponent += 1 }
        var out: [UInt8] = []
        put32(&out, 0x0001_0000)
        put16(&out, tables.count)
        put16(&out, power * 16)
        put16(&out, exponent)
        put16(&out, tables.count * 16 - power * 16)
        var offset = 12 + 16 * tables.count
        var body: [UInt8] = []
        for (tag, data) in tables {
            out += Array(tag.utf8)
            put32(&out, checksum(data))
            put32(&out, offset)
            put32(&out, data.count)
            body += data
            while body.count % 4 != 0 { body.append(0) }
            offset = 12 + 16 * tables.count + body.count
        }
        return out + body
    }

    private static func tableOffset(_ tag: String, in program: [UInt8]) -> Int {
        for index in 0..<u16(program, 4) {
            let record = 12 + 16 * index
            if String(decoding: program[record..<record + 4], as: UTF8.self) == tag { return u32(program, record + 8) }
        }
        preconditionFailure("no \(tag) table in a program just assembled")
    }

    static func checksum(_ data: [UInt8]) -> Int {
        var sum: UInt32 = 0, index = 0
        while index < data.count {
            var word: UInt32 = 0
            for byte in 0..<4 { word = word << 8 | UInt32(index + byte < data.count ? data[index + byte] : 0) }
            sum = sum &+ word
            index += 4
        }
        return Int(sum)
    }

    static func u16(_ bytes: [UInt8], _ at: Int) -> Int { at + 2 <= bytes.count ? Int(bytes[at]) << 8 | Int(bytes[at + 1]) : 0 }
    static func i16(_ bytes: [UInt8], _ at: Int) -> Int { Int(Int16(bitPattern: UInt16(u16(bytes, at)))) }
    static func u32(_ bytes: [UInt8], _ at: Int) -> Int { u16(bytes, at) << 16 | u16(bytes, at + 2) }
    static func put16(_ out: inout [UInt8], _ value: Int) { out += [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func put32(_ out: inout [UInt8], _ value: Int) { put16(&out, value >> 16 & 0xFFFF); put16(&out, value & 0xFFFF) }
    static func set16(_ out: inout [UInt8], _ at: Int, _ value: Int) { out[at] = UInt8(value >> 8 & 0xFF); out[at + 1] = UInt8(value & 0xFF) }
    static func set32(_ out: inout [UInt8], _ at: Int, _ value: Int) { set16(&out, at, value >> 16 & 0xFFFF); set16(&out, at + 2, value & 0xFFFF) }
}

import Crypto
import Foundation

/// One font embedded in a PDF as a subset: a Type 0 font over a CIDFontType2 whose program (`FontFile2`)
/// holds only the glyphs of the characters it was made for. Text is shown as two-byte codes, each the
/// glyph's number in the subset (`Identity-H`, `CIDToGIDMap /Identity`); a `ToUnicode` map lets readers
/// and `pdftotext` copy the text back out.
public struct PDFFont: Sendable {
    /// The page resource name, `F1`.
    public let resource: String
    /// `ABCDEF+DejaVuSansMono`: a tag derived from the subset, then the font's name (PDF 32000-1, 9.6.4).
    public let baseName: String
    /// Unicode scalar → code (the glyph's number in the subset).
    let codes: [UInt32: Int]
    /// Each code's advance, in thousandths of an em.
    let widths: [Int]
    let program: [UInt8]
    let ascent: Int, descent: Int, boundingBox: [Int], fixedPitch: Bool

    init(font: TrueTypeFont, scalars: [Unicode.Scalar], resource: String) {
        let glyphs = scalars.compactMap { font.glyph(for: $0) }
        let (program, numbers) = font.subset(glyphs)
        var codes: [UInt32: Int] = [:]
        for scalar in scalars { if let glyph = font.glyph(for: scalar), let number = numbers[glyph] { codes[scalar.value] = number } }
        let scale = { (units: Int) in Int((Double(units) * 1000 / Double(font.unitsPerEm)).rounded()) }
        var widths = [Int](repeating: 0, count: numbers.count)
        for (glyph, number) in numbers { widths[number] = scale(font.advance(glyph)) }
        self.resource = resource
        self.codes = codes
        self.widths = widths
        self.program = program
        ascent = scale(font.ascent)
        descent = scale(font.descent)
        boundingBox = [font.boundingBox.xMin, font.boundingBox.yMin, font.boundingBox.xMax, font.boundingBox.yMax].map(scale)
        fixedPitch = Set(widths.dropFirst()).count <= 1
        // Six capital letters from the subset's contents, so two different subsets never share a name.
        let digest = Array(SHA256.hash(data: program))
        baseName = String(digest.prefix(6).map { Character(Unicode.Scalar(UInt8(ascii: "A") + $0 % 26)) }) + "+" + font.name
    }

    /// The PDF objects of this font, numbered from `first` (five of them; the first is the font itself).
    func objects(first: Int) -> [(Int, [UInt8])] {
        let cid = first + 1, descriptor = first + 2, file = first + 3, toUnicode = first + 4
        let compressedProgram = Zlib.deflate(program)
        var unicodeMap = [(Int, UInt32)]()
        for (scalar, code) in codes { unicodeMap.append((code, scalar)) }
        unicodeMap.sort { $0.0 < $1.0 }
        var cmap = """
            /CIDInit /ProcSet findresource begin
            12 dict begin
            begincmap
            /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
            /CMapName /Adobe-Identity-UCS def
            /CMapType 2 def
            1 begincodespacerange
            <0000> <FFFF>
            endcodespacerange

            """
        for start in stride(from: 0, to: unicodeMap.count, by: 100) {
            let block = unicodeMap[start..<min(unicodeMap.count, start + 100)]
            cmap += "\(block.count) beginbfchar\n"
            for (code, scalar) in block {
                let utf16 = String(Character(Unicode.Scalar(scalar)!)).utf16.map { String(format: "%04X", $0) }.joined()
                cmap += String(format: "<%04X> <", code) + utf16 + ">\n"
            }
            cmap += "endbfchar\n"
        }
        cmap += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        let compressedMap = Zlib.deflate(Array(cmap.utf8))
        let flags = 4 | (fixedPitch ? 1 : 0)  // symbolic (a CID font's glyphs are not the standard Latin set), fixed pitch
        return [
            (first, Array("""
                << /Type /Font /Subtype /Type0 /BaseFont /\(baseName) /Encoding /Identity-H /DescendantFonts [\(cid) 0 R] \
                /ToUnicode \(toUnicode) 0 R >>
                """.utf8)),
            (cid, Array("""
                << /Type /Font /Subtype /CIDFontType2 /BaseFont /\(baseName) /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) \
                /Supplement 0 >> /FontDescriptor \(descriptor) 0 R /CIDToGIDMap /Identity /DW 1000 \
                /W [0 [\(widths.map(String.init).joined(separator: " "))]] >>
                """.utf8)),
            (descriptor, Array("""
                << /Type /FontDescriptor /FontName /\(baseName) /Flags \(flags) /FontBBox [\(boundingBox.map(String.init).joined(separator: " "))] \
                /ItalicAngle 0 /Ascent \(ascent) /Descent \(descent) /CapHeight \(ascent) /StemV 80 /FontFile2 \(file) 0 R >>
                """.utf8)),
            (file, Array("<< /Length \(compressedProgram.count) /Length1 \(program.count) /Filter /FlateDecode >>\nstream\n".utf8)
                + compressedProgram + Array("\nendstream".utf8)),
            (toUnicode, Array("<< /Length \(compressedMap.count) /Filter /FlateDecode >>\nstream\n".utf8) + compressedMap
                + Array("\nendstream".utf8)),
        ]
    }
}

/// The fonts a label sheet embeds: DejaVu Sans Mono for codes, numbers and Latin text (printable ASCII
/// and whatever else of a heading it has), and Droid Sans Fallback for Chinese (and other) characters of
/// a heading that the first lacks. Both are free fonts that permit embedding, from Debian's
/// `fonts-dejavu-core` and `fonts-droid-fallback`; the second is read only when a heading needs it.
public struct LabelFonts: Sendable {
    public let fonts: [PDFFont]

    /// Where the font files are looked for, in order.
    public static let directories = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/droid", "/usr/share/fonts/TTF",
                                     "/usr/share/fonts/dejavu", "/usr/share/fonts/google-droid", "/usr/local/share/fonts"]
    static let latin = (file: "DejaVuSansMono.ttf", name: "DejaVuSansMono", package: "fonts-dejavu-core")
    static let fallback = (file: "DroidSansFallbackFull.ttf", name: "DroidSansFallback", package: "fonts-droid-fallback")

    /// A font file was not found.
    public struct Missing: Error, CustomStringConvertible {
        public let file: String, package: String
        public var description: String {
            "labels.pdf: the font \(file) was not found in \(LabelFonts.directories.joined(separator: ", ")); " +
                "install it (Debian: apt-get install \(package))"
        }
    }

    /// The fonts for sheets whose text is printable ASCII and the characters of `texts`.
    public init(for texts: [String]) throws {
        let latin = try TrueTypeFont(path: Self.locate(Self.latin), name: Self.latin.name)
        var latinScalars = (32...126).map { Unicode.Scalar(UInt8($0)) }
        var rest: [Unicode.Scalar] = []
        for scalar in texts.flatMap(\.unicodeScalars) where !scalar.isASCII && !latinScalars.contains(scalar) && !rest.contains(scalar) {
            if latin.glyph(for: scalar) != nil { latinScalars.append(scalar) } else { rest.append(scalar) }
        }
        var fonts = [PDFFont(font: latin, scalars: latinScalars, resource: "F1")]
        if !rest.isEmpty {
            let fallback = try TrueTypeFont(path: Self.locate(Self.fallback), name: Self.fallback.name)
            fonts.append(PDFFont(font: fallback, scalars: rest, resource: "F2"))
        }
        self.fonts = fonts
    }

    static func locate(_ font: (file: String, name: String, package: String)) throws -> String {
        for directory in directories where FileManager.default.fileExists(atPath: directory + "/" + font.file) {
            return directory + "/" + font.file
        }
        throw Missing(file: font.file, package: font.package)
    }

    /// Each character's font and code; a character no font has is shown as `?`.
    private func runs(_ text: String) -> [(font: Int, codes: [Int])] {
        var runs: [(font: Int, codes: [Int])] = []
        for scalar in text.unicodeScalars {
            let (font, code) = fonts.indices.lazy.compactMap { index in fonts[index].codes[scalar.value].map { (index, $0) } }.first
                ?? (0, fonts[0].codes[UInt32(UInt8(ascii: "?"))] ?? 0)
            if let last = runs.last, last.font == font { runs[runs.count - 1].codes.append(code) } else { runs.append((font, [code])) }
        }
        return runs
    }

    /// A line of text set at a size: how wide it is, in points, and the operators that show it from the current
    /// text position (`/F1 7 Tf <…> Tj`, switching fonts where the text does).
    public struct Line: Sendable {
        public let width: Double
        public let operators: String
    }

    /// `text` set at `size` points (each character looked up once, for both its width and its code).
    public func line(_ text: String, size: Double) -> Line {
        let runs = runs(text)
        let width = runs.reduce(0) { sum, run in sum + Double(run.codes.reduce(0) { $0 + fonts[run.font].widths[$1] }) * size / 1000 }
        let operators = runs.map { run in
            "/\(fonts[run.font].resource) \(PDFLabelSheet.fmt(size)) Tf <" + run.codes.map { String(format: "%04X", $0) }.joined() + "> Tj"
        }.joined(separator: " ")
        return Line(width: width, operators: operators)
    }

    /// The page resources naming every font: `/F1 4 0 R /F2 9 0 R`.
    func resources(objects: [Int]) -> String {
        zip(fonts, objects).map { "/\($0.resource) \($1) 0 R" }.joined(separator: " ")
    }
}

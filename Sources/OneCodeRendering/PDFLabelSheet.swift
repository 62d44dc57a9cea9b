import Crypto
import Foundation

/// The physical size artwork is drawn at: one module of every symbol, whatever the format (a PDF
/// draws it so, a PNG records the pixel density that makes it so, an SVG states it in millimetres).
public enum PrintSize {
    /// The module size the artwork is drawn at and the manifest recommends.
    public static let moduleMillimetres = 0.5
    /// The smallest module size phones read reliably.
    public static let minimumModuleMillimetres = 0.33
    /// Pixels per module in PNG artwork: 8 pixels of 0.0625 mm (406.4 dpi).
    public static let pngPixelsPerModule = 8
    /// The PNG's recorded density (pHYs), pixels per metre, for `moduleMillimetres` a module.
    public static var pngPixelsPerMetre: Int { pixelsPerMetre(pixelsPerModule: pngPixelsPerModule, moduleMillimetres: moduleMillimetres) }

    /// The density that prints `pixelsPerModule` pixels as a module of `moduleMillimetres`.
    public static func pixelsPerMetre(pixelsPerModule: Int, moduleMillimetres: Double) -> Int {
        Int((Double(pixelsPerModule) / moduleMillimetres * 1000).rounded())
    }
}

/// How labels sit on a sheet: A4 pages, a grid of equal labels that abut so one cut separates two,
/// crop marks in the margins on every cut line, a heading above the grid and a footer below it.
/// All lengths in millimetres from the page's top-left corner; the manifest carries this as `sheet`.
public struct SheetLayout: Sendable, Codable, Equatable {
    public var pageSize = "A4"
    public var pageWidthMillimetres = 210.0
    public var pageHeightMillimetres = 297.0
    public var columns: Int
    public var rows: Int
    public var labelsPerPage: Int
    public var labelWidthMillimetres: Double
    public var labelHeightMillimetres: Double
    /// The grid's top-left corner (the grid is centred on the page).
    public var gridLeftMillimetres: Double
    public var gridTopMillimetres: Double
    /// Each symbol, quiet zone included, centred at the top of its label; the code is printed under it.
    public var symbolSideMillimetres: Double
    public var moduleSizeMillimetres: Double
    public var cropMarks = true

    /// Space each side of a label's contents, and between the symbol and its caption.
    static let padding = 2.0, captionGap = 1.0
    /// Caption type: Courier, 0.6 em a character.
    static let captionPoints = 7.0
    static var captionHeight: Double { captionPoints / 72 * 25.4 }
    /// Margins keep the heading, footer and crop marks off the grid.
    static let sideMargin = 12.0, topMargin = 15.0

    /// The layout for symbols of `modulesPerSide` (without the quiet zone) at `moduleSize` mm, with
    /// captions of up to `captionCharacters`.
    public init(modulesPerSide: Int, moduleSize: Double = PrintSize.moduleMillimetres, captionCharacters: Int) {
        moduleSizeMillimetres = moduleSize
        symbolSideMillimetres = Double(modulesPerSide + 2 * QRSymbol.quietZone) * moduleSize
        let captionWidth = PDFLabelSheet.courierWidth(captionCharacters, size: Self.captionPoints) / 72 * 25.4
        labelWidthMillimetres = Self.up(max(symbolSideMillimetres, captionWidth) + 2 * Self.padding)
        labelHeightMillimetres = Self.up(symbolSideMillimetres + Self.captionGap + Self.captionHeight + 2 * Self.padding)
        columns = max(1, Int((pageWidthMillimetres - 2 * Self.sideMargin) / labelWidthMillimetres))
        rows = max(1, Int((pageHeightMillimetres - 2 * Self.topMargin) / labelHeightMillimetres))
        labelsPerPage = columns * rows
        gridLeftMillimetres = Self.round((pageWidthMillimetres - Double(columns) * labelWidthMillimetres) / 2)
        gridTopMillimetres = Self.round((pageHeightMillimetres - Double(rows) * labelHeightMillimetres) / 2)
    }

    /// Where label `index` of a page sits.
    public func labelFrame(_ index: Int) -> (x: Double, y: Double, width: Double, height: Double) {
        (gridLeftMillimetres + Double(index % columns) * labelWidthMillimetres,
         gridTopMillimetres + Double(index / columns) * labelHeightMillimetres, labelWidthMillimetres, labelHeightMillimetres)
    }

    /// Where the symbol of label `index` sits (quiet zone included).
    public func symbolFrame(_ index: Int) -> (x: Double, y: Double, side: Double) {
        let label = labelFrame(index)
        return (label.x + (label.width - symbolSideMillimetres) / 2, label.y + Self.padding, symbolSideMillimetres)
    }

    public func pages(for labels: Int) -> Int { max(1, (labels + labelsPerPage - 1) / labelsPerPage) }

    static func up(_ millimetres: Double) -> Double { (millimetres * 10).rounded(.up) / 10 }
    static func round(_ millimetres: Double) -> Double { (millimetres * 10).rounded() / 10 }
}

/// Writes QR labels onto A4 sheets laid out by a `SheetLayout`: symbols at the layout's module size,
/// the code under each, crop marks, and on every page a heading (product, GTIN, batch, lot) and a
/// footer (the sequence range and the page number).
///
/// Pages are drawn by `page(_:number:)`, a pure function that callers may run on several threads, and
/// written in order by `append(page:)`, so a sheet of a million labels streams through memory. The
/// batch's number is known only when the batch is stored, after the pages are written: the heading
/// draws it from a small form object that `finish(batch:)` writes last.
public final class PDFLabelSheet {
    /// One label: the symbol and the text printed under it.
    public struct Label: Sendable {
        public let symbol: QRSymbol
        public let caption: String
        public init(symbol: QRSymbol, caption: String) {
            self.symbol = symbol
            self.caption = caption
        }
    }

    /// What every page says about its labels.
    public struct Heading: Sendable {
        public var title: String
        public var gtin: String?
        public var lot: String?
        /// The sequence of the sheet's first label and the number of labels on the sheet.
        public var firstSequence: Int
        public var labels: Int
        public init(title: String, gtin: String? = nil, lot: String? = nil, firstSequence: Int = 1, labels: Int) {
            self.title = title
            self.gtin = gtin
            self.lot = lot
            self.firstSequence = firstSequence
            self.labels = labels
        }
    }

    public let layout: SheetLayout
    public let heading: Heading
    /// Whether the heading needs the Chinese font.
    private var chinese: Bool { !heading.title.allSatisfy(\.isASCII) }
    private let handle: FileHandle
    private var hasher = SHA256()
    private var offset = 0
    private var objectOffsets: [Int: Int] = [:]
    private var pageObjects: [Int] = []
    // 1 catalogue, 2 page tree, 3 Courier, 4 the batch form, 5 a CJK font for headings in Chinese.
    private var nextObject = 6

    /// Creates the file at `path` (which must not exist) and writes the PDF header.
    public init(path: String, layout: SheetLayout, heading: Heading) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        self.layout = layout
        self.heading = heading
        try write(Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8))
    }

    /// Draws page `number` (from 0): up to `labelsPerPage` labels, row by row from the top left.
    public static func page(_ labels: ArraySlice<Label>, number: Int, layout: SheetLayout, heading: Heading) -> [UInt8] {
        let pageHeight = points(layout.pageHeightMillimetres)
        var out = ""
        out.reserveCapacity(labels.count * 6000 + 2000)
        for (index, label) in labels.enumerated() {
            let frame = layout.symbolFrame(index)
            let side = Double(label.symbol.width + 2 * QRSymbol.quietZone)
            let scale = points(frame.side) / side
            let originX = points(frame.x), originY = pageHeight - points(frame.y + frame.side)
            out += "q \(fmt(scale, 5)) 0 0 \(fmt(scale, 5)) \(fmt(originX)) \(fmt(originY)) cm\n"
            let width = label.symbol.width
            for y in 0..<width {
                let flipped = Int(side) - QRSymbol.quietZone - y - 1
                for run in label.symbol.darkRuns(row: y) {
                    out += "\(run.start + QRSymbol.quietZone) \(flipped) \(run.length) 1 re\n"
                }
            }
            out += "f Q\n"
            let caption = escape(label.caption)
            let textWidth = courierWidth(caption.count, size: SheetLayout.captionPoints)
            let labelFrame = layout.labelFrame(index)
            let baseline = pageHeight - points(frame.y + frame.side + SheetLayout.captionGap + SheetLayout.captionHeight * 0.8)
            out += "BT /F1 \(fmt(SheetLayout.captionPoints)) Tf \(fmt(points(labelFrame.x) + (points(labelFrame.width) - textWidth) / 2)) \(fmt(baseline)) Td (\(caption)) Tj ET\n"
        }
        if layout.cropMarks { out += cropMarks(layout) }
        // Heading: the product (and GTIN) on the left; the batch and lot right-aligned, from the form.
        let left = points(layout.gridLeftMillimetres), right = points(layout.pageWidthMillimetres - layout.gridLeftMillimetres)
        let top = pageHeight - points(7), bottom = points(5)
        out += text(String(heading.title.prefix(48)) + (heading.gtin.map { "  GTIN \($0)" } ?? ""), x: left, y: top, size: 8)
        out += "q 1 0 0 1 \(fmt(right)) \(fmt(top)) cm /Batch Do Q\n"
        // Footer: which labels these are, and the page.
        let first = heading.firstSequence + number * layout.labelsPerPage
        let last = first + labels.count - 1
        let pages = layout.pages(for: heading.labels)
        out += text("labels \(first)-\(last) of \(heading.labels) (sequence in codes.csv)", x: left, y: bottom, size: 7)
        let pageText = "page \(number + 1) of \(pages)"
        out += text(pageText, x: right - courierWidth(pageText.count, size: 7), y: bottom, size: 7)
        return Array(out.utf8)
    }

    /// Appends a page drawn by `page(_:number:layout:heading:)`.
    public func append(page content: [UInt8]) throws {
        let contentObject = nextObject, pageObject = nextObject + 1
        nextObject += 2
        try writeObject(contentObject, Array("<< /Length \(content.count) >>\nstream\n".utf8) + content + Array("\nendstream".utf8))
        try writeObject(pageObject, Array("""
            << /Type /Page /Parent 2 0 R /MediaBox [0 0 \(Self.fmt(Self.points(layout.pageWidthMillimetres))) \
            \(Self.fmt(Self.points(layout.pageHeightMillimetres)))] /Resources << /Font << /F1 3 0 R\(chinese ? " /F2 5 0 R" : "") >> \
            /XObject << /Batch 4 0 R >> >> /Contents \(contentObject) 0 R >>
            """.utf8))
        pageObjects.append(pageObject)
    }

    /// Makes the pages written so far durable (the slow part, done before the batch is stored).
    public func synchronize() throws { try handle.synchronize() }

    /// Writes the batch's number (if any) into every page's heading, the page tree, catalogue and
    /// cross-reference table, and closes the file. Answers the whole file's SHA-256 and size.
    @discardableResult
    public func finish(batch: String?) throws -> (sha256: SHA256.Digest, bytes: Int) {
        let right = Self.escape([batch.map { "batch \($0)" }, heading.lot.map { "lot \($0)" }].compactMap { $0 }.joined(separator: "  "))
        let form = "BT /F1 8 Tf \(Self.fmt(-Self.courierWidth(right.count, size: 8))) 0 Td (\(right)) Tj ET"
        try writeObject(4, Array("<< /Type /XObject /Subtype /Form /BBox [-400 -3 0 9] /Resources << /Font << /F1 3 0 R >> >> /Length \(form.utf8.count) >>\nstream\n\(form)\nendstream".utf8))
        try writeObject(3, Array("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>".utf8))
        // Headings in Chinese use Adobe's standard simplified-Chinese font (a reader supplies it).
        if chinese { try writeObject(5, Array("""
            << /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UTF16-H /DescendantFonts [<< /Type /Font \
            /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> \
            /FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 \
            /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >> /DW 1000 /W [1 95 500] >>] >>
            """.utf8)) }
        let kids = pageObjects.map { "\($0) 0 R" }.joined(separator: " ")
        try writeObject(2, Array("<< /Type /Pages /Kids [\(kids)] /Count \(pageObjects.count) >>".utf8))
        try writeObject(1, Array("<< /Type /Catalog /Pages 2 0 R >>".utf8))
        let xrefOffset = offset
        var xref = "xref\n0 \(nextObject)\n0000000000 65535 f \n"
        for object in 1..<nextObject {
            // An object never written (the Chinese font, unless needed) is a free entry.
            xref += objectOffsets[object].map { String(format: "%010d 00000 n \n", $0) } ?? "0000000000 65535 f \n"
        }
        xref += "trailer\n<< /Size \(nextObject) /Root 1 0 R >>\nstartxref\n\(xrefOffset)\n%%EOF\n"
        try write(Array(xref.utf8))
        try handle.synchronize()
        try handle.close()
        return (hasher.finalize(), offset)
    }

    /// Short marks in the margins on every line a cutter follows: each column and row edge of the grid.
    static func cropMarks(_ layout: SheetLayout) -> String {
        let height = layout.pageHeightMillimetres
        let gridRight = layout.gridLeftMillimetres + Double(layout.columns) * layout.labelWidthMillimetres
        let gridBottom = layout.gridTopMillimetres + Double(layout.rows) * layout.labelHeightMillimetres
        let gap = 1.5, length = 5.0
        var out = "q 0.3 w\n"
        func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) {
            out += "\(fmt(points(x1))) \(fmt(points(height - y1))) m \(fmt(points(x2))) \(fmt(points(height - y2))) l S\n"
        }
        for column in 0...layout.columns {
            let x = layout.gridLeftMillimetres + Double(column) * layout.labelWidthMillimetres
            line(x, layout.gridTopMillimetres - gap - length, x, layout.gridTopMillimetres - gap)
            line(x, gridBottom + gap, x, gridBottom + gap + length)
        }
        for row in 0...layout.rows {
            let y = layout.gridTopMillimetres + Double(row) * layout.labelHeightMillimetres
            line(layout.gridLeftMillimetres - gap - length, y, layout.gridLeftMillimetres - gap, y)
            line(gridRight + gap, y, gridRight + gap + length, y)
        }
        return out + "Q\n"
    }

    /// One line of text at (x, y) points: Courier for ASCII, the Chinese font (UTF-16 hex) otherwise.
    static func text(_ string: String, x: Double, y: Double, size: Double) -> String {
        if string.allSatisfy({ $0.isASCII }) {
            return "BT /F1 \(fmt(size)) Tf \(fmt(x)) \(fmt(y)) Td (\(escape(string))) Tj ET\n"
        }
        let hex = string.utf16.map { String(format: "%04X", $0) }.joined()
        return "BT /F2 \(fmt(size)) Tf \(fmt(x)) \(fmt(y)) Td <\(hex)> Tj ET\n"
    }

    static func escape(_ string: String) -> String {
        String(string.unicodeScalars.map { $0.isASCII && $0.value >= 32 ? Character($0) : "?" })
            .replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
    }

    private func writeObject(_ number: Int, _ body: [UInt8]) throws {
        objectOffsets[number] = offset
        try write(Array("\(number) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8))
    }

    private func write(_ bytes: [UInt8]) throws {
        try handle.write(contentsOf: bytes)
        hasher.update(data: bytes)
        offset += bytes.count
    }

    static func points(_ millimetres: Double) -> Double { millimetres / 25.4 * 72 }
    /// The width in points of `characters` of Courier at `size` points (0.6 em a character).
    static func courierWidth(_ characters: Int, size: Double) -> Double { Double(characters) * 0.6 * size }
    static func fmt(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
}

import Crypto
import Foundation
import OneCodeDomain

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

/// How labels sit on a page, in one of two kinds. A4 sheets: a grid of equal labels that abut so one cut
/// separates two, crop marks in the margins on every cut line, a heading above the grid and a footer below
/// it. Roll labels: one label a page, the page the label's size, for label printers fed from a roll.
/// All lengths in millimetres from the page's top-left corner; the manifest carries this as `sheet`.
public struct SheetLayout: Sendable, Codable, Equatable {
    /// `A4` or `roll`.
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
    /// Each symbol, quiet zone included, centred across its label this far below the label's top edge;
    /// the code is printed under it.
    public var symbolSideMillimetres: Double
    public var symbolTopMillimetres: Double
    public var moduleSizeMillimetres: Double
    public var cropMarks = true

    /// Space each side of a label's contents, and between the symbol and its caption.
    static let padding = 2.0, captionGap = 1.0
    /// Caption type: a monospaced font at 0.6 em a character (DejaVu Sans Mono's is 0.602).
    static let captionPoints = 7.0
    static var captionHeight: Double { captionPoints / 72 * 25.4 }
    /// Margins keep the heading, footer and crop marks off the grid.
    static let sideMargin = 12.0, topMargin = 15.0
    /// Roll labels: the sizes accepted, in millimetres a side.
    public static let rollSides = 10.0...300.0

    /// An A4 sheet for symbols of `modulesPerSide` (without the quiet zone) at `moduleSize` mm, with
    /// captions of up to `captionCharacters`.
    public init(modulesPerSide: Int, moduleSize: Double = PrintSize.moduleMillimetres, captionCharacters: Int) {
        moduleSizeMillimetres = moduleSize
        symbolSideMillimetres = Double(modulesPerSide + 2 * QRSymbol.quietZone) * moduleSize
        symbolTopMillimetres = Self.padding
        let captionWidth = Self.captionWidth(captionCharacters)
        labelWidthMillimetres = Self.up(max(symbolSideMillimetres, captionWidth) + 2 * Self.padding)
        labelHeightMillimetres = Self.up(symbolSideMillimetres + Self.captionGap + Self.captionHeight + 2 * Self.padding)
        columns = max(1, Int((pageWidthMillimetres - 2 * Self.sideMargin) / labelWidthMillimetres))
        rows = max(1, Int((pageHeightMillimetres - 2 * Self.topMargin) / labelHeightMillimetres))
        labelsPerPage = columns * rows
        gridLeftMillimetres = Self.round((pageWidthMillimetres - Double(columns) * labelWidthMillimetres) / 2)
        gridTopMillimetres = Self.round((pageHeightMillimetres - Double(rows) * labelHeightMillimetres) / 2)
    }

    /// Roll labels of `width` × `height` mm, one a page: the symbol and its code centred on the label.
    /// - Throws: `InputError("roll", …)` when the label is outside `rollSides` or cannot hold them.
    public init(rollWidth width: Double, height: Double, modulesPerSide: Int, moduleSize: Double = PrintSize.moduleMillimetres,
                captionCharacters: Int) throws {
        let side = Double(modulesPerSide + 2 * QRSymbol.quietZone) * moduleSize
        let needWidth = Self.up(max(side, Self.captionWidth(captionCharacters)) + 2 * Self.padding)
        let content = side + Self.captionGap + Self.captionHeight
        let needHeight = Self.up(content + 2 * Self.padding)
        guard Self.rollSides.contains(width), Self.rollSides.contains(height) else {
            throw InputError("roll", "a roll label is \(Self.fmt(Self.rollSides.lowerBound)) to \(Self.fmt(Self.rollSides.upperBound)) mm a side, as WIDTHxHEIGHT in mm (e.g. 40x30)")
        }
        guard width >= needWidth, height >= needHeight else {
            throw InputError("roll", "a \(Self.fmt(width)) × \(Self.fmt(height)) mm label cannot hold the symbol (\(Self.fmt(side)) mm a side at \(Self.fmt(moduleSize)) mm a module) and its code; it must be at least \(Self.fmt(needWidth)) × \(Self.fmt(needHeight)) mm")
        }
        pageSize = "roll"
        pageWidthMillimetres = width
        pageHeightMillimetres = height
        columns = 1
        rows = 1
        labelsPerPage = 1
        labelWidthMillimetres = width
        labelHeightMillimetres = height
        gridLeftMillimetres = 0
        gridTopMillimetres = 0
        symbolSideMillimetres = side
        symbolTopMillimetres = Self.round((height - content) / 2)
        moduleSizeMillimetres = moduleSize
        cropMarks = false
    }

    /// Whether pages are single roll labels (no heading, footer or crop marks: there is no room).
    public var isRoll: Bool { pageSize == "roll" }

    /// Where label `index` of a page sits.
    public func labelFrame(_ index: Int) -> (x: Double, y: Double, width: Double, height: Double) {
        (gridLeftMillimetres + Double(index % columns) * labelWidthMillimetres,
         gridTopMillimetres + Double(index / columns) * labelHeightMillimetres, labelWidthMillimetres, labelHeightMillimetres)
    }

    /// Where the symbol of label `index` sits (quiet zone included).
    public func symbolFrame(_ index: Int) -> (x: Double, y: Double, side: Double) {
        let label = labelFrame(index)
        return (label.x + (label.width - symbolSideMillimetres) / 2, label.y + symbolTopMillimetres, symbolSideMillimetres)
    }

    public func pages(for labels: Int) -> Int { max(1, (labels + labelsPerPage - 1) / labelsPerPage) }

    static func captionWidth(_ characters: Int) -> Double { Double(characters) * 0.6 * captionPoints / 72 * 25.4 }
    static func up(_ millimetres: Double) -> Double { (millimetres * 10).rounded(.up) / 10 }
    static func round(_ millimetres: Double) -> Double { (millimetres * 10).rounded() / 10 }
    /// Millimetres as README writes them: `40`, `18.5`.
    public static func fmt(_ millimetres: Double) -> String {
        millimetres == millimetres.rounded() ? String(Int(millimetres)) : String(format: "%.1f", millimetres)
    }

    // Manifests written before roll labels have no symbolTopMillimetres: it was the padding.
    enum CodingKeys: String, CodingKey {
        case pageSize, pageWidthMillimetres, pageHeightMillimetres, columns, rows, labelsPerPage, labelWidthMillimetres,
             labelHeightMillimetres, gridLeftMillimetres, gridTopMillimetres, symbolSideMillimetres, symbolTopMillimetres,
             moduleSizeMillimetres, cropMarks
    }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pageSize = try container.decode(String.self, forKey: .pageSize)
        pageWidthMillimetres = try container.decode(Double.self, forKey: .pageWidthMillimetres)
        pageHeightMillimetres = try container.decode(Double.self, forKey: .pageHeightMillimetres)
        columns = try container.decode(Int.self, forKey: .columns)
        rows = try container.decode(Int.self, forKey: .rows)
        labelsPerPage = try container.decode(Int.self, forKey: .labelsPerPage)
        labelWidthMillimetres = try container.decode(Double.self, forKey: .labelWidthMillimetres)
        labelHeightMillimetres = try container.decode(Double.self, forKey: .labelHeightMillimetres)
        gridLeftMillimetres = try container.decode(Double.self, forKey: .gridLeftMillimetres)
        gridTopMillimetres = try container.decode(Double.self, forKey: .gridTopMillimetres)
        symbolSideMillimetres = try container.decode(Double.self, forKey: .symbolSideMillimetres)
        symbolTopMillimetres = try container.decodeIfPresent(Double.self, forKey: .symbolTopMillimetres) ?? Self.padding
        moduleSizeMillimetres = try container.decode(Double.self, forKey: .moduleSizeMillimetres)
        cropMarks = try container.decode(Bool.self, forKey: .cropMarks)
    }
}

/// Writes QR labels onto pages laid out by a `SheetLayout`: symbols at the layout's module size, the code
/// under each, and on A4 sheets crop marks, a heading (product, GTIN, batch, lot) and a footer (the
/// sequence range, the page and, when a batch is split over several files, the file). Text is set in
/// fonts embedded as subsets (`LabelFonts`), so a print house's preflight finds every font in the file.
///
/// Pages are drawn by `page(_:number:layout:heading:fonts:)`, a pure function that callers may run on
/// several threads, compressed, and written in order by `append(page:)`, so a sheet of a million labels
/// streams through memory. The batch's number is known only when the batch is stored, after the pages
/// are written: the heading draws it from a small form object that `finish(batch:)` writes last (after
/// `suspend()`, reopening the file, so a batch split over many files never holds them all open).
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

    /// What every page of a file says about its labels.
    public struct Heading: Sendable {
        public var title: String
        public var gtin: String?
        public var lot: String?
        /// The sequence of the file's first label, the labels in the file and in the whole batch.
        public var firstSequence: Int
        public var labels: Int
        public var total: Int
        /// Which file of how many this is (a batch may be split over several).
        public var file: Int
        public var files: Int
        public init(title: String, gtin: String? = nil, lot: String? = nil, firstSequence: Int = 1, labels: Int, total: Int? = nil,
                    file: Int = 1, files: Int = 1) {
            self.title = title
            self.gtin = gtin
            self.lot = lot
            self.firstSequence = firstSequence
            self.labels = labels
            self.total = total ?? labels
            self.file = file
            self.files = files
        }

        /// Every text a page may print, for choosing the fonts' subsets.
        public var texts: [String] { [title] + [lot].compactMap { $0 } }
    }

    public let path: String
    public let layout: SheetLayout
    public let heading: Heading
    public let fonts: LabelFonts
    private var handle: FileHandle?
    private var hasher = SHA256()
    private var offset = 0
    private var objectOffsets: [Int: Int] = [:]
    private var pageObjects: [Int] = []
    // 1 catalogue, 2 page tree, 3 the batch form, then the fonts (five objects each), then the pages.
    private var nextObject: Int
    private var fontObjects: [Int] = []

    /// Creates the file at `path` (which must not exist) and writes the PDF header and the fonts.
    public init(path: String, layout: SheetLayout, heading: Heading, fonts: LabelFonts) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        self.path = path
        self.layout = layout
        self.heading = heading
        self.fonts = fonts
        nextObject = 4
        try write(Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8))
        for font in fonts.fonts {
            fontObjects.append(nextObject)
            for (number, body) in font.objects(first: nextObject) { try writeObject(number, body) }
            nextObject += 5
        }
    }

    /// Draws page `number` (from 0, within its file) of up to `labelsPerPage` labels, row by row from the
    /// top left, and compresses it.
    public static func page(_ labels: ArraySlice<Label>, number: Int, layout: SheetLayout, heading: Heading, fonts: LabelFonts) -> [UInt8] {
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
            let caption = fonts.line(label.caption, size: SheetLayout.captionPoints)
            let labelFrame = layout.labelFrame(index)
            let baseline = pageHeight - points(frame.y + frame.side + SheetLayout.captionGap + SheetLayout.captionHeight * 0.8)
            out += text(caption, x: points(labelFrame.x) + (points(labelFrame.width) - caption.width) / 2, y: baseline)
        }
        if !layout.isRoll {
            if layout.cropMarks { out += cropMarks(layout) }
            // Heading: the product (and GTIN) on the left; the batch and lot right-aligned, from the form.
            let left = points(layout.gridLeftMillimetres), right = points(layout.pageWidthMillimetres - layout.gridLeftMillimetres)
            let top = pageHeight - points(7), bottom = points(5)
            out += text(fonts.line(String(heading.title.prefix(48)) + (heading.gtin.map { "  GTIN \($0)" } ?? ""), size: 8), x: left, y: top)
            out += "q 1 0 0 1 \(fmt(right)) \(fmt(top)) cm /Batch Do Q\n"
            // Footer: which labels these are, and the page (and file).
            let first = heading.firstSequence + number * layout.labelsPerPage
            let last = first + labels.count - 1
            let pages = layout.pages(for: heading.labels)
            out += text(fonts.line("labels \(first)-\(last) of \(heading.total) (sequence in codes.csv)", size: 7), x: left, y: bottom)
            let pageText = "page \(number + 1) of \(pages)" + (heading.files > 1 ? ", file \(heading.file) of \(heading.files)" : "")
            let page = fonts.line(pageText, size: 7)
            out += text(page, x: right - page.width, y: bottom)
        }
        return Zlib.deflate(Array(out.utf8))
    }

    /// Appends a page drawn by `page(_:number:layout:heading:fonts:)`.
    public func append(page content: [UInt8]) throws {
        let contentObject = nextObject, pageObject = nextObject + 1
        nextObject += 2
        try writeObject(contentObject, Array("<< /Length \(content.count) /Filter /FlateDecode >>\nstream\n".utf8) + content + Array("\nendstream".utf8))
        try writeObject(pageObject, Array("""
            << /Type /Page /Parent 2 0 R /MediaBox [0 0 \(Self.fmt(Self.points(layout.pageWidthMillimetres))) \
            \(Self.fmt(Self.points(layout.pageHeightMillimetres)))] /Resources << /Font << \(fonts.resources(objects: fontObjects)) >> \
            /XObject << /Batch 3 0 R >> >> /Contents \(contentObject) 0 R >>
            """.utf8))
        pageObjects.append(pageObject)
    }

    /// Makes the pages written so far durable (the slow part, done before the batch is stored).
    public func synchronize() throws { try handle?.synchronize() }

    /// Makes the pages written so far durable and closes the file until `finish(batch:)`.
    public func suspend() throws {
        try handle?.synchronize()
        try handle?.close()
        handle = nil
    }

    /// Writes the batch's number (if any) into every page's heading, the page tree, catalogue and
    /// cross-reference table, and closes the file. Answers the whole file's SHA-256 and size.
    @discardableResult
    public func finish(batch: String?) throws -> (sha256: SHA256.Digest, bytes: Int) {
        if handle == nil {
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle?.seekToEnd()
        }
        let right = [batch.map { "batch \($0)" }, heading.lot.map { "lot \($0)" }].compactMap { $0 }.joined(separator: "  ")
        let line = fonts.line(right, size: 8)
        let form = Self.text(line, x: -line.width, y: 0)
        try writeObject(3, Array("""
            << /Type /XObject /Subtype /Form /BBox [-400 -3 0 9] /Resources << /Font << \(fonts.resources(objects: fontObjects)) >> >> \
            /Length \(form.utf8.count) >>\nstream\n\(form)endstream
            """.utf8))
        let kids = pageObjects.map { "\($0) 0 R" }.joined(separator: " ")
        try writeObject(2, Array("<< /Type /Pages /Kids [\(kids)] /Count \(pageObjects.count) >>".utf8))
        try writeObject(1, Array("<< /Type /Catalog /Pages 2 0 R >>".utf8))
        let xrefOffset = offset
        var xref = "xref\n0 \(nextObject)\n0000000000 65535 f \n"
        for object in 1..<nextObject {
            xref += objectOffsets[object].map { String(format: "%010d 00000 n \n", $0) } ?? "0000000000 65535 f \n"
        }
        xref += "trailer\n<< /Size \(nextObject) /Root 1 0 R >>\nstartxref\n\(xrefOffset)\n%%EOF\n"
        try write(Array(xref.utf8))
        try handle?.synchronize()
        try handle?.close()
        handle = nil
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

    /// One line of text at (x, y) points, in the embedded fonts.
    static func text(_ line: LabelFonts.Line, x: Double, y: Double) -> String {
        "BT \(fmt(x)) \(fmt(y)) Td \(line.operators) ET\n"
    }

    private func writeObject(_ number: Int, _ body: [UInt8]) throws {
        objectOffsets[number] = offset
        try write(Array("\(number) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8))
    }

    private func write(_ bytes: [UInt8]) throws {
        guard let handle else { preconditionFailure("a suspended sheet is written to only by finish(batch:)") }
        try handle.write(contentsOf: bytes)
        hasher.update(data: bytes)
        offset += bytes.count
    }

    static func points(_ millimetres: Double) -> Double { millimetres / 25.4 * 72 }
    static func fmt(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
}

import Foundation

/// Writes QR labels onto A4 pages, a grid of symbols with the human-readable code under each.
///
/// Pages are drawn by `page(_:)`, a pure function that callers may run on several threads, and
/// written in order by `append(page:)`, so a sheet of a million labels streams through memory.
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

    public static let columns = 4
    public static let rows = 6
    public static var labelsPerPage: Int { columns * rows }
    static let pageWidth = 595.276, pageHeight = 841.89, margin = 28.35  // A4, 10 mm margins

    /// The side of one printed symbol, quiet zone included, in millimetres.
    public static var symbolSideMillimetres: Double { symbolSide / 72 * 25.4 }
    static var cellWidth: Double { (pageWidth - 2 * margin) / Double(columns) }
    static var cellHeight: Double { (pageHeight - 2 * margin) / Double(rows) }
    static var symbolSide: Double { min(cellWidth - 12, cellHeight - 26) }

    /// Where label `index` of a page sits, in points from the page's top-left corner.
    public static func cellFrame(_ index: Int) -> (x: Double, y: Double, width: Double, height: Double) {
        (margin + Double(index % columns) * cellWidth, margin + Double(index / columns) * cellHeight, cellWidth, cellHeight)
    }

    private let handle: FileHandle
    private var offset = 0
    private var objectOffsets: [Int: Int] = [:]
    private var pageObjects: [Int] = []
    private var nextObject = 4  // 1 catalog, 2 page tree, 3 font

    /// Creates the file at `path` (which must not exist) and writes the PDF header.
    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try write(Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8))
    }

    /// Draws one page's content stream: up to `labelsPerPage` labels, row by row from the top left.
    public static func page(_ labels: ArraySlice<Label>) -> [UInt8] {
        var out = ""
        out.reserveCapacity(labels.count * 6000)
        for (index, label) in labels.enumerated() {
            let column = index % columns, row = index / columns
            let cellX = margin + Double(column) * cellWidth
            let cellTop = pageHeight - margin - Double(row) * cellHeight
            let side = Double(label.symbol.width + 2 * QRSymbol.quietZone)
            let scale = symbolSide / side
            let originX = cellX + (cellWidth - symbolSide) / 2
            let originY = cellTop - 4 - symbolSide
            out += "q \(fmt(scale)) 0 0 \(fmt(scale)) \(fmt(originX)) \(fmt(originY)) cm\n"
            let width = label.symbol.width
            for y in 0..<width {
                let flipped = Int(side) - QRSymbol.quietZone - y - 1
                for run in label.symbol.darkRuns(row: y) {
                    out += "\(run.start + QRSymbol.quietZone) \(flipped) \(run.length) 1 re\n"
                }
            }
            out += "f Q\n"
            let caption = label.caption.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
            let textWidth = Double(caption.count) * 0.6 * 8  // Courier: 0.6 em per character
            out += "BT /F1 8 Tf \(fmt(cellX + (cellWidth - textWidth) / 2)) \(fmt(originY - 10)) Td (\(caption)) Tj ET\n"
        }
        return Array(out.utf8)
    }

    /// Appends a page drawn by `page(_:)`.
    public func append(page content: [UInt8]) throws {
        let contentObject = nextObject, pageObject = nextObject + 1
        nextObject += 2
        try writeObject(contentObject, Array("<< /Length \(content.count) >>\nstream\n".utf8) + content + Array("\nendstream".utf8))
        try writeObject(pageObject, Array(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(Self.fmt(Self.pageWidth)) \(Self.fmt(Self.pageHeight))] /Resources << /Font << /F1 3 0 R >> >> /Contents \(contentObject) 0 R >>".utf8))
        pageObjects.append(pageObject)
    }

    /// Writes the page tree, catalogue and cross-reference table, and closes the file.
    public func finish() throws {
        try writeObject(3, Array("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>".utf8))
        let kids = pageObjects.map { "\($0) 0 R" }.joined(separator: " ")
        try writeObject(2, Array("<< /Type /Pages /Kids [\(kids)] /Count \(pageObjects.count) >>".utf8))
        try writeObject(1, Array("<< /Type /Catalog /Pages 2 0 R >>".utf8))
        let xrefOffset = offset
        var xref = "xref\n0 \(nextObject)\n0000000000 65535 f \n"
        for object in 1..<nextObject {
            xref += String(format: "%010d 00000 n \n", objectOffsets[object] ?? 0)
        }
        xref += "trailer\n<< /Size \(nextObject) /Root 1 0 R >>\nstartxref\n\(xrefOffset)\n%%EOF\n"
        try write(Array(xref.utf8))
        try handle.synchronize()
        try handle.close()
    }

    private func writeObject(_ number: Int, _ body: [UInt8]) throws {
        objectOffsets[number] = offset
        try write(Array("\(number) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8))
    }

    private func write(_ bytes: [UInt8]) throws {
        try handle.write(contentsOf: bytes)
        offset += bytes.count
    }

    static func fmt(_ value: Double) -> String { String(format: "%.2f", value) }
}

/// Draws a QR symbol as a small SVG: one path of row runs, quiet zone included, crisp edges.
public enum SVGRenderer {
    /// - Parameter moduleSize: the size of one module in the SVG's user units (pixels when shown as is).
    public static func render(_ symbol: QRSymbol, moduleSize: Int = 8) -> [UInt8] {
        let side = symbol.width + 2 * QRSymbol.quietZone
        var path = ""
        path.reserveCapacity(symbol.width * symbol.width * 2)
        for y in 0..<symbol.width {
            for run in symbol.darkRuns(row: y) {
                path += "M\(run.start + QRSymbol.quietZone) \(y + QRSymbol.quietZone)h\(run.length)v1h-\(run.length)z"
            }
        }
        let pixels = side * moduleSize
        let svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(pixels)" height="\(pixels)" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path fill="#000" d="\(path)"/></svg>

            """
        return Array(svg.utf8)
    }
}

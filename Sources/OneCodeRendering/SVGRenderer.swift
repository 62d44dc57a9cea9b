/// Draws a QR symbol as a small SVG: one path of row runs, quiet zone included, crisp edges, its
/// width and height in millimetres (a module of the stated size; the view box counts modules).
public enum SVGRenderer {
    /// - Parameter moduleMillimetres: the printed size of one module.
    public static func render(_ symbol: QRSymbol, moduleMillimetres: Double = PrintSize.moduleMillimetres) -> [UInt8] {
        let side = symbol.width + 2 * QRSymbol.quietZone
        let millimetres = Double(side) * moduleMillimetres
        let size = (millimetres.rounded() == millimetres ? String(Int(millimetres)) : String(millimetres)) + "mm"
        var out: [UInt8] = []
        out.reserveCapacity(symbol.width * symbol.width * 4 + 400)
        out += Array("""
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(size)" height="\(size)" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/><path fill="#000" d="
            """.utf8)
        // One "M x y h w v1 h-w z" a run of dark modules.
        for y in 0..<symbol.width {
            var x = 0
            while x < symbol.width {
                guard symbol.isDark(x: x, y: y) else { x += 1; continue }
                let start = x
                while x < symbol.width && symbol.isDark(x: x, y: y) { x += 1 }
                out.append(UInt8(ascii: "M")); appendDecimal(start + QRSymbol.quietZone, to: &out)
                out.append(UInt8(ascii: " ")); appendDecimal(y + QRSymbol.quietZone, to: &out)
                out.append(UInt8(ascii: "h")); appendDecimal(x - start, to: &out)
                out += [UInt8(ascii: "v"), UInt8(ascii: "1"), UInt8(ascii: "h"), UInt8(ascii: "-")]
                appendDecimal(x - start, to: &out)
                out.append(UInt8(ascii: "z"))
            }
        }
        out += Array("\"/></svg>\n".utf8)
        return out
    }

    @inline(__always)
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value >= 100 { out.append(UInt8(ascii: "0") + UInt8(value / 100)) }
        if value >= 10 { out.append(UInt8(ascii: "0") + UInt8(value / 10 % 10)) }
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}

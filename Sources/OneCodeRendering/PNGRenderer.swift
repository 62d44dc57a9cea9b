import CZlib

/// Draws a QR symbol as a 1-bit greyscale PNG, quiet zone included, with its physical resolution
/// recorded (pHYs) so that it prints at the stated module size.
public enum PNGRenderer {
    /// - Parameters:
    ///   - scale: pixels per module.
    ///   - moduleMillimetres: the printed size of one module, which fixes the recorded density.
    public static func render(_ symbol: QRSymbol, scale: Int = PrintSize.pngPixelsPerModule,
                              moduleMillimetres: Double = PrintSize.moduleMillimetres) -> [UInt8] {
        let side = (symbol.width + 2 * QRSymbol.quietZone) * scale
        let rowBytes = (side + 7) / 8
        // Raw scanlines: a filter byte, then the packed pixels (1 = white). The first scanline of
        // each module row is stored as is (filter 0); the rest repeat it, so they use filter 2 (Up)
        // and are all zeros, which deflate squeezes to almost nothing, fast.
        let stride = rowBytes + 1
        var raw = [UInt8](repeating: 0, count: stride * side)
        let white = [UInt8](repeating: 0xFF, count: rowBytes)
        for moduleRow in 0..<(symbol.width + 2 * QRSymbol.quietZone) {
            var line = white
            let y = moduleRow - QRSymbol.quietZone
            if y >= 0 && y < symbol.width {
                for x in 0..<symbol.width where symbol.isDark(x: x, y: y) {
                    let first = (x + QRSymbol.quietZone) * scale
                    for pixel in first..<(first + scale) { line[pixel >> 3] &= ~(0x80 >> UInt8(pixel & 7)) }
                }
            }
            let start = moduleRow * scale * stride
            raw[start] = 0
            raw.replaceSubrange((start + 1)..<(start + stride), with: line)
            for dy in 1..<scale { raw[start + dy * stride] = 2 }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = [UInt8]()
        header.appendBigEndian(UInt32(side))
        header.appendBigEndian(UInt32(side))
        header += [1, 0, 0, 0, 0]  // bit depth 1, greyscale, deflate, adaptive filter, no interlace
        appendChunk("IHDR", header, to: &png)
        var density = [UInt8]()
        let perMetre = UInt32(PrintSize.pixelsPerMetre(pixelsPerModule: scale, moduleMillimetres: moduleMillimetres))
        density.appendBigEndian(perMetre)
        density.appendBigEndian(perMetre)
        density.append(1)  // the unit is the metre
        appendChunk("pHYs", density, to: &png)
        appendChunk("IDAT", Zlib.deflate(raw, strategy: Z_RLE), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        png.appendBigEndian(UInt32(data.count))
        let typeBytes = Array(type.utf8)
        var crc = crc32(0, typeBytes, 4)
        png += typeBytes
        png += data
        crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt(data.count)) }
        png.appendBigEndian(UInt32(crc))
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt32) {
        append(UInt8(value >> 24)); append(UInt8((value >> 16) & 0xFF))
        append(UInt8((value >> 8) & 0xFF)); append(UInt8(value & 0xFF))
    }
}

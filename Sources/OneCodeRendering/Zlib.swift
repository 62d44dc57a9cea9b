import CZlib

/// zlib compression for the artwork formats that take it.
enum Zlib {
    /// zlib-deflates `data` (PNG's IDAT and PDF's FlateDecode both take the zlib format). PNG asks for the
    /// run-length strategy, which suits scanlines: QR rows are runs of 0x00 and 0xFF.
    static func deflate(_ data: [UInt8], strategy: Int32 = Z_DEFAULT_STRATEGY) -> [UInt8] {
        var stream = z_stream()
        var status = deflateInit2_(&stream, 6, Z_DEFLATED, 15, 8, strategy, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "zlib deflateInit2 failed with \(status)")  // only on out-of-memory
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))))
        var input = data
        status = input.withUnsafeMutableBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END, "zlib deflate failed with \(status)")
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }
}

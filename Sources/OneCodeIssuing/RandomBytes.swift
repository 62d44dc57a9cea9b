import Foundation

/// Bytes from the operating system's CSPRNG, many at a time.
///
/// Reads `/dev/urandom` (the kernel CSPRNG behind `getrandom(2)`) in bulk, so a million keys cost a
/// few reads rather than a million system calls; falls back to `SystemRandomNumberGenerator`.
enum RandomBytes {
    static func fill(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        var filled = 0
        if fd >= 0 {
            defer { close(fd) }
            bytes.withUnsafeMutableBytes { buffer in
                while filled < count {
                    let got = read(fd, buffer.baseAddress! + filled, count - filled)
                    if got > 0 { filled += got } else if got < 0 && errno == EINTR { continue } else { break }
                }
            }
        }
        if filled < count {
            var generator = SystemRandomNumberGenerator()
            for index in filled..<count { bytes[index] = generator.next() }
        }
        return bytes
    }

    /// `count` random 60-bit code keys.
    static func keys(count: Int) -> [Int64] {
        let bytes = fill(count: count * 8)
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { Int64(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) & CodeKeyMask.value }
        }
    }
}

enum CodeKeyMask { static let value: Int64 = (1 << 60) - 1 }

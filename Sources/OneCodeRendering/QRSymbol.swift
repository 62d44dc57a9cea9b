import CQREncode
import Foundation
import OneCodeDomain

/// QR error-correction level: the share of the symbol that may be damaged and still read.
public enum ErrorCorrection: String, Sendable, Codable, CaseIterable {
    case L, M, Q, H

    /// Roughly how much of the symbol may be lost.
    public var recovers: String {
        switch self {
        case .L: "7%"
        case .M: "15%"
        case .Q: "25%"
        case .H: "30%"
        }
    }

    var level: QRecLevel {
        switch self {
        case .L: QR_ECLEVEL_L
        case .M: QR_ECLEVEL_M
        case .Q: QR_ECLEVEL_Q
        case .H: QR_ECLEVEL_H
        }
    }
}

/// A QR symbol: a square of dark and light modules, without its quiet zone.
public struct QRSymbol: Sendable, Equatable {
    /// QR version, 1 to 40: the symbol is `17 + 4 × version` modules wide.
    public let version: Int
    /// Modules per side.
    public let width: Int
    /// `width × width` modules, row by row: 1 dark, 0 light.
    public let modules: [UInt8]

    /// Encodes `text` with libqrencode, choosing the smallest version; upper-case text uses alphanumeric mode.
    /// - Throws: `InputError("text", …)` when the text is empty or too long for any QR symbol at this level.
    public init(_ text: String, ec: ErrorCorrection = .M) throws {
        guard !text.isEmpty else { throw InputError("text", "must not be empty") }
        guard !text.utf8.contains(0) else { throw InputError("text", "must not contain NUL characters") }
        guard let code = QRcode_encodeString(text, 0, ec.level, QR_MODE_8, 1) else {
            if errno == ERANGE {
                throw InputError("text", "is too long for a QR symbol at error correction \(ec.rawValue) (\(text.utf8.count) bytes; choose a lower level or a shorter text)")
            }
            throw InputError("text", "cannot be encoded as a QR symbol (\(String(cString: strerror(errno))))")
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let buffer = UnsafeBufferPointer(start: code.pointee.data, count: width * width)
        version = Int(code.pointee.version)
        self.width = width
        modules = buffer.map { $0 & 1 }
    }

    @inline(__always)
    public func isDark(x: Int, y: Int) -> Bool { modules[y * width + x] != 0 }

    /// Runs of dark modules in row `y`: `(start, length)` pairs, so artwork draws one rectangle a run.
    public func darkRuns(row y: Int) -> [(start: Int, length: Int)] {
        var runs: [(Int, Int)] = []
        var x = 0
        while x < width {
            if isDark(x: x, y: y) {
                let start = x
                while x < width && isDark(x: x, y: y) { x += 1 }
                runs.append((start, x - start))
            } else {
                x += 1
            }
        }
        return runs
    }

    /// The quiet zone every renderer here draws, in modules (ISO/IEC 18004 asks for at least 4).
    public static let quietZone = 4
}

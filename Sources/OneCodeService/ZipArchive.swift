import CZlib
import Foundation

/// A minimal zip writer: every file stored uncompressed (the package's CSV and artwork are
/// downloaded once, and stored entries need no library beyond zlib's CRC-32).
enum ZipArchive {
    /// Zips every file under `directory`, named `root/relative/path`.
    static func store(directory: String, root: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        var count = 0
        let enumerator = FileManager.default.enumerator(atPath: directory)
        var paths: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                paths.append(path)
            }
        }
        guard paths.count < 65_535 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "package has too many files for a zip without zip64"])
        }
        for path in paths.sorted() {
            let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + path)))
            guard data.count < Int(UInt32.max), out.count < Int(UInt32.max) - data.count - 1024 else {
                throw CocoaError(.fileWriteFileExists, userInfo: [NSLocalizedDescriptionKey: "package too large for a zip without zip64"])
            }
            let name = Array((root + "/" + path).utf8)
            let crc = data.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            let offset = UInt32(out.count)
            out.le32(0x0403_4b50); out.le16(20); out.le16(0x0800); out.le16(0); out.le16(0); out.le16(0x21)
            out.le32(crc); out.le32(UInt32(data.count)); out.le32(UInt32(data.count)); out.le16(UInt16(name.count)); out.le16(0)
            out += name
            out += data
            central.le32(0x0201_4b50); central.le16(20); central.le16(20); central.le16(0x0800); central.le16(0)
            central.le16(0); central.le16(0x21); central.le32(crc); central.le32(UInt32(data.count)); central.le32(UInt32(data.count))
            central.le16(UInt16(name.count)); central.le16(0); central.le16(0); central.le16(0); central.le16(0)
            central.le32(0o100644 << 16); central.le32(offset)
            central += name
            count += 1
        }
        let centralOffset = UInt32(out.count)
        out += central
        out.le32(0x0605_4b50); out.le16(0); out.le16(0); out.le16(UInt16(count)); out.le16(UInt16(count))
        out.le32(UInt32(central.count)); out.le32(centralOffset); out.le16(0)
        return out
    }
}

extension [UInt8] {
    mutating func le16(_ value: UInt16) { append(UInt8(value & 0xFF)); append(UInt8(value >> 8)) }
    mutating func le32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) } }
}

import CZlib
import Foundation

/// A minimal zip writer: every file stored uncompressed (the package's CSV and artwork are
/// downloaded once, and stored entries need no library beyond zlib's CRC-32), streamed from the files
/// to the archive in 1 MiB pieces, so a package of any size passes through little memory.
public enum ZipArchive {
    /// Writes every file under `directory`, named `root/relative/path`, into a zip at `path` (replaced whole:
    /// written beside it, synced, renamed into place).
    /// - Throws: a `CocoaError` for a package a zip without zip64 cannot hold (65,535 files, 4 GiB).
    public static func write(directory: String, root: String, to path: String) throws {
        let manager = FileManager.default
        let enumerator = manager.enumerator(atPath: directory)
        var paths: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                paths.append(relative)
            }
        }
        guard paths.count < 65_535 else { throw tooLarge("package has too many files for a zip without zip64") }
        let partial = path + ".partial-" + UUID().uuidString
        guard manager.createFile(atPath: partial, contents: nil), let out = FileHandle(forWritingAtPath: partial) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: partial])
        }
        do {
            var offset = 0
            var central: [UInt8] = []
            func emit(_ bytes: [UInt8]) throws {
                try out.write(contentsOf: bytes)
                offset += bytes.count
            }
            for relative in paths.sorted() {
                let file = directory + "/" + relative
                // The CRC first (the local header carries it), then the bytes: the file is read twice,
                // from the page cache when it was just written.
                var crc: uLong = 0, size = 0
                try BufferedFile.forEachChunk(of: file) { chunk in
                    crc = chunk.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
                    size += chunk.count
                }
                guard size < Int(UInt32.max), offset + size + 1024 < Int(UInt32.max) else { throw tooLarge("package too large for a zip without zip64") }
                let name = Array((root + "/" + relative).utf8)
                let start = UInt32(offset)
                var local: [UInt8] = []
                local.le32(0x0403_4b50); local.le16(20); local.le16(0x0800); local.le16(0); local.le16(0); local.le16(0x21)
                local.le32(UInt32(crc)); local.le32(UInt32(size)); local.le32(UInt32(size)); local.le16(UInt16(name.count)); local.le16(0)
                try emit(local + name)
                try BufferedFile.forEachChunk(of: file, emit)
                central.le32(0x0201_4b50); central.le16(20); central.le16(20); central.le16(0x0800); central.le16(0)
                central.le16(0); central.le16(0x21); central.le32(UInt32(crc)); central.le32(UInt32(size)); central.le32(UInt32(size))
                central.le16(UInt16(name.count)); central.le16(0); central.le16(0); central.le16(0); central.le16(0)
                central.le32(0o100644 << 16); central.le32(start)
                central += name
            }
            let centralOffset = UInt32(offset)
            var end: [UInt8] = []
            end.le32(0x0605_4b50); end.le16(0); end.le16(0); end.le16(UInt16(paths.count)); end.le16(UInt16(paths.count))
            end.le32(UInt32(central.count)); end.le32(centralOffset); end.le16(0)
            try emit(central + end)
            try out.synchronize()
            try out.close()
            guard rename(partial, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        } catch {
            try? out.close()
            try? manager.removeItem(atPath: partial)
            throw error
        }
    }

    static func tooLarge(_ message: String) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: message])
    }
}

extension [UInt8] {
    mutating func le16(_ value: UInt16) { append(UInt8(value & 0xFF)); append(UInt8(value >> 8)) }
    mutating func le32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) } }
}

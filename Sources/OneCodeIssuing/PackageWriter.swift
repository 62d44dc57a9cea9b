import Crypto
import Dispatch
import Foundation
import OneCodeDomain
import OneCodeRendering
import Synchronization

/// Streams a code package into its staging folder: `codes.csv`, optional artwork, then `manifest.json`.
///
/// Memory stays flat: rows go through a 1 MiB buffer, artwork checksums go to a scratch file,
/// and nothing holds the whole batch.
/// Used by one issuing task at a time, handed from the staging phase to the transaction (hence `@unchecked Sendable`).
final class PackageWriter: @unchecked Sendable {
    let directory: String
    let options: PackageOptions
    private let csv: BufferedFile
    private var checksums: BufferedFile
    /// PDF artwork: the file pages are going to, the files already full (suspended until the batch's number
    /// is known), each file's heading, and how many pages a file holds.
    private var pdf: PDFLabelSheet?
    private var fullSheets: [PDFLabelSheet] = []
    private var headings: [PDFLabelSheet.Heading] = []
    private var pagesPerFile = 0
    private var layout: SheetLayout?
    private var fonts: LabelFonts?
    /// Labels drawn but not yet on a page (a chunk of codes need not fill its last page).
    private var pendingLabels: [PDFLabelSheet.Label] = []
    private var pagesWritten = 0
    /// PDF artwork: each file and the labels in it, for the manifest.
    private(set) var labelFiles: [Manifest.LabelFile]?
    private let digits: Int
    /// Whether the batch's units carry hidden PINs: a `pin` column, and with artwork a `pins/` layer.
    let pins: Bool

    /// - Parameters:
    ///   - sheet: the label sheet's layout and heading, for PDF artwork.
    ///   - pins: whether rows carry the unit's hidden PIN (`appendRow`'s `pin`).
    init(directory: String, options: PackageOptions, count: Int, sheet: (SheetLayout, PDFLabelSheet.Heading)? = nil, pins: Bool = false) throws {
        self.directory = directory
        self.options = options
        self.pins = pins
        digits = max(6, String(count).count)
        csv = try BufferedFile(path: directory + "/codes.csv", hashing: true)
        checksums = try BufferedFile(path: directory + "/.files.tmp", hashing: false)
        csv.append(pins ? "sequence,code,url,gtin,lot,pin\n" : "sequence,code,url,gtin,lot\n")
        if pins && options.artwork != .none {
            try FileManager.default.createDirectory(atPath: directory + "/pins", withIntermediateDirectories: false)
        }
        switch options.artwork {
        case .svg, .png:
            try FileManager.default.createDirectory(atPath: directory + "/qr", withIntermediateDirectories: false)
        case .pdf:
            guard let (layout, heading) = sheet else { preconditionFailure("PDF artwork needs a sheet layout") }
            let perPage = layout.labelsPerPage
            // As few files as the limit allows, the pages shared evenly among them (no short last file).
            let most = max(1, options.labelsPerFile / perPage), pages = layout.pages(for: count)
            let fileCount = (pages + most - 1) / most
            pagesPerFile = (pages + fileCount - 1) / fileCount
            let names = (1...fileCount).map {
                fileCount == 1 ? "labels.pdf" : "labels-" + Self.padded($0, digits: max(3, String(fileCount).count)) + ".pdf"
            }
            var files: [Manifest.LabelFile] = []
            for (index, path) in names.enumerated() {
                let first = heading.firstSequence + index * pagesPerFile * perPage
                let last = min(heading.firstSequence + count - 1, first + pagesPerFile * perPage - 1)
                var part = heading
                (part.firstSequence, part.labels, part.total, part.file, part.files) = (first, last - first + 1, count, index + 1, names.count)
                headings.append(part)
                files.append(Manifest.LabelFile(path: path, firstSequence: first, lastSequence: last, pages: layout.pages(for: last - first + 1)))
            }
            labelFiles = files
            self.layout = layout
            let fonts = try LabelFonts(for: layout.isRoll ? [] : heading.texts)  // roll labels print only their codes
            self.fonts = fonts
            pdf = try PDFLabelSheet(path: directory + "/" + files[0].path, layout: layout, heading: headings[0], fonts: fonts)
        case .none:
            break
        }
    }

    /// Appends one CSV row. `code` and `url` are ASCII bytes; `tail` is `,gtin,lot\n` (`,gtin,lot` when a
    /// `pin` follows, with its own newline).
    @inline(__always)
    func appendRow(sequence: Int, code: [UInt8], urlPrefix: [UInt8], tail: [UInt8], pin: String? = nil) throws {
        csv.appendDecimal(sequence)
        csv.append(byte: UInt8(ascii: ","))
        csv.append(bytes: code)
        csv.append(byte: UInt8(ascii: ","))
        csv.append(bytes: urlPrefix)
        csv.append(bytes: code)
        csv.append(bytes: tail)
        if let pin {
            csv.append("," + pin + "\n")
        }
        try csv.flushIfFull()
    }

    /// The PIN layer: one SVG per unit, `pins/{sequence}.svg`, the PIN as text to print where it is seen
    /// only after opening (under the cap, inside the box), whatever the symbols' artwork format.
    func renderPins(_ pins: [String], first: Int) throws {
        for (index, pin) in pins.enumerated() {
            let width = 6 + pin.count * 4
            let svg = Array("""
                <svg xmlns="http://www.w3.org/2000/svg" width="\(width)mm" height="9mm" viewBox="0 0 \(width) 9">\
                <text x="\(width / 2)" y="6.5" font-family="DejaVu Sans Mono, Courier, monospace" font-size="6" text-anchor="middle">\(pin)</text></svg>
                """.utf8)
            let name = "pins/" + Self.fileName(first + index, digits: digits, artwork: .svg)
            try Self.writeNew(directory + "/" + name, svg)
            checksums.append(bytes: Self.fileEntry(path: name, sha256: SHA256.hash(data: svg).hex, bytes: svg.count))
        }
        try checksums.flushIfFull()
    }

    /// Draws the artwork for a run of codes on every core. `first` is the sequence of `codes[0]`.
    func render(codes: [String], urls: [String], first: Int) throws {
        switch options.artwork {
        case .none:
            return
        case .svg, .png:
            let ec = options.errorCorrection, artwork = options.artwork, digits = digits
            // Draw on every core; create the files from this one thread, since threads creating
            // files in one folder mostly wait on the folder's lock.
            let results = try Self.parallelMap(urls.count) { index -> ([UInt8], String) in
                let symbol = try QRSymbol(urls[index], ec: ec)
                let bytes = artwork == .svg ? SVGRenderer.render(symbol) : PNGRenderer.render(symbol)
                return (bytes, SHA256.hash(data: bytes).hex)
            }
            for (index, (bytes, _)) in results.enumerated() {
                try Self.writeNew(directory + "/qr/" + Self.fileName(first + index, digits: digits, artwork: artwork), bytes)
            }
            for (index, (bytes, digest)) in results.enumerated() {
                checksums.append(bytes: Self.fileEntry(path: "qr/" + fileName(first + index), sha256: digest, bytes: bytes.count))
            }
            try checksums.flushIfFull()
        case .pdf:
            let ec = options.errorCorrection
            pendingLabels += try Self.parallelMap(urls.count) { index in
                PDFLabelSheet.Label(symbol: try QRSymbol(urls[index], ec: ec), caption: codes[index])
            }
            try writePages(includingPartial: false)
        }
    }

    /// Draws the pending labels' full pages on every core and appends them in order (and the last,
    /// partly filled page when `includingPartial`).
    private func writePages(includingPartial: Bool) throws {
        guard let layout, let fonts, let labelFiles else { return }
        let perPage = layout.labelsPerPage
        let pages = includingPartial ? (pendingLabels.count + perPage - 1) / perPage : pendingLabels.count / perPage
        guard pages > 0 else { return }
        let labels = pendingLabels, first = pagesWritten, headings = headings, pagesPerFile = pagesPerFile
        let drawn = try Self.parallelMap(pages) { page in
            let number = first + page
            return PDFLabelSheet.page(labels[(page * perPage)..<min(labels.count, (page + 1) * perPage)], number: number % pagesPerFile,
                                      layout: layout, heading: headings[number / pagesPerFile], fonts: fonts)
        }
        for (page, content) in drawn.enumerated() {
            let file = (first + page) / pagesPerFile
            if file >= fullSheets.count + 1, let current = pdf {  // the current file is full: the next one starts
                try current.suspend()
                fullSheets.append(current)
                pdf = try PDFLabelSheet(path: directory + "/" + labelFiles[file].path, layout: layout, heading: headings[file], fonts: fonts)
            }
            try pdf?.append(page: content)
        }
        pagesWritten += pages
        pendingLabels.removeFirst(min(pendingLabels.count, pages * perPage))
    }

    /// Closes and syncs `codes.csv` and the artwork, and records their checksums: the slow end of the
    /// package, done before the issuing transaction starts.
    func close() throws {
        try csv.close()
        entries = [Self.fileEntry(path: "codes.csv", sha256: csv.digest!, bytes: csv.written)]
        if let pdf {
            try writePages(includingPartial: true)
            try pdf.synchronize()
        }
        try checksums.close()
    }

    private var entries: [[UInt8]] = []

    /// Writes `manifest.json` with every checksum and syncs it (after `close`; the batch id it names is
    /// known only inside the issuing transaction, so this is the one file written there).
    func writeManifest(_ manifest: Manifest) throws {
        if let pdf {  // the batch's number goes into every page's heading, then each file is complete
            for (sheet, file) in zip(fullSheets + [pdf], labelFiles ?? []) {
                let (digest, size) = try sheet.finish(batch: String(manifest.batch.id.rawValue))
                entries.append(Self.fileEntry(path: file.path, sha256: digest.hex, bytes: size))
            }
            self.pdf = nil
            fullSheets = []
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var head = try encoder.encode(manifest)
        while let last = head.last, last != UInt8(ascii: "}") { head.removeLast() }
        head.removeLast()
        while let last = head.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: " ") { head.removeLast() }
        let path = directory + "/manifest.json"
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }  // an earlier attempt's
        let out = try BufferedFile(path: path, hashing: false)
        out.append(bytes: Array(head))
        out.append(",\n  \"files\" : [\n")
        var first = true
        func add(_ line: [UInt8]) throws {
            if !first { out.append(",\n") }
            first = false
            out.append("    ")
            out.append(bytes: line.last == UInt8(ascii: "\n") ? Array(line.dropLast()) : line)
            try out.flushIfFull()
        }
        for entry in entries { try add(entry) }
        try BufferedFile.forEachLine(of: directory + "/.files.tmp") { try add($0) }
        out.append("\n  ]\n}\n")
        try out.close()
    }

    /// Removes the scratch files once the manifest is in place.
    func removeScratch() throws {
        try FileManager.default.removeItem(atPath: directory + "/.files.tmp")
    }

    func fileName(_ sequence: Int) -> String { Self.fileName(sequence, digits: digits, artwork: options.artwork) }

    /// `qr/` file names: the sequence, zero-padded to at least six digits, so they sort in order.
    static func fileName(_ sequence: Int, digits: Int, artwork: ArtworkFormat) -> String {
        padded(sequence, digits: digits) + "." + artwork.rawValue
    }

    static func padded(_ number: Int, digits: Int) -> String {
        let text = String(number)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func fileEntry(path: String, sha256: String, bytes: Int) -> [UInt8] {
        Array("{\"bytes\":\(bytes),\"path\":\"\(path)\",\"sha256\":\"\(sha256)\"}\n".utf8)
    }

    /// Maps `0..<count` on every core, in order.
    static func parallelMap<T: Sendable>(_ count: Int, _ transform: @Sendable (Int) throws -> T) throws -> [T] {
        let results = Mutex<[Int: T]>([:])
        let failure = Mutex<(any Error)?>(nil)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var local: [(Int, T)] = []
            var index = worker
            while index < count {
                do { local.append((index, try transform(index))) } catch {
                    failure.withLock { $0 = $0 ?? error }
                    return
                }
                index += workers
            }
            results.withLock { dictionary in for (index, value) in local { dictionary[index] = value } }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.withLock { dictionary in (0..<count).map { dictionary[$0]! } }
    }

    static func writeNew(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw PackageError.write(path, errno) }
        defer { Glibc.close(fd) }
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < raw.count {
            let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw PackageError.write(path, errno)
            }
            offset += written
        }
    }
}

/// A failure writing the package, with the path and the system's reason.
public enum PackageError: Error, CustomStringConvertible {
    case write(String, Int32)
    public var description: String {
        switch self {
        case let .write(path, code): "out: cannot write \(path) (\(String(cString: strerror(code))))"
        }
    }
}

/// An append-only file behind a 1 MiB buffer, optionally hashing what it writes.
final class BufferedFile {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var hasher: SHA256?
    private(set) var written = 0
    private(set) var digest: String?
    static let capacity = 1 << 20

    init(path: String, hashing: Bool) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw PackageError.write(path, errno) }
        buffer.reserveCapacity(Self.capacity + 4096)
        hasher = hashing ? SHA256() : nil
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    @inline(__always) func append(byte: UInt8) { buffer.append(byte) }
    @inline(__always) func append(bytes: [UInt8]) { buffer.append(contentsOf: bytes) }
    func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    /// Appends a non-negative integer in decimal without making a string.
    @inline(__always) func appendDecimal(_ value: Int) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(raw[index]) }
        }
    }

    func flushIfFull() throws { if buffer.count >= Self.capacity { try flush() } }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        hasher?.update(data: buffer)
        try buffer.withUnsafeBytes { try PackageWriter.writeAll(fd, $0, path: path) }
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs to disk and closes; the digest is then available.
    func close() throws {
        try flush()
        guard fsync(fd) == 0 else { throw PackageError.write(path, errno) }
        digest = hasher.map { $0.finalize().hex }
    }

    static func forEachChunk(of path: String, _ body: ([UInt8]) throws -> Void) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw PackageError.write(path, errno) }
        defer { Glibc.close(fd) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if count < 0 { if errno == EINTR { continue }; throw PackageError.write(path, errno) }
            if count == 0 { return }
            try body(Array(chunk[0..<count]))
        }
    }

    /// Calls `body` with each fixed-size record of a file, in order (records may straddle reads).
    static func forEachRecord(of path: String, size: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var pending: [UInt8] = []
        try forEachChunk(of: path) { chunk in
            pending.append(contentsOf: chunk)
            let whole = pending.count / size * size
            try pending.withUnsafeBytes { raw in
                var offset = 0
                while offset < whole {
                    try body(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + size]))
                    offset += size
                }
            }
            pending.removeFirst(whole)
        }
    }

    static func forEachLine(of path: String, _ body: ([UInt8]) throws -> Void) throws {
        var pending: [UInt8] = []
        try forEachChunk(of: path) { chunk in
            for byte in chunk {
                if byte == UInt8(ascii: "\n") {
                    try body(pending)
                    pending.removeAll(keepingCapacity: true)
                } else {
                    pending.append(byte)
                }
            }
        }
        if !pending.isEmpty { try body(pending) }
    }
}

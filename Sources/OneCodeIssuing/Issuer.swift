import Foundation
import NIOPosix
import OneCodeDomain
import OneCodeRendering
import OneCodeStorage

/// Issuing was interrupted (Ctrl-C, SIGTERM): nothing of the batch was kept.
public struct IssueInterrupted: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "interrupted: nothing was issued and no package was written" }
}

/// What an issuance produced.
public struct IssueResult: Sendable, Codable {
    public var batch: Batch
    public var product: Product
    public var directory: String
    public var manifest: Manifest
    public var seconds: Double
}

/// Issues batches of codes and writes their code packages, all-or-nothing.
public struct Issuer: Sendable {
    public let store: any CatalogStore
    public let signer: CodeSigner
    public let baseURL: String
    /// Codes generated, sorted and inserted at a time; `nil` picks by artwork (tests set it small).
    var chunkSize: Int?

    public init(store: any CatalogStore, signer: CodeSigner, baseURL: String) {
        self.store = store
        self.signer = signer
        self.baseURL = baseURL
    }

    /// Issues a batch and writes its package into `package.directory`.
    ///
    /// The slow part runs outside any database transaction: keys are drawn, `codes.csv` and the
    /// artwork are written into a staging folder and synced. Then the store writes the batch row and
    /// every code (from the staged keys) and the manifest that names the batch, all-or-nothing
    /// (`CatalogStore.issueBatch`: SQLite in short transactions, so scans never wait behind a large
    /// batch), and the staging folder is then renamed into place. Scans never wait behind rendering. A
    /// failure or interruption part-way takes back what was written and removes the staging folder: no
    /// half batch, no half package. A key
    /// that another batch holds by the time the codes are written (odds below one in a thousand even
    /// for a million codes into a billion) makes the whole issue run again with fresh keys.
    ///
    /// - Parameters:
    ///   - progress: told how many codes are done, after each chunk.
    ///   - isCancelled: polled between chunks; when it answers `true`, issuing stops with `IssueInterrupted`.
    /// - Complexity: O(n log c) time for n codes in chunks of c; memory bounded by the chunk, not by n.
    public func issue(
        _ request: NewBatch, package: PackageOptions,
        progress: @escaping @Sendable (Int) -> Void = { _ in },
        isCancelled: @escaping @Sendable () -> Bool = { false },
        audit: AuditEntry? = nil
    ) async throws -> IssueResult {
        let started = Date()
        try package.validate()
        // The codes are the secret's: a database whose codes another secret issued takes none from this one.
        try await SecretGuard.record(signer, store: store)
        guard let product = try await store.product(request.productID) else {
            throw NotFoundError("product", "no product with id \(request.productID); see `onecode product list`")
        }
        var attempt = 1
        while true {
            do {
                let (batch, manifest) = try await issueOnce(request, product: product, package: package, progress: progress,
                                                            isCancelled: isCancelled, audit: audit)
                return IssueResult(batch: batch, product: product, directory: package.directory, manifest: manifest,
                                   seconds: Date().timeIntervalSince(started))
            } catch is CodeKeyTaken where attempt < 3 {
                attempt += 1
            }
        }
    }

    private func issueOnce(
        _ request: NewBatch, product: Product, package: PackageOptions,
        progress: @escaping @Sendable (Int) -> Void, isCancelled: @escaping @Sendable () -> Bool, audit: AuditEntry?
    ) async throws -> (Batch, Manifest) {
        let urls = try CodeURLBuilder(base: baseURL, form: request.urlForm, gtin: product.gtin, lot: request.lot,
                                      uppercase: request.uppercase)
        // Every URL of a batch has the same length, so one sample fixes the symbol version.
        let sample = try QRSymbol(urls.url(for: signer.code(for: CodeKey(rawValue: 0))), ec: package.errorCorrection)
        let printSpec = Manifest.printSpec(symbol: sample, ec: package.errorCorrection, uppercase: request.uppercase)

        let captionLength = self.signer.length
        let layout = try package.roll.map {
            try SheetLayout(rollWidth: $0.width, height: $0.height, modulesPerSide: sample.width, captionCharacters: captionLength)
        } ?? SheetLayout(modulesPerSide: sample.width, captionCharacters: captionLength)
        let staging = package.stagingDirectory
        let manager = FileManager.default
        if manager.fileExists(atPath: staging) { try manager.removeItem(atPath: staging) }  // left by a crash
        try manager.createDirectory(atPath: staging, withIntermediateDirectories: false)
        let signer = self.signer
        let prefix = Array(urls.prefix.utf8).map { request.uppercase ? Self.upper($0) : $0 }
        do {
            // Outside any transaction: keys, codes.csv, artwork; the keys are staged for the transaction. On the
            // issuing thread (`Issuer.threads`), not Swift's cooperative one (as many threads as cores) nor NIO's shared
            // blocking pool (the service reads files for downloads there): a large batch computes and writes for
            // minutes, and the requests answered meanwhile need those threads.
            let keysPath = staging + "/.keys.tmp"
            let chunkSize = self.chunkSize, pinLength = request.pinLength
            let writer = try await Self.threads.runIfActive { () throws -> PackageWriter in
                let heading = PDFLabelSheet.Heading(title: product.name, gtin: product.gtin?.digits, lot: request.lot, labels: request.count)
                let writer = try PackageWriter(directory: staging, options: package, count: request.count, sheet: (layout, heading),
                                               pins: pinLength > 0)
                let keysFile = try BufferedFile(path: keysPath, hashing: false)
                let tail = Array((",\(product.gtin?.digits ?? ""),\(request.lot ?? "")" + (pinLength > 0 ? "" : "\n")).utf8)
                let chunk = chunkSize ?? (package.artwork == .none ? 524_288 : 2_400)
                var code = [UInt8](repeating: 0, count: signer.length)
                var sequence = 1
                while sequence <= request.count {
                    if isCancelled() { throw IssueInterrupted() }
                    let size = min(chunk, request.count - sequence + 1)
                    let keys = RandomBytes.keys(count: size)
                    // Staged in key order: each chunk walks the index once, front to back, when inserted.
                    for index in keys.indices.sorted(by: { keys[$0] < keys[$1] }) {
                        Self.append(keys[index], to: keysFile)
                        Self.append(Int64(sequence + index), to: keysFile)
                        try keysFile.flushIfFull()
                    }
                    var texts: [String] = [], pins: [String] = []
                    if package.artwork != .none { texts.reserveCapacity(size) }
                    for index in 0..<size {
                        signer.fill(&code, key: CodeKey(rawValue: keys[index]))
                        let pin = pinLength > 0 ? signer.pin(for: CodeKey(rawValue: keys[index]), length: pinLength) : nil
                        try writer.appendRow(sequence: sequence + index, code: code, urlPrefix: prefix, tail: tail, pin: pin)
                        if package.artwork != .none {
                            texts.append(String(decoding: code, as: UTF8.self))
                            if let pin { pins.append(pin) }
                        }
                    }
                    if package.artwork != .none {
                        try writer.render(codes: texts, urls: texts.map { urls.url(for: $0) }, first: sequence)
                        if !pins.isEmpty { try writer.renderPins(pins, first: sequence) }
                    }
                    sequence += size
                    progress(sequence - 1)
                }
                try keysFile.close()
                try writer.close()
                return writer
            }
            if isCancelled() { throw IssueInterrupted() }

            // One short transaction: the batch, its codes, and the manifest that names it.
            let (batch, manifest) = try await store.issueBatch(request, codeLength: signer.length, audit: audit) { batch, product, sink in
                var inserted = 0
                try BufferedFile.forEachRecord(of: keysPath, size: 16) { record in
                    let key = record.loadUnaligned(as: Int64.self), sequence = record.loadUnaligned(fromByteOffset: 8, as: Int64.self)
                    guard try sink.insert(CodeKey(rawValue: key), sequence: Int(sequence)) else { throw CodeKeyTaken() }
                    inserted += 1
                    if inserted % 524_288 == 0, isCancelled() { throw IssueInterrupted() }
                }
                if isCancelled() { throw IssueInterrupted() }
                let manifest = Manifest(
                    product: .init(id: product.id, name: product.name, gtin: product.gtin?.digits, sku: product.sku),
                    batch: .init(id: batch.id, lot: batch.lot, productionDate: batch.productionDate,
                                 expiryDate: batch.expiryDate, region: batch.region, status: batch.status,
                                 createdAt: ISO8601DateFormatter().string(from: batch.createdAt)),
                    count: batch.count, codeLength: signer.length, urlForm: batch.urlForm, uppercase: batch.uppercase,
                    urlPrefix: String(decoding: prefix, as: UTF8.self), artwork: package.artwork, printSpec: printSpec,
                    sheet: package.artwork == .pdf ? layout : nil, labelFiles: writer.labelFiles,
                    pinLength: pinLength > 0 ? pinLength : nil)
                try writer.writeManifest(manifest)
                return manifest
            }
            try writer.removeScratch()
            try manager.removeItem(atPath: keysPath)
            // Committed: move the finished package into place in one step.
            if manager.fileExists(atPath: package.directory) { try manager.removeItem(atPath: package.directory) }  // validated empty
            try manager.moveItem(atPath: staging, toPath: package.directory)
            return (batch, manifest)
        } catch {
            try? manager.removeItem(atPath: staging)
            throw error
        }
    }

    /// The thread batches are staged on: one, so two issues at once take turns rather than two cores.
    static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    @inline(__always)
    static func append(_ value: Int64, to file: BufferedFile) {
        withUnsafeBytes(of: value) { file.append(bytes: Array($0)) }
    }

    /// Issues a batch into the library (`PackageLibrary.name`): written under a temporary name, renamed
    /// once the batch is known. The service's API and its demo keep packages this way, so the API can
    /// serve them by id. Whatever stood at that name already (a leftover) is moved aside, never a
    /// reason to fail once the batch is committed.
    public func issue(_ request: NewBatch, intoLibrary library: String, artwork: ArtworkFormat = .none,
                      errorCorrection: ErrorCorrection = .M, roll: RollSize? = nil,
                      labelsPerFile: Int = PackageOptions.defaultLabelsPerFile, progress: @escaping @Sendable (Int) -> Void = { _ in },
                      audit: AuditEntry? = nil) async throws -> IssueResult {
        try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: true)
        let pending = library + "/pending-" + UUID().uuidString
        let options = PackageOptions(directory: pending, artwork: artwork, errorCorrection: errorCorrection, roll: roll, labelsPerFile: labelsPerFile)
        try options.validateArtwork(labelsPerFileField: "labelsPerFile")
        var result = try await issue(request, package: options, progress: progress, audit: audit)
        result.directory = library + "/" + PackageLibrary.name(for: result.batch)
        try PackageLibrary.clear(result.directory)
        try FileManager.default.moveItem(atPath: pending, toPath: result.directory)
        return result
    }

    @inline(__always)
    static func upper(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
    }
}

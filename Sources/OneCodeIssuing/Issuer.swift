import Foundation
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
    /// The codes, the batch row and the package are made in a staging folder inside one database
    /// transaction; the transaction commits only when every file is written and synced, and the
    /// staging folder is then renamed into place. A failure or interruption part-way rolls the
    /// transaction back and removes the staging folder: no half batch, no half package.
    ///
    /// - Parameters:
    ///   - progress: told how many codes are done, after each chunk.
    ///   - isCancelled: polled between chunks; when it answers `true`, issuing stops with `IssueInterrupted`.
    /// - Complexity: O(n log c) time for n codes in chunks of c; memory bounded by the chunk, not by n.
    public func issue(
        _ request: NewBatch, package: PackageOptions,
        progress: @escaping @Sendable (Int) -> Void = { _ in },
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) async throws -> IssueResult {
        let started = Date()
        try package.validate()
        guard let product = try await store.product(request.productID) else {
            throw NotFoundError("product", "no product with id \(request.productID); see `onecode product list`")
        }
        let urls = try CodeURLBuilder(base: baseURL, form: request.urlForm, gtin: product.gtin, lot: request.lot,
                                      uppercase: request.uppercase)
        // Every URL of a batch has the same length, so one sample fixes the symbol version.
        let sample = try QRSymbol(urls.url(for: signer.code(for: CodeKey(rawValue: 0))), ec: package.errorCorrection)
        let printSpec = Manifest.printSpec(symbol: sample, ec: package.errorCorrection, uppercase: request.uppercase)

        let staging = package.stagingDirectory
        let manager = FileManager.default
        if manager.fileExists(atPath: staging) { try manager.removeItem(atPath: staging) }  // left by a crash
        try manager.createDirectory(atPath: staging, withIntermediateDirectories: false)
        let signer = self.signer, chunkSize = self.chunkSize
        let (batch, manifest): (Batch, Manifest)
        do {
            (batch, manifest) = try await store.issueBatch(request, codeLength: signer.length) { batch, product, sink in
                let writer = try PackageWriter(directory: staging, options: package, count: batch.count)
                let prefix = Array(urls.prefix.utf8).map { request.uppercase ? Self.upper($0) : $0 }
                let tail = Array(",\(product.gtin?.digits ?? ""),\(batch.lot ?? "")\n".utf8)
                let chunk = chunkSize ?? (package.artwork == .none ? 524_288 : 2_400)
                var code = [UInt8](repeating: 0, count: signer.length)
                var sequence = 1
                while sequence <= batch.count {
                    if isCancelled() { throw IssueInterrupted() }
                    let size = min(chunk, batch.count - sequence + 1)
                    var keys = RandomBytes.keys(count: size)
                    // Insert in key order: each chunk walks the index once, front to back.
                    for index in keys.indices.sorted(by: { keys[$0] < keys[$1] }) {
                        while try !sink.insert(CodeKey(rawValue: keys[index]), sequence: sequence + index) {
                            keys[index] = RandomBytes.keys(count: 1)[0]  // taken: draw again
                        }
                    }
                    var texts: [String] = []
                    if package.artwork != .none { texts.reserveCapacity(size) }
                    for index in 0..<size {
                        signer.fill(&code, key: CodeKey(rawValue: keys[index]))
                        try writer.appendRow(sequence: sequence + index, code: code, urlPrefix: prefix, tail: tail)
                        if package.artwork != .none { texts.append(String(decoding: code, as: UTF8.self)) }
                    }
                    if package.artwork != .none {
                        try writer.render(codes: texts, urls: texts.map { urls.url(for: $0) }, first: sequence)
                    }
                    sequence += size
                    progress(sequence - 1)
                }
                if isCancelled() { throw IssueInterrupted() }
                let manifest = Manifest(
                    product: .init(id: product.id, name: product.name, gtin: product.gtin?.digits, sku: product.sku),
                    batch: .init(id: batch.id, lot: batch.lot, productionDate: batch.productionDate,
                                 expiryDate: batch.expiryDate, region: batch.region, status: batch.status,
                                 createdAt: ISO8601DateFormatter().string(from: batch.createdAt)),
                    count: batch.count, codeLength: signer.length, urlForm: batch.urlForm, uppercase: batch.uppercase,
                    urlPrefix: String(decoding: prefix, as: UTF8.self), artwork: package.artwork, printSpec: printSpec)
                try writer.finish(manifest: manifest)
                return manifest
            }
        } catch {
            try? manager.removeItem(atPath: staging)
            throw error
        }
        // Committed: move the finished package into place in one step.
        if manager.fileExists(atPath: package.directory) { try manager.removeItem(atPath: package.directory) }  // validated empty
        try manager.moveItem(atPath: staging, toPath: package.directory)
        return IssueResult(batch: batch, product: product, directory: package.directory, manifest: manifest,
                           seconds: Date().timeIntervalSince(started))
    }

    /// Issues a batch into `library/batch-{id}`: written under a temporary name, renamed once the batch id
    /// is known. The service's API and its demo keep packages this way, so the API can serve them by id.
    public func issue(_ request: NewBatch, intoLibrary library: String, artwork: ArtworkFormat = .none,
                      errorCorrection: ErrorCorrection = .M) async throws -> IssueResult {
        try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: true)
        let pending = library + "/pending-" + UUID().uuidString
        var result = try await issue(request, package: PackageOptions(directory: pending, artwork: artwork, errorCorrection: errorCorrection))
        result.directory = library + "/batch-\(result.batch.id)"
        try FileManager.default.moveItem(atPath: pending, toPath: result.directory)
        return result
    }

    @inline(__always)
    static func upper(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
    }
}

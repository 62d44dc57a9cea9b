import ArgumentParser
import Configuration
import Foundation
import OneCodeDomain
import OneCodeService
import OneCodeIssuing
import OneCodeRendering

extension URLForm: ExpressibleByArgument {}
extension BatchKind: ExpressibleByArgument {}
extension ArtworkFormat: ExpressibleByArgument {}
extension ErrorCorrection: ExpressibleByArgument {}

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Issue batches of codes and look at them.",
        subcommands: [Issue.self, List.self, Show.self, Activate.self, Void.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a batch of unique codes and write its code package for the printer.",
            discussion: """
                Writes into a new folder (--out): codes.csv (sequence, code, url, gtin, lot), manifest.json \
                (batch, product, print spec, SHA-256 of every file) and, with --qr, the QR artwork. \
                Issuing is all-or-nothing: if it fails or is interrupted, no codes are kept and no package is left.
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The product id (see `onecode product list`).", valueName: "id")) var product: Int64
        @Option(help: "How many codes to issue.") var count: Int
        @Option(help: "Lot number, 1 to 20 letters, digits, '-', '.', '_'.") var lot: String?
        @Option(name: .customLong("production-date"), help: ArgumentHelp("Production date (default: today, UTC).", valueName: "YYYY-MM-DD")) var productionDate: String?
        @Option(help: ArgumentHelp("Expiry date.", valueName: "YYYY-MM-DD")) var expiry: String?
        @Option(help: "Intended sales region, an ISO 3166 code such as CN or CN-31.") var region: String?
        @Option(name: .customLong("url-form"), help: "short: {base}/s/{code}; gs1: GS1 Digital Link {base}/01/{gtin}[/10/{lot}]/21/{code}.") var urlForm: URLForm = .short
        @Flag(help: "Print URLs upper-case, so QR symbols use the denser alphanumeric mode.") var uppercase = false
        @Option(help: "What the codes go on: unit, inner-case, case (outer case) or pallet; the packing line packs lower levels into higher (`onecode aggregate`).") var kind: BatchKind = .unit
        @Option(help: ArgumentHelp("Give each unit a hidden PIN of this many digits (6-8), printed where it is seen only after opening: a pin column in codes.csv and, with --qr, a pins/ artwork layer. Campaigns with requirePin ask for it before drawing.", valueName: "digits")) var pin: Int = 0
        @Option(name: .customLong("base-url"), help: "Public base URL printed in the codes (default from configuration).") var baseURL: String?
        @Option(help: ArgumentHelp("A new or empty folder for the code package.", valueName: "dir")) var out: String
        @Option(help: "QR artwork: none, svg, png (one file per code) or pdf (A4 label sheets, or roll labels with --roll).") var qr: ArtworkFormat = .none
        @Option(help: ArgumentHelp("With --qr pdf: roll labels of this size in millimetres (10 to 300 a side), one a page, for label printers, instead of A4 sheets.", valueName: "WIDTHxHEIGHT"))
        var roll: String?
        @Option(name: .customLong("labels-per-file"), help: ArgumentHelp("With --qr pdf: at most this many labels a PDF, in whole pages; a larger batch is split into labels-001.pdf, labels-002.pdf, … (the manifest's labelFiles says which labels each holds).", valueName: "n"))
        var labelsPerFile: Int = PackageOptions.defaultLabelsPerFile
        @Option(help: "QR error correction: L (7%), M (15%), Q (25%) or H (30%).") var ec: ErrorCorrection = .M

        func run() async throws {
            try await reportingErrors {
                var extra: [String: ConfigValue] = [:]
                if let baseURL { extra["codes.baseURL"] = .init(.string(baseURL), isSecret: false) }
                let (config, store) = try await global.open(extra: extra)
                guard product > 0 else { throw InputError("product", "must be a positive id (got \(product))") }
                let request = try NewBatch(
                    productID: ProductID(rawValue: product), count: count, maxCount: config.maxBatchCount, lot: lot,
                    productionDate: try productionDate.map { try Day($0, field: "production-date") } ?? .today(),
                    expiryDate: try expiry.map { try Day($0, field: "expiry") }, region: region,
                    urlForm: urlForm, uppercase: uppercase, kind: kind, pinLength: pin)
                let options = PackageOptions(directory: out, artwork: qr, errorCorrection: ec, roll: try roll.map(RollSize.init),
                                             labelsPerFile: labelsPerFile)
                try options.validate()
                let signer = try config.signer(notice: note)
                var loopbackWarning: String?
                if let host = CodeURLHost.loopback(config.baseURL) {
                    // Codes are printed once and scanned for years: a base URL on this machine opens on no phone.
                    let advice = "phones cannot open \(host); set codes.baseURL (or --base-url) to the public address, e.g. https://q.brand.example"
                    if config.mode == .production { throw InputError("base-url", "\(config.baseURL) is this machine (\(advice))") }
                    loopbackWarning = "warning: the codes point at \(config.baseURL), this machine: \(advice) before printing them"
                }
                let issuer = Issuer(store: store, signer: signer, baseURL: config.baseURL)
                let bar = ProgressBar(total: count)
                Interrupts.install()
                let result = try await issuer.issue(
                    request, package: options, progress: { bar.update($0) }, isCancelled: { Interrupts.isSet },
                    audit: AuditEntry(.commandLine, "batch.issue", subject: "batch", detail: "\(count) codes"))
                bar.finish()
                // The service serves every batch's package (GET /api/batches/{id}/package.zip): a copy goes
                // into its library, beside the one written to --out, as one zip (one file to create, however
                // many artwork files the package holds).
                let library = try ServiceConfig(reader: try await global.configReader(extra: extra), databasePath: config.databasePath).packagesDirectory
                // Named for this batch (PackageLibrary): never taken for another batch of the same id after a restore.
                let kept = library + "/" + PackageLibrary.name(for: result.batch) + ".zip"
                do {
                    try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: true)
                    try ZipArchive.write(directory: result.directory, root: "batch-\(result.batch.id)", to: kept)
                } catch {
                    note("warning: the package is in \(result.directory), but no copy could be kept in \(library) for the API (\(error.localizedDescription))")
                }
                try global.emit(result) {
                    """
                    batch \(result.batch.id): \(result.batch.count) codes for product \(result.product.id) (\(result.product.name)), status \(result.batch.status.rawValue)
                    package: \(result.directory) (QR version \(result.manifest.printSpec.qrVersion), EC \(ec.rawValue), artwork \(qr.rawValue))
                    took \(String(format: "%.2f", result.seconds)) s
                    """
                }
                if let loopbackWarning { note(loopbackWarning) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List batches, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only batches of this product id.") var product: Int64?

        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let batches = try await store.batches(product: product.map { ProductID(rawValue: $0) })
                try global.emit(batches) {
                    batches.isEmpty ? "no batches yet; issue one with `onecode batch issue`" :
                    Table(["id", "product", "kind", "count", "lot", "produced", "region", "status", "url form"], batches.map {
                        [$0.id.description, $0.productID.description, $0.kind.rawValue, String($0.count), $0.lot ?? "", $0.productionDate.description,
                         $0.region ?? "", $0.status.rawValue, $0.urlForm.rawValue + ($0.uppercase ? " (upper-case)" : "")]
                    }).text
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one batch.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The batch id.") var id: Int64

        struct Output: Encodable {
            var batch: Batch
            var product: Product?
            var storedCodes: Int
        }

        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                guard let batch = try await store.batch(BatchID(rawValue: id)) else {
                    throw NotFoundError("id", "no batch with id \(id); see `onecode batch list`")
                }
                let product = try await store.product(batch.productID)
                let stored = try await store.codeCount(batch: batch.id)
                try global.emit(Output(batch: batch, product: product, storedCodes: stored)) {
                    """
                    batch \(batch.id)
                      product:          \(batch.productID) \(product?.name ?? "")\(product?.gtin.map { " (GTIN \($0))" } ?? "")
                      kind:             \(batch.kind.words)\(batch.pinLength > 0 ? ", hidden PINs of \(batch.pinLength) digits" : "")
                      codes:            \(batch.count) (\(stored) stored, \(batch.codeLength) characters)
                      lot:              \(batch.lot ?? "-")
                      production date:  \(batch.productionDate)
                      expiry date:      \(batch.expiryDate?.description ?? "-")
                      region:           \(batch.region ?? "-")
                      status:           \(batch.status.rawValue)
                      url form:         \(batch.urlForm.rawValue)\(batch.uppercase ? ", upper-case" : "")
                      issued at:        \(ISO8601DateFormatter().string(from: batch.createdAt))
                    """
                }
            }
        }
    }
}

/// Base URLs that only the issuing machine opens.
enum CodeURLHost {
    /// The host when `url` points at this machine (loopback or localhost), else nil.
    static func loopback(_ url: String) -> String? {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return nil }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" || bare.hasPrefix("127.") || bare == "0.0.0.0" { return host }
        return nil
    }
}

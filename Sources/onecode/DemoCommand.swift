import ArgumentParser
import Foundation
import OneCodeApplication
import OneCodeDomain
import OneCodeIssuing
import OneCodeRendering

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Register a demo product, issue a small batch and write its code package (the default command).",
        discussion: "Uses the embedded database (data/onecode.sqlite unless --database says otherwise) and writes the package under data/packages/.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "How many codes the demo batch has.") var count = 12

    struct Output: Encodable { var product: Product; var batch: Batch; var package: String; var sampleURLs: [String] }

    func run() async throws {
        try await reportingErrors {
            let (config, store) = try await global.open()
            let signer = try config.signer(notice: note)
            let product: Product
            if let existing = try await store.products().first(where: { $0.gtin?.digits == "0" + DemoData.gtin }) {
                product = existing
            } else {
                product = try await Actions(store: store, actor: .system("demo")).addProduct(try DemoData.product())
            }
            let packages = ((config.databasePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("packages")
            try FileManager.default.createDirectory(atPath: packages, withIntermediateDirectories: true)
            var number = 1
            while FileManager.default.fileExists(atPath: (packages as NSString).appendingPathComponent("demo-\(number)")) { number += 1 }
            let directory = (packages as NSString).appendingPathComponent("demo-\(number)")
            let issuer = Issuer(store: store, signer: signer, baseURL: config.baseURL)
            let request = try NewBatch(productID: product.id, count: count, maxCount: config.maxBatchCount, lot: "DEMO1",
                                       region: "CN", urlForm: .gs1)
            var result = try await issuer.issue(request, package: PackageOptions(directory: directory, artwork: .svg))
            // Activated, like the batch `serve` adds: its codes scan genuine (and `code check` says valid).
            result.batch = try await Actions(store: store, actor: .system("demo")).activateBatch(result.batch.id.rawValue)
            let csv = try String(contentsOfFile: directory + "/codes.csv", encoding: .utf8)
            let urls = csv.split(separator: "\n").dropFirst().prefix(3).map { String($0.split(separator: ",")[2]) }
            try global.emit(Output(product: product, batch: result.batch, package: directory, sampleURLs: urls)) {
                """
                OneCode demo
                  product \(product.id): \(product.name) (GTIN \(product.gtin!))
                  batch \(result.batch.id): \(result.batch.count) codes, lot \(result.batch.lot ?? "-"), GS1 Digital Link URLs, activated
                  package: \(directory)
                    codes.csv, manifest.json, qr/*.svg (QR version \(result.manifest.printSpec.qrVersion), EC M)
                  sample codes:
                \(urls.map { "    " + $0 }.joined(separator: "\n"))
                Next: `onecode code check <code>`, `onecode batch show \(result.batch.id)`, `onecode --help`.
                """
            }
        }
    }
}

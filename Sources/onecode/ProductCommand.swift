import ArgumentParser
import OneCodeDomain

struct ProductCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "product",
        abstract: "Register and list products.",
        subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a product.",
            discussion: "The GTIN (8, 12, 13 or 14 digits) is checked against its GS1 check digit and stored as GTIN-14; a product needs one for GS1 Digital Link codes.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "The product's name, as consumers will see it.") var name: String
        @Option(help: "GTIN-8, -12, -13 or -14, with its check digit.") var gtin: String?
        @Option(help: "Your own stock-keeping unit.") var sku: String?

        func run() async throws {
            try await reportingErrors {
                let new = try NewProduct(name: name, gtin: gtin, sku: sku)
                let (_, store) = try await global.open()
                let product = try await store.addProduct(new)
                try global.emit(product) { "product \(product.id): \(product.name)" + (product.gtin.map { " (GTIN \($0))" } ?? "") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List products.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let products = try await store.products()
                try global.emit(products) {
                    products.isEmpty ? "no products yet; add one with `onecode product add --name NAME`" :
                    Table(["id", "name", "gtin", "sku"], products.map { [$0.id.description, $0.name, $0.gtin?.digits ?? "", $0.sku ?? ""] }).text
                }
            }
        }
    }
}

/// A plain text table with padded columns.
struct Table {
    let header: [String]
    let rows: [[String]]
    init(_ header: [String], _ rows: [[String]]) {
        self.header = header
        self.rows = rows
    }
    var text: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}

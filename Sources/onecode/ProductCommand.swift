import ArgumentParser
import OneCodeApplication
import OneCodeDomain

struct ProductCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "product",
        abstract: "Register, change and list products.",
        subcommands: [Add.self, Update.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a product.",
            discussion: "The GTIN (8, 12, 13 or 14 digits) is checked against its GS1 check digit and stored as GTIN-14; a product needs one for GS1 Digital Link codes.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "The product's name, as consumers will see it (and the fallback for a language without its own).") var name: String
        @Option(help: "GTIN-8, -12, -13 or -14, with its check digit.") var gtin: String?
        @Option(help: "Your own stock-keeping unit.") var sku: String?
        @OptionGroup var shown: ShownOptions

        func run() async throws {
            try await reportingErrors {
                let new = try NewProduct(name: name, nameZh: shown.nameZh, nameEn: shown.nameEn, gtin: gtin, sku: sku, imageURL: shown.imageURL)
                let (_, store) = try await global.open()
                let product = try await Actions(store: store, actor: .commandLine).addProduct(new)
                try global.emit(product) { ProductCommand.describe(product) }
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a product's names per language or its picture.",
            discussion: "Give only what changes; an empty value (\"\") clears it. Scan pages show the change within a minute on every node. The name, GTIN and SKU stay: codes already printed carry them.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The product's id.") var id: Int64
        @OptionGroup var shown: ShownOptions

        func run() async throws {
            try await reportingErrors {
                let change = try ProductChange(nameZh: shown.nameZh, nameEn: shown.nameEn, imageURL: shown.imageURL)
                let (_, store) = try await global.open()
                let product = try await Actions(store: store, actor: .commandLine).editProduct(id, change)
                try global.emit(product) { ProductCommand.describe(product) }
            }
        }
    }

    /// What consumers see of a product besides its name: names per language and a picture.
    struct ShownOptions: ParsableArguments {
        @Option(name: .customLong("name-zh"), help: ArgumentHelp("Its name on Chinese pages.", valueName: "name")) var nameZh: String?
        @Option(name: .customLong("name-en"), help: ArgumentHelp("Its name on English pages.", valueName: "name")) var nameEn: String?
        @Option(name: .customLong("image-url"), help: ArgumentHelp("An https address of its picture, shown on its scan pages (the phone fetches it from there).", valueName: "url")) var imageURL: String?
    }

    /// A product in a line or two: its names and picture.
    static func describe(_ product: Product) -> String {
        var lines = ["product \(product.id): \(product.name)" + (product.gtin.map { " (GTIN \($0))" } ?? "")]
        if let name = product.nameZh { lines.append("  zh: \(name)") }
        if let name = product.nameEn { lines.append("  en: \(name)") }
        if let image = product.imageURL { lines.append("  image: \(image)") }
        return lines.joined(separator: "\n")
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
                    Table(["id", "name", "zh", "en", "gtin", "sku", "image"], products.map {
                        [$0.id.description, $0.name, $0.nameZh ?? "", $0.nameEn ?? "", $0.gtin?.digits ?? "", $0.sku ?? "", $0.imageURL ?? ""]
                    }).text
                }
            }
        }
    }
}

/// A plain text table with padded columns.
struct Table {
    let header: [String]
    let rows: [[String]]
    /// A cell's line breaks show as ` ↵ ` and other control characters as a space: a multi-line comment
    /// stays on its row (`--json` keeps the text as it is).
    init(_ header: [String], _ rows: [[String]]) {
        self.header = header
        self.rows = rows.map { $0.map(Self.oneLine) }
    }

    static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        return text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map { String(String.UnicodeScalarView($0.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 })) }
            .joined(separator: " ↵ ")
    }
    var text: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { Self.width($0[column]) }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { $1 + String(repeating: " ", count: max(0, widths[$0] - Self.width($1))) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }

    /// Columns a terminal gives `text`: two for each wide character (Chinese, Japanese, Korean, full-width
    /// forms), one for the rest, so columns line up under Chinese names.
    static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { sum, scalar in
            let value = scalar.value
            let wide = (0x1100...0x115F).contains(value) || (0x2E80...0xA4CF).contains(value) || (0xAC00...0xD7A3).contains(value)
                || (0xF900...0xFAFF).contains(value) || (0xFE30...0xFE4F).contains(value) || (0xFF00...0xFF60).contains(value)
                || (0xFFE0...0xFFE6).contains(value) || (0x20000...0x3FFFD).contains(value)
            return sum + (wide ? 2 : scalar.properties.generalCategory == .nonspacingMark ? 0 : 1)
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}

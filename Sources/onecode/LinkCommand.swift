import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeService
import OneCodeStorage

struct LinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link", abstract: "Give items links by GS1 link type: what the resolver answers at /01/{gtin}…?linkType=…",
        discussion: """
            A link belongs to a GTIN, or to one lot of it (--lot). A request for a link type that a lot has no link of \
            finds the GTIN's (walk-up). Each item has exactly one default link, where a plain /01/{gtin} leads: its \
            first link, or the one added with --default. A serialised item's plain resolution stays its scan page.
            """,
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a link to a GTIN or one of its lots.",
            discussion: "Example: onecode link add --gtin 06291041500213 --type gs1:pip --href https://brand.example/tea --title \"Jasmine tea\" --language en")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The item's GTIN (8, 12, 13 or 14 digits).") var gtin: String
        @Option(help: "Only for this lot of the GTIN.") var lot: String?
        @Option(help: ArgumentHelp("A GS1 link type (GS1 Web Vocabulary): gs1:pip, gs1:instructions, gs1:recallStatus, …", valueName: "type"))
        var type: String
        @Option(help: "The target: an absolute http or https URL.") var href: String
        @Option(help: "A title people see among links.") var title: String
        @Option(help: "The target's language, e.g. en, zh or zh-CN.") var language: String?
        @Option(help: "A context the link is for (letters, digits, '.', '_', '-'), e.g. ios.") var context: String?
        @Flag(name: .customLong("default"), help: "Make it the item's default link (its first link is anyway).") var makeDefault = false

        func run() async throws {
            try await reportingErrors {
                let link = try NewResolverLink(gtin: gtin, lot: lot, type: type, href: href, title: title, language: language, context: context,
                                               makeDefault: makeDefault)
                let (_, store) = try await global.open()
                let added = try await store.addLink(link)
                try global.emit(added) {
                    "link \(added.id): \(added.type) for GTIN \(added.gtin)\(added.lot.map { " lot \($0)" } ?? "")\(added.isDefault ? " (default)" : "") → \(added.href)"
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List links, of one GTIN or all.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this GTIN's links (its own and its lots').") var gtin: String?
        func run() async throws {
            try await reportingErrors {
                let digits = try gtin.map { try GTIN($0, field: "gtin").digits }
                let (_, store) = try await global.open()
                let links = try await store.links(gtin: digits)
                try global.emit(links) {
                    links.isEmpty ? "no links yet; add one with `onecode link add --gtin G --type gs1:pip --href URL --title T`" :
                    Table(["id", "gtin", "lot", "type", "default", "language", "context", "title", "href"], links.map {
                        [String($0.id), $0.gtin, $0.lot ?? "", $0.type, $0.isDefault ? "yes" : "", $0.language ?? "", $0.context ?? "", $0.title, $0.href]
                    }).text
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a link (when it was its item's default, the item's oldest other link becomes it).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The link's id (onecode link list).") var id: Int64
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                guard try await store.removeLink(id) else { throw NotFoundError("id", "no link with id \(id)") }
                struct Output: Encodable { var removed: Int64 }
                try global.emit(Output(removed: id)) { "link \(id) removed" }
            }
        }
    }
}

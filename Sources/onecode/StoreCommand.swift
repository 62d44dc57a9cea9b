import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeApplication
import OneCodeService
import OneCodeStorage

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Register the stores that redeem prizes and confirm receipts of cases.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a store and print its API token once.",
            discussion: "The store redeems prizes with POST /api/redemptions {\"redemptionCode\": ...} and 'Authorization: Bearer <token>'. Only the token's hash is stored.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The store's name.") var name: String
        @Option(help: "Its region, an ISO 3166 code such as CN-31.") var region: String?

        func run() async throws {
            try await reportingErrors {
                let new = try Actions.NewStore(name: name, region: region)
                let (_, store) = try await global.open()
                let (created, secret) = try await Actions(store: store, actor: .commandLine).addStore(new)
                struct Output: Encodable { var store: Store; var token: String }
                try global.emit(Output(store: created, token: secret)) {
                    "store \(created.id): \(created.name)\ntoken (keep it now; only its hash is stored):\n\(secret)"
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List stores with their redemptions, the consumers they reached, the cases they received and the units of them sold through.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let stores = try await store.storeProfiles()
                try global.emit(stores) {
                    stores.isEmpty ? "no stores yet; add one with `onecode store add --name N`" :
                    Table(["id", "name", "region", "redemptions", "consumers", "receipts", "units sold"], stores.map {
                        [$0.store.id.description, $0.store.name, $0.store.region ?? "", String($0.redemptions), String($0.consumers),
                         String($0.receipts), String($0.unitsSold)]
                    }).text
                }
            }
        }
    }
}

import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeApplication
import OneCodeService
import OneCodeStorage

extension TokenScope: ExpressibleByArgument {}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage admin API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the API tokens: id, name, scope, store, created, last used (never a secret: only hashes are stored).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let tokens = try await store.tokens()
                let time = try await global.displayTime()
                try global.emit(tokens) {
                    guard !tokens.isEmpty else { return "no tokens yet; create one with `onecode token create --scope S --name N`" }
                    return Table(["id", "scope", "store", "name", "created (\(time.label))", "last used (\(time.label))"], tokens.map { token in
                        [String(token.id), token.scope.rawValue, token.storeID.map(String.init) ?? "", token.name,
                         time.minute(token.createdAt), token.lastUsedAt.map(time.minute) ?? "never"]
                    }).text
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an API token: it authenticates nothing from then on (a running serve sees it at once).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token id (`onecode token list`).") var id: Int64

        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                try await Actions(store: store, actor: .commandLine).revokeToken(id)
                struct Output: Encodable { var revoked: Int64 }
                try global.emit(Output(revoked: id)) { "token \(id) is revoked" }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API token and print it once.",
            discussion: "Only the token's SHA-256 is stored: keep the printed token, it cannot be shown again. Scopes (README's route table is exact): admin (every route: events, webhooks, a consumer's export and erasure, redeeming on behalf of a named store); issuer (products, batches, packages, activate/void, blacklist, a code's scans); marketing (campaigns and their entries, segments and their members, the linker refresh, reports, stores, a code's scans, statistics); sales (leads; reads products, batches, campaigns, segments, reports, stores, statistics). A store's token, from `onecode store add`, only redeems as that store.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "admin, issuer, marketing or sales (stores get theirs from `onecode store add`, clerks from `onecode clerk add`).") var scope: TokenScope
        @Option(help: "A name to recognise the token by.") var name: String

        func run() async throws {
            try await reportingErrors {
                let new = try Actions.NewToken(name: name, scope: scope)
                let (_, store) = try await global.open()
                let (created, secret) = try await Actions(store: store, actor: .commandLine).createToken(new)
                struct Output: Encodable { var id: Int64; var name: String; var scope: TokenScope; var token: String }
                try global.emit(Output(id: created.id, name: created.name, scope: created.scope, token: secret)) {
                    "token \(created.id) (\(scope.rawValue), \(created.name)):\n\(secret)\nKeep it now: only its hash is stored."
                }
            }
        }
    }
}

extension BatchCommand {
    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Activate a batch: its scans are answered as genuine or repeat from now on.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The batch id.") var id: Int64
        func run() async throws { try await setStatus(global, id, .active) }
    }

    struct Void: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Void a batch: every code of it is answered as void. Final.",
            discussion: "Asks for confirmation on a terminal (type the batch id); elsewhere (scripts, pipes) it needs --yes.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The batch id.") var id: Int64
        @Flag(help: "Void without asking: the batch's codes can never be answered genuine again.") var yes = false

        func run() async throws {
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    fail("yes: voiding batch \(id) is final (its codes are answered void for good); confirm with --yes")
                }
                FileHandle.standardError.write(Data("Voiding batch \(id) is final: every code of it will be answered void, for good.\nType the batch id to confirm: ".utf8))
                guard readLine()?.trimmingCharacters(in: .whitespaces) == String(id) else { fail("yes: not confirmed; batch \(id) is unchanged") }
            }
            try await setStatus(global, id, .void)
        }
    }
}

func setStatus(_ global: GlobalOptions, _ id: Int64, _ status: BatchStatus) async throws {
    try await reportingErrors {
        let (_, store) = try await global.open()
        let actions = Actions(store: store, actor: .commandLine)
        let batch = status == .void ? try await actions.voidBatch(id) : try await actions.activateBatch(id)
        try global.emit(batch) { "batch \(batch.id) is \(batch.status.rawValue)" }
    }
}

extension CodeCommand {
    struct Blacklist: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Blacklist one code: its scans are answered as void.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The code.") var code: String
        @Option(help: "Why (kept with the code).") var reason: String

        func run() async throws {
            try await reportingErrors {
                let checked = try Actions.BlacklistReason(reason)
                let (config, store) = try await global.open()
                let typed = try config.signer(notice: note).read(typed: code)
                guard case let .read(.valid(key, canonical)) = typed else { throw InputError("code", typed.problem ?? "is not a code") }
                let reason = try await Actions(store: store, actor: .commandLine).blacklist(key, code: canonical, reason: checked)
                try global.emit(["code": canonical, "blacklisted": reason]) { "\(canonical) is blacklisted: \(reason)" }
            }
        }
    }
}

struct ScansCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scans", abstract: "List the scans of a code, newest first.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The code.") var code: String
    @Option(help: "The most scans to list.") var limit = 50

    func run() async throws {
        try await reportingErrors {
            guard (1...10_000).contains(limit) else { throw InputError("limit", "must be from 1 to 10000") }
            let (config, store) = try await global.open()
            let typed = try config.signer(notice: note).read(typed: code)
            guard case let .read(.valid(key, canonical)) = typed else { throw InputError("code", typed.problem ?? "is not a code") }
            let scans = try await store.scans(of: key, limit: limit)
            let time = try await global.displayTime()
            try global.emit(scans) {
                scans.isEmpty ? "no scans of \(canonical)" :
                Table(["id", "time (\(time.label))", "verdict", "reason", "consumer", "ip", "bot", "region"], scans.map {
                    [String($0.id), time.minute($0.at), $0.verdict.rawValue, $0.reason.rawValue, $0.consumer ?? "",
                     $0.ip ?? "", $0.bot ? "bot" : "", $0.region ?? ""]
                }).text
            }
        }
    }
}

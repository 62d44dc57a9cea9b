import ArgumentParser
import Foundation
import OneCodeDomain

struct CodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "code",
        abstract: "Check codes.",
        subcommands: [Check.self, Blacklist.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether a code is valid, inactive, void, unknown, forged, a typo or malformed.",
            discussion: """
                valid: passes the keyed check, was issued and its batch is active: a scan reads genuine or repeat \
                (its batch and product are shown). inactive: issued, its batch not yet activated. void: its batch \
                was voided or the code blacklisted (the reason is shown). unknown: passes the keyed check but was \
                never issued. forged: fails the keyed check (decided without the database). typo: the check symbol \
                does not match, so a symbol is probably mistyped (never called forged). malformed: not a code's \
                letters and digits. Spaces, dashes and any case are read as on the code-entry page. \
                Case does not matter; I and L read as 1, O as 0. Exit status: 0 valid, 1 otherwise.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The code, or a URL ending in it.") var code: String

        struct Output: Encodable {
            var code: String
            var verdict: String
            var reason: String?
            var batch: Batch?
            var product: Product?
            var sequence: Int?
        }

        func run() async throws {
            try await reportingErrors {
                let (config, store) = try await global.open()
                let signer = try config.signer(notice: note)
                let text = code.split(separator: "/").last.map(String.init) ?? code
                let output: Output
                // The one reading of typed codes (CodeSigner.read), as the code-entry page reads them.
                switch signer.read(typed: code) {
                case .empty, .symbols, .length:
                    output = Output(code: text, verdict: "malformed", reason: signer.read(typed: code).problem)
                case let .typo(canonical):
                    output = Output(code: canonical, verdict: "typo", reason: "check-character")
                case let .read(.forged(reason)):
                    output = Output(code: Crockford.canonical(text) ?? text, verdict: "forged", reason: reason.rawValue)
                case let .read(.valid(key, canonical)):
                    if let record = try await store.code(key) {
                        // The state a scan would find, as VerdictRules reads it.
                        let (verdict, reason): (String, String?) = record.blacklistReason.map { ("void", "blacklisted: \($0)") }
                            ?? (record.batch.status == .void ? ("void", "batch-void")
                                : record.batch.status == .issued ? ("inactive", "batch-not-active") : ("valid", nil))
                        output = Output(code: canonical, verdict: verdict, reason: reason, batch: record.batch, product: record.product,
                                        sequence: record.sequence)
                    } else {
                        output = Output(code: canonical, verdict: "unknown", reason: "not-issued")
                    }
                }
                try global.emit(output) {
                    switch output.verdict {
                    case "valid":
                        "valid: \(output.code) is #\(output.sequence!) of batch \(output.batch!.id) (\(output.batch!.status.rawValue)), product \(output.product!.id) \(output.product!.name)"
                    case "inactive", "void":
                        "\(output.verdict): \(output.code) is #\(output.sequence!) of batch \(output.batch!.id) (\(output.batch!.status.rawValue)), product \(output.product!.id) \(output.product!.name); \(output.reason!)"
                    case "unknown":
                        "unknown: \(output.code) passes the keyed check but was never issued"
                    case "typo":
                        "typo: \(output.code) does not check out: a letter or digit is probably mistyped; compare it with the label"
                    case "malformed":
                        "malformed: \(output.code): \(output.reason!)"
                    default:
                        "forged: \(output.code) fails the keyed check (\(output.reason!))"
                    }
                }
                if output.verdict != "valid" { throw ExitCode(1) }
            }
        }
    }
}

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
            abstract: "Say whether a code is valid, inactive, void, forged or unknown.",
            discussion: """
                valid: passes the keyed check, was issued and its batch is active: a scan reads genuine or repeat \
                (its batch and product are shown). inactive: issued, its batch not yet activated. void: its batch \
                was voided or the code blacklisted (the reason is shown). unknown: passes the keyed check but was \
                never issued. forged: fails the keyed check (decided without the database). \
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
                switch signer.check(text) {
                case let .forged(reason):
                    output = Output(code: text, verdict: "forged", reason: reason.rawValue)
                case let .valid(key, canonical):
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
                    default:
                        "forged: \(output.code) fails the keyed check (\(output.reason!))"
                    }
                }
                if output.verdict != "valid" { throw ExitCode(1) }
            }
        }
    }
}

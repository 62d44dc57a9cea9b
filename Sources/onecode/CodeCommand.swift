import ArgumentParser
import Foundation
import OneCodeApplication
import OneCodeDomain
import OneCodeStorage

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

        typealias Output = CodeReport

        func run() async throws {
            try await reportingErrors {
                let (config, store) = try await global.open()
                let signer = try config.signer(notice: note)
                let output = try await CodeLookup(store: store, signer: signer).report(code)
                try global.emit(output) {
                    let channel = Self.channelLines(output)
                    return switch output.verdict {
                    case "valid":
                        "valid: \(output.code) is #\(output.sequence!) of batch \(output.batch!.id) (\(output.batch!.status.rawValue)), product \(output.product!.id) \(output.product!.name)" + channel
                    case "inactive", "void":
                        "\(output.verdict): \(output.code) is #\(output.sequence!) of batch \(output.batch!.id) (\(output.batch!.status.rawValue)), product \(output.product!.id) \(output.product!.name); \(output.reason!)" + channel
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

        /// The code's place in the channel, as lines under the verdict.
        static func channelLines(_ output: Output) -> String {
            var lines: [String] = []
            if let kind = output.batch?.kind, kind != .unit { lines.append("  a \(kind.words) code") }
            for parent in output.packedIn ?? [] { lines.append("  packed in \(parent.kind.words) \(parent.code) (batch \(parent.batchId))") }
            if let holds = output.holds {
                let shown = (output.contents ?? []).map { "\($0.code) (\($0.kind.words))" }
                lines.append("  holds \(holds) code\(holds == 1 ? "" : "s")" + (shown.isEmpty ? "" : ": " + shown.joined(separator: ", ")
                    + (holds > shown.count ? ", … (GET /api/codes/\(output.code)/chain pages them)" : "")))
            }
            if let locked = output.pinLockedAt {
                lines.append("  flagged: locked for draws after \(output.wrongPins ?? 0) wrong PINs at \(ISO8601DateFormatter().string(from: locked))")
            } else if let wrong = output.wrongPins {
                lines.append("  \(wrong) wrong PIN\(wrong == 1 ? "" : "s") typed")
            }
            if let shipped = output.shippedTo {
                lines.append("  shipped to dealer \(shipped.dealerId) \(shipped.dealer) (territory \(shipped.territory.joined(separator: ", "))), "
                             + "shipment \(shipped.shipmentId) of \(shipped.via) at \(ISO8601DateFormatter().string(from: shipped.at))"
                             + (shipped.storeId.map { ", delivered to store \($0) \(shipped.store ?? "")" } ?? ""))
            }
            return lines.isEmpty ? "" : "\n" + lines.joined(separator: "\n")
        }
    }
}

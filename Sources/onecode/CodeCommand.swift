import ArgumentParser
import Foundation
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

        struct Output: Encodable {
            var code: String
            var verdict: String
            var reason: String?
            var batch: Batch?
            var product: Product?
            var sequence: Int?
            /// The case, then the pallet, it is packed in.
            var packedIn: [ChainLink]?
            /// How many codes are packed in it, and the first of them.
            var holds: Int?
            var contents: [ChainLink]?
            var shippedTo: ShippedTo?
            /// Wrong hidden PINs typed for it, and when they locked it for draws (flagged).
            var wrongPins: Int?
            var pinLockedAt: Date?
        }
        struct ChainLink: Encodable { var code: String; var kind: BatchKind; var batchId: BatchID }
        struct ShippedTo: Encodable {
            var dealerId: DealerID; var dealer: String; var territory: [String]; var shipmentId: Int64; var at: Date; var via: String
            /// The store the dealer delivered it to.
            var storeId: StoreID?; var store: String?
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
                        var found = Output(code: canonical, verdict: verdict, reason: reason, batch: record.batch, product: record.product,
                                           sequence: record.sequence)
                        let chain = try await store.chain(of: key, childrenAfter: nil, limit: 10)
                        func link(_ link: CodeChain.Link) -> ChainLink { ChainLink(code: signer.code(for: link.key), kind: link.kind, batchId: link.batch) }
                        if !chain.parents.isEmpty { found.packedIn = chain.parents.map(link) }
                        if chain.childCount > 0 || record.batch.kind != .unit {
                            found.holds = chain.childCount
                            found.contents = chain.children.map(link)
                        }
                        found.shippedTo = chain.shipment.map {
                            ShippedTo(dealerId: $0.dealer, dealer: $0.dealerName, territory: $0.territory.regions, shipmentId: $0.shipment, at: $0.at,
                                      via: signer.code(for: $0.via), storeId: $0.store, store: $0.storeName)
                        }
                        if record.wrongPins > 0 { found.wrongPins = record.wrongPins }
                        found.pinLockedAt = record.pinLockedAt
                        output = found
                    } else {
                        output = Output(code: canonical, verdict: "unknown", reason: "not-issued")
                    }
                }
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

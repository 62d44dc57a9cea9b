import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeIssuing

/// `onecode secret generate`: a code secret for production.
struct SecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Make the server secret that signs codes and cookies.",
        discussion: """
            The secret is the key of every code's keyed check: keep it, back it up, never change it while codes are in \
            circulation (codes issued under another secret read as forged). Give it to `onecode serve` as \
            ONECODE_CODES_SECRET, or in the file named by codes.secretFile (only its owner may read it).
            """,
        subcommands: [Generate.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a new secret (32 random bytes as hex), or write it to a new file readable only by you.")
        @Option(help: ArgumentHelp("Write it to this new file (mode 0600) instead of printing it.", valueName: "file")) var out: String?

        func run() async throws {
            try await reportingErrors {
                let secret = IssuerConfig.generateSecret()
                if let out {
                    try IssuerConfig.writePrivate(out, Array((secret + "\n").utf8), key: "out")
                    note("wrote a new secret to \(out) (mode 0600); set codes.secretFile to it")
                } else {
                    print(secret)
                }
            }
        }
    }
}

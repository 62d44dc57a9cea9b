import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeIssuing

/// `onecode`: issue codes, print code packages and check codes.
@main
struct OneCodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onecode",
        abstract: "One item, one code: issue unique QR codes, answer scans with a verdict, run scan-to-win campaigns, turn scans into segments and sales leads.",
        discussion: """
            Configuration comes from, in order: command-line options, environment variables \
            (ONECODE_DATABASE_PATH, ONECODE_CODES_BASE_URL, ONECODE_CODES_SECRET, ONECODE_CODES_LENGTH, \
            ONECODE_BATCH_MAX_COUNT, ONECODE_MODE, ONECODE_HTTP_PORT, ONECODE_RATE_LIMIT_PER_SECOND, and the others \
            README lists), the JSON file named by ONECODE_CONFIG (default Config/onecode.json), then built-in defaults.
            """,
        version: OneCodeVersion.current,
        subcommands: [DemoCommand.self, ServeCommand.self, ConfigCommand.self, MigrateCommand.self, BackupCommand.self, RestoreCommand.self, DatabaseCommand.self, ProductCommand.self, BatchCommand.self, CodeCommand.self, ScansCommand.self, TokenCommand.self, CampaignCommand.self, StoreCommand.self, AggregateCommand.self, DealerCommand.self, WarehouseCommand.self, ShipCommand.self, ClerkCommand.self, LedgerCommand.self, EPCISCommand.self, LinkCommand.self, WebhooksCommand.self, SegmentCommand.self, LeadsCommand.self, ConsumerCommand.self, FeedbackCommand.self, ReportCommand.self, UserCommand.self, AuditCommand.self, QRCommand.self, SecretCommand.self],
        defaultSubcommand: DemoCommand.self
    )

    /// Every file and folder the tool makes (database, WAL, secret, exports, packages) is its user's
    /// alone from the start: 0600 files, 0700 folders.
    static func main() async {
        umask(0o077)
        do {
            var command = try parseAsRoot(nil)
            if var asynchronous = command as? any AsyncParsableCommand { try await asynchronous.run() } else { try command.run() }
        } catch {
            // Mistakes in the command line itself read like every other error: `error: FIELD: what is expected`.
            if exitCode(for: error) == .validationFailure, let message = UsageErrors.message(for: error, arguments: Array(CommandLine.arguments.dropFirst())) {
                FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
                Foundation.exit(ExitCode.validationFailure.rawValue)
            }
            exit(withError: error)
        }
    }
}

/// Argument-parser's messages for a bad command line, in the one error style, with a "did you mean"
/// where a name is close to one the command has.
enum UsageErrors {
    static func message(for error: any Error, arguments: [String]) -> String? {
        let text = OneCodeCommand.message(for: error)
        let (command, path) = resolve(arguments)
        let usage = "see `onecode \((path).joined(separator: " "))\(path.isEmpty ? "" : " ")--help`"
        // A command name mistyped (`onecode campain list --database x`): the name, before anything after it.
        let subcommands = command.configuration.subcommands.map { $0._commandName }
        if !subcommands.isEmpty, let typed = arguments.filter({ !$0.hasPrefix("-") }).dropFirst(path.count).first,
           !subcommands.contains(typed), !["help"].contains(typed) {
            let hint = JSONInput.suggestion(for: typed, among: subcommands).map { " (did you mean \($0)?)" } ?? ""
            return "\(typed): not a command of `onecode\(path.isEmpty ? "" : " " + path.joined(separator: " "))`\(hint); \(usage)"
        }
        let options = optionNames(of: command)
        // An option the command does not have: named, with the nearest one it has.
        let unknown = arguments.filter { $0.hasPrefix("--") }.map { String($0.dropFirst(2).prefix { $0 != "=" }) }
            .filter { !$0.isEmpty && !options.contains($0) && $0 != "help" && $0 != "version" }
        if let first = unknown.first {
            let hint = JSONInput.suggestion(for: first, among: options).map { " (did you mean --\($0)?)" } ?? ""
            return "\(first): \(command == OneCodeCommand.self ? "unknown option" : "`onecode \(path.joined(separator: " "))` has no option --\(first)")\(hint); \(usage)"
        }
        if let match = text.firstMatch(of: /Missing expected argument '--([a-z-]+)[^']*'/) {
            return "\(match.1): is required (--\(match.1)); \(usage)"
        }
        if let match = text.firstMatch(of: /Missing expected argument '<([a-z-]+)>'/) {
            return "\(match.1): is required; \(usage)"
        }
        if let match = text.firstMatch(of: /The value '([^']*)' is invalid for '(--?<?([a-z-]+)[^']*)'/) {
            return "\(match.3): '\(match.1)' is not a valid value for \(match.2); \(usage)"
        }
        if let match = text.firstMatch(of: /Unexpected argument '([^']*)'/) {
            let subcommands = command.configuration.subcommands.map { $0._commandName }
            let hint = JSONInput.suggestion(for: String(match.1), among: subcommands).map { " (did you mean \($0)?)" } ?? ""
            return "\(match.1): not an argument or command of `onecode\(path.isEmpty ? "" : " " + path.joined(separator: " "))`\(hint); \(usage)"
        }
        return text.isEmpty ? nil : text.prefix(1).lowercased() + text.dropFirst() + "; " + usage
    }

    /// The command the arguments name (following subcommand names), and its path.
    static func resolve(_ arguments: [String]) -> (any ParsableCommand.Type, [String]) {
        var command: any ParsableCommand.Type = OneCodeCommand.self
        var path: [String] = []
        for argument in arguments where !argument.hasPrefix("-") {
            guard let next = command.configuration.subcommands.first(where: { $0._commandName == argument }) else { break }
            command = next
            path.append(argument)
        }
        return (command, path)
    }

    /// The long option names a command's help lists.
    static func optionNames(of command: any ParsableCommand.Type) -> [String] {
        let help = OneCodeCommand.helpMessage(for: command)
        return Array(Set(help.matches(of: /--([a-z][a-z0-9-]*)/).map { String($0.1) })).sorted()
    }
}


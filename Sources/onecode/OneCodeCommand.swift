import ArgumentParser
import Foundation
import OneCodeDomain

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
        subcommands: [DemoCommand.self, ServeCommand.self, ConfigCommand.self, MigrateCommand.self, BackupCommand.self, RestoreCommand.self, DatabaseCommand.self, ProductCommand.self, BatchCommand.self, CodeCommand.self, ScansCommand.self, TokenCommand.self, CampaignCommand.self, StoreCommand.self, WebhooksCommand.self, SegmentCommand.self, LeadsCommand.self, ConsumerCommand.self, ReportCommand.self, QRCommand.self, SecretCommand.self],
        defaultSubcommand: DemoCommand.self
    )

    /// Every file and folder the tool makes (database, WAL, secret, exports, packages) is its user's
    /// alone from the start: 0600 files, 0700 folders.
    static func main() async {
        umask(0o077)
        await main(nil)
    }
}

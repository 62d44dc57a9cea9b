import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeIssuing
import OneCodeService
import OneCodeStorage

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the configuration.",
        subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the configuration and print every key's effective value and where it comes from.",
            discussion: """
                Reads the configuration as `serve` does (options, ONECODE_* variables, the file ONECODE_CONFIG \
                names or Config/onecode.json, then defaults), checks it (a misspelt key, a value of the wrong \
                type, a file that does not exist or cannot be read is an error naming it; a relative path in the \
                config file is read relative to that file's folder), and prints each key with its value and \
                its source. Secret values (codes.secret, database.password, webhooks.secret) are never printed, \
                only whether they are set. Exits 1 when the configuration has an error.
                """)

        @OptionGroup var global: GlobalOptions

        struct Entry: Encodable {
            var key: String
            var value: String
            var source: String
        }

        func run() async throws {
            try await reportingErrors {
                let reader = try await global.configReader()
                let issuer = try IssuerConfig(reader: reader)
                let service = try ServiceConfig(reader: reader, databasePath: issuer.databasePath)
                _ = try service.loadRegions()
                let environment = ProcessInfo.processInfo.environment
                let file = try GlobalOptions.configFile(environment)
                var fileValues = try file.map { try ConfigKeys.fileValues(try GlobalOptions.read($0), file: $0) } ?? [:]
                if let file { fileValues.merge(ConfigKeys.resolvedPaths(fileValues, file: file)) { $1 } }
                var arguments: [String: String] = [:]
                if let database = global.database {
                    arguments[database.hasPrefix("postgres") ? "database.url" : "database.path"] = database
                }
                let entries = ConfigKeys.all.map { key -> Entry in
                    let (value, source): (String?, String) =
                        if let value = arguments[key.name] { (value, "option --database") }
                        else if let value = environment[key.environment] { (value, "environment \(key.environment)") }
                        else if let value = fileValues[key.name] { (value, "file \(file ?? "")") }
                        else { (nil, "default") }
                    let shown = key.secret ? (value == nil ? "(not set)" : "(set, not shown)")
                        : Self.redacted(value ?? key.defaultText, key: key.name)
                    return Entry(key: key.name, value: shown, source: source)
                }
                try global.emit(entries) {
                    let width = entries.map(\.key.count).max() ?? 0
                    return entries.map { "\($0.key.padding(toLength: width + 2, withPad: " ", startingAt: 0))\($0.value)  [\($0.source)]" }
                        .joined(separator: "\n") + "\nconfiguration ok (mode \(issuer.mode.rawValue), database \(Database.describe(issuer)))"
                }
            }
        }

        /// A value as it may be printed: webhook URLs as the service's logs show them (user information
        /// and query values replaced: `?token=…` is a secret), any other URL's password replaced (a
        /// PostgreSQL URL may carry one).
        static func redacted(_ value: String, key: String) -> String {
            if key == "webhooks.urls" {
                return value.split(separator: ",").map { WebhookURL.redacted($0.trimmingCharacters(in: .whitespaces)) }.joined(separator: ",")
            }
            return redacted(value)
        }

        static func redacted(_ value: String) -> String {
            guard value.contains("://"), var url = URLComponents(string: value), url.password != nil else { return value }
            url.password = "***"
            return url.string ?? "(a URL with a password)"
        }
    }
}

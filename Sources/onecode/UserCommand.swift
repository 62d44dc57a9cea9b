import ArgumentParser
import Foundation
import OneCodeApplication
import OneCodeDomain
import OneCodeStorage

/// `onecode user`: the people who sign in to the console.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "The people who sign in to the console, each with a role.",
        discussion: """
            Roles: admin (everything, and users), issuer, marketing, sales (as the API's scopes), service (the feedback \
            inbox) and clerk (one store's redemptions; give --store). Passwords are kept as bcrypt hashes (cost 12); \
            `user add` on a fresh database makes the first admin. An admin may turn on a second factor (an \
            authenticator app's codes) in the console; `user reset-second-factor` turns it off for one whose phone is lost.
            """,
        subcommands: [Add.self, List.self, ResetSecondFactor.self])

    struct ResetSecondFactor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-second-factor",
            abstract: "Turn off a user's second factor (their phone is lost): they sign in with the password, then may set up a new one.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The user's login name.") var name: String

        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                try await Actions(store: store, actor: .commandLine).disableSecondFactor(named: name, code: nil, factor: nil)
                try global.emit(["user": name.lowercased(), "secondFactor": "off"]) { "\(name.lowercased()): second factor off" }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user. The password is read from --password-file, or asked for on the terminal.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The login name: 3 to 64 of a-z, 0-9, '.', '_', '-', '@' (kept in lower case).") var name: String
        @Option(help: "admin, issuer, marketing, sales, service or clerk.") var role: ConsoleRole
        @Option(help: "A clerk's store id (`onecode store list`).") var store: Int64?
        @Option(name: .customLong("password-file"), help: ArgumentHelp("A file holding the password (12 to 72 bytes; one trailing newline is dropped).", valueName: "file"))
        var passwordFile: String?

        func run() async throws {
            try await reportingErrors {
                let password: String
                if let passwordFile {
                    guard let data = FileManager.default.contents(atPath: passwordFile) else { throw InputError("password-file", "cannot read \(passwordFile)") }
                    var text = String(decoding: data, as: UTF8.self)
                    if text.hasSuffix("\n") { text.removeLast() }
                    password = text
                } else if isatty(STDIN_FILENO) == 1, let typed = getpass("Password for \(name): ") {
                    password = String(cString: typed)
                } else {
                    throw InputError("password-file", "give the password in a file with --password-file F (or run on a terminal to type it)")
                }
                let new = try Actions.NewUser(name: name, role: role, store: store, password: password)
                let (_, store) = try await global.open()
                let user = try await Actions(store: store, actor: .commandLine).addUser(new)
                try global.emit(user) { "user \(user.id): \(user.name) (\(user.role.rawValue)\(user.storeId.map { ", store \($0)" } ?? ""))" }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users (never a password).")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let users = try await store.users()
                let time = try await global.displayTime()
                try global.emit(users) {
                    users.isEmpty ? "no users yet; add the first admin with `onecode user add --name NAME --role admin`" :
                    Table(["id", "name", "role", "store", "created (\(time.label))"], users.map {
                        [String($0.id), $0.name, $0.role.rawValue, $0.storeId.map(String.init) ?? "", time.minute($0.createdAt)]
                    }).text
                }
            }
        }
    }
}

extension ConsoleRole: ExpressibleByArgument {}

import ArgumentParser
import Configuration
import Foundation
import Logging
import ServiceLifecycle
import OneCodeDomain
import OneCodeService
import OneCodeIssuing
import OneCodePostgres
import OneCodeSQLite
import OneCodeStorage
import SystemPackage

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The SQLite database file (default: data/onecode.sqlite), or a PostgreSQL URL postgres://user@host:port/database (the password from ONECODE_DATABASE_PASSWORD_FILE).",
        valueName: "path-or-url"))
    var database: String?

    @Flag(help: "Print machine-readable JSON on standard output.")
    var json = false

    /// The configuration: these options, then the environment, then the config file, then defaults.
    func configReader(extra: [String: ConfigValue] = [:]) async throws -> ConfigReader {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let database {
            let key = PostgresLocation.isURL(database) ? "url" : "path"
            values[AbsoluteConfigKey(["onecode", "database", key])] = .init(.string(database), isSecret: false)
        }
        for (key, value) in extra { values[AbsoluteConfigKey(["onecode"] + key.split(separator: ".").map(String.init))] = value }
        let environment = ProcessInfo.processInfo.environment
        try ConfigKeys.checkEnvironment(environment)
        var providers: [any ConfigProvider] = [InMemoryProvider(name: "arguments", values: values), EnvironmentVariablesProvider()]
        if let file = try Self.configFile(environment) {
            let fileValues = try ConfigKeys.fileValues(try Self.read(file), file: file)
            // The file's relative paths are the file's: they shadow its own values, below options and variables.
            let paths = ConfigKeys.resolvedPaths(fileValues, file: file)
            if !paths.isEmpty {
                providers.append(InMemoryProvider(name: "config file paths", values: Dictionary(uniqueKeysWithValues: paths.map {
                    (AbsoluteConfigKey(["onecode"] + $0.key.split(separator: ".").map(String.init)), ConfigValue(.string($0.value), isSecret: false))
                })))
            }
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file), allowMissing: false))
            } catch {
                throw InputError("config", "cannot read \(file) as JSON (\(error))")
            }
        }
        return ConfigReader(providers: providers)
    }

    /// The config file to read, if any: the one `ONECODE_CONFIG` names (which must exist; an empty
    /// value means none), else `Config/onecode.json` when it exists.
    static func configFile(_ environment: [String: String]) throws -> String? {
        guard let named = environment["ONECODE_CONFIG"] else {
            return FileManager.default.fileExists(atPath: "Config/onecode.json") ? "Config/onecode.json" : nil
        }
        if named.isEmpty { return nil }
        guard FileManager.default.fileExists(atPath: named) else {
            throw InputError("config", "ONECODE_CONFIG names \(named), which does not exist (set it to an existing JSON file, or to nothing for no file)")
        }
        return named
    }

    static func read(_ file: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw InputError("config", "cannot read \(file) (permissions?)")
        }
        return data
    }

    /// The issuer configuration and the opened store.
    /// - Parameter cacheMiB: SQLite's page cache; the linker's refresh sorts scans and wants more.
    func open(extra: [String: ConfigValue] = [:], cacheMiB: Int = 32) async throws -> (IssuerConfig, any OneCodeStore) {
        let config = try IssuerConfig(reader: try await configReader(extra: extra))
        return (config, try await Database.open(config, cacheMiB: cacheMiB))
    }

    /// How human output shows times: in `display.timeZone`, labelled (JSON stays UTC).
    func displayTime() async throws -> DisplayTime {
        try DisplayTime(configured: try await configReader().scoped(to: "onecode").string(forKey: "display.timeZone"))
    }

    /// Whether the configuration names a GeoIP database (`geoip.file`): scans then have regions.
    func geoIPConfigured() async throws -> Bool {
        !(try await configReader().scoped(to: "onecode").string(forKey: "geoip.file") ?? "").isEmpty
    }

    /// Prints `value` as JSON when `--json` is given, else `text()`.
    func emit<T: Encodable>(_ value: T, _ text: () -> String) throws {
        try Self.print(value, json: json, text)
    }

    static func print<T: Encodable>(_ value: T, json: Bool, _ text: () -> String) throws {
        if json {
            let encoder = JSONShape.encoder(pretty: true)  // the API's convention: productId, ISO 8601 times
            Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            Swift.print(text())
        }
    }
}

/// Runs a command body and turns the errors users cause into one line on stderr and exit code 1.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as InputError {
        fail(error.description)
    } catch let error as NotFoundError {
        fail(error.description)
    } catch let error as IssueInterrupted {
        fail(error.description, code: 130)
    } catch let error as any CustomStringConvertible {
        fail(error.description)
    } catch {
        fail(String(describing: error))
    }
}

func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    exit(code)
}

func note(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Opens the configured database: the SQLite file, or PostgreSQL when `database.url` names it.
enum Database {
    static func postgres(_ config: IssuerConfig) throws -> PostgresLocation? {
        guard let url = config.databaseURL else { return nil }
        return try PostgresLocation(url: url, password: config.databasePassword)
    }

    /// PostgreSQL must already have the schema this binary knows (`onecode migrate` applies it once for
    /// every node). SQLite is migrated as `serve` opens it (saying so) and as any command opens it in demo
    /// mode; in production mode other commands refuse an older schema rather than upgrade it unasked.
    /// - Parameter service: the long-running service takes `database.connections`; a one-shot command a few.
    static func open(_ config: IssuerConfig, cacheMiB: Int = 32, backgroundCheckpoints: Bool = false, service: Bool = false) async throws -> any OneCodeStore {
        if let location = try postgres(config) { return try await openPostgres(config, location, service: service) }
        return try await openSQLite(config, cacheMiB: cacheMiB, backgroundCheckpoints: backgroundCheckpoints, service: service)
    }

    private static func openPostgres(_ config: IssuerConfig, _ location: PostgresLocation, service: Bool) async throws -> PostgresStore {
        let store = try await PostgresStore(location, connections: service ? config.databaseConnections : min(4, config.databaseConnections),
                                            schema: .requireCurrent)
        try await checkSecret(config, store)
        return store
    }

    private static func openSQLite(_ config: IssuerConfig, cacheMiB: Int, backgroundCheckpoints: Bool, service: Bool) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: config.databasePath, cacheMiB: cacheMiB, backgroundCheckpoints: backgroundCheckpoints,
                                    schema: service || config.mode == .demo ? .migrate : .requireCurrent)
        if !store.appliedNow.isEmpty && !store.created && (service || config.mode == .production) {
            note("database \(config.databasePath): upgraded, applied migrations \(store.appliedNow.joined(separator: ", "))")
        }
        try await checkSecret(config, store)
        return store
    }

    /// What `serve` runs on the configured database, decided here where the backend is chosen: the store, the
    /// background services its backend needs (PostgreSQL: the pool's upkeep and the monthly partitions; SQLite:
    /// the checkpointer), and how many group-commit writers it takes (SQLite has one writer).
    struct Serving {
        let store: any OneCodeStore
        let services: @Sendable (Logger) -> [any Service]
        let writers: Int
    }

    static func openForServe(_ config: IssuerConfig) async throws -> Serving {
        if let location = try postgres(config) {
            let store = try await openPostgres(config, location, service: true)
            return Serving(store: store, services: { _ in [PostgresPool(store: store), PartitionKeeper(store: store)] },
                           writers: config.databaseWriters)
        }
        let store = try await openSQLite(config, cacheMiB: 96, backgroundCheckpoints: true, service: true)
        let path = config.databasePath
        return Serving(store: store, services: { [Checkpointer(path: path, logger: $0)] }, writers: 1)
    }

    /// The secret and the codes belong together (`SecretGuard`): every command and `serve` stop here when
    /// the configured secret is not the one the database's codes were issued under.
    static func checkSecret(_ config: IssuerConfig, _ store: any OneCodeStore) async throws {
        try await SecretGuard.check(config.hasSecret ? try config.signer(notice: note) : nil, store: store, secretFile: config.secretFile)
    }

    /// What the messages say the database is.
    static func describe(_ config: IssuerConfig) -> String {
        (try? postgres(config))??.description ?? config.databasePath
    }
}

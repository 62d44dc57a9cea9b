import Foundation
import Logging
import NIOCore
import NIOPosix
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

/// Where a PostgreSQL database is: parsed from `postgres://user[:password]@host[:port]/database[?sslmode=…]`.
///
/// The password may come from the URL or, better, from a secret file or key (`password`); it is never
/// part of `description`, which is what logs and errors show.
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Whether `text` names a PostgreSQL database rather than an SQLite file.
    public static func isURL(_ text: String) -> Bool { text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") }

    /// - Throws: `InputError("database", …)` naming what is wrong with the URL.
    public init(url text: String, password: String? = nil) throws {
        guard Self.isURL(text), let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw InputError("database", "expected postgres://user@host:port/database, got \(Self.redacted(text))")
        }
        guard let user = url.user, !user.isEmpty else {
            throw InputError("database", "the PostgreSQL URL names no user (postgres://USER@host/database)")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw InputError("database", "the PostgreSQL URL names no database (postgres://user@host/DATABASE)")
        }
        var tls = TLSMode.prefer
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw InputError("database", "sslmode must be disable, prefer or require")
                }
                tls = mode
            default:
                throw InputError("database", "unknown PostgreSQL URL parameter \(item.name) (known: sslmode)")
            }
        }
        self.host = host
        self.port = url.port ?? 5432
        self.user = user
        self.password = password ?? url.password
        self.database = database
        self.tls = tls
    }

    /// The URL without its password.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// `text` with any password replaced, for error messages.
    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? "(unreadable URL)"
    }

    /// The same server and user, another database.
    public func with(database: String) -> PostgresLocation {
        var copy = self
        copy.database = database
        return copy
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch self.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}

/// The PostgreSQL implementation of the storage ports: several `onecode` nodes on one database.
///
/// The rules run synchronously between a transaction's reads and writes (they are the same code on
/// every backend, and must not suspend while a backend holds its locks). SQLite lends them a
/// connection on GRDB's writer thread; here each transaction runs on a thread of the store's own pool,
/// which waits for each round trip of its leased connection. A node's group commit makes one such
/// transaction per group of scans.
///
/// Every invariant is the schema's (see `PostgresSchema`): two nodes that race on a code's first scan,
/// its draw, a claim, a redemption or a rating get a unique violation for the loser, which the port
/// turns into `ConflictError` and the rulebook decides again, exactly as on SQLite.
public final class PostgresStore: Sendable, StorageReadiness {
    public let location: PostgresLocation
    let client: PostgresClient
    let threads: NIOThreadPool
    let logger: Logger
    private let running: Task<Void, Never>

    /// What opening does with the schema.
    public enum Schema: Sendable {
        /// Applies the migrations the database lacks (under an advisory lock: once, whoever runs it).
        case migrate
        /// Refuses a schema that is not exactly this binary's, naming `onecode migrate`.
        case requireCurrent
        /// Leaves it as it is (`onecode migrate --status`).
        case asIs
    }

    /// Connects (the pool opens connections as they are needed) and handles the schema as `schema` says.
    /// - Parameters:
    ///   - connections: the pool's size; also the number of threads transactions run on.
    /// - Throws: `InputError("database", …)` when the server cannot be reached, or the schema is newer than
    ///   this binary, or (`requireCurrent`) older.
    public init(_ location: PostgresLocation, connections: Int = 16, schema: Schema = .migrate,
                logger: Logger = Logger(label: "onecode.postgres")) async throws {
        self.location = location
        self.logger = logger
        var configuration = location.clientConfiguration
        configuration.options.maximumConnections = max(2, connections)
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration)
        self.client = client
        running = Task { await client.run() }
        threads = NIOThreadPool(numberOfThreads: max(2, connections))
        threads.start()
        do {
            try await read { db in _ = try db.rows("SELECT 1") }
        } catch {
            await close()
            throw InputError("database", "cannot connect to \(location) (\(Self.describe(error)))")
        }
        do {
            switch schema {
            case .migrate: try await PostgresSchema.migrate(self)
            case .requireCurrent: try await PostgresSchema.check(self)
            case .asIs: break
            }
        } catch {
            await close()
            throw error
        }
    }

    /// The server takes a write transaction, and the schema is this binary's (a node upgraded before its
    /// database, or after, is not ready).
    public func checkReady() async throws {
        try await PostgresSchema.check(self)
        try await write { db in _ = try db.execute("SELECT 1") }
    }

    /// The migrations applied to the database and those this binary would still apply, in order.
    public func migrationStatus() async throws -> (applied: [String], pending: [String]) {
        let applied = try await PostgresSchema.applied(self)
        return (PostgresSchema.migrations.map(\.name).filter(applied.contains) + applied.subtracting(PostgresSchema.migrations.map(\.name)).sorted(),
                PostgresSchema.migrations.map(\.name).filter { !applied.contains($0) })
    }

    /// Applies the pending migrations; returns their names.
    public func migrate() async throws -> [String] {
        let pending = try await migrationStatus().pending
        try await PostgresSchema.migrate(self)
        return pending
    }

    /// Stops the pool and its threads.
    public func close() async {
        running.cancel()
        _ = await running.value
        try? await threads.shutdownGracefully()
    }

    /// The server's message for a PostgreSQL error (PostgresNIO's own description hides it).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresFailure { return error.message }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }

    // MARK: Transactions

    /// A deadlock or serialization failure: nothing was written, and the same work can simply run again.
    static func isTransient(_ error: PostgresFailure) -> Bool {
        error.state == PostgresError.Code.deadlockDetected.raw || error.state == PostgresError.Code.serializationFailure.raw
    }

    /// Runs `body` in one transaction on a leased connection, on one of the store's threads:
    /// committed when it returns, rolled back when it throws.
    ///
    /// BEGIN travels with the first statement, and `last` (a statement the body left for the end) with
    /// COMMIT: a transaction of one read and one write is two round trips.
    func write<T: Sendable>(_ body: @escaping @Sendable (SyncConnection) throws -> T,
                            last: (@Sendable () throws -> PostgresQuery?)? = nil) async throws -> T {
        try await client.withConnection { connection in
            let db = SyncConnection(connection: connection, logger: self.logger)
            return try await self.threads.runIfActive { try Self.transaction(db, body, last: last) }
        }
    }

    /// `body` in one transaction on `db` (`begin` opens it), committed when it returns, rolled back when
    /// it throws; a deadlock or serialization failure becomes `ConflictError`.
    static func transaction<T>(_ db: SyncConnection, begin: PostgresQuery = "BEGIN", _ body: (SyncConnection) throws -> T,
                               last: (() throws -> PostgresQuery?)? = nil) throws -> T {
        db.begin(begin)
        do {
            let value = try body(db)
            let final = try last?()
            let results = try db.pipeline((final.map { [$0] } ?? []) + ["COMMIT"])
            // COMMIT of a transaction that failed is a ROLLBACK: never report that as written.
            guard results.last?.metadata.command == "COMMIT" else {
                throw PostgresFailure(state: "25P02", message: "the transaction was rolled back at commit")
            }
            return value
        } catch let error as PostgresFailure where isTransient(error) {
            _ = try? db.execute("ROLLBACK")
            // Two transactions waited on each other's rows, or one read rows another changed (PostgreSQL
            // ended it): the same conflict as a lost race, which callers run again.
            throw ConflictError("database", "a concurrent transaction held the same rows (\(describe(error))); try again")
        } catch {
            _ = try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` on a leased connection without a transaction of its own (each statement is one).
    func read<T: Sendable>(_ body: @escaping @Sendable (SyncConnection) throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let db = SyncConnection(connection: connection, logger: self.logger)
            return try await self.threads.runIfActive { try body(db) }
        }
    }
}

/// What the server said when it refused a statement: its SQLSTATE and message (never the statement's
/// values, which may be personal data).
public struct PostgresFailure: Error, CustomStringConvertible {
    public var state: String
    public var message: String
    public var description: String { "PostgreSQL \(state): \(message)" }

    init(_ error: PSQLError) {
        state = error.serverInfo?[.sqlState] ?? "?"
        message = error.serverInfo?[.message] ?? "\(error.code)"
    }

    init(state: String, message: String) {
        self.state = state
        self.message = message
    }
}

/// A leased connection used from a store thread: each call is one round trip, waited for.
struct SyncConnection: Sendable {
    let connection: PostgresConnection
    let logger: Logger
    private let opening = Opening()

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// A BEGIN sent and not yet waited for. Used from the one thread running the transaction.
    private final class Opening: @unchecked Sendable {
        var begin: EventLoopFuture<PostgresQueryResult>?
    }

    /// Sends BEGIN (or `statement`, a BEGIN with its isolation level); its answer is waited for with the
    /// next statement's (they share a round trip).
    func begin(_ statement: PostgresQuery = "BEGIN") {
        opening.begin = connection.query(statement, logger: logger)
    }

    private func settleBegin() throws {
        guard let begin = opening.begin else { return }
        opening.begin = nil
        _ = try begin.wait()
    }

    /// - Throws: `PostgresFailure` for a statement the server refused.
    @discardableResult
    func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        do {
            let future = connection.query(query, logger: logger)
            try settleBegin()
            return try future.wait()
        } catch let error as PSQLError {
            throw PostgresFailure(error)
        }
    }

    /// Runs a script of statements, each ending with `;` at the end of a line (the extended protocol
    /// takes one statement at a time). For the schema's own scripts only: nothing is bound.
    func script(_ sql: String) throws {
        var statement = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            statement += line + "\n"
            if line.trimmingCharacters(in: .whitespaces).hasSuffix(";") {
                try execute(PostgresQuery(unsafeSQL: statement))
                statement = ""
            }
        }
        if !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { try execute(PostgresQuery(unsafeSQL: statement)) }
    }

    func rows(_ query: PostgresQuery) throws -> [PostgresRow] { try Array(run(query).rows) }

    /// Sends every statement before waiting for the first answer: one round trip for all of them.
    func pipeline(_ queries: [PostgresQuery]) throws -> [PostgresQueryResult] {
        let futures = queries.map { connection.query($0, logger: logger) }
        var results: [PostgresQueryResult] = []
        var failure: PostgresFailure?
        do { try settleBegin() } catch let error as PSQLError { failure = PostgresFailure(error) }
        for future in futures {
            do {
                results.append(try future.wait())
            } catch let error as PSQLError {
                failure = failure ?? PostgresFailure(error)
            }
        }
        if let failure { throw failure }
        return results
    }

    func row(_ query: PostgresQuery) throws -> PostgresRow? { try run(query).rows.first }

    /// Runs a statement and returns the number of rows it changed.
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> Int { try run(query).metadata.rows ?? 0 }

    /// Runs a statement, turning a unique violation into `conflict`: the one place where the schema's
    /// refusal of a race becomes the typed error the API answers 409 with.
    @discardableResult
    func execute(_ query: PostgresQuery, conflict: ConflictError) throws -> PostgresQueryResult {
        do {
            return try run(query)
        } catch let error as PostgresFailure where error.state == PostgresError.Code.uniqueViolation.raw {
            throw conflict
        }
    }
}

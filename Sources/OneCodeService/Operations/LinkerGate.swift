import Foundation
import OneCodeDomain
import OneCodeStorage
import Synchronization

/// At most one linker refresh at a time in this process: the periodic one and those asked for over the
/// API take turns. A refresh asked for while one runs is refused at once (409, naming the running one)
/// instead of queueing behind it: each would hold the database's write lock on SQLite, and a token
/// that may ask for refreshes could otherwise stack them up behind the scans. (Across processes and
/// nodes the backends keep refreshes in turn too: SQLite's write lock, PostgreSQL's advisory lock.)
public final class LinkerGate: Sendable {
    private let running = Mutex<(full: Bool, since: Date)?>(nil)

    public init() {}

    /// Runs `body` unless a refresh runs already.
    /// - Throws: `ConflictError("refresh", …)` while another refresh runs; what `body` throws.
    public func run(full: Bool, _ body: () async throws -> LinkerRefresh) async throws -> LinkerRefresh {
        try enter(full: full)
        defer { leave() }
        return try await body()
    }

    /// Takes the gate (a refresh begins). - Throws: `ConflictError("refresh", …)` while another runs.
    public func enter(full: Bool, now: Date = Date()) throws {
        try running.withLock { state in
            if let state {
                let seconds = Int(now.timeIntervalSince(state.since).rounded())
                throw ConflictError("refresh", "a\(state.full ? " full" : "n incremental") refresh has been running for \(seconds) s; "
                                    + "ask again when it has ended (it brings everything up to date)")
            }
            state = (full, now)
        }
    }

    public func leave() { running.withLock { $0 = nil } }
}

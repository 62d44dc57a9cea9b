import Foundation
import Synchronization

/// Set by SIGINT or SIGTERM while a long command runs, so it can stop cleanly between chunks.
let interrupted = Atomic<Bool>(false)

enum Interrupts {
    /// Routes SIGINT and SIGTERM to `interrupted` instead of killing the process.
    static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in interrupted.store(true, ordering: .relaxed) }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    static var isSet: Bool { interrupted.load(ordering: .relaxed) }
}

/// A progress bar on standard error, drawn only when it is a terminal.
final class ProgressBar: Sendable {
    let total: Int
    let enabled: Bool
    private let started = Date()

    init(total: Int) {
        self.total = total
        enabled = isatty(STDERR_FILENO) == 1
    }

    func update(_ done: Int) {
        guard enabled, total > 0 else { return }
        let fraction = Double(done) / Double(total)
        let filled = Int(fraction * 30)
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let line = "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: 30 - filled) + "] "
            + String(format: "%3.0f%% %d/%d codes, %.0f/s", fraction * 100, done, total, rate)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

import Foundation
import Logging
@testable import OneCodeService
import OneCodeStorage
import Synchronization
import Testing

@Suite("The linker's timer: a failed refresh is tried again soon, not dropped until the next interval")
struct LinkerServiceTests {
    struct Locked: Error, CustomStringConvertible { var description: String { "SQLite error 5: database is locked" } }

    @Test("two refreshes fail with 'database is locked'; the third runs after short retries, long before the next interval")
    func retries() async throws {
        let calls = Mutex(0)
        let done = OneShotSignal()
        // The interval is a day: after the first refresh, the next ones can only come from the retries.
        let service = LinkerService(interval: .seconds(86_400), logger: Logger(label: "test"), retryBase: .milliseconds(20), firstWait: .zero) {
            let call = calls.withLock { $0 += 1; return $0 }
            if call < 3 { throw Locked() }
            done.raise()
            return LinkerRefresh(full: false)
        }
        let task = Task { try await service.run() }
        // A deadline, not an open-ended wait: a timer that never tried again fails here instead of hanging. It is
        // far below the day the timer would otherwise wait, and far above what the retries take (60 ms) even
        // when the whole suite keeps this machine's two cores busy.
        let retried = try await eventually(within: 300) { done.isRaised }
        task.cancel()
        #expect(retried, "the third refresh never came")
        #expect(calls.withLock { $0 } == 3)
    }
}

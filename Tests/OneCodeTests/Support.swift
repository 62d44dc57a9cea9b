import Foundation
import Synchronization
import Testing
import OneCodeDomain
import OneCodeStorage

/// A fresh folder under the system's temporary directory, removed by `cleanup()`.
/// A package's `codes.csv`, read the one way every test reads it: the rows after the header, by column
/// (`sequence,code,url,gtin,lot[,pin]`).
/// A package's `codes.csv`, read by every test that needs a batch's codes (from the file, or its text from a zip).
struct CodesCSV {
    let header: [String]
    let rows: [[String]]
    init(_ path: String) throws {
        self.init(text: try String(contentsOfFile: path, encoding: .utf8))
    }
    init(text: String) {
        let lines = text.split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        header = lines.first ?? []
        rows = Array(lines.dropFirst())
    }
    var codes: [String] { rows.map { $0[1] } }
    var urls: [String] { rows.map { $0[2] } }
}

struct TemporaryFolder {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "onecode-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// The result of running a program.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var reason: Process.TerminationReason
}

/// Runs external programs: the built `onecode`, zbarimg, rsvg-convert.
enum Run {
    /// The `onecode` binary built beside the test bundle.
    static var onecode: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("onecode").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug/onecode").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// Runs a program to completion without holding a thread while it runs (`run`). A program still running
    /// after `timeout` seconds is killed (SIGKILL): a test fails, the suite never hangs (a `serve` that should
    /// have refused to start, say). There is no blocking variant: a short command (psql, sqlite3) blocking one
    /// of Swift's two cooperative threads, run by many suites at once, held both for seconds, and the
    /// in-process servers of other suites missed their clients' deadlines (`.readTimeout`).
    @discardableResult
    static func program(_ path: String, _ arguments: [String], cwd: String? = nil, environment: [String: String] = [:],
                        timeout: Double = 300) async throws -> ProcessResult {
        try await run(path, arguments, cwd: cwd, environment: environment, timeout: timeout)
    }

    static func onecode(_ arguments: [String], cwd: String, environment: [String: String] = [:], timeout: Double = 300) async throws -> ProcessResult {
        try await program(onecode, arguments, cwd: cwd, environment: environment, timeout: timeout)
    }

    /// A started program whose output is collected in files (no pipe can fill up and block it).
    final class Started: @unchecked Sendable {
        let process: Process
        let out: String, err: String
        /// Raised by the process's termination handler.
        let exited = OneShotSignal()
        init(process: Process, out: String, err: String) {
            self.process = process
            self.out = out
            self.err = err
        }

        /// Waits for the process to end without holding a thread: Swift's cooperative pool has as many
        /// threads as the machine has cores (two here), and a test blocking one starves every other
        /// test's async work (a receiver, a server, a database call) meanwhile.
        func wait(timeout: Double = 300) async -> ProcessResult {
            let killer = killer(after: timeout)
            defer { killer.cancel() }
            await exited.wait()
            return waitBlocking()
        }

        /// Kills the process with SIGKILL if it still runs after `seconds` (cancel it once the process ended).
        func killer(after seconds: Double) -> DispatchWorkItem {
            // Weak: a cancelled item stays queued until its deadline and would keep the process object alive.
            let item = DispatchWorkItem { [weak process] in
                if let process, process.isRunning {
                    FileHandle.standardError.write(Data("test support: killing \(process.executableURL?.lastPathComponent ?? "?") \(process.arguments ?? []), still running after \(Int(seconds)) s\n".utf8))
                    kill(process.processIdentifier, SIGKILL)
                }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: item)
            return item
        }

        /// For a started `onecode serve`: the address it says it listens on ("onecode: listening on http://127.0.0.1:PORT",
        /// in a plain or a JSON log line), read from its standard error once it is written; `nil` when the process
        /// ended (or a minute passed) without saying it. Every test that starts a server reads its address here.
        func listening() async throws -> String? {
            var base: String?
            _ = try await eventually {
                let log = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
                if let range = log.range(of: "listening on http://") {
                    let address = log[range.upperBound...].prefix { $0.isNumber || $0.isLetter || $0 == "." || $0 == ":" || $0 == "[" || $0 == "]" }
                    if address.contains(":"), address.last?.isNumber == true { base = "http://" + address }
                }
                return base != nil || !process.isRunning
            }
            return base
        }

        /// Waits for the process to end, blocking the calling thread.
        func waitBlocking() -> ProcessResult {
            process.waitUntilExit()
            let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
            return ProcessResult(status: process.terminationStatus, stdout: stdout, stderr: stderr, reason: process.terminationReason)
        }
    }

    static func start(_ path: String, _ arguments: [String], cwd: String? = nil, environment: [String: String] = [:]) throws -> Started {
        let process = Process()
        // A bare name is looked up on PATH, as a shell would.
        process.executableURL = URL(fileURLWithPath: path.hasPrefix("/") ? path : "/usr/bin/env")
        process.arguments = path.hasPrefix("/") ? arguments : [path] + arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ONECODE_") }
        env["ONECODE_CONFIG"] = ""  // no config file: each test sets what it needs
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = NSTemporaryDirectory() + "onecode-out-" + UUID().uuidString
        let err = out + ".err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: out)), stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let started = Started(process: process, out: out, err: err)
        process.terminationHandler = { [exited = started.exited] _ in exited.raise() }
        // The child has its own copies; ours are closed at once. Left to the Process object, two descriptors for each
        // program stayed open as long as it lived (a killer's timer keeps it for minutes): 1,700 open in
        // a full run, and Foundation's Process.run() on this toolchain over-reads its listing of
        // /proc/self/fd once that listing fills glibc's 32 KiB buffer (about 1,300 descriptors) and
        // crashes now and then (swift-corelibs-foundation pull request 5472).
        defer {
            try? stdout.close()
            try? stderr.close()
        }
        try process.run()
        return started
    }

    /// Runs a program to completion without holding a thread while it runs: for tests that run many
    /// (artwork decoded file by file), so that the two cooperative threads stay free for other suites.
    @discardableResult
    static func run(_ path: String, _ arguments: [String], cwd: String? = nil, environment: [String: String] = [:],
                    timeout: Double = 300) async throws -> ProcessResult {
        try await start(path, arguments, cwd: cwd, environment: environment).wait(timeout: timeout)
    }

    /// Decodes every QR symbol in an image file with zbar's `zbarimg`; one string per symbol.
    static func zbar(_ image: String) async throws -> [String] {
        let result = try await run("/usr/bin/zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", image])
        return result.stdout.split(separator: "\n").map(String.init)
    }

    /// Rasterises an SVG to PNG with librsvg's `rsvg-convert`.
    static func rasterise(svg: String, png: String) async throws {
        // At 300 dpi: artwork states its size in millimetres (0.5 mm a module is 5.9 pixels there).
        let result = try await run("/usr/bin/rsvg-convert", ["--dpi-x", "300", "--dpi-y", "300", "-o", png, svg])
        #expect(result.status == 0, "rsvg-convert: \(result.stderr)")
    }
}

/// Polls `condition` every `every` until it holds or `seconds` pass, and says whether it held: a deadline,
/// not a count of rounds, and a generous one (a loaded CI machine can leave a test's task unrun for
/// seconds, so a count of short sleeps runs out long before a slow start is over).
/// (`condition` runs in the caller's isolation: an actor's state may be read in it.)
func eventually(within seconds: Double = 60, every pause: Duration = .milliseconds(25), isolation: isolated (any Actor)? = #isolation,
                _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if try await condition() { return true }
        if Date() >= deadline { return false }
        try await Task.sleep(for: pause)
    }
}

/// Whether the file at `path` (a started program's output) contains `text` yet.
func fileContains(_ path: String, _ text: String) -> Bool {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains(text)
}

/// A one-shot signal raised from any thread and awaited by async code without blocking a thread: a test
/// that blocked a cooperative thread waiting for work that itself needs one deadlocks once as many tests
/// do the same as the machine has cores (two here, both cases of one parameterised test).
final class OneShotSignal: Sendable {
    private let state = Mutex<(raised: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func raise() {
        let waiters = state.withLock { state in
            state.raised = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether it was raised (for a wait with a deadline: `eventually { signal.isRaised }`).
    var isRaised: Bool { state.withLock { $0.raised } }

    func wait() async {
        await withCheckedContinuation { continuation in
            let raised = state.withLock { state in
                if !state.raised { state.waiters.append(continuation) }
                return state.raised
            }
            if raised { continuation.resume() }
        }
    }
}

/// A binary greymap (PGM, P5) as pdftoppm writes it with `-gray`.
struct Greymap {
    let width: Int, height: Int
    let pixels: [UInt8]

    init(path: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        // "P5" width height maxval, separated by whitespace, then one byte a pixel.
        var fields: [Int] = [], index = 2, current = ""
        while fields.count < 3, index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte >= 48 && byte <= 57 { current.append(Character(UnicodeScalar(byte))) }
            else if !current.isEmpty { fields.append(Int(current)!); current = "" }
        }
        guard bytes.starts(with: Array("P5".utf8)), fields.count == 3 else { throw CocoaError(.fileReadCorruptFile) }
        (width, height) = (fields[0], fields[1])
        pixels = Array(bytes[index..<(index + width * height)])
    }

    func isDark(_ x: Int, _ y: Int) -> Bool { pixels[y * width + x] < 128 }
}

extension CampaignStore {
    /// "A store with a live campaign": a campaign made from `definition` (by default CampaignTests'
    /// live one-tier campaign over everything, won on every draw).
    func liveCampaign(_ definition: Data = CampaignTests.definition()) async throws -> Campaign {
        try await createCampaign(try CampaignDefinition.parse(definition), audit: .test)
    }
}

extension AuditEntry {
    /// What a test's own set-up writes to the audit log (the tests of the audit log use `Actions`).
    static let test = AuditEntry(.system("test"), "test.setup", subject: "test")
}

/// Runs seconds of computation on a thread of its own: not on one of Swift's two cooperative threads (the
/// in-process servers of the suites beside it need them) nor on NIO's shared blocking pool (their file reads
/// wait there).
func computed<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result(catching: body)) }.start()
    }
}

import Configuration
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OneCodeDomain
import OneCodeApplication
@testable import OneCodeService
@testable import OneCodeSQLite
import OneCodeRulebook
import OneCodeStorage
import Testing

/// A real HTTP receiver on 127.0.0.1 that records what it gets and fails the first `failFirst` requests
/// (and holds the first `slowFirst` for `slowSeconds` before answering: a receiver that times out).
actor WebhookReceiver {
    struct Received: Sendable {
        var headers: [String: String]
        var body: String
        var status: Int
        /// When it arrived.
        var at = Date()
    }

    /// The port it listens on: the one asked for, or (asked for 0) the one the system gave.
    private(set) var port: Int
    var failFirst: Int
    let slowFirst: Int, slowSeconds: Double
    /// Answers every request with a 307 to this URL (and records nothing).
    let redirect: String?
    private(set) var received: [Received] = []
    private var arrivals = 0
    private var task: Task<Void, any Error>?

    /// - Parameter port: 0 (the default) binds any free port, reported by `port` once started.
    init(port: Int = 0, failFirst: Int = 0, slowFirst: Int = 0, slowSeconds: Double = 0, redirect: String? = nil) {
        self.port = port
        self.redirect = redirect
        self.failFirst = failFirst
        self.slowFirst = slowFirst
        self.slowSeconds = slowSeconds
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    /// Which request this is (from 0), counted as it arrives.
    func arrive() -> Int {
        arrivals += 1
        return arrivals - 1
    }

    func record(_ headers: HTTPFields, _ body: String) -> Int {
        let status = received.count < failFirst ? 500 : 200
        var names: [String: String] = [:]
        for field in headers { names[field.name.canonicalName] = field.value }  // lower case
        received.append(Received(headers: names, body: body, status: status))
        return status
    }

    func bound(_ port: Int?) { if let port { self.port = port } }

    func start() async throws {
        let router = Router()
        let slowFirst = slowFirst, slowSeconds = slowSeconds, redirect = redirect
        router.post("hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            if let redirect { return Response(status: .temporaryRedirect, headers: [.location: redirect]) }
            if await self.arrive() < slowFirst {  // the sender gives up first; nothing is recorded
                try await Task.sleep(for: .seconds(slowSeconds))
                return Response(status: .ok)
            }
            return Response(status: .init(code: await self.record(request.headers, String(buffer: body))))
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { channel in await self.bound(channel.localAddress?.port) }, logger: logger)
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        let listening = try await eventually(every: .milliseconds(20)) {  // until it listens
            guard port != 0 else { return false }
            var request = URLRequest(url: URL(string: url)!)
            request.httpMethod = "GET"
            return ((try? await URLSession.shared.data(for: request))?.1 as? HTTPURLResponse) != nil
        }
        // Said here, not as a delivery that never arrives a minute later.
        guard listening else { throw NotListening(url: url) }
    }

    struct NotListening: Error, CustomStringConvertible {
        let url: String
        var description: String { "the webhook receiver never answered on \(url)" }
    }

    func stop() { task?.cancel() }

    /// Waits until `condition` holds for what was received, up to `seconds`.
    func wait(seconds: Double = 60, until condition: @Sendable ([Received]) -> Bool) async throws -> [Received] {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition(received) && Date() < deadline { try await Task.sleep(for: .milliseconds(25)) }
        return received
    }
}

@Suite("Outbox and webhooks", .serialized)
struct WebhookTests {
    static let secret = "webhook-test-secret-0123456789"

    static func webhookConfig(_ urls: [String], maxAttempts: Int = 20, timeout: Double = 10) throws -> WebhookConfig {
        let reader = ConfigReader(provider: InMemoryProvider(values: [
            "onecode.webhooks.timeoutSeconds": .init(.double(timeout), isSecret: false),
            "onecode.webhooks.urls": .init(.stringArray(urls), isSecret: false),
            "onecode.webhooks.secret": .init(.string(secret), isSecret: true),
            "onecode.webhooks.retryBaseSeconds": .init(.double(0.05), isSecret: false),
            "onecode.webhooks.retryMaxSeconds": .init(.double(0.2), isSecret: false),
            "onecode.webhooks.maxAttempts": .init(.int(maxAttempts), isSecret: false),
        ]))
        return try ServiceConfig(reader: reader, databasePath: "/tmp/x.sqlite").webhooks
    }

    /// Drives `deliverer` until `done` holds or 30 s pass: a deadline, not a count of rounds (a loaded
    /// machine is slow), and the test's expectations then say what arrived.
    static func drive(_ deliverer: WebhookDeliverer, until done: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(30)
        while try await !done(), Date() < deadline {
            try await deliverer.deliverDue()
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Where most webhook tests start: `config`'s endpoints registered, a live campaign, one winning scan
    /// (one `prize.won` in the outbox); answers a deliverer for `config`, which the test drives.
    static func oneWin(_ fixture: ServiceFixture, _ config: WebhookConfig) async throws -> WebhookDeliverer {
        try await fixture.store.registerEndpoints(config.urls)
        _ = try await fixture.store.liveCampaign()
        try await fixture.app().test(.router) { client in
            _ = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone())
        }
        return WebhookDeliverer(store: fixture.store, config: config, logger: Logger(label: "test"))
    }

    /// Checks a received request's signature the way a receiver would, with its own HMAC.
    static func verify(_ received: WebhookReceiver.Received) -> Bool {
        guard let header = received.headers["onecode-signature"] else { return false }
        let parts = Dictionary(uniqueKeysWithValues: header.split(separator: ",").compactMap { part -> (String, String)? in
            let pair = part.split(separator: "=", maxSplits: 1)
            return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
        })
        guard let t = parts["t"], let timestamp = Int(t), abs(Double(timestamp) - Date().timeIntervalSince1970) < 300,
              let v1 = parts["v1"] else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(t).\(received.body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined() == v1
    }

    static func body(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    @Test("each event is written in the transaction of its change: won, claimed, redeemed, suspicious; refused changes write none", arguments: Backend.complete)
    func outbox(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 3)
        defer { fixture.folder.cleanup() }
        let campaign = try await fixture.store.liveCampaign()
        let storeToken = TokenSecret.generate()
        let shop = try await fixture.store.addStore(name: "Corner shop", region: "CN-31", tokenHash: storeToken.hash, audit: .test)
        let app = try fixture.app(["scan.maxScans": .init(.int(1), isSecret: false)])
        let admin = try await fixture.token(.admin)
        try await app.test(.router) { client in
            let code = fixture.codes[0]
            let cookie = try #require(try await client.execute(uri: "/s/\(code)", method: .get, headers: phone()).cookie)
            var json = phone(cookie: cookie, json: true)
            json[.contentType] = "application/json"
            let claimBody = #"{"campaign": \#(campaign.id), "name": "Ann", "phone": "13812345678", "consent": true}"#
            let claim = try await client.execute(uri: "/s/\(code)", method: .post, headers: json, body: ByteBuffer(string: claimBody))
            let redemptionCode = try #require(try claim.json()["redemptionCode"] as? String)
            let refused = try await client.execute(uri: "/s/\(code)", method: .post, headers: json, body: ByteBuffer(string: claimBody))
            #expect(refused.status == .conflict && refused.text.contains("claimed already"))
            let headers: HTTPFields = [.authorization: "Bearer \(storeToken.text)", .contentType: "application/json"]
            for expected in [HTTPResponse.Status.created, .conflict] {
                let response = try await client.execute(uri: "/api/redemptions", method: .post, headers: headers,
                                                         body: ByteBuffer(string: #"{"redemptionCode": "\#(redemptionCode)"}"#))
                #expect(response.status == expected)
            }
            // maxScans 1: the second counted scan of a code (another phone's) is suspicious; a bot's scan and
            // the first phone's own rescan are not counted.
            _ = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone(cookie: cookie))
            _ = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone(agent: "Googlebot"))
            let own = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone(cookie: cookie, json: true))
            #expect(try own.json()["reason"] as? String == "rescanned-by-you")
            let suspicious = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone(json: true))
            #expect(try suspicious.json()["verdict"] as? String == "suspicious")

            let page = try await client.execute(uri: "/api/events?limit=10", method: .get, headers: [.authorization: "Bearer \(admin)"])
            #expect(page.status == .ok)
            let events = try #require(try page.json()["items"] as? [[String: Any]])
            let types = events.compactMap { ($0["event"] as? [String: Any])?["type"] as? String }
            #expect(types == ["prize.won", "prize.claimed", "prize.redeemed", "prize.won", "scan.suspicious"], "\(types)")
            let data = events.compactMap { ($0["event"] as? [String: Any])?["data"] as? [String: Any] }
            #expect(data[0]["code"] as? String == code && (data[0]["prize"] as? [String: Any])?["name"] as? String == "Free bottle")
            // One shape for the prize in every event that names it.
            for index in 0..<3 {
                let prize = data[index]["prize"] as? [String: Any]
                #expect(prize?["name"] as? String == "Free bottle" && prize?["tier"] as? Int == 0 && prize?["kind"] as? String == "goods"
                        && prize?["value"] is Int, "\(types[index]): \(data[index])")
            }
            #expect(data[1]["phone"] as? String == "+8613812345678" && data[1]["redemptionCode"] as? String == redemptionCode)
            #expect(data[2]["storeId"] as? Int == Int(shop.id.rawValue))
            #expect(data[4]["code"] as? String == fixture.codes[1] && data[4]["reason"] as? String == "too-many-scans")
            let ids = events.compactMap { ($0["event"] as? [String: Any])?["id"] as? String }
            #expect(Set(ids).count == 5 && ids.allSatisfy { $0.hasPrefix("evt_") })
            let bad = try await client.execute(uri: "/api/events?after=-1", method: .get, headers: [.authorization: "Bearer \(admin)"])
            #expect(bad.status == .badRequest && bad.text.contains("after"))
        }
    }

    @Test("deliveries are signed, retried after failures with the same idempotency key, and recorded once acknowledged", arguments: Backend.complete)
    func retries(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let receiver = WebhookReceiver(failFirst: 2)
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let config = try Self.webhookConfig([await receiver.url])
        let deliverer = try await Self.oneWin(fixture, config)
        try await Self.drive(deliverer) { try await fixture.store.webhookStatus().first?.delivered == 1 }
        let received = await receiver.received
        #expect(received.map(\.status) == [500, 500, 200])
        let event = try #require(try await fixture.store.events(after: 0, limit: 10).first)
        for request in received {
            #expect(Self.verify(request), "signature of \(request.headers)")
            #expect(request.headers["idempotency-key"] == event.id && request.headers["onecode-event-id"] == event.id)
            #expect(request.headers["onecode-event"] == "prize.won" && request.body == event.body)
        }
        var tampered = received[0]
        tampered.body = tampered.body.replacingOccurrences(of: "Free bottle", with: "Free car")
        #expect(!Self.verify(tampered))
        let status = try #require(try await fixture.store.webhookStatus().first)
        #expect(status.pending == 0 && status.delivered == 1 && status.failed == 0)
        // Nothing more goes out once delivered.
        #expect(try await deliverer.deliverDue() == 0)
    }

    @Test("backoff doubles up to its cap; after maxAttempts a delivery is kept as failed until requeued", arguments: Backend.complete)
    func givingUp(_ backend: Backend) async throws {
        #expect(WebhookDeliverer.backoff(attempt: 1, base: 5, max: 3600) == 5)
        #expect(WebhookDeliverer.backoff(attempt: 4, base: 5, max: 3600) == 40)
        #expect(WebhookDeliverer.backoff(attempt: 30, base: 5, max: 3600) == 3600)
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let receiver = WebhookReceiver(failFirst: 1000)
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let config = try Self.webhookConfig([await receiver.url], maxAttempts: 3)
        let deliverer = try await Self.oneWin(fixture, config)
        // Until it is given up, then a while more.
        try await Self.drive(deliverer) { try await fixture.store.webhookStatus().first?.failed == 1 }
        for _ in 0..<5 { try await deliverer.deliverDue() }  // nothing more goes out once given up
        #expect(await receiver.received.count == 3)
        var status = try #require(try await fixture.store.webhookStatus().first)
        #expect(status.failed == 1 && status.pending == 0 && status.lastError == "HTTP 500")
        #expect(try await fixture.store.retryFailedDeliveries(endpoint: nil, audit: .test) == 1)
        status = try #require(try await fixture.store.webhookStatus().first)
        #expect(status.failed == 0 && status.pending == 1)
    }

    @Test("retries are spaced as the backoff says: base·2^(n-1), capped, with at most a quarter taken off by jitter", arguments: Backend.complete)
    func retrySpacing(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let receiver = WebhookReceiver(failFirst: 1000)
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let config = try Self.webhookConfig([await receiver.url], maxAttempts: 5)  // base 0.05 s, cap 0.2 s
        let deliverer = try await Self.oneWin(fixture, config)
        let deadline = Date().addingTimeInterval(60)
        while await receiver.received.count < 5 && Date() < deadline {
            try await deliverer.deliverDue()
            try await Task.sleep(for: .milliseconds(5))
        }
        let arrivals = await receiver.received.map(\.at)
        #expect(arrivals.count == 5)
        for (index, gap) in zip(arrivals.dropFirst(), arrivals).map({ $0.timeIntervalSince($1) }).enumerated() {
            let backoff = WebhookDeliverer.backoff(attempt: index + 1, base: config.retryBase, max: config.retryMax)
            #expect(gap >= 0.75 * backoff - 0.005, "retry \(index + 1) came \(gap) s after the attempt before; the backoff is \(backoff) s")
            // No upper bound on arrival: a loaded machine delays any wake-up (CI saw 1.5 s for a 0.2 s
            // backoff), so lateness is no fact about the schedule. The cap is the backoff test's.
        }
    }

    /// The attack: a receiver answering 307 got the signature headers sent on to the redirect's target,
    /// and the delivery counted as done though the real receiver got nothing.
    @Test("a redirect is a failed delivery: the client does not follow it, and the redirect's target receives nothing", arguments: Backend.complete)
    func redirectsAreFailures(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let target = WebhookReceiver()
        try await target.start()
        let redirecting = WebhookReceiver(redirect: await target.url)
        try await redirecting.start()
        defer { Task { await target.stop(); await redirecting.stop() } }
        let config = try Self.webhookConfig([await redirecting.url], maxAttempts: 2)
        let deliverer = try await Self.oneWin(fixture, config)
        try await deliverer.deliverDue()
        let status = try #require(try await fixture.store.webhookStatus().first)
        #expect(status.delivered == 0 && status.lastError?.contains("HTTP 307") == true, "\(status)")
        #expect(await target.received.isEmpty)
        #expect(await target.arrive() == 0)  // not even an unrecorded request reached it
    }

    /// The attack, from a slow receiver: timeouts that race the receiver's answer cancelled a Swift task awaiting
    /// FoundationNetworking's `data(for:)`, which deadlocked the runtime's task lock against URLSession's queue,
    /// and the node stopped answering anything. 300 posts whose answers come about when their timers fire, five
    /// times. The race is narrow: against an in-process receiver the old transport hung in one run of three, against
    /// this one in none of three; a hang stops the suite and the watchdog names it.
    @Test("timeouts racing answers never hang the sender: 5 × 300 posts, each a status or a timeout within its deadline", arguments: 1...5)
    func timeoutsRacingAnswers(round: Int) async throws {
        // A receiver in its own process (Python's threading HTTP server), answering each POST after 50 ms: the
        // sender's cancelled connections never touch this test process's own servers.
        let receiver = try Run.start("python3", ["-u", "-c", """
            import http.server, socketserver, time
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.rfile.read(int(self.headers.get("Content-Length", 0)))
                    time.sleep(0.05)
                    try:
                        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
                    except OSError:
                        pass
                def log_message(self, *args):
                    pass
            class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
                daemon_threads = True
                request_queue_size = 512
            s = S(("127.0.0.1", 0), H)
            print("listening", s.server_address[1], flush=True)
            s.serve_forever()
            """])
        defer { kill(receiver.process.processIdentifier, SIGKILL); _ = receiver.waitBlocking() }
        let port = try #require(try await DurabilityTests.reportedPort(receiver, in: receiver.out, after: "listening"))
        let transport = URLSessionTransport(), url = "http://127.0.0.1:\(port)/hook"
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<300 {
                group.addTask {
                    do { return "HTTP \(try await transport.post(url, headers: [:], body: Data("{}".utf8), timeout: 0.04 + Double(index % 3) * 0.01)) " }
                    catch let error as URLError where error.code == .timedOut { return "timeout" }
                    catch { return "error" }
                }
            }
            // Each post ends by its timer (0.04-0.06 s); all of them, even one at a time, well within 60 s.
            group.addTask { try await Task.sleep(for: .seconds(60)); return "hung" }
            var seen: [String] = []
            while seen.count < 300, let outcome = try await group.next() {
                seen.append(outcome)
                if outcome == "hung" { break }
            }
            group.cancelAll()
            return seen
        }
        #expect(!outcomes.contains("hung") && outcomes.count == 300, "\(outcomes.count) ended")
        #expect(outcomes.allSatisfy { $0 == "timeout" || $0.hasPrefix("HTTP") || $0 == "error" })
    }

    @Test("a receiver that does not answer within webhooks.timeoutSeconds is a failed attempt, retried with the same idempotency key", arguments: Backend.complete)
    func timeout(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let receiver = WebhookReceiver(slowFirst: 1, slowSeconds: 5)
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let config = try Self.webhookConfig([await receiver.url], timeout: 0.5)
        let deliverer = try await Self.oneWin(fixture, config)
        // The first attempt waits for the timeout, not for the receiver's five seconds.
        try await deliverer.deliverDue()
        var status = try #require(try await fixture.store.webhookStatus().first)
        #expect(status.pending == 1 && status.delivered == 0 && status.lastError?.contains("no answer within 0.5 s") == true, "\(status)")
        try await Self.drive(deliverer) { try await fixture.store.webhookStatus().first?.delivered == 1 }
        status = try #require(try await fixture.store.webhookStatus().first)
        #expect(status.delivered == 1 && status.pending == 0)
        let event = try #require(try await fixture.store.events(after: 0, limit: 10).first)
        let received = await receiver.received
        #expect(received.count == 1 && received.first?.headers["idempotency-key"] == event.id)
        #expect(await receiver.arrive() == 2)  // the slow first request and the one recorded
    }

    @Test("an endpoint configured for the first time receives events from then on, not the history; `webhooks retry --endpoint` requeues that endpoint's alone", arguments: Backend.complete)
    func newEndpointAndRetryByEndpoint(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 3)
        defer { fixture.folder.cleanup() }
        let failing = WebhookReceiver(failFirst: 1000), good = WebhookReceiver()
        try await failing.start()
        try await good.start()
        defer { Task { await failing.stop(); await good.stop() } }
        _ = try await fixture.store.liveCampaign()
        // One endpoint, which refuses everything; one attempt each, then given up.
        let first = try Self.webhookConfig([await failing.url], maxAttempts: 1)
        try await fixture.store.registerEndpoints(first.urls)
        try await fixture.app().test(.router) { client in _ = try await client.execute(uri: "/s/\(fixture.codes[0])", method: .get, headers: phone()) }
        try await WebhookDeliverer(store: fixture.store, config: first, logger: Logger(label: "test")).deliverDue()
        // A second endpoint joins; then another event.
        let both = try Self.webhookConfig([await failing.url, await good.url], maxAttempts: 1)
        try await fixture.store.registerEndpoints(both.urls)
        try await fixture.app().test(.router) { client in _ = try await client.execute(uri: "/s/\(fixture.codes[1])", method: .get, headers: phone()) }
        let deliverer = WebhookDeliverer(store: fixture.store, config: both, logger: Logger(label: "test"))
        try await Self.drive(deliverer) {
            let (delivered, tried) = (await good.received.count, await failing.received.count)
            return delivered >= 1 && tried >= 2
        }
        let events = try await fixture.store.events(after: 0, limit: 10)
        try #require(events.count == 2, "\(events.map(\.type))")
        // The new endpoint got the second event only; the first endpoint tried both.
        #expect(await good.received.map { $0.headers["onecode-event-id"] } == [events[1].id])
        #expect(await failing.received.map { $0.headers["onecode-event-id"] } == events.map(\.id))
        // Requeue by endpoint on the command line: the good one has nothing given up, the failing one two.
        let environment = ["ONECODE_CONFIG": "", "ONECODE_CODES_SECRET": ServiceFixture.secret]
        let database = await ["--database", try backend.database(fixture.folder)]
        let none = try await Run.run(Run.onecode, ["webhooks", "retry", "--endpoint", await good.url] + database, cwd: fixture.folder.path, environment: environment)
        #expect(none.status == 0 && none.stdout == "requeued 0 failed deliveries\n", "\(none.stdout) \(none.stderr)")
        let two = try await Run.run(Run.onecode, ["webhooks", "retry", "--endpoint", await failing.url] + database, cwd: fixture.folder.path, environment: environment)
        #expect(two.status == 0 && two.stdout == "requeued 2 failed deliveries\n", "\(two.stdout) \(two.stderr)")
        let status = try await fixture.store.webhookStatus()
        #expect(status.first { $0.url == first.urls[0] }.map { [$0.pending, $0.failed] } == [2, 0], "\(status)")
        #expect(status.first { $0.url == both.urls[1] }.map { [$0.pending, $0.delivered, $0.failed] } == [0, 1, 0], "\(status)")
    }

    @Test("configuration: URLs must be http(s), a secret is required with them")
    func configuration() throws {
        func config(_ values: [String: ConfigValue]) throws -> WebhookConfig {
            var all: [AbsoluteConfigKey: ConfigValue] = [:]
            for (key, value) in values { all[AbsoluteConfigKey(["onecode", "webhooks", key])] = value }
            return try ServiceConfig(reader: ConfigReader(provider: InMemoryProvider(values: all)), databasePath: "/tmp/x.sqlite").webhooks
        }
        #expect(try config([:]).urls.isEmpty)
        for (values, field) in [
            (["urls": ConfigValue(.stringArray(["ftp://x"]), isSecret: false), "secret": .init(.string(Self.secret), isSecret: true)], "webhooks.urls"),
            (["urls": .init(.stringArray(["http://127.0.0.1/x"]), isSecret: false)], "webhooks.secret"),
            (["urls": .init(.stringArray(["http://127.0.0.1/x"]), isSecret: false), "secret": .init(.string("short"), isSecret: true)], "webhooks.secret"),
            (["maxAttempts": .init(.int(0), isSecret: false)], "webhooks.maxAttempts"),
        ] {
            #expect { try config(values) } throws: { ($0 as? InputError)?.field == field }
        }
    }

    @Test("undelivered events survive a restart of `onecode serve` and are delivered once the receiver is up")
    func survivesRestart() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let codes = try await DurabilityTests.prepare(folder, count: 2)
        // The receiver's port, held while it is "down" (connections refused, no other test can bind it).
        let reserved = try DurabilityTests.ReservedPort()
        defer { reserved.release() }
        let port = reserved.port
        let environment = [
            "ONECODE_WEBHOOKS_URLS": "http://127.0.0.1:\(port)/hook", "ONECODE_WEBHOOKS_SECRET": Self.secret,
            "ONECODE_WEBHOOKS_RETRY_BASE_SECONDS": "0.1", "ONECODE_WEBHOOKS_RETRY_MAX_SECONDS": "0.3",
            "ONECODE_SCAN_MAX_SCANS": "1",
        ]
        var (server, base) = try await DurabilityTests.startServer(folder, extra: environment)
        var scan = URLRequest(url: URL(string: "\(base)/s/\(codes[0])")!)
        scan.setValue(ServiceFixture.phone, forHTTPHeaderField: "User-Agent")
        // Two phones (no cookies kept): the second counted scan makes the code suspicious (maxScans 1).
        for _ in 0..<2 { _ = try await DurabilityTests.session.data(for: scan) }
        // The receiver is down: the delivery fails and waits.
        var status = ""
        _ = try await eventually(every: .milliseconds(50)) {
            status = try await Run.run(Run.onecode, ["webhooks", "status", "--json"], cwd: folder.path, environment: DurabilityTests.environment).stdout
            return status.contains("\"lastError\"")
        }
        #expect(status.contains("\"lastError\"") && status.contains("\"pending\" : 1") && status.contains("\"delivered\" : 0"), "\(status)")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.wait().status == 0)
        let events = try await Run.run(Run.onecode, ["webhooks", "events"], cwd: folder.path, environment: DurabilityTests.environment).stdout
        let event = Self.body(try #require(events.split(separator: "\n").first.map(String.init)))
        let id = try #require((event["event"] as? [String: Any])?["id"] as? String)

        reserved.release()
        let receiver = WebhookReceiver(port: port)
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        (server, base) = try await DurabilityTests.startServer(folder, extra: environment)
        let received = try await receiver.wait { !$0.isEmpty }
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.wait().status == 0)
        #expect(received.count == 1 && received.first?.headers["idempotency-key"] == id, "\(received.map(\.headers))")
        #expect(received.first.map(Self.verify) == true)
        #expect(Self.body(received.first?.body ?? "")["type"] as? String == "scan.suspicious")
        let final = try await Run.run(Run.onecode, ["webhooks", "status", "--json"], cwd: folder.path, environment: DurabilityTests.environment).stdout
        #expect(final.contains("\"delivered\" : 1") && final.contains("\"pending\" : 0"), "\(final)")
    }
}

@Suite("Event bodies")
struct EventJSONTests {
    @Test("event bodies are valid JSON whatever the strings hold: quotes, backslashes, control characters, Chinese")
    func escaping() throws {
        var object = EventJSON()
        let tricky = "a \"quoted\" \\ back\nslash\t\u{01}\u{1f} 王小明 😀"
        object.add("s", tricky)
        object.add("n", Int64(-42))
        object.add("none", nil as String?)
        object.add("at", Date(timeIntervalSince1970: 1_795_494_671.9))
        var inner = EventJSON()
        inner.add("k", "v")
        object.add("o", inner)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(object.text.utf8)) as? [String: Any])
        #expect(parsed["s"] as? String == tricky)
        #expect(parsed["n"] as? Int == -42 && parsed["none"] is NSNull)
        #expect(parsed["at"] as? String == "2026-11-24T04:31:11Z")
        #expect((parsed["o"] as? [String: Any])?["k"] as? String == "v")
    }

    @Test("consumer ids sort by first visit and stay unguessable")
    func consumerIDs() {
        let early = ConsumerID.random(now: 1_700_000_000), late = ConsumerID.random(now: 1_700_000_000.002)
        #expect(early.value < late.value && early.value.count == 26 && ConsumerID(late.value) == late)
        #expect(Set((0..<1000).map { _ in ConsumerID.random(now: 1_700_000_000).value }).count == 1000)
    }
}

import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Metrics
import OneCodeDomain
import OneCodeStorage
import ServiceLifecycle

/// Sends one webhook request; returns the HTTP status. The production transport is `URLSessionTransport`.
public protocol WebhookTransport: Sendable {
    func post(_ url: String, headers: [String: String], body: Data, timeout: Double) async throws -> Int
}

public struct URLSessionTransport: WebhookTransport {
    let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpMaximumConnectionsPerHost = 8
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    /// A redirect is the receiver's answer, not a new address: following it would send the event and its
    /// signature to wherever a receiver points, and count the delivery as done though the receiver
    /// configured got nothing. The 3xx is returned as it is (a failed attempt).
    final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }

    public func post(_ url: String, headers: [String: String], body: Data, timeout: Double) async throws -> Int {
        guard let target = URL(string: url) else { throw URLError(.badURL) }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = "POST"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let session = session, finished = request
        // The request's own timeout is not a deadline (on Linux it did not end a request whose receiver
        // accepted it and then said nothing), and a delivery must end within its lease: a timer ends it.
        // Not by cancelling a Swift task awaiting `session.data(for:)`: FoundationNetworking cancels the data
        // task under the Swift task's lock while its own queue waits for that lock to resume the task, and the
        // two deadlocked (a node stopped answering after a slow receiver's timeout). The callback API, one
        // resumption, and the timer cancelling the data task itself from a Dispatch queue do not.
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let once = ResumeOnce(continuation)
            let task = session.dataTask(with: finished) { _, response, error in
                if let error {
                    once.resume(throwing: error)
                } else {
                    once.resume(returning: (response as? HTTPURLResponse)?.statusCode ?? 0)
                }
            }
            task.resume()
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if once.resume(throwing: URLError(.timedOut, userInfo: [NSLocalizedDescriptionKey: "no answer within \(timeout) s"])) {
                    task.cancel()
                }
            }
        }
    }

    /// Resumes a continuation once, whichever of the answer and the timer comes first.
    final class ResumeOnce: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Int, any Error>?
        init(_ continuation: CheckedContinuation<Int, any Error>) { self.continuation = continuation }

        @discardableResult
        func resume(returning value: Int) -> Bool { take()?.resume(returning: value) != nil }

        @discardableResult
        func resume(throwing error: any Error) -> Bool { take()?.resume(throwing: error) != nil }

        private func take() -> CheckedContinuation<Int, any Error>? {
            lock.lock()
            defer { lock.unlock() }
            defer { continuation = nil }
            return continuation
        }
    }
}

/// Delivers outbox events to the configured endpoints, at least once each.
///
/// Every request carries:
/// - `OneCode-Event-Id` and `Idempotency-Key`: the event's id (`evt_…`), the same on every retry;
/// - `OneCode-Event`: its type;
/// - `OneCode-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by webhooks.secret>`.
///
/// A 2xx answer delivers; anything else (another status, a redirect, which is never followed, a refused
/// connection, a timeout) is retried
/// after `retryBase × 2^(attempt-1)` seconds (at most `retryMax`, less up to a quarter of jitter), and
/// given up after `maxAttempts` (kept as failed; `onecode webhooks retry` queues them again). Pending
/// deliveries are rows in the database, so a restart resumes them.
public final class WebhookDeliverer: Service, Sendable {
    let store: any OutboxStore
    let config: WebhookConfig
    let transport: any WebhookTransport
    let logger: Logger
    let delivered = Counter(label: "onecode_webhook_deliveries_total", dimensions: [("result", "delivered")])
    let failed = Counter(label: "onecode_webhook_deliveries_total", dimensions: [("result", "failed")])

    public init(store: any OutboxStore, config: WebhookConfig, transport: any WebhookTransport = URLSessionTransport(), logger: Logger) {
        self.store = store
        self.config = config
        self.transport = transport
        self.logger = logger
    }

    /// The signature header's value for `body` sent at `timestamp`.
    public static func signature(secret: [UInt8], timestamp: Int, body: Data) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))
        return "t=\(timestamp),v1=" + mac.hex
    }

    /// Seconds to wait after failed attempt number `attempt` (1-based), before jitter.
    public static func backoff(attempt: Int, base: Double, max: Double) -> Double {
        Swift.min(base * pow(2, Double(Swift.max(attempt - 1, 0))), max)
    }

    public func run() async throws {
        guard !config.urls.isEmpty else { return }
        logger.info("webhooks: delivering to \(config.urls.map(WebhookURL.redacted).joined(separator: ", "))")
        do {
            try await store.registerEndpoints(config.urls)
        } catch {
            logger.error("webhooks: cannot register the endpoints: \(error)")
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var sent = 0
            do {
                sent = try await deliverDue()
            } catch {
                logger.error("webhooks: cannot read the outbox: \(error)")
            }
            if sent == 0 {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(self.config.poll)) }
            }
        }
    }

    /// Sends every delivery due now (at most 64, concurrently); returns how many were attempted.
    @discardableResult
    public func deliverDue() async throws -> Int {
        // A taken delivery is held for longer than an attempt can last (the request's timeout, and margin).
        let due = try await store.dueDeliveries(endpoints: config.urls, now: Date(), limit: 64, lease: config.timeout + 2)
        await withTaskGroup(of: Void.self) { group in
            for delivery in due { group.addTask { await self.deliver(delivery) } }
        }
        return due.count
    }

    func deliver(_ delivery: WebhookDelivery) async {
        let body = Data(delivery.event.body.utf8)
        let timestamp = Int(Date().timeIntervalSince1970)
        let headers = [
            "Content-Type": "application/json",
            "User-Agent": "OneCode-Webhooks/1",
            "OneCode-Event": delivery.event.type,
            "OneCode-Event-Id": delivery.event.id,
            "Idempotency-Key": delivery.event.id,
            "OneCode-Signature": Self.signature(secret: config.secret, timestamp: timestamp, body: body),
        ]
        var problem: String
        do {
            let status = try await transport.post(delivery.endpoint, headers: headers, body: body, timeout: config.timeout)
            if (200..<300).contains(status) {
                do {
                    try await store.markDelivered(delivery.id, at: Date())
                    delivered.increment()
                } catch {
                    // Still pending: it will be sent again, and the idempotency key lets the receiver skip it.
                    logger.error("webhooks: delivered \(delivery.event.id) but cannot record it: \(error)")
                }
                return
            }
            problem = "HTTP \(status)"
        } catch {
            problem = (error as? URLError).map { "\($0.code) (\($0.localizedDescription))" } ?? String(describing: error)
        }
        failed.increment()
        let attempt = delivery.attempts + 1
        var retryAt: Date?
        if attempt < config.maxAttempts {
            let wait = Self.backoff(attempt: attempt, base: config.retryBase, max: config.retryMax) * Double.random(in: 0.75...1)
            retryAt = Date().addingTimeInterval(wait)
        }
        // An error may quote the URL, and the URL may hold a secret.
        problem = problem.replacingOccurrences(of: delivery.endpoint, with: WebhookURL.redacted(delivery.endpoint))
        logger.warning("webhooks: \(delivery.event.id) to \(WebhookURL.redacted(delivery.endpoint)) failed (attempt \(attempt)): \(problem)\(retryAt == nil ? "; giving up" : "")")
        do {
            try await store.markFailed(delivery.id, error: problem, retryAt: retryAt)
        } catch {
            logger.error("webhooks: cannot record a failed attempt for \(delivery.event.id): \(error)")
        }
    }
}

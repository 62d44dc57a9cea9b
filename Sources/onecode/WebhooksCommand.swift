import ArgumentParser
import Foundation
import OneCodeApplication
import OneCodeDomain
import OneCodeStorage

struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "See and steer webhook deliveries of outbox events.",
        discussion: """
            Events (scan.suspicious, prize.won, prize.claimed, prize.redeemed) are written to the outbox with the change \
            they report; `onecode serve` delivers them to webhooks.urls (ONECODE_WEBHOOKS_URLS, comma-separated), signed \
            with webhooks.secret. See README, "Webhooks".
            """,
        subcommands: [Status.self, Retry.self, Events.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pending, delivered and failed deliveries by endpoint.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let status = try await store.webhookStatus().map(\.redacted)
                try global.emit(status) {
                    status.isEmpty ? "no endpoint has received events yet; set webhooks.urls and run `onecode serve`" :
                    Table(["endpoint", "pending", "delivered", "failed", "last error"],
                          status.map { [$0.url, String($0.pending), String($0.delivered), String($0.failed), $0.lastError ?? ""] }).text
                }
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue deliveries that were given up (after webhooks.maxAttempts) again; the running service sends them.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this endpoint's deliveries (default: all).") var endpoint: String?
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let count = try await Actions(store: store, actor: .commandLine).retryWebhooks(endpoint: endpoint)
                try global.emit(["requeued": count]) { "requeued \(count) failed deliveries" }
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print outbox events as JSON lines, oldest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only events after this sequence number.") var after: Int64 = 0
        @Option(help: "At most this many (1 to 100000).") var limit = 100
        func run() async throws {
            try await reportingErrors {
                guard after >= 0 else { throw InputError("after", "must be 0 or more") }
                guard (1...100_000).contains(limit) else { throw InputError("limit", "must be from 1 to 100000") }
                let (_, store) = try await global.open()
                for event in try await store.events(after: after, limit: limit) {
                    print("{\"sequence\":\(event.sequence),\"event\":\(event.body)}")
                }
            }
        }
    }
}

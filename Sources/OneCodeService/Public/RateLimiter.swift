import Foundation
import Synchronization

/// A token bucket per client address: `rate` requests a second on average, bursts up to `burst`.
final class RateLimiter: Sendable {
    struct Bucket { var tokens: Double; var updated: UInt64 }
    let rate: Double
    let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    static let maxClients = 100_000

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// Whether `key` has no token left: `nil` when it has one, else the seconds until it will (takes nothing).
    func waitBeforeNext(_ key: String, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Double? {
        guard rate > 0 else { return nil }
        return buckets.withLock { buckets in
            guard let bucket = buckets[key] else { return nil }
            let tokens = min(burst, bucket.tokens + Double(now &- bucket.updated) / 1e9 * rate)
            return tokens >= 1 ? nil : (1 - tokens) / rate
        }
    }

    /// Takes a token for `key`; returns `nil` when allowed, else the seconds until one is available.
    func take(_ key: String, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Double? {
        guard rate > 0 else { return nil }
        return buckets.withLock { buckets in
            if buckets.count > Self.maxClients {
                // Forget clients whose buckets are full again: they lose nothing.
                buckets = buckets.filter { Double(now &- $0.value.updated) / 1e9 * rate + $0.value.tokens < burst }
            }
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + Double(now &- bucket.updated) / 1e9 * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return (1 - bucket.tokens) / rate
        }
    }
}

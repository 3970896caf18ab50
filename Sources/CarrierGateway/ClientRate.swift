import Carrier
import Synchronization

/// Each client's `limits: {per_second}`: a token bucket a second deep, on the gateway's clock. A
/// submission over the rate is refused (HTTP 429, SMTP 451) rather than held: the client retries.
final class ClientRate: Sendable {
    private struct Bucket { var tokens: Double; var updated: Double }
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock: any WallClock

    init(clock: any WallClock) { self.clock = clock }

    /// Takes `count` tokens for the client, or says how many seconds until it may.
    func take(_ client: GatewayClient, count: Int = 1) -> Double? {
        guard let rate = client.perSecond else { return nil }
        let now = clock.seconds
        let capacity = max(rate, Double(count))
        return buckets.withLock { buckets -> Double? in
            var bucket = buckets[client.name] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            defer { buckets[client.name] = bucket }
            guard bucket.tokens >= Double(count) else { return (Double(count) - bucket.tokens) / rate }
            bucket.tokens -= Double(count)
            return nil
        }
    }
}

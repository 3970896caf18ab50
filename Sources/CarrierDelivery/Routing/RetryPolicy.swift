/// Retries of one account: exponential backoff with full jitter, bounded in count and time.
public struct RetryPolicy: Sendable {
    /// Tries per account, the first included.
    public var attempts: Int
    public var initialDelay: Double
    public var maxDelay: Double
    /// No retry starts after this many seconds since the message's first attempt.
    public var maxTotal: Double
    /// The longest Retry-After honoured; a longer one fails over instead.
    public var maxRetryAfter: Double

    public init(attempts: Int = 1, initialDelay: Double = 0.2, maxDelay: Double = 5, maxTotal: Double = 30, maxRetryAfter: Double? = nil) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxTotal = maxTotal
        self.maxRetryAfter = maxRetryAfter ?? maxDelay
    }

    /// The pause before retry number `retry` (1-based): `jitter` (0…1) of the capped exponential.
    func delay(beforeRetry retry: Int, jitter: Double) -> Double {
        let ceiling = min(maxDelay, initialDelay * Double(1 << min(retry - 1, 30)))
        return ceiling * min(max(jitter, 0), 1)
    }
}

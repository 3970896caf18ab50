/// How a message chooses among accounts, and how hard it tries each one.
public struct Route: Sendable {
    public enum Strategy: String, Sendable, CaseIterable {
        /// Accounts in order: the next one only when the one before failed.
        case failover
        /// Each message starts at the next account in turn, then fails over in order.
        case roundRobin = "round_robin"
        /// Each message starts at an account drawn by weight, then fails over to the others.
        case weighted
    }

    public enum AmbiguousPolicy: String, Sendable, CaseIterable {
        /// Try the next account; the receipt says a duplicate is possible.
        case failover
        /// Stop and report: the message may have been sent.
        case stop
    }

    public var name: String
    public var strategy: Strategy
    public var accounts: [(name: String, weight: Int)]
    public var retry: RetryPolicy
    public var breaker: BreakerPolicy?
    public var onAmbiguous: AmbiguousPolicy

    public init(name: String, strategy: Strategy = .failover, accounts: [(name: String, weight: Int)], retry: RetryPolicy = RetryPolicy(),
                breaker: BreakerPolicy? = nil, onAmbiguous: AmbiguousPolicy = .stop) {
        self.name = name
        self.strategy = strategy
        self.accounts = accounts
        self.retry = retry
        self.breaker = breaker
        self.onAmbiguous = onAmbiguous
    }
}

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

    /// The pause before retry number `retry` (1-based): a random time up to the capped exponential.
    func delay(beforeRetry retry: Int) -> Double {
        let ceiling = min(maxDelay, initialDelay * Double(1 << min(retry - 1, 30)))
        return Double.random(in: 0...ceiling)
    }
}

/// When an account's circuit opens, and for how long.
public struct BreakerPolicy: Sendable {
    /// Consecutive `retry`/`failover`/`rate_limited` failures that open the circuit.
    public var failures: Int
    /// Seconds the account is skipped before one probe message is let through.
    public var cooldown: Double
    /// A JSON file that keeps the state, so several processes on one machine share it.
    public var stateFile: String?

    public init(failures: Int = 5, cooldown: Double = 30, stateFile: String? = nil) {
        self.failures = max(1, failures)
        self.cooldown = cooldown
        self.stateFile = stateFile
    }
}

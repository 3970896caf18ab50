/// What a route does after an attempt that did not send: a pure function of the attempt, the
/// retries already made on this account and the time spent, so it can be read and tested alone.
package enum RetryDecision: Equatable {
    /// Try the same account again after this many seconds.
    case retry(after: Double)
    /// Move on to the next account.
    case next
    /// Stop the route: another account would not help (`permanent`), or could deliver the message
    /// twice (`ambiguous` with `on_ambiguous: stop`).
    case stop

    /// - Parameters:
    ///   - attempt: the attempt that just ended (not sent).
    ///   - retries: retries of this account so far.
    ///   - elapsed: seconds since the message's first attempt.
    ///   - jitter: a number in 0…1 that picks the backoff pause (random in use, fixed in tests).
    package static func after(_ attempt: Attempt, retries: Int, elapsed: Double, route: Route, jitter: Double) -> RetryDecision {
        if attempt.outcome == .skipped { return .next }
        let policy = route.retry
        let mayRetry = retries + 1 < policy.attempts
        switch attempt.errorClass ?? .retry {
        case .permanent:
            return .stop
        case .ambiguous:
            return route.onAmbiguous == .stop ? .stop : .next
        case .retry where mayRetry:
            let pause = policy.delay(beforeRetry: retries + 1, jitter: jitter)
            return elapsed + pause <= policy.maxTotal ? .retry(after: pause) : .next
        case .rateLimited where mayRetry:
            // Hints are clamped where they are read (DurationText.hint); a caller's Attempt may not be.
            let hint = attempt.retryAfter.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
            let pause = hint ?? policy.delay(beforeRetry: retries + 1, jitter: jitter)
            return pause <= policy.maxRetryAfter && elapsed + pause <= policy.maxTotal ? .retry(after: pause) : .next
        case .retry, .rateLimited, .failover:
            return .next
        }
    }
}

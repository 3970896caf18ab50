import Carrier

/// What a failed send means for a queued message: tried again later (every account failed for
/// now), or failed for good (the message itself was refused, or may already have gone out).
struct RetryOutcome {
    var retryable: Bool
    var reason: String
    var errorClass: String
    var retryAfter: Double?

    init(_ error: CarrierError) {
        reason = error.description
        if case .storage = error {
            // A store that cannot be read now (the suppression list): tried again later.
            retryable = true
            errorClass = "storage"
            return
        }
        guard case .notSent(let receipt) = error else {
            // The message or the configuration is wrong: trying again changes nothing.
            retryable = false
            errorClass = "invalid"
            return
        }
        let classes = receipt.attempts.compactMap(\.errorClass)
        let waiting = receipt.attempts.contains { attempt in
            switch attempt.skipReason {
            case .circuitOpen, .limitSpent: true
            default: false
            }
        }
        if receipt.attempts.isEmpty && !receipt.suppressed.isEmpty {
            retryable = false
            errorClass = "suppressed"
        } else if classes.contains(.ambiguous) || receipt.possibleDuplicate {
            // It may have reached the provider: sending again could deliver it twice.
            retryable = false
            errorClass = "ambiguous"
        } else {
            retryable = waiting || classes.contains { $0 == .retry || $0 == .rateLimited || $0 == .failover }
            errorClass = classes.last?.rawValue ?? (waiting ? "waiting" : "unusable")
        }
        retryAfter = receipt.attempts.compactMap(\.retryAfter).max()
        if let last = receipt.attempts.last(where: { $0.error != nil })?.error { reason = last }
    }

    /// Seconds before the next try: the first delay, doubled each try, at most the maximum.
    static func delay(afterTry count: Int, settings: GatewayConfiguration.Queue) -> Double {
        var delay = settings.firstRetryDelay
        for _ in 1..<max(1, count) where delay < settings.maxRetryDelay { delay *= 2 }
        return min(delay, settings.maxRetryDelay)
    }
}

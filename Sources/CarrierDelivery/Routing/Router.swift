import Foundation
import Logging
import Metrics

/// Takes a message along a route: asks the strategy for the order of accounts, skips accounts
/// whose circuit is open, hands the message to each through the ``Dispatcher``, and acts on each
/// failure as ``RetryDecision`` says. Never throws: the receipt says what happened.
package struct Router: Sendable {
    let dispatcher: Dispatcher
    let logger: Logger

    package init(dispatcher: Dispatcher, logger: Logger) {
        self.dispatcher = dispatcher
        self.logger = logger
    }
    var runtime: CarrierRuntime { dispatcher.runtime }

    package func deliver(_ message: Message, route: Route) async -> Receipt {
        let clock = runtime.clock, random = runtime.random
        let started = clock.seconds
        let state = await runtime.routeStates.state(for: route)
        let breaker = route.breaker.map { CircuitBreaker(policy: $0, state: state) }
        let order = await state.update("strategy") { route.strategy.order(route.members, state: &$0, random: random) }
        var attempts: [Attempt] = []
        var possibleDuplicate = false
        for (position, name) in order.enumerated() {
            if position > 0 { Counter(label: "carrier_failovers_total", dimensions: [("route", route.name), ("to", name)]).increment() }
            if let breaker, case .skip(let until) = await breaker.decide(name, now: clock.seconds) {
                let account = dispatcher.configuration.unresolvedAccounts[name]
                attempts.append(Attempt(account: name, provider: account?.provider ?? "?", channel: account?.channel ?? .api,
                                        outcome: .skipped, errorClass: .failover,
                                        error: "circuit open after repeated failures; next probe at \(ISO8601.format(epochSeconds: Int(until)))",
                                        skipReason: .circuitOpen(until: until)))
                continue
            }
            var retries = 0
            while true {
                let attempt = await dispatcher.attempt(message, account: name, ignoreUnsupported: route.ignoreUnsupported,
                                                       state: state.isShared ? state : nil)
                attempts.append(attempt)
                record(attempt, route: route)
                // The runtime is shutting down: a failure now says nothing about the account, and
                // no other account would fare better. The receipt says what happened; the spool keeps it.
                if attempt.outcome != .sent && runtime.engine.isShutDown {
                    return Receipt(status: .failed, attempts: attempts, possibleDuplicate: possibleDuplicate || attempt.errorClass == .ambiguous)
                }
                if attempt.outcome != .skipped {
                    await breaker?.record(name, errorClass: attempt.outcome == .sent ? nil : attempt.errorClass, now: clock.seconds)
                    await state.update("strategy") { route.strategy.record(attempt, state: &$0) }
                }
                if attempt.outcome == .sent {
                    let deferred = attempt.deferredRecipients
                    let partial = !deferred.isEmpty || !attempt.refusedRecipients.isEmpty
                    var receipt = Receipt(status: partial ? .partial : .sent, account: name, provider: attempt.provider, channel: attempt.channel,
                                   messageIDs: attempt.messageIDs, attempts: attempts, possibleDuplicate: possibleDuplicate)
                    receipt.deferred = deferred
                    return receipt
                }
                if attempt.errorClass == .ambiguous { possibleDuplicate = true }
                let decision = RetryDecision.after(attempt, retries: retries, elapsed: clock.seconds - started, route: route,
                                                   jitter: random.unit())
                switch decision {
                case .retry(let pause):
                    retries += 1
                    try? await clock.pause(seconds: pause)
                    continue
                case .next:
                    break
                case .stop:
                    var receipt = Receipt(status: .failed, attempts: attempts, possibleDuplicate: possibleDuplicate)
                    receipt.stoppedOnPurpose = true
                    return receipt
                }
                break
            }
        }
        return Receipt(status: .failed, attempts: attempts, possibleDuplicate: possibleDuplicate)
    }

    /// One structured log line and the metrics of an attempt; secrets were redacted by the channel.
    func record(_ attempt: Attempt, route: Route) {
        if logger.logLevel <= .info { log(attempt, route: route) }
        let dimensions = [("account", attempt.account), ("provider", attempt.provider), ("channel", attempt.channel.rawValue)]
        Counter(label: "carrier_attempts_total", dimensions: dimensions + [("outcome", attempt.outcome.rawValue),
                                                                          ("class", attempt.errorClass?.rawValue ?? "none")]).increment()
        if attempt.outcome != .skipped {
            Timer(label: "carrier_attempt_duration_seconds", dimensions: dimensions).recordMilliseconds(attempt.durationMs)
        }
    }

    /// The attempt's log line (its metadata is built only when the line is written).
    private func log(_ attempt: Attempt, route: Route) {
        var metadata: Logger.Metadata = [
            "route": .string(route.name), "account": .string(attempt.account), "provider": .string(attempt.provider),
            "channel": .string(attempt.channel.rawValue), "outcome": .string(attempt.outcome.rawValue),
            "duration_ms": .stringConvertible(attempt.durationMs),
        ]
        if let c = attempt.errorClass { metadata["class"] = .string(c.rawValue) }
        if let s = attempt.status { metadata["status"] = .stringConvertible(s) }
        if !attempt.messageIDs.isEmpty { metadata["message_id"] = .string(attempt.messageIDs.joined(separator: ",")) }
        if !attempt.dropped.isEmpty { metadata["dropped"] = .string(attempt.dropped.joined(separator: "; ")) }
        if let e = attempt.error { metadata["error"] = .string(e) }
        logger.info("attempt", metadata: metadata)
    }
}

import Foundation

extension Router {
    /// What became of one message of a batch: settled by the batch account, or to be sent alone
    /// along a route (the rest of the route after the batch account, or the whole route when the
    /// batch was refused as a whole), its batch attempts kept for its receipt.
    package enum BatchDelivery: Sendable {
        case done(Receipt)
        case alone(along: Route, earlier: [Attempt])
    }

    /// Sends messages through the route's first account in the strategy's order, in batch requests
    /// when that account has a batch endpoint: the same breaker, retry policy, logs, metrics and
    /// `strategy.record` as ``deliver(_:route:)``. A message refused for a passing reason is sent
    /// again in the next batch request as the retry policy says; one the account cannot take goes
    /// on alone to the route's other accounts; a request that may have gone out is never sent again.
    package func deliver(batch messages: [Message], route: Route) async -> [BatchDelivery] {
        guard !messages.isEmpty else { return [] }
        let clock = runtime.clock, random = runtime.random
        let started = clock.seconds
        let state = await runtime.routeStates.state(for: route)
        let order = await state.update("strategy") { route.strategy.order(route.members, state: &$0, random: random) }
        guard let account = order.first, dispatcher.batchSize(account) != nil else {
            return messages.map { _ in .alone(along: route, earlier: []) }
        }
        var rest = route
        rest.members.removeAll { $0.name == account }
        let breaker = route.breaker.map { CircuitBreaker(policy: $0, state: state) }
        var attempts = Array(repeating: [Attempt](), count: messages.count)
        var settled: [Int: Receipt] = [:]
        var pending = Array(messages.indices)
        var onward: [Int] = []
        if let breaker, case .skip = await breaker.decide(account, now: clock.seconds) { onward = pending; pending = [] }
        for retries in 0... {
            guard !pending.isEmpty else { break }
            let results = await dispatcher.attemptBatch(pending.map { messages[$0] }, account: account, ignoreUnsupported: route.ignoreUnsupported,
                                                        state: state.isShared ? state : nil)
            for attempt in results { record(attempt, route: route) }
            if runtime.engine.isShutDown {  // as in deliver(_:route:): settle what is left, record nothing against the account
                for (i, attempt) in zip(pending, results) where attempt.outcome != .sent {
                    attempts[i].append(attempt)
                    settled[i] = Receipt(status: .failed, attempts: attempts[i], possibleDuplicate: attempt.errorClass == .ambiguous)
                }
                for (i, attempt) in zip(pending, results) where attempt.outcome == .sent {
                    attempts[i].append(attempt)
                    settled[i] = Receipt(status: .sent, account: account, provider: attempt.provider, channel: attempt.channel,
                                         messageIDs: attempt.messageIDs, attempts: attempts[i], possibleDuplicate: false)
                }
                onward = []
                break
            }
            if let first = results.first(where: { $0.outcome != .skipped }) {
                await breaker?.record(account, errorClass: first.outcome == .sent ? nil : first.errorClass, now: clock.seconds)
            }
            let made = results.filter { $0.outcome != .skipped }
            if !made.isEmpty { await state.update("strategy") { strategyState in for attempt in made { route.strategy.record(attempt, state: &strategyState) } } }
            for (i, attempt) in zip(pending, results) { attempts[i].append(attempt) }
            // One bad message can make an ESP refuse the whole request (Brevo): then each goes alone.
            if pending.count > 1, results.allSatisfy({ $0.outcome == .failed && $0.errorClass == .permanent && $0.error == results[0].error }) {
                break
            }
            var again: [Int] = []
            var pause: Double?
            for (i, attempt) in zip(pending, results) {
                if attempt.outcome == .sent {
                    settled[i] = Receipt(status: .sent, account: account, provider: attempt.provider, channel: attempt.channel,
                                         messageIDs: attempt.messageIDs, attempts: attempts[i], possibleDuplicate: false)
                    continue
                }
                if attempt.errorClass == .ambiguous {  // it may have gone: never sent again elsewhere
                    settled[i] = Receipt(status: .failed, attempts: attempts[i], possibleDuplicate: true)
                    continue
                }
                switch RetryDecision.after(attempt, retries: retries, elapsed: clock.seconds - started, route: route, jitter: random.unit()) {
                case .retry(let after):
                    again.append(i)
                    pause = max(pause ?? 0, after)
                case .next:
                    onward.append(i)
                case .stop:
                    var receipt = Receipt(status: .failed, attempts: attempts[i], possibleDuplicate: false)
                    receipt.stoppedOnPurpose = true
                    settled[i] = receipt
                }
            }
            guard let pause, !again.isEmpty else { break }
            try? await clock.pause(seconds: pause)
            pending = again
        }
        let onwardSet = Set(onward)
        return messages.indices.map { i in
            if let receipt = settled[i] { return .done(receipt) }
            if onwardSet.contains(i) {
                return rest.members.isEmpty ? .done(Receipt(status: .failed, attempts: attempts[i], possibleDuplicate: false))
                                            : .alone(along: rest, earlier: attempts[i])
            }
            return .alone(along: route, earlier: attempts[i])  // the batch was refused as a whole: along the whole route
        }
    }
}

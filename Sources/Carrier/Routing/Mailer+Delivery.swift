import Foundation
import Logging
import Metrics

/// The router: tries a route's accounts in order, retrying and failing over by failure class.
extension Mailer {
    /// Tries the route's accounts until one takes the message. Never throws: the receipt says what happened.
    func deliver(_ message: Message, route: Route) async -> Receipt {
        let started = Date()
        let breaker = await BreakerRegistry.shared.breaker(for: route)
        let order = await RouteOrder.shared.order(for: route)
        var attempts: [Attempt] = []
        var possibleDuplicate = false
        for (position, name) in order.enumerated() {
            if position > 0 { Counter(label: "carrier_failovers_total", dimensions: [("route", route.name), ("to", name)]).increment() }
            if let breaker, case .skip(let until) = await breaker.decide(name) {
                attempts.append(Attempt(account: name, provider: providerName(name), channel: channelKind(name), outcome: .skipped,
                                        errorClass: .failover,
                                        error: "circuit open after repeated failures; next probe at \(ISO8601.format(epochSeconds: Int(until)))",
                                        details: ["skipped": "circuit_open"]))
                continue
            }
            var retries = 0
            while true {
                let attempt: Attempt
                do {
                    attempt = try await self.attempt(message, via: try accounts.account(name, in: configuration))
                } catch let error as CarrierError {
                    attempt = Attempt(account: name, provider: providerName(name), channel: channelKind(name), outcome: .skipped,
                                      errorClass: .failover, error: error.description)
                } catch {
                    attempt = Attempt(account: name, provider: providerName(name), channel: channelKind(name), outcome: .skipped,
                                      errorClass: .failover, error: "\(error)")
                }
                attempts.append(attempt)
                record(attempt, route: route)
                if attempt.outcome != .skipped { await breaker?.record(name, errorClass: attempt.outcome == .sent ? nil : attempt.errorClass) }
                if attempt.outcome == .sent {
                    return Receipt(status: .sent, account: name, provider: attempt.provider, channel: attempt.channel,
                                   messageIDs: attempt.messageIDs, attempts: attempts, possibleDuplicate: possibleDuplicate)
                }
                if attempt.outcome == .skipped { break }
                let elapsed = Date().timeIntervalSince(started)
                switch attempt.errorClass ?? .retry {
                case .permanent:
                    var receipt = Receipt(status: .failed, attempts: attempts, possibleDuplicate: possibleDuplicate)
                    receipt.stoppedOnPurpose = true
                    return receipt
                case .ambiguous:
                    possibleDuplicate = true
                    if route.onAmbiguous == .stop {
                        var receipt = Receipt(status: .failed, attempts: attempts, possibleDuplicate: true)
                        receipt.stoppedOnPurpose = true  // not kept: sending it again could deliver it twice
                        return receipt
                    }
                case .retry where retries + 1 < route.retry.attempts:
                    let pause = route.retry.delay(beforeRetry: retries + 1)
                    if elapsed + pause <= route.retry.maxTotal {
                        retries += 1
                        try? await Task.sleep(for: .seconds(pause))
                        continue
                    }
                case .rateLimited where retries + 1 < route.retry.attempts:
                    let pause = attempt.retryAfter ?? route.retry.delay(beforeRetry: retries + 1)
                    if pause <= route.retry.maxRetryAfter && elapsed + pause <= route.retry.maxTotal {
                        retries += 1
                        try? await Task.sleep(for: .seconds(pause))
                        continue
                    }
                default:
                    break
                }
                break
            }
        }
        return Receipt(status: .failed, attempts: attempts, possibleDuplicate: possibleDuplicate)
    }

    private func providerName(_ account: String) -> String { configuration.rawAccounts[account]?.provider ?? "?" }
    private func channelKind(_ account: String) -> ChannelKind { configuration.rawAccounts[account]?.channel ?? .api }


    /// One structured log line and the metrics of an attempt; secrets were redacted by the channel.
    private func record(_ attempt: Attempt, route: Route) {
        var metadata: Logger.Metadata = [
            "route": .string(route.name), "account": .string(attempt.account), "provider": .string(attempt.provider),
            "channel": .string(attempt.channel.rawValue), "outcome": .string(attempt.outcome.rawValue),
            "duration_ms": .stringConvertible(attempt.durationMs),
        ]
        if let c = attempt.errorClass { metadata["class"] = .string(c.rawValue) }
        if let s = attempt.status { metadata["status"] = .stringConvertible(s) }
        if !attempt.messageIDs.isEmpty { metadata["message_id"] = .string(attempt.messageIDs.joined(separator: ",")) }
        if let e = attempt.error { metadata["error"] = .string(e) }
        logger.info("attempt", metadata: metadata)
        let dimensions = [("account", attempt.account), ("provider", attempt.provider), ("channel", attempt.channel.rawValue)]
        Counter(label: "carrier_attempts_total", dimensions: dimensions + [("outcome", attempt.outcome.rawValue),
                                                                          ("class", attempt.errorClass?.rawValue ?? "none")]).increment()
        if attempt.outcome != .skipped {
            Timer(label: "carrier_attempt_duration_seconds", dimensions: dimensions).recordMilliseconds(attempt.durationMs)
        }
    }
}

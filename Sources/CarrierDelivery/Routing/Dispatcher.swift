import CarrierCurl
import Foundation

/// Hands a message to one account: resolves the account and its provider, checks what the
/// account's channel can carry, and sends (or renders) through that channel.
package struct Dispatcher: Sendable {
    let configuration: Configuration
    let registry: ProviderRegistry
    let runtime: CarrierRuntime

    package init(configuration: Configuration, registry: ProviderRegistry, runtime: CarrierRuntime) {
        self.configuration = configuration
        self.registry = registry
        self.runtime = runtime
    }
    /// Accounts and provider contexts resolved once, not per message.
    let accounts = AccountCache()

    /// A channel ready for one account, with the account's view of the message.
    struct Prepared: Sendable {
        var account: Account
        var channel: any Channel
        var provider: String
        /// The account's rate limits over its provider's.
        var limits: RateLimits

        /// Sends in flight at once: the account's `concurrency:`, else `limits.concurrency`, else the channel's.
        var concurrency: Int? { account.concurrency ?? limits.concurrency ?? channel.concurrency }
    }

    /// Resolves an account and makes its channel (once per account for its own channel).
    func prepare(_ name: String, channel kind: ChannelKind? = nil) throws(CarrierError) -> Prepared {
        if kind == nil, let cached = accounts.prepared(name) { return cached }
        let prepared = try make(name, channel: kind)
        if kind == nil { accounts.keep(prepared, for: name) }
        return prepared
    }

    private func make(_ name: String, channel kind: ChannelKind?) throws(CarrierError) -> Prepared {
        var account: Account
        do { account = try accounts.account(name, in: configuration) } catch { throw .configuration(error) }
        if let kind { account.channel = kind }
        guard let type = Channels.type(of: account.channel) else {
            throw .configuration(ConfigurationError("account '\(name)' names an unknown channel '\(account.channel)'"))
        }
        var provider: ProviderBinding?
        if type.section != nil {
            let definition = try registry.definition(account.provider)
            provider = kind == nil ? try accounts.context(for: account, definition: definition, runtime: runtime)
                                   : try ProviderBinding(definition: definition, account: account, clock: runtime.clock, secrets: runtime.secrets)
        }
        let setup = ChannelContext(account: account, provider: provider, engine: runtime.engine, tokens: runtime.tokens,
                                 clock: runtime.clock, secrets: runtime.secrets)
        return Prepared(account: account, channel: try type.init(setup), provider: provider?.definition.id ?? account.provider,
                        limits: (provider?.definition.limits ?? RateLimits()).overridden(by: account.limits))
    }

    /// What the account's channel makes of the message: refused (with reasons), or the message to
    /// carry and the parts left out.
    func verdict(_ message: Message, _ prepared: Prepared, ignoreUnsupported: Bool) -> CapabilityCheck.Verdict {
        var message = message
        if let from = prepared.account.from { message.from = from }
        let name = prepared.provider + (prepared.account.channel == .api || prepared.account.channel == .file ? "" : " (\(prepared.account.channel))")
        return CapabilityCheck.verdict(message, prepared.channel.capabilities, provider: name,
                                       ignoreUnsupported: ignoreUnsupported || prepared.account.ignoreUnsupported)
    }

    /// One try through one account. Never throws: an account that cannot be used is a skipped attempt.
    /// - Parameter state: the route's shared state (with a `state_file`), where rate limits are counted.
    func attempt(_ message: Message, account name: String, ignoreUnsupported: Bool, state: RouteState? = nil) async -> Attempt {
        let prepared: Prepared
        do { prepared = try prepare(name) } catch {
            let raw = configuration.unresolvedAccounts[name]
            return Attempt(account: name, provider: raw?.provider ?? "?", channel: raw?.channel ?? .api, outcome: .skipped,
                           errorClass: .failover, error: error.description, skipReason: .unusable)
        }
        switch verdict(message, prepared, ignoreUnsupported: ignoreUnsupported) {
        case .refused(let reasons):
            return Attempt(account: name, provider: prepared.provider, channel: prepared.account.channel, outcome: .skipped,
                           errorClass: .failover, error: reasons.joined(separator: "; "), skipReason: .capability)
        case .carry(let carried, let dropped):
            if let rate = await runtime.rateLimiters.limiter(for: name, limits: prepared.limits),
               let spent = await rate.take(1, shared: state, key: RouteState.limitsPrefix + name) {
                return Attempt(account: name, provider: prepared.provider, channel: prepared.account.channel, outcome: .skipped,
                               errorClass: .failover, error: "\(spent.reason); next send possible at \(ISO8601.format(epochSeconds: Int(spent.until)))",
                               skipReason: .limitSpent(until: spent.until))
            }
            let limiter = await runtime.connectionLimits.limiter(for: prepared.account, limit: prepared.concurrency)
            await limiter?.acquire()
            var attempt = await prepared.channel.send(carried)
            await limiter?.release()
            attempt.dropped = dropped
            return attempt
        }
    }

    /// Messages per request of the account's batch endpoint, or nil when it has none.
    package func batchSize(_ name: String) -> Int? {
        guard let prepared = try? prepare(name), let size = (prepared.channel as? any BatchChannel)?.batchSize else { return nil }
        return min(size, prepared.limits.batchSize ?? size)
    }

    /// Sends messages through the account's batch endpoint in one request (after the capability
    /// check of each, and within the account's limits); one attempt per message, in order.
    func attemptBatch(_ messages: [Message], account name: String, ignoreUnsupported: Bool, state: RouteState? = nil) async -> [Attempt] {
        guard let prepared = try? prepare(name), let channel = prepared.channel as? any BatchChannel else { return [] }
        var carried: [Message] = []
        var results: [Int: Attempt] = [:]
        var dropped: [Int: [String]] = [:]
        for (i, message) in messages.enumerated() {
            switch verdict(message, prepared, ignoreUnsupported: ignoreUnsupported) {
            case .refused(let reasons):
                results[i] = Attempt(account: name, provider: prepared.provider, channel: prepared.account.channel, outcome: .skipped,
                                     errorClass: .failover, error: reasons.joined(separator: "; "), skipReason: .capability)
            case .carry(let message, let parts):
                dropped[i] = parts
                guard channel.batchable(message) else {
                    // The batch endpoint does not take it (Resend's refuses attachments): alone, as `send` would.
                    var alone = await attempt(messages[i], account: name, ignoreUnsupported: ignoreUnsupported)
                    alone.dropped = parts
                    results[i] = alone
                    continue
                }
                carried.append(message)
            }
        }
        if !carried.isEmpty {
            if let rate = await runtime.rateLimiters.limiter(for: name, limits: prepared.limits), let spent = await rate.take(carried.count, shared: state, key: RouteState.limitsPrefix + name) {
                let skipped = Attempt(account: name, provider: prepared.provider, channel: prepared.account.channel, outcome: .skipped,
                                      errorClass: .failover, error: spent.reason, skipReason: .limitSpent(until: spent.until))
                return messages.indices.map { results[$0] ?? skipped }
            }
            let limiter = await runtime.connectionLimits.limiter(for: prepared.account, limit: prepared.concurrency)
            await limiter?.acquire()
            var sent = await channel.sendBatch(carried)
            await limiter?.release()
            for i in messages.indices where results[i] == nil {
                var attempt = sent.removeFirst()
                attempt.dropped = dropped[i] ?? []
                results[i] = attempt
            }
        }
        return messages.indices.map { results[$0]! }
    }

    /// The HTTP request a send of the message on an API account puts on the wire (tokens fetched
    /// at send time are placeholders); nil for another channel or a message the account refuses.
    package func wireRequest(_ message: Message, account name: String) throws(CarrierError) -> CurlHTTPRequest? {
        let prepared = try prepare(name)
        guard case .carry(let carried, _) = verdict(message, prepared, ignoreUnsupported: false) else { return nil }
        return try prepared.channel.wireRequest(carried)
    }

    /// The request or SMTP transaction a message would produce on an account, without sending it.
    /// A message the account cannot carry is refused as `send` would refuse it; parts left out are
    /// listed under `dropped`.
    package func render(_ message: Message, account name: String, channel: ChannelKind?, showSecrets: Bool,
                ignoreUnsupported: Bool) throws(CarrierError) -> Value {
        let prepared = try prepare(name, channel: channel)
        switch verdict(message, prepared, ignoreUnsupported: ignoreUnsupported) {
        case .refused(let reasons):
            throw .unsupported(account: name, reasons: reasons)
        case .carry(let carried, let dropped):
            var rendered = try prepared.channel.render(carried, showSecrets: showSecrets)
            if !dropped.isEmpty, var object = rendered.objectValue {
                object["dropped"] = .array(dropped.map(Value.string))
                rendered = .object(object)
            }
            return rendered
        }
    }
}

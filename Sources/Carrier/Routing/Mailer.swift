import CarrierCurl
import Foundation
import Logging
import Metrics

/// Sends messages through the routes and accounts of a configuration.
///
/// ```swift
/// let mailer = Mailer(configuration: try Configuration.load(path: "carrier.yaml"))
/// let receipt = try await mailer.send(message)               // the `default` route
/// let other = try await mailer.send(message, route: "marketing")
/// ```
///
/// Failures are classified once where they happen; the route acts on the class: `retry` the same
/// account with backoff, wait out a short `rate_limited`, move on after `failover`, stop at
/// `permanent`, and follow `on_ambiguous` when a request went out without an answer. A message
/// that no account took is kept in the spool when the configuration has one.
public struct Mailer: Sendable {
    public let configuration: Configuration
    public let registry: ProviderRegistry
    let engine: CurlEngine
    let tokens: OAuth2TokenProvider
    let logger: Logger
    /// Accounts resolved once (environment variables, secret files, provider checks), not per message.
    private let accounts = AccountCache()

    public init(configuration: Configuration, registry: ProviderRegistry? = nil, engine: CurlEngine = .shared,
                tokens: OAuth2TokenProvider = .shared, logger: Logger = Logger(label: "carrier")) {
        self.configuration = configuration
        self.registry = registry ?? .standard(extraDirectories: configuration.providerDirectories)
        self.engine = engine
        self.tokens = tokens
        self.logger = logger
    }

    /// Sends a message through a route (or one account).
    ///
    /// - Parameters:
    ///   - route: a route name; default `$CARRIER_ROUTE`, else `default`, else the first account.
    ///   - account: one account only, overriding any route.
    /// - Throws: ``CarrierError/notSent(_:)`` with the receipt when no account took the message
    ///   (its `spoolPath` says where it was kept).
    @discardableResult
    public func send(_ message: Message, route: String? = nil, account: String? = nil) async throws(CarrierError) -> Receipt {
        let plan = try resolveRoute(route, account: account)
        var prepared = message
        if prepared.messageID == nil { prepared.messageID = MessageIDs.make(domain: message.from.domain) }
        let spool = configuration.spoolDirectory.map(Spool.init)
        var entry = Spool.Entry(id: prepared.messageID!, message: prepared, route: route ?? (account == nil ? plan.name : nil),
                                created: Date().timeIntervalSince1970, attempts: [], state: "in_flight", owner: getpid())
        // The lock keeps `carrier outbox retry` off a message this process is still sending.
        let lock = spool?.lock(entry.id)
        defer { lock?.release(removeFile: true) }
        if let spool, configuration.spoolWriteAhead {
            do { try spool.write(entry) } catch {
                throw .configuration(ConfigurationError("cannot write to the spool \(spool.directory): \(error.localizedDescription)",
                                                        hint: "check the folder's permissions, or remove spool: from the configuration"))
            }
        }
        var receipt = await deliver(prepared, route: plan)
        if receipt.status == .sent {
            spool?.remove(entry.id)
            return receipt
        }
        // Kept for later unless trying again cannot help: a permanent refusal, an ambiguous stop,
        // or no account able to carry the message at all.
        let nobodyCanCarry = receipt.attempts.allSatisfy { $0.details["skipped"] == "capability" }
        if let spool, !receipt.stoppedOnPermanent, !nobodyCanCarry {
            entry.state = "failed"
            entry.attempts = receipt.attempts.map(\.value)
            entry.lastError = receipt.attempts.last?.error
            do {
                receipt.spoolPath = try spool.write(entry)
                receipt.status = .spooled
                Counter(label: "carrier_spooled_total").increment()
            } catch {
                logger.error("cannot write to the spool", metadata: ["error": .string("\(error)")])
            }
        } else {
            spool?.remove(entry.id)
        }
        throw .notSent(receipt)
    }

    /// Sends several messages one after another. With a spool, the whole batch is written to it
    /// first, so a process killed anywhere in the batch leaves every unsent message in the spool.
    public func send(batch messages: [Message], route: String? = nil, account: String? = nil) async -> [Result<Receipt, CarrierError>] {
        var prepared = messages
        for i in prepared.indices where prepared[i].messageID == nil {
            prepared[i].messageID = MessageIDs.make(domain: prepared[i].from.domain)
        }
        if let directory = configuration.spoolDirectory, configuration.spoolWriteAhead, prepared.count > 1 {
            let spool = Spool(directory: directory)
            for message in prepared {
                try? spool.write(Spool.Entry(id: message.messageID!, message: message, route: route, created: Date().timeIntervalSince1970,
                                             attempts: [], state: "queued", owner: getpid()))
            }
        }
        var results: [Result<Receipt, CarrierError>] = []
        for message in prepared {
            do { results.append(.success(try await send(message, route: route, account: account))) } catch { results.append(.failure(error)) }
        }
        return results
    }

    /// What `retrySpooled` did with one kept message.
    public struct RetryOutcome: Sendable {
        public var id: String
        public var receipt: Receipt?
        public var note: String
    }

    /// Sends kept messages again through their routes. A message leaves the spool only after a
    /// provider accepted it; a message locked by another process is left alone, so two retries
    /// at once never send the same message twice.
    public func retrySpooled(_ ids: [String] = []) async throws(CarrierError) -> [RetryOutcome] {
        guard let directory = configuration.spoolDirectory else {
            throw .configuration(ConfigurationError("the configuration has no spool", hint: "add spool: ./spool to carrier.yaml"))
        }
        let spool = Spool(directory: directory)
        let wanted = ids.isEmpty ? spool.entries().entries.map(\.id) : ids
        var outcomes: [RetryOutcome] = []
        for id in wanted {
            guard let lock = spool.lock(id) else {
                outcomes.append(RetryOutcome(id: id, note: "skipped: another process is sending it"))
                continue
            }
            defer { lock.release() }
            guard var entry = try? spool.load(id) else {
                outcomes.append(RetryOutcome(id: id, note: "gone: already sent or purged"))
                continue
            }
            if entry.isOwnedByAnotherLiveProcess {
                outcomes.append(RetryOutcome(id: id, note: "skipped: process \(entry.owner ?? 0) is still sending it"))
                continue
            }
            let route: Route
            do { route = try resolveRoute(entry.route?.hasPrefix("account:") == true ? nil : entry.route, account: nil) } catch {
                outcomes.append(RetryOutcome(id: id, note: "kept: \(error)"))
                continue
            }
            var receipt = await deliver(entry.message, route: route)
            if entry.state == "in_flight" { receipt.possibleDuplicate = true }  // its first sender died mid-send
            if receipt.status == .sent {
                spool.remove(id)
                lock.release(removeFile: true)
                outcomes.append(RetryOutcome(id: id, receipt: receipt, note: "sent"))
            } else {
                entry.state = "failed"
                entry.attempts += receipt.attempts.map(\.value)
                entry.lastError = receipt.attempts.last?.error
                try? spool.write(entry)
                outcomes.append(RetryOutcome(id: id, receipt: receipt, note: "kept: " + (entry.lastError ?? "not sent")))
            }
        }
        return outcomes
    }

    /// The route for a send: an account alone, a named route, `$CARRIER_ROUTE`, `default`, or the first account.
    func resolveRoute(_ name: String?, account: String?) throws(CarrierError) -> Route {
        if let account {
            guard configuration.accountNames.contains(account) else {
                do { _ = try configuration.account(named: account) } catch { throw .configuration(error) }
                throw .configuration(ConfigurationError("no account named '\(account)'"))
            }
            let base = configuration.routes["default"]
            return Route(name: "account:\(account)", accounts: [(account, 1)], retry: base?.retry ?? RetryPolicy(),
                         breaker: nil, onAmbiguous: base?.onAmbiguous ?? .stop)
        }
        let environment = getenv("CARRIER_ROUTE").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        if let wanted = name ?? environment {
            guard let route = configuration.routes[wanted] else {
                let known = configuration.routes.keys.sorted()
                throw .configuration(ConfigurationError("no route named '\(wanted)' in \(configuration.file ?? "the configuration")",
                    hint: Suggest.nearest(wanted, in: known).map { "did you mean '\($0)'?" } ?? "routes are: \(known.joined(separator: ", "))"))
            }
            return route
        }
        if let route = configuration.routes["default"] { return route }
        let first = configuration.accountNames.first ?? "outbox"
        return Route(name: "account:\(first)", accounts: [(first, 1)])
    }

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
                    receipt.stoppedOnPermanent = true
                    return receipt
                case .ambiguous:
                    possibleDuplicate = true
                    if route.onAmbiguous == .stop {
                        var receipt = Receipt(status: .failed, attempts: attempts, possibleDuplicate: true)
                        receipt.stoppedOnPermanent = true  // not kept: sending it again could deliver it twice
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

    /// One try through one account, after the capability check.
    func attempt(_ message: Message, via account: Account) async throws(CarrierError) -> Attempt {
        var message = message
        if let from = account.from { message.from = from }
        if account.channel == .file { return await FileChannel(account: account).send(message) }
        let definition = try registry.definition(account.provider)
        let problems = CapabilityCheck.problems(message, definition.capabilities, provider: definition.id)
        guard problems.isEmpty else {
            return Attempt(account: account.name, provider: definition.id, channel: account.channel, outcome: .skipped,
                           errorClass: .failover, error: problems.joined(separator: "; "), details: ["skipped": "capability"])
        }
        let context = try ProviderContext(definition: definition, account: account)
        var result: Attempt
        switch account.channel {
        case .api:
            result = try await APIChannel(context: context, engine: engine, tokens: tokens).send(message, idempotencyKey: message.messageID)
        case .smtp:
            let channel = try SMTPChannel(context: context, engine: engine, tokens: tokens)
            let limiter = await ConnectionLimits.shared.limiter(for: account.name, limit: account.smtp?.connections ?? 1)
            await limiter.acquire()
            result = await channel.send(message)
            await limiter.release()
        case .file:
            result = await FileChannel(account: account).send(message)
        }
        let dropped = CapabilityCheck.dropped(message, definition.capabilities, provider: definition.id)
        if !dropped.isEmpty { result.details["dropped"] = .array(dropped.map(Value.string)) }
        return result
    }

    /// The request or SMTP transaction a message would produce on an account, without sending it.
    public func render(_ message: Message, account name: String, channel: ChannelKind? = nil,
                       showSecrets: Bool = false) throws(CarrierError) -> Value {
        var account: Account
        do { account = try configuration.account(named: name) } catch { throw .configuration(error) }
        if let channel { account.channel = channel }
        var message = message
        if let from = account.from { message.from = from }
        if account.channel == .file {
            return .object(["channel": "file", "directory": .string(account.directory ?? "./outbox"),
                            "message": .string(MIMEWriter().write(message))])
        }
        let definition = try registry.definition(account.provider)
        let context = try ProviderContext(definition: definition, account: account)
        switch account.channel {
        case .api:
            let request = try APIChannel(context: context, engine: engine, tokens: tokens).render(message)
            return request.display(redactor: context.redactor, showSecrets: showSecrets)
        case .smtp:
            return try SMTPChannel(context: context, engine: engine, tokens: tokens).render(message, showSecrets: showSecrets)
        case .file:
            return .null
        }
    }

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

/// The order in which a route tries its accounts for the next message.
actor RouteOrder {
    static let shared = RouteOrder()
    private var counters: [String: Int] = [:]

    func order(for route: Route) -> [String] {
        let names = route.accounts.map(\.name)
        switch route.strategy {
        case .failover:
            return names
        case .roundRobin:
            let turn = counters[route.name, default: 0]
            counters[route.name] = turn + 1
            let start = turn % max(names.count, 1)
            return Array(names[start...] + names[..<start])
        case .weighted:
            let total = route.accounts.reduce(0) { $0 + $1.weight }
            guard total > 0 else { return names }
            var draw = Int.random(in: 0..<total)
            var first = names[0]
            for account in route.accounts {
                if draw < account.weight { first = account.name; break }
                draw -= account.weight
            }
            let rest = route.accounts.filter { $0.name != first }.sorted { $0.weight > $1.weight }.map(\.name)
            return [first] + rest
        }
    }
}

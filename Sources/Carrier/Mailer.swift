import CarrierCurl
import Foundation
import Logging

/// Sends messages through the routes and accounts of a configuration: the library's front door.
///
/// ```swift
/// let mailer = Mailer(configuration: try Configuration.load(path: "carrier.yaml"))
/// let receipt = try await mailer.send(message)               // the `default` route
/// let other = try await mailer.send(message, route: "marketing")
/// ```
///
/// The work is done by three parts, each in its own file: the ``Router`` takes a message along a
/// route (order, breaker, retries), the ``Dispatcher`` hands it to one account's channel after the
/// capability check, and the ``Outbox`` keeps what could not be sent in the spool.
///
/// A mailer owns its ``CarrierRuntime`` (engine, token cache, route state, limits, clock): two
/// mailers share nothing unless given the same runtime. It is a swift-service-lifecycle
/// `Service`: run it in a `ServiceGroup` and a graceful shutdown lets the sends under way finish
/// (within the runtime's `shutdownGrace`), then stops its event-loop thread.
public struct Mailer: Sendable {
    public let configuration: Configuration
    public let registry: ProviderRegistry
    public let runtime: CarrierRuntime
    let dispatcher: Dispatcher
    let router: Router
    let logger: Logger
    /// Where messages no account took are kept: the given store, else `spool:`'s folder, else nowhere.
    let spool: (any SpoolStore)?
    /// The addresses not sent to: the given list, else `suppressions:`'s file, else none.
    let suppressions: (any SuppressionStore)?

    /// - Parameters:
    ///   - configuration: accounts, routes and spool (``Configuration/load(path:environment:)``).
    ///   - registry: the provider definitions; default: the configuration's folders, then the built-ins.
    ///   - runtime: the engine, caches, state, clock and random source it sends with; default its own.
    ///   - logger: one line per attempt at `info`, secrets redacted.
    ///   - spool: where unsent messages are kept (a database's, with `store:`); default `spool:`'s folder.
    ///   - suppressions: the addresses not sent to (a database's, with `store:`); default `suppressions:`'s file.
    public init(configuration: Configuration, registry: ProviderRegistry? = nil, runtime: CarrierRuntime = CarrierRuntime(),
                logger: Logger = Logger(label: "carrier"), spool: (any SpoolStore)? = nil, suppressions: (any SuppressionStore)? = nil) {
        let registry = registry ?? .standard(extraDirectories: configuration.providerDirectories)
        for warning in registry.warnings { logger.warning("\(warning)") }
        self.configuration = configuration
        self.registry = registry
        self.runtime = runtime
        self.dispatcher = Dispatcher(configuration: configuration, registry: registry, runtime: runtime)
        self.router = Router(dispatcher: dispatcher, logger: logger)
        self.logger = logger
        self.spool = spool ?? configuration.spoolDirectory.map(Spool.init(directory:))
        self.suppressions = suppressions ?? configuration.suppressionsFile.map(SuppressionFile.init(path:))
    }

    private var outbox: Outbox? {
        spool.map { Outbox(spool: $0, writeAhead: configuration.spoolWriteAhead, clock: runtime.clock, logger: logger) }
    }

    /// Sends a message through a route (or one account).
    ///
    /// - Parameters:
    ///   - route: a route name; default the configuration's `defaultRoute`, else `default`, else the first account.
    ///   - account: one account only, overriding any route.
    /// - Returns: the receipt; its status is `sent`, or `partial` when an SMTP server took the
    ///   message for some recipients and deferred the others (listed in `deferred`, and kept in
    ///   the spool for them).
    /// - Throws: ``CarrierError/notSent(_:)`` with the receipt when no account took the message
    ///   (its `spoolPath` says where it was kept).
    @discardableResult
    public func send(_ message: Message, route: String? = nil, account: String? = nil) async throws(CarrierError) -> Receipt {
        try await send(message, route: route, account: account, queued: nil)
    }

    private func send(_ message: Message, route: String?, account: String?, queued: Spool.Entry?) async throws(CarrierError) -> Receipt {
        try Self.check(message)
        let plan = try resolveRoute(route, account: account)
        return try await send(message, along: plan, spoolRoute: route ?? (account == nil ? plan.name : nil), queued: queued)
    }

    /// Sends along a resolved route; `spoolRoute` is the route a spooled copy is sent by later.
    func send(_ message: Message, along plan: Route, spoolRoute: String?, queued: Spool.Entry? = nil) async throws(CarrierError) -> Receipt {
        runtime.sends.enter()
        defer { runtime.sends.leave() }
        var prepared = message
        if prepared.messageID == nil { prepared.messageID = MessageIDs.make(domain: message.from.domain) }
        let suppressed: [SuppressedRecipient]
        do throws(CarrierError) {
            (prepared, suppressed) = try await screen(try applyingUnsubscribeRequest(prepared), route: plan)
            if !suppressed.isEmpty && prepared.recipients.isEmpty { throw CarrierError.notSent(Self.allSuppressed(suppressed)) }
        } catch {
            // Refused for good (every recipient suppressed, a bad request header): a batch's
            // written-ahead entry goes. A list that cannot be read now keeps it for a retry.
            if let queued, !error.isStorage { try? await outbox?.spool.remove(queued.id) }
            throw error
        }
        var entry = queued
        entry?.message = prepared
        let started = try await outbox?.begin(prepared, route: spoolRoute, queued: entry)
        var receipt = await router.deliver(prepared, route: plan)
        receipt.suppressed = suppressed
        if let outbox, let started { await outbox.finish(started, receipt: &receipt) }
        await started?.lock?.release()
        if receipt.status == .sent || receipt.status == .partial { return receipt }
        throw .notSent(receipt)
    }

    /// Sends several messages at once, at most `inFlight` at a time (each account's
    /// `concurrency` bounds its own share). With a spool, the whole batch is written to it first,
    /// so a process killed anywhere in the batch leaves every unsent message in the spool.
    ///
    /// - Returns: one result per message, in the order given.
    /// - Throws: before anything is sent, when two messages share a `message_id` (a provider
    ///   or the spool would take them for one), or when the batch cannot be written to the spool.
    public func send(batch messages: [Message], route: String? = nil, account: String? = nil,
                     inFlight: Int = 64) async throws(CarrierError) -> [Result<Receipt, CarrierError>] {
        var prepared = messages
        for i in prepared.indices where prepared[i].messageID == nil {
            prepared[i].messageID = MessageIDs.make(domain: prepared[i].from.domain)
        }
        try Self.refuseDuplicateIDs(prepared)
        for message in prepared { try Self.check(message) }
        _ = try resolveRoute(route, account: account)  // a wrong route name queues nothing
        let queued = try await outbox?.queue(prepared, route: route) ?? prepared.map { _ in nil }
        var results: [Result<Receipt, CarrierError>] = []
        results.reserveCapacity(prepared.count)
        await InOrderWindow.run(Array(zip(prepared, queued)), inFlight: inFlight) { item in
            await result(item.0, route: route, account: account, queued: item.1)
        } report: { _, result in
            results.append(result)
        }
        return results
    }

    /// Sends messages as they come from a sequence that reads them lazily (files, NDJSON lines),
    /// at most `inFlight` at a time, and hands each outcome to `report` in the order given:
    /// memory stays flat however long the sequence, and the first send starts at once.
    ///
    /// Each message is written ahead to the spool (when there is one) before its first attempt;
    /// a message whose `message_id` an earlier one of the stream had is refused, not sent.
    /// An element that failed to read is reported as it is.
    public func send<Messages: Sequence>(streaming messages: Messages, route: String? = nil, account: String? = nil, inFlight: Int = 64,
                                         report: (Int, Result<Receipt, CarrierError>) async -> Void) async
        where Messages.Element == Result<Message, CarrierError> {
        var seen = Set<String>()
        let checked = messages.lazy.map { element -> Result<Message, CarrierError> in
            guard case .success(var message) = element else { return element }
            if message.messageID == nil { message.messageID = MessageIDs.make(domain: message.from.domain); return .success(message) }
            guard seen.insert(message.messageID!.lowercased()).inserted else {
                return .failure(.message(MessageError(source: nil, problems: [.init(
                    field: "message_id", message: "an earlier message of this run has the message_id '\(message.messageID!)'; not sent",
                    hint: "give each message its own message_id, or leave it out and Carrier makes one")])))
            }
            return .success(message)
        }
        await InOrderWindow.run(checked, inFlight: inFlight) { element in
            switch element {
            case .failure(let error): return .failure(error)
            case .success(let message):
                return await result(message, route: route, account: account, queued: nil)
            }
        } report: { index, result in
            await report(index, result)
        }
    }

    private func result(_ message: Message, route: String?, account: String?, queued: Spool.Entry?) async -> Result<Receipt, CarrierError> {
        do { return .success(try await send(message, route: route, account: account, queued: queued)) } catch { return .failure(error) }
    }

    /// A message built in code meets the rules a parsed one does before anything is sent.
    private static func check(_ message: Message) throws(CarrierError) {
        let problems = message.headerProblems
        if !problems.isEmpty { throw .message(MessageError(source: nil, problems: problems)) }
    }

    private static func refuseDuplicateIDs(_ messages: [Message]) throws(CarrierError) {
        var first: [String: Int] = [:]
        var problems: [MessageError.FieldProblem] = []
        for (i, message) in messages.enumerated() {
            guard let id = message.messageID?.lowercased() else { continue }
            if let earlier = first[id] {
                problems.append(.init(field: "message_id", message: "message \(i + 1) has the message_id of message \(earlier + 1) ('\(message.messageID ?? "")')",
                                      hint: "give each message its own message_id, or leave it out and Carrier makes one"))
            } else {
                first[id] = i
            }
        }
        if !problems.isEmpty { throw .message(MessageError(source: "the batch", problems: problems)) }
    }

    /// The request or SMTP transaction a message would produce on an account, without sending it.
    /// The capability checks of `send` apply: a message the account cannot carry throws
    /// ``CarrierError/unsupported(account:reasons:)``, and parts left out are listed under `dropped`.
    public func render(_ message: Message, account name: String, channel: ChannelKind? = nil,
                       showSecrets: Bool = false) throws(CarrierError) -> Value {
        try Self.check(message)
        return try dispatcher.render(message, account: name, channel: channel, showSecrets: showSecrets,
                              ignoreUnsupported: configuration.routes["default"]?.ignoreUnsupported ?? false)
    }

    /// The HTTP request a send of the message on an API account would put on the wire, built as a
    /// send builds it (no value made for people to read): what `carrier-bench request` times beside
    /// ``render(_:account:channel:showSecrets:)``.
    package func wireRequest(_ message: Message, account name: String) throws(CarrierError) -> CurlHTTPRequest? {
        try Self.check(message)
        return try dispatcher.wireRequest(message, account: name)
    }

    /// Sends kept messages again through their routes (``Outbox/retry(_:deliver:)``).
    ///
    /// - Throws: when there is no spool, or it cannot be read or written (nothing is sent then).
    /// - Parameter resendUnknown: send again messages whose sender stopped while sending them (they
    ///   may have reached the provider); without it they are reported ``Outbox/RetryOutcome/Disposition/unknown``.
    public func retrySpooled(_ ids: [String] = [], resendUnknown: Bool = false) async throws(CarrierError) -> [Outbox.RetryOutcome] {
        guard let outbox else {
            throw .configuration(ConfigurationError("the configuration has no spool", hint: "add spool: ./spool to carrier.yaml"))
        }
        do {
            return try await outbox.retry(ids, resendUnknown: resendUnknown) { entry throws(CarrierError) in
                let route = try resolveRoute(entry.route?.hasPrefix("account:") == true ? nil : entry.route, account: nil)
                let (message, suppressed) = try await screen(try applyingUnsubscribeRequest(entry.message), route: route)
                if !suppressed.isEmpty && message.recipients.isEmpty { return Self.allSuppressed(suppressed) }
                runtime.sends.enter()
                defer { runtime.sends.leave() }
                var receipt = await router.deliver(message, route: route)
                receipt.suppressed = suppressed
                return receipt
            }
        } catch {
            throw .storage(StorageError("the spool", path: outbox.spool.location, reason: error.description,
                                        hint: "nothing was sent; fix the folder and retry"))
        }
    }

    /// The route for a send: an account alone, a named route, the configuration's `defaultRoute`, `default`, or the first account.
    /// Whether a message sent twice along this route reaches its recipients once: every account
    /// sends through an API whose provider drops duplicates by the message's stable Message-ID.
    package func dropsDuplicates(route name: String?) -> Bool {
        guard let route = try? resolveRoute(name, account: nil), !route.members.isEmpty else { return false }
        return route.members.allSatisfy { member in
            guard let account = try? configuration.account(named: member.name), account.channel == .api,
                  let definition = try? registry.definition(account.provider) else { return false }
            return definition.dropsDuplicatesByMessageID
        }
    }

    func resolveRoute(_ name: String?, account: String?) throws(CarrierError) -> Route {
        guard let first = configuration.accountNames.first else {
            throw .configuration(ConfigurationError("\(configuration.file ?? "the configuration") has no accounts",
                hint: "add accounts: {name: {provider: …, channel: api, credentials: {…}}}"))
        }
        if let account {
            guard configuration.accountNames.contains(account) else { throw .configuration(configuration.unknownAccount(account)) }
            return .single(account, like: configuration.routes["default"])
        }
        if let wanted = name ?? configuration.defaultRoute {
            guard let route = configuration.routes[wanted] else {
                let known = configuration.routes.keys.sorted()
                throw .configuration(ConfigurationError("no route named '\(wanted.escapingControlCharacters())' in \(configuration.file ?? "the configuration")",
                    hint: Suggest.hint(for: wanted, in: known, otherwise: "routes are: \(known.joined(separator: ", "))")))
            }
            return route
        }
        return configuration.routes["default"] ?? .single(first, like: nil)
    }
}

import Carrier
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The mail gateway of `carrier serve`: takes messages from its clients (the HTTP API and the
/// SMTP listener call ``submit(_:client:intake:)``), acknowledges each only once it is durable in
/// the ``MessageQueue``, then sends it through the client's route — deferring and retrying with
/// backoff like an MTA until the queue's `max_age`, then `expired`.
///
/// A swift-service-lifecycle `Service`: ``run()`` sends until a graceful shutdown, then takes
/// nothing new (``isAccepting`` turns false), lets the sends under way finish within the
/// runtime's grace and leaves the rest queued for the next start.
public final class Gateway: Service, Sendable {
    public let settings: GatewayConfiguration
    public let queue: any MessageQueue
    public let mailer: Mailer
    public let logger: Logger
    /// Where its counters and timers go (the HTTP listener's `/metrics` serves them).
    public let metrics: any MetricsFactory
    let rates: ClientRate
    private let accepting = Atomic<Bool>(true)
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let inFlight = Atomic<Int>(0)

    /// - Parameters:
    ///   - configuration: accounts and routes to send with (the gateway's queue replaces the spool).
    ///   - queue: where accepted messages are kept; default a ``FileQueue`` at `serve.queue.path`.
    ///   - runtime: engine, clock and random source; tests pass a ``ManualClock``.
    ///   - suppressions: the addresses not sent to; default `suppressions:`'s file.
    public init(configuration: Configuration, settings: GatewayConfiguration, queue: (any MessageQueue)? = nil,
                registry: ProviderRegistry? = nil, runtime: CarrierRuntime = CarrierRuntime(),
                metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "carrier.serve"),
                suppressions: (any SuppressionStore)? = nil) throws(StorageError) {
        var sending = configuration
        sending.spoolDirectory = nil  // the queue keeps every message until an account took it
        self.settings = settings
        if let queue { self.queue = queue } else { self.queue = try FileQueue(directory: settings.queue.path) }
        self.mailer = Mailer(configuration: sending, registry: registry, runtime: runtime, logger: logger, suppressions: suppressions)
        self.logger = logger
        self.metrics = metrics
        self.rates = ClientRate(clock: runtime.clock)
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    var clock: any WallClock { mailer.runtime.clock }

    /// Whether new messages are taken (false once shutting down).
    public var isAccepting: Bool { accepting.load(ordering: .relaxed) }

    // MARK: Clients

    /// The client holding this API key.
    public func client(apiKey: String) -> GatewayClient? {
        settings.clients.values.first { $0.accepts(apiKey: apiKey) }
    }

    /// The client with this SMTP login. Every client's hash is compared, so the time taken does
    /// not tell which user names exist.
    public func client(username: String, password: String) -> GatewayClient? {
        var found: GatewayClient?
        for client in settings.clients.values.sorted(by: { $0.name < $1.name }) {
            let matches = client.accepts(password: password)
            if matches && client.smtpUsername == username { found = client }
        }
        return found
    }

    // MARK: Submission

    /// Checks a message for a client and queues it durably; returns the record once it is on disk.
    public func submit(_ message: Message, client: GatewayClient, intake: String) async throws(SubmissionError) -> QueuedMessage {
        try await submit(batch: [message], client: client, intake: intake)[0].get()
    }

    /// Queues several messages; each has its own outcome, and the accepted ones are durable when it returns.
    public func submit(batch messages: [Message], client: GatewayClient, intake: String) async throws(SubmissionError) -> [Result<QueuedMessage, SubmissionError>] {
        guard isAccepting else { throw SubmissionError(.shuttingDown, "the gateway is shutting down; try again shortly") }
        var results: [Result<QueuedMessage, SubmissionError>] = []
        var accepted: [QueuedMessage] = []
        for message in messages {
            switch check(message, client: client) {
            case .failure(let error): results.append(.failure(error))
            case .success(let prepared):
                let now = clock.seconds
                let record = QueuedMessage(id: QueueIDs.make(now: now, random: mailer.runtime.random), client: client.name, intake: intake,
                                           route: client.route, created: now, message: prepared)
                results.append(.success(record))
                accepted.append(record)
            }
        }
        guard !accepted.isEmpty else { return results }
        if let wait = rates.take(client, count: accepted.count) {
            throw SubmissionError(.rateLimited, "client '\(client.name)' is over its rate of \(client.perSecond ?? 0) a second; retry in \(Int(wait.rounded(.up))) s",
                                  retryAfter: wait)
        }
        do { try await queue.enqueue(batch: accepted) } catch {
            logger.error("queue not written", metadata: ["error": "\(error)"])
            throw SubmissionError(.unavailable, "the message could not be stored (\(error.reason)); nothing was accepted, try again")
        }
        for record in accepted {
            Counter(label: "carrier_gateway_accepted_total", dimensions: [("intake", intake), ("client", client.name)], factory: metrics).increment()
            logger.info("accepted", metadata: ["id": "\(record.id)", "client": "\(client.name)", "intake": "\(intake)",
                                               "message_id": "\(record.message.messageID ?? "")"])
        }
        wake.yield()
        return results
    }

    /// A message as the client may send it: a from domain it may use, fields Carrier can send,
    /// and a Message-ID that stays the same through every retry.
    private func check(_ message: Message, client: GatewayClient) -> Result<Message, SubmissionError> {
        guard client.mayUse(from: message.from.email) else {
            return .failure(SubmissionError(.senderNotAllowed, "client '\(client.name)' may not send from \(message.from.email.escapingControlCharacters()) "
                                            + "(its from_domains: \(client.fromDomains.joined(separator: ", ")))"))
        }
        let problems = message.headerProblems
        if !problems.isEmpty {
            return .failure(SubmissionError(.invalid, MessageError(source: nil, problems: problems).description))
        }
        if let problem = mailer.unsubscribeRequestProblem(message) {
            return .failure(SubmissionError(.invalid, problem.description))
        }
        var prepared = message
        if prepared.messageID == nil { prepared.messageID = MessageIDs.make(domain: message.from.domain) }
        return .success(prepared)
    }

    // MARK: Status

    /// A client's message (nil for another client's: it does not learn that the id exists).
    public func status(_ id: String, client: GatewayClient) async throws(StorageError) -> QueuedMessage? {
        guard QueueIDs.isValid(id), let record = try await queue.record(id), record.client == client.name else { return nil }
        return record
    }

    /// Cancels a client's message that was not sent yet; gives it as it now stands.
    public func cancel(_ id: String, client: GatewayClient) async throws(StorageError) -> QueuedMessage? {
        guard try await status(id, client: client) != nil else { return nil }
        let record = try await queue.cancel(id, now: clock.seconds)
        if record?.status == .cancelled { logger.info("cancelled", metadata: ["id": "\(id)", "client": "\(client.name)"]) }
        return record
    }

    /// Adds delivery events to the messages their provider ids name.
    public func record(events: [DeliveryEvent]) async {
        for event in events {
            do {
                guard let id = try await queue.add(event: event, receivedAt: clock.seconds) else {
                    logger.debug("a delivery event names no queued message", metadata: ["provider_id": "\(event.messageID ?? "")"])
                    continue
                }
                logger.info("event", metadata: ["id": "\(id)", "event": "\(event.event.rawValue)", "provider_id": "\(event.messageID ?? "")"])
            } catch {
                logger.warning("event not kept with its message", metadata: ["provider_id": "\(event.messageID ?? "")", "error": "\(error)"])
            }
        }
    }

    /// Sets the queue's gauges (depth, age of the oldest unsent message) before metrics are read.
    public func recordQueueGauges() async {
        let depth = await queue.depth()
        Gauge(label: "carrier_gateway_queue_depth", factory: metrics).record(depth.count)
        let age = depth.oldestCreated.map { max(0, clock.seconds - $0) } ?? 0
        Gauge(label: "carrier_gateway_oldest_queued_seconds", factory: metrics).record(age)
    }

    // MARK: Sending

    /// Sends what the queue holds until a graceful shutdown (or cancellation), then lets the sends
    /// under way finish within the runtime's grace and stops its engine.
    public func run() async throws {
        let clock = self.clock, wake = self.wake, queue = self.queue
        let watcher = Task { await queue.watch(clock: clock) { wake.yield() } }
        defer { watcher.cancel() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                await self.dispatch(into: &group)
            }
        } onGracefulShutdown: {
            self.accepting.store(false, ordering: .relaxed)
            self.wake.finish()
        }
        await mailer.runtime.shutdown()
    }

    /// Claims due messages while there is room, and waits for the next due time, a new message or
    /// a finished send.
    private func dispatch(into group: inout DiscardingTaskGroup) async {
        var timer: Task<Void, Never>?
        defer { timer?.cancel() }
        var wakeups = self.wakeups.makeAsyncIterator()
        var purged = -Double.infinity
        var lookedForAbandoned = -Double.infinity
        while isAccepting && !Task.isCancelled {
            // Messages a stopped gateway was sending (at start; and, on a shared queue, whenever a
            // node's lease may have run out).
            if clock.seconds - lookedForAbandoned >= (queue.pollInterval ?? .infinity) || lookedForAbandoned == -.infinity {
                lookedForAbandoned = clock.seconds
                await resolveAbandoned()
            }
            // Final records older than `keep` go, at most once an hour of the gateway's clock.
            if clock.seconds - purged >= 3_600 {
                purged = clock.seconds
                let count = await queue.purge(finalAcceptedBefore: purged - settings.queue.keep)
                if count > 0 { logger.info("final records past their keep time removed", metadata: ["count": "\(count)"]) }
            }
            let room = settings.queue.concurrency - inFlight.load(ordering: .relaxed)
            if room > 0 {
                let due = (try? await queue.claimDue(now: clock.seconds, limit: room)) ?? []
                for record in due {
                    inFlight.add(1, ordering: .relaxed)
                    group.addTask {
                        let outcome = await self.attempt(record)
                        // The slot is free once the provider answered: the next claim need not wait
                        // for this outcome's write.
                        self.inFlight.subtract(1, ordering: .relaxed)
                        self.wake.yield()
                        await self.write(outcome)
                    }
                }
                if due.count == room { continue }
            }
            timer?.cancel()
            // A shared queue is looked at again every `pollInterval` (other nodes change it; a
            // lease that ran out is taken then) and on every NOTIFY: no query for the next due
            // time after each send. A queue of this process's own knows its next due time.
            let next: Double?
            if let poll = queue.pollInterval { next = max(lookedForAbandoned + poll, clock.seconds + 0.1) } else { next = await queue.nextDue() }
            if let next, next > clock.seconds {
                let clock = self.clock, wake = self.wake
                timer = Task { if (try? await clock.sleep(until: WallTime(secondsSince1970: next), tolerance: nil)) != nil { wake.yield() } }
            }
            guard await wakeups.next() != nil else { break }
        }
    }

    /// Messages whose sender stopped mid-send: sent again where every account of the route has a
    /// provider that drops duplicates by the message's stable Message-ID (its `idempotency_header`),
    /// otherwise marked `unknown` — never silently sent twice.
    func resolveAbandoned() async {
        let found: [QueuedMessage]
        do { found = try await queue.abandoned(now: clock.seconds) } catch {
            logger.warning("messages left sending by a stopped gateway not read", metadata: ["error": "\(error)"])
            return
        }
        for var record in found {
            if mailer.dropsDuplicates(route: record.route) {
                record.status = .queued
                record.nextAttempt = clock.seconds
                record.lastError = "a gateway stopped while sending it; sent again (its provider drops duplicates by Message-ID)"
            } else {
                record.status = .unknown
                record.lastError = "a gateway stopped while sending it, so it may have been sent; "
                    + "`carrier queue retry --resend-unknown \(record.id)` sends it again, DELETE cancels it"
            }
            logger.warning("left sending by a stopped gateway", metadata: ["id": "\(record.id)", "status": "\(record.status.rawValue)"])
            do { try await queue.update(record) } catch {
                logger.error("abandoned message not written", metadata: ["id": "\(record.id)", "error": "\(error)"])
            }
        }
        if !found.isEmpty { wake.yield() }
    }

    /// One try along the client's route: the record with its outcome, not yet written.
    func attempt(_ claimed: QueuedMessage) async -> QueuedMessage {
        var record = claimed
        let started = clock.seconds
        var logger = self.logger
        logger[metadataKey: "id"] = "\(record.id)"
        do {
            let receipt = try await mailer.send(record.message, route: record.route)
            record.status = .sent
            record.account = receipt.account
            record.provider = receipt.provider
            record.providerIDs = receipt.messageIDs
            record.lastError = nil
            record.attempts.append(Self.attempt(receipt, at: started))
            Counter(label: "carrier_gateway_sent_total", dimensions: [("account", receipt.account ?? "")], factory: metrics).increment()
            Timer(label: "carrier_gateway_send_seconds", dimensions: [("account", receipt.account ?? "")], factory: metrics)
                .recordSeconds(clock.seconds - started)
            logger.info("sent", metadata: ["account": "\(receipt.account ?? "")", "provider_ids": "\(receipt.messageIDs.joined(separator: ","))"])
        } catch {
            let outcome = RetryOutcome(error)
            record.lastError = outcome.reason
            if case .notSent(let receipt) = error { record.attempts.append(Self.attempt(receipt, at: started)) }
            let now = clock.seconds
            let delay = RetryOutcome.delay(afterTry: record.attempts.count, settings: settings.queue)
            if !outcome.retryable {
                record.status = .failed
            } else if now + delay - record.created >= settings.queue.maxAge {
                record.status = .expired
                record.lastError = "not sent within the queue's max_age of \(Int(settings.queue.maxAge)) s; last: \(outcome.reason)"
            } else {
                record.status = .deferred
                record.nextAttempt = now + max(delay, outcome.retryAfter ?? 0)
            }
            let account = (record.attempts.last?["tries"].arrayValue?.last?["account"].stringValue) ?? ""
            Counter(label: "carrier_gateway_failed_total", dimensions: [("status", record.status.rawValue), ("class", outcome.errorClass), ("account", account)],
                    factory: metrics).increment()
            logger.warning("\(record.status.rawValue)", metadata: ["error": "\(outcome.reason)", "next_attempt": "\(record.nextAttempt)"])
        }
        return record
    }

    /// Writes a record's outcome to the queue.
    func write(_ record: QueuedMessage) async {
        do { try await queue.update(record) } catch {
            // Left `sending` on disk: tried again at the next start.
            logger.error("outcome not written to the queue", metadata: ["id": "\(record.id)", "error": "\(error)"])
        }
    }

    static func attempt(_ receipt: Receipt, at time: Double) -> Value {
        .object(["at": .string(ISO8601.format(epochSeconds: Int(time))), "status": .string(receipt.status.rawValue),
                 "account": receipt.account.map(Value.string) ?? .null,
                 "tries": .array(receipt.attempts.map { attempt in
                     .object(["account": .string(attempt.account), "provider": .string(attempt.provider), "outcome": .string(attempt.outcome.rawValue),
                              "class": attempt.errorClass.map { .string($0.rawValue) } ?? .null, "status": attempt.status.map { .int($0) } ?? .null,
                              "error": attempt.error.map(Value.string) ?? .null])
                 })])
    }
}

import CarrierCurl
import Foundation
import Synchronization

/// Turns an ESP's webhook into verified, normalised ``DeliveryEvent``s, by the `events:` section of
/// the account's provider file. What `carrier events serve` and `carrier events parse` run, and
/// what an application mounts on its own route:
///
/// ```swift
/// let receiver = WebhookReceiver(configuration: try Configuration.load(path: "carrier.yaml"))
/// let delivery = try await receiver.receive(account: "transactional", request: WebhookRequest(headers: headers, body: body))
/// for event in delivery.events { … }
/// ```
public struct WebhookReceiver: Sendable {
    public let configuration: Configuration
    let registry: ProviderRegistry
    let runtime: CarrierRuntime
    /// Each account resolved once (its secrets, provider file and settings), not per webhook.
    private let accounts = ReceivingCache()

    /// - Parameters:
    ///   - registry: the provider definitions; default: the configuration's folders, then the
    ///     built-ins, read with their events and without their examples (a receiver never runs them).
    ///   - runtime: the engine certificates and subscriptions are fetched with, the certificate
    ///     cache, and the clock timestamps are checked against.
    public init(configuration: Configuration, registry: ProviderRegistry? = nil, runtime: CarrierRuntime = CarrierRuntime()) {
        self.configuration = configuration
        self.registry = registry ?? .standard(extraDirectories: configuration.providerDirectories, reading: .events)
        self.runtime = runtime
    }

    /// An account ready to receive: resolved, with its provider's `events:` and settings. A
    /// class, as every webhook takes it from the cache (a struct of four fields was copied, field
    /// by field, each time).
    final class Receiving: Sendable {
        let account: Account
        let provider: String
        let spec: EventsSpec
        let context: ProviderBinding

        init(account: Account, provider: String, spec: EventsSpec, context: ProviderBinding) {
            self.account = account
            self.provider = provider
            self.spec = spec
            self.context = context
        }
    }

    final class ReceivingCache: Sendable {
        let entries = Mutex<[String: Result<Receiving, WebhookError>]>([:])
        /// Signatures seen (`replay:` key → the body's hash and when), kept for the tolerance.
        let signatures = Mutex<[String: (body: [UInt8], at: Double)]>([:])
    }

    /// Refuses a signature seen within the tolerance with another body; the same body again is an
    /// ESP's retry, which the event log de-duplicates.
    private func checkReplay(_ key: String, body: Data, account: String, now: Double, tolerance: Double) throws(WebhookError) {
        let hash = Digest.sha256(body)
        let fresh = accounts.signatures.withLock { seen -> Bool in
            if seen.count > 100_000 { seen = seen.filter { now - $0.value.at <= tolerance } }
            let id = account + "|" + key
            if let earlier = seen[id], now - earlier.at <= tolerance, earlier.body != hash { return false }
            seen[id] = (hash, seen[id]?.at ?? now)
            return true
        }
        guard fresh else { throw WebhookError(.unverified, "the webhook's signature was used before with another body: a replay") }
    }

    private func receiving(_ name: String) throws(WebhookError) -> Receiving {
        if let known = accounts.entries.withLock({ $0[name] }) { return try known.get() }
        let made: Result<Receiving, WebhookError>
        do throws(WebhookError) { made = .success(try prepare(name)) } catch { made = .failure(error) }
        // Unknown names are not kept: a stream of made-up names must not grow the cache.
        if case .success = made { accounts.entries.withLock { $0[name] = made } }
        return try made.get()
    }

    private func prepare(_ name: String) throws(WebhookError) -> Receiving {
        guard configuration.accountNames.contains(name) else { throw WebhookError(.unknownAccount, "no account named '\(name)'") }
        let account: Account
        do { account = try configuration.account(named: name) } catch {
            // A broken account is not a missing one: the ESP must retry, not give up.
            throw WebhookError(.configuration, error.description)
        }
        guard let definition = try? registry.definition(account.provider), let spec = definition.events else {
            throw WebhookError(.unknownAccount, "account '\(name)' uses \(account.provider), whose provider file declares no events:")
        }
        do {
            return Receiving(account: account, provider: definition.id, spec: spec,
                             context: try ProviderBinding(definition: definition, account: account, sending: false,
                                                          clock: runtime.clock, secrets: runtime.secrets))
        } catch {
            throw WebhookError(.configuration, error.description)
        }
    }

    /// How deep a webhook's JSON may nest: far above any ESP's payload, far below what could
    /// strain the parser or the log.
    public static let maximumJSONDepth = 64

    /// Whether the account exists and its provider declares `events:`.
    public func receives(_ account: String) -> Bool {
        (try? receiving(account)) != nil
    }

    /// What one webhook carried: its events, or the handshake it was (SNS's subscription, Event
    /// Grid's validation) with the JSON to answer it, if any.
    public struct Delivery: Sendable {
        public var events: [DeliveryEvent]
        public var handshake: String?
        public var answer: Value?
    }

    /// Verifies the webhook and reads its events.
    /// - Throws: ``WebhookError`` — unknown account (404), not verified (401), unreadable (400), or
    ///   an account that cannot verify (500).
    /// - Parameter now: the time timestamps are checked against; default the runtime's clock.
    public func receive(account name: String, request: WebhookRequest, now: Date? = nil) async throws(WebhookError) -> Delivery {
        let receiving = try receiving(name)
        do {
            return try await receive(receiving, name: name, request: request, now: now ?? runtime.clock.now.date)
        } catch {
            // A message may quote what the request carried: never a secret of the account.
            throw WebhookError(error.kind, receiving.context.redactor.redact(error.message))
        }
    }

    private func receive(_ receiving: Receiving, name: String, request: WebhookRequest, now: Date) async throws(WebhookError) -> Delivery {
        let account = receiving.account, spec = receiving.spec, context = receiving.context
        // The URL the ESP signed: the account's, as registered at the ESP (behind a proxy, with
        // credentials), else the one the request came to.
        let url = account.webhookURL ?? request.url ?? ""
        let read = request.read(maximumJSONDepth: Self.maximumJSONDepth)
        let scope = request.scope(body: read.body, url: url, secret: account.webhookSecret, settings: .object(context.settings),
                                  now: Int(now.timeIntervalSince1970))
        let input = VerifierContext(request: request, scope: scope, secret: account.webhookSecret, account: account, engine: runtime.engine,
                                      certificates: runtime.certificates,
                                      rewrite: { context.rewrite(url: $0) })
        if case .handshake(let what) = try await spec.verifier.verify(input) { return Delivery(events: [], handshake: what) }
        // A verified body that says it is JSON must be JSON — else 400, not an `unknown` event holding the text.
        if let problem = read.jsonProblem { throw WebhookError(.badPayload, problem) }
        if let handshake = spec.handshake, (try input.render(handshake.when)).isTruthy {
            return Delivery(events: [], handshake: "answered the provider's handshake", answer: try input.render(handshake.answer))
        }
        if let template = spec.timestamp {
            let stamp = try input.render(template)
            guard let seconds = Self.epochSeconds(stamp) else {
                throw WebhookError(.unverified, "the webhook's timestamp '\(stamp.text)' cannot be read")
            }
            guard abs(now.timeIntervalSince1970 - seconds) <= spec.tolerance else {
                throw WebhookError(.unverified, "the webhook's timestamp is \(Int(abs(now.timeIntervalSince1970 - seconds))) s away from now "
                                   + "(more than \(Int(spec.tolerance)) s): a replay, or a clock out of step")
            }
        }
        if let template = spec.replay {
            let key = (try input.render(template)).text
            if !key.isEmpty {
                try checkReplay(key, body: request.body, account: name, now: now.timeIntervalSince1970, tolerance: spec.tolerance)
            }
        }
        let items: [Value]
        if let template = spec.events {
            let listed = try input.render(template)
            items = listed.arrayValue ?? (listed.isNull ? [] : [listed])
        } else if request.body.isEmpty {
            items = []  // an activation check with the token in its query
        } else {
            items = scope.values["body"]?.arrayValue ?? [scope.values["body"] ?? .null]
        }
        var events: [DeliveryEvent] = []
        for item in items {
            // A secret the ESP echoes back (Elastic Email's token in its query) is masked before the
            // event's id is derived from it, and never written.
            let item = context.redactor.redact(item)
            events += try Self.read(item, spec: spec, scope: scope.with("item", item), provider: receiving.provider, account: name)
                .map { $0.redacted(by: context.redactor) }
        }
        return Delivery(events: events, handshake: nil, answer: nil)
    }

    /// One ESP event as Carrier's; a list of recipients gives one event per recipient.
    package static func read(_ item: Value, spec: EventsSpec, scope: Scope, provider: String, account: String) throws(WebhookError) -> [DeliveryEvent] {
        func field(_ name: String) throws(WebhookError) -> Value {
            guard let template = spec.map[name] else { return .null }
            do { return try template.render(in: scope) } catch {
                throw WebhookError(.badPayload, "the event's \(name) cannot be read: \(error.diagnostic.message)")
            }
        }
        func text(_ name: String) throws(WebhookError) -> String? {
            let value = try field(name)
            return value.isEmpty ? nil : value.text
        }
        let kind = DeliveryEvent.Kind(rawValue: (try text("event") ?? "").lowercased()) ?? .unknown
        let tags = try field("tags")
        let recipients = try field("recipient")
        let ownID = try text("event_id") ?? Digest.hex(Array(Digest.sha256(JSONWriter.bytes(item)).prefix(16)))
        let stamp = try field("timestamp")
        let timestamp = Self.epochSeconds(stamp).map { ISO8601.format(epochSeconds: Int($0)) } ?? (stamp.isEmpty ? nil : stamp.text)
        let base = DeliveryEvent(event: kind, bounce: try text("bounce")?.lowercased(), provider: provider, account: account,
                                 messageID: try text("message_id"), recipient: nil, timestamp: timestamp, eventID: ownID,
                                 reason: try text("reason"), url: try text("url"), userAgent: try text("user_agent"), ip: try text("ip"),
                                 tags: (tags.arrayValue ?? (tags.isEmpty ? [] : [tags])).filter { !$0.isEmpty }.map(\.text),
                                 metadata: (try field("metadata")).objectValue ?? OrderedObject(), raw: item)
        guard let list = recipients.arrayValue else {
            var one = base
            one.recipient = recipients.isEmpty ? nil : recipients.text
            return [one]
        }
        // One ESP event for several recipients (SES): one event each, with ids of their own.
        return list.filter { !$0.isEmpty }.map { recipient in
            var one = base
            one.recipient = recipient.text
            one.eventID = list.count == 1 ? ownID : ownID + "/" + recipient.text.lowercased()
            return one
        }
    }

    /// Unix seconds from a number, numeric text, or ISO 8601.
    static func epochSeconds(_ value: Value) -> Double? {
        // Beyond ±3000 years (or NaN) is not a time: Int(_:) of it would trap.
        func plausible(_ d: Double) -> Double? { d.isFinite && abs(d) < 1e11 ? d : nil }
        if let d = value.doubleValue { return plausible(d) }
        guard let text = value.stringValue?.trimmingWhitespace(), !text.isEmpty else { return nil }
        if let d = Double(text) { return plausible(d) }
        return ISO8601.parse(text).map(Double.init)
    }
}

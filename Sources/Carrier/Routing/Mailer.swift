import CarrierCurl
import Foundation
import Logging

/// Sends messages through the accounts of a configuration.
///
/// ```swift
/// let mailer = try Mailer(configuration: .load(path: "carrier.yaml"))
/// let receipt = try await mailer.send(message)
/// ```
public struct Mailer: Sendable {
    public let configuration: Configuration
    public let registry: ProviderRegistry
    let engine: CurlEngine
    let tokens: OAuth2TokenProvider
    let logger: Logger

    public init(configuration: Configuration, registry: ProviderRegistry? = nil, engine: CurlEngine = .shared,
                tokens: OAuth2TokenProvider = .shared, logger: Logger = Logger(label: "carrier")) {
        self.configuration = configuration
        self.registry = registry ?? .standard(extraDirectories: configuration.providerDirectories)
        self.engine = engine
        self.tokens = tokens
        self.logger = logger
    }

    /// Sends a message through one named account, or the first account of the configuration.
    ///
    /// - Throws: ``CarrierError/notSent(_:)`` with the receipt when the account did not take it.
    @discardableResult
    public func send(_ message: Message, account name: String? = nil) async throws(CarrierError) -> Receipt {
        let accountName = name ?? configuration.accountNames.first ?? "outbox"
        let account: Account
        do { account = try configuration.account(named: accountName) } catch { throw .configuration(error) }
        var prepared = message
        if prepared.messageID == nil { prepared.messageID = MessageIDs.make(domain: message.from.domain) }
        let attempt = try await attempt(prepared, via: account)
        log(attempt)
        let receipt = Receipt(status: attempt.outcome == .sent ? .sent : .failed, account: account.name, provider: attempt.provider,
                              channel: attempt.channel, messageIDs: attempt.messageIDs, attempts: [attempt])
        guard attempt.outcome == .sent else { throw .notSent(receipt) }
        return receipt
    }

    /// One try through one account, after the capability check.
    func attempt(_ message: Message, via account: Account) async throws(CarrierError) -> Attempt {
        var message = message
        if let from = account.from { message.from = from }
        if account.channel == .file { return await FileChannel(account: account).send(message) }
        let definition = try registry.definition(account.provider)
        let problems = CapabilityCheck.problems(message, definition.capabilities, provider: definition.id)
        guard problems.isEmpty else {
            return Attempt(account: account.name, provider: definition.id, channel: account.channel, outcome: .skipped,
                           errorClass: .failover, error: problems.joined(separator: "; "))
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

    private func log(_ attempt: Attempt) {
        var metadata: Logger.Metadata = [
            "account": .string(attempt.account), "provider": .string(attempt.provider),
            "channel": .string(attempt.channel.rawValue), "outcome": .string(attempt.outcome.rawValue),
            "duration_ms": .stringConvertible(attempt.durationMs),
        ]
        if let c = attempt.errorClass { metadata["class"] = .string(c.rawValue) }
        if let s = attempt.status { metadata["status"] = .stringConvertible(s) }
        if !attempt.messageIDs.isEmpty { metadata["message_id"] = .string(attempt.messageIDs.joined(separator: ",")) }
        if let e = attempt.error { metadata["error"] = .string(e) }
        logger.info("attempt", metadata: metadata)
    }
}

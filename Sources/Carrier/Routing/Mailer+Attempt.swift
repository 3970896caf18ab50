import CarrierCurl
import Foundation

extension Mailer {
    /// One try through one account, after the capability check.
    func attempt(_ message: Message, via account: Account) async throws(CarrierError) -> Attempt {
        var message = message
        if let from = account.from { message.from = from }
        if account.channel == .file { return await FileChannel(account: account).send(message) }
        let definition = try registry.definition(account.provider)
        let capabilities = definition.capabilities(for: account.channel)
        let problems = CapabilityCheck.problems(message, capabilities, provider: definition.id + (account.channel == .smtp ? " (smtp)" : ""))
        guard problems.isEmpty else {
            return Attempt(account: account.name, provider: definition.id, channel: account.channel, outcome: .skipped,
                           errorClass: .failover, error: problems.joined(separator: "; "), details: ["skipped": "capability"])
        }
        let context = try accounts.context(for: account, definition: definition)
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
        let dropped = CapabilityCheck.dropped(message, capabilities, provider: definition.id)
        if !dropped.isEmpty { result.details["dropped"] = .array(dropped.map(Value.string)) }
        return result
    }

    /// The request or SMTP transaction a message would produce on an account, without sending it.
    public func render(_ message: Message, account name: String, channel: ChannelKind? = nil,
                       showSecrets: Bool = false) throws(CarrierError) -> Value {
        var account: Account
        do { account = try accounts.account(name, in: configuration) } catch { throw .configuration(error) }
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

}

import CarrierCurl
import CarrierYAML
import Foundation

extension ChannelKind {
    /// A provider's SMTP relay (or any server, through the generic `smtp` provider).
    public static let smtp = ChannelKind(rawValue: "smtp")
}

/// Sends messages through an SMTP relay: the provider's (from its YAML file), an account's
/// override, or any RFC 5321 server through the generic `smtp` provider.
///
/// TLS cannot be downgraded: `starttls` fails before AUTH when the server does not offer it,
/// and `tls: none` is used only when the account asks for it.
struct SMTPChannel: Channel {
    static let kind = ChannelKind.smtp
    static let section: String? = "smtp"

    /// An account's `smtp:` (``SMTPOverride``).
    static func readAccountOptions(_ account: NodeReader, transfer: inout TransferOptions, absolute: (String) -> String) -> (any Sendable)? {
        account.mapping("smtp").map { SMTPOverride.read($0, transfer: &transfer, absolute: absolute) }
    }

    static func readSection(_ section: NodeReader, in file: ProviderFileReader, capabilities: Capabilities) -> (any Sendable)? {
        file.readSMTP(section, base: capabilities)
    }

    let setup: ChannelContext
    let context: ProviderBinding
    let spec: SMTPSpec

    init(_ setup: ChannelContext) throws(CarrierError) {
        self.setup = setup
        (context, spec) = try setup.providerSection(Self.kind, as: SMTPSpec.self)
    }

    /// Recipients per transaction when the provider file names no limit: Postfix's default
    /// `smtpd_recipient_limit`, and far below what fits in libcurl's reply buffers.
    static let defaultRecipientLimit = 1000

    /// Connections at once: the account's `smtp: {connections}`, else the provider file's, else 1.
    var concurrency: Int? { context.account.smtp?.connections ?? spec.connections ?? 1 }

    /// The relay's own `capabilities`, written over the provider's; recipients are always limited.
    var capabilities: Capabilities {
        var capabilities = spec.capabilities ?? context.definition.capabilities
        if capabilities.maxRecipients == nil { capabilities.maxRecipients = Self.defaultRecipientLimit }
        return capabilities
    }

    /// Everything about one transaction that does not need the network.
    struct Plan {
        var host: String
        var ports: [SMTPPort]
        var helo: String
        var username: String?
        var password: String?
        var mechanism: String?
        var mailFrom: String
        var recipients: [String]
        var mime: String
    }

    func plan(_ message: Message) throws(CarrierError) -> Plan {
        let override = context.account.smtp
        let place = "account '\(context.account.name)'"
        let scope = context.scope(for: message)
        let headers = try spec.headers.map { t throws(CarrierError) in ProviderBinding.headerFields(try context.render(t, in: scope)) } ?? []
        let mime: String
        do { mime = try MIMEWriter(includeBcc: false, extraHeaders: headers, dkim: context.account.dkim).write(message) } catch { throw .header(error) }
        let host: String
        if let configured = override?.host { host = configured } else { host = (try context.render(spec.host, in: scope)).text }
        var ports: [SMTPPort]
        if let port = override?.port {
            ports = [SMTPPort(port: port, tls: override?.tls ?? (port == 465 ? .implicit : .starttls))]
        } else if let tls = override?.tls {
            ports = spec.ports.map { SMTPPort(port: $0.port, tls: tls) }
        } else {
            ports = spec.ports.filter { $0.tls != .none }  // plain ports only when the account asks
        }
        guard !ports.isEmpty else {
            throw .configuration(ConfigurationError("\(place) has no SMTP port to use", hint: "set smtp: {port: …, tls: starttls}"))
        }
        let username = (try context.render(spec.username, in: scope)).text
        let password = try spec.password.map { t throws(CarrierError) in (try context.render(t, in: scope)).text }
        if let password, !password.isEmpty { setup.secrets.remember(password) }  // it may be derived (SES), not a credential as written
        if spec.loginRequired && !spec.oauth2 && (username.isEmpty || (password ?? "").isEmpty) {
            throw .configuration(missingLogin(username.isEmpty ? "username" : "password"))
        }
        let sendsCredentials = !username.isEmpty && (!(password ?? "").isEmpty || spec.oauth2)
        if sendsCredentials && ports.contains(where: { $0.tls == .none }) && !(override?.allowPlaintextAuth ?? false) {
            throw .policy(PolicyError("\(place) would send its SMTP password without TLS",
                hint: "use tls: starttls or implicit, or set smtp: {allow_plaintext_auth: true} if this server is trusted"))
        }
        let mailFrom = override?.envelopeFrom ?? message.from.email
        return Plan(host: host, ports: ports, helo: Self.heloName(override?.helo), username: sendsCredentials ? username : nil,
                    password: sendsCredentials ? password : nil, mechanism: override?.authMechanism ?? spec.authMechanism,
                    mailFrom: mailFrom, recipients: message.recipients.map(\.email), mime: mime)
    }

    /// The error for an SMTP login that comes out empty, naming the credentials its template reads.
    private func missingLogin(_ part: String) -> ConfigurationError {
        let template = part == "username" ? spec.username : (spec.password ?? .literal(.null))
        let read = template.credentialsRead.filter { (context.account.credentials[$0] ?? .null).isEmpty }
        let place = "account '\(context.account.name)' (\(context.definition.id) smtp)"
        guard !read.isEmpty else {
            return ConfigurationError("\(place): the SMTP \(part) comes out empty", hint: "check the account's settings and credentials")
        }
        let names = read.map { "'\($0)'" }.joined(separator: " and ")
        return ConfigurationError("\(place): the SMTP \(part) comes out empty; it needs the credential \(names)",
                                  hint: "add credentials: {\(read[0]): …} to the account")
    }

    /// The EHLO name: the configured one, else this machine's host name if it is a valid one.
    static func heloName(_ configured: String?) -> String {
        if let configured { return configured }
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let valid = !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        return valid ? name : "localhost.localdomain"
    }

    /// What `carrier render --channel smtp` shows: the relay, the envelope, the conversation to come, the message.
    func render(_ message: Message, showSecrets: Bool) throws(CarrierError) -> Value {
        let plan = try plan(message)
        let first = plan.ports[0]
        var conversation: [Value] = [.string("C: EHLO \(plan.helo)")]
        if first.tls == .starttls { conversation += [.string("C: STARTTLS"), .string("C: EHLO \(plan.helo)")] }
        if plan.username != nil { conversation.append(.string("C: AUTH \(spec.oauth2 ? "XOAUTH2" : (plan.mechanism ?? "PLAIN")) ***")) }
        conversation.append(.string("C: MAIL FROM:<\(plan.mailFrom)>"))
        conversation += plan.recipients.map { .string("C: RCPT TO:<\($0)>") }
        conversation += ["C: DATA", "C: (the message below)", "C: ."]
        var object = OrderedObject()
        object["channel"] = "smtp"
        object["host"] = .string(plan.host)
        object["ports"] = .array(plan.ports.map { .object(["port": .int($0.port), "tls": .string($0.tls.rawValue)]) })
        object["helo"] = .string(plan.helo)
        object["username"] = plan.username.map { .string(showSecrets ? $0 : context.redactor.redact($0)) } ?? .null
        object["password"] = plan.password.map { showSecrets ? .string($0) : "***" } ?? .null
        object["envelope"] = .object(["mail_from": .string(plan.mailFrom), "rcpt_to": .array(plan.recipients.map(Value.string))])
        object["transcript"] = .array(conversation)
        object["message"] = .string(showSecrets ? plan.mime : context.redactor.redact(plan.mime))
        return .object(object)
    }

    /// Sends the message, falling back through the ports when one is blocked.
    func send(_ message: Message) async -> Attempt {
        let started = Date()
        var details = SMTPDetails()
        func attempt(_ outcome: Attempt.Outcome, _ errorClass: ErrorClass? = nil, status: Int? = nil, error: String? = nil,
                     ids: [String] = []) -> Attempt {
            var result = Attempt(account: context.account.name, provider: context.definition.id, channel: Self.kind, outcome: outcome,
                    errorClass: errorClass, status: status, error: error.map(context.redactor.redact),
                    durationMs: Int(Date().timeIntervalSince(started) * 1000), messageIDs: ids)
            if !details.transcript.isEmpty || !details.portsTried.isEmpty || details.port != nil {
                result.smtp = details.redacted(by: context.redactor)
            }
            return result
        }
        let plan: Plan
        var bearer: String?
        do {
            plan = try self.plan(message)
            if spec.oauth2 {
                // XOAUTH2 uses the token of the provider's API auth scheme (the same cached token).
                guard let auth = context.definition.api?.auth as? OAuth2Auth else {
                    throw CarrierError.configuration(ConfigurationError("smtp oauth2 needs an api auth: oauth2 section in \(context.definition.file)"))
                }
                do {
                    bearer = try await auth.fetchCredential(setup.authContext(context, scope: context.scope(for: message)))
                } catch {
                    return attempt(.failed, error.errorClass, status: error.status, error: error.message)
                }
            }
        } catch {
            return attempt(.failed, .permanent, error: "\(error)")
        }
        var tried: [Int] = []
        var lastFailure: SMTPFailure?
        for port in plan.ports {
            var request = SMTPRequest(host: plan.host, port: port.port, tls: port.tls, helo: plan.helo,
                                      mailFrom: plan.mailFrom, recipients: plan.recipients, data: Data(plan.mime.utf8),
                                      username: plan.username, password: bearer == nil ? plan.password : nil, bearer: bearer,
                                      mechanism: bearer != nil ? "XOAUTH2" : plan.mechanism,
                                      maxMessagesPerConnection: context.account.smtp?.maxMessagesPerConnection ?? spec.maxMessagesPerConnection)
            tried.append(port.port)
            var result = await setup.engine.send(request, options: options)
            // A connection the server closed while idle: reopen it once; nothing was sent.
            if case .failure(let failure) = result, failure.reusedConnection, !failure.dataSent {
                request.freshConnection = true
                result = await setup.engine.send(request, options: options)
            }
            switch result {
            case .success(let success):
                details.port = port
                details.reply = success.lastReply
                details.rejected = success.rejected.map { SMTPDetails.Rejection(recipient: $0.recipient, reply: $0.reply) }
                details.transcript = success.transcript
                var sent = attempt(.sent, status: success.replyCode, ids: [message.messageID ?? ""].filter { !$0.isEmpty })
                if !details.rejected.isEmpty {
                    // Per recipient, as API providers that answer per recipient report it.
                    let refused = Dictionary(details.rejected.map { ($0.recipient.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
                    sent.recipients = plan.recipients.map { email in
                        guard let rejection = refused[email.lowercased()] else { return .init(email: email, status: "sent", messageID: message.messageID) }
                        return .init(email: email, status: rejection.reply.hasPrefix("4") ? "deferred" : "rejected",
                                     error: context.redactor.redact(rejection.reply))
                    }
                }
                return sent
            case .failure(let failure):
                lastFailure = failure
                if failure.transfer.kind == .connect && failure.replyCode == nil { continue }  // blocked port: next one
            }
            break
        }
        guard let failure = lastFailure else { return attempt(.failed, .retry, error: "no SMTP port answered") }
        details.portsTried = tried
        details.transcript = failure.transcript
        details.rejected = failure.rejected.map { SMTPDetails.Rejection(recipient: $0.recipient, reply: $0.reply) }
        let reply = failure.transfer.kind == .refused ? "" : (failure.lastReply.map { " (server said: \($0))" } ?? "")
        let code = failure.replyCode.flatMap { $0 >= 400 ? $0 : nil }
        return attempt(.failed, failure.errorClass(code: code), status: code,
                       error: "\(failure.transfer.kind.rawValue): \(failure.transfer.message)\(reply) [\(plan.host):\(tried.last ?? 0)]")
    }

    var options: TransferOptions { context.account.transferOptions }

}

extension SMTPFailure {
    /// A server that will not talk (a greeting refusal) or cannot carry the message (no
    /// SMTPUTF8) is `failover`; reply codes are classified like HTTP statuses; a failure
    /// without one like any transfer.
    package func errorClass(code: Int?) -> ErrorClass {
        if aboutServer { return .failover }
        if transfer.kind != .tls, let code, let errorClass = ErrorClass.forSMTPReply(code) { return errorClass }
        return .forTransfer(transfer, messageMayHaveGone: dataSent)
    }
}

extension ProviderDefinition {
    /// The `smtp` section.
    var smtp: SMTPSpec? { sections[.smtp] as? SMTPSpec }
}

struct SMTPSpec: Sendable {
    var host: Mapping
    var ports: [SMTPPort]
    var username: Mapping
    var password: Mapping?
    var oauth2: Bool
    /// Whether the relay needs a login (`login: required`, the default); `optional` for open relays.
    var loginRequired: Bool
    var authMechanism: String?
    var headers: Mapping?
    var maxMessagesPerConnection: Int?
    /// Connections the relay allows one login at once (`smtp: {connections: N}`); the account may say otherwise.
    var connections: Int?
    /// What the relay can carry where it differs from the API (no template over SMTP, say).
    var capabilities: Capabilities?
}

extension ProviderFileReader {
    func readSMTP(_ r: NodeReader, base: Capabilities) -> SMTPSpec? {
        let host = template(r, "host", required: true)
        var ports: [SMTPPort] = []
        for item in r.list("ports") ?? [] {
            let p = NodeReader(file: file, node: item, context: "an smtp port", sink: sink)
            let number = p.int("port")
            let tls = p.oneOf("tls", TLSMode.allCases.map(\.rawValue)).flatMap(TLSMode.init(rawValue:))
            if item.mapping != nil && (number == nil || tls == nil) && (item["port"] == nil || item["tls"] == nil) {
                p.error(item, "an smtp port needs 'port' and 'tls'")
            }
            p.finish()
            if let number, let tls { ports.append(SMTPPort(port: number, tls: tls)) }
        }
        if ports.isEmpty, r.node.mapping != nil { r.error(r.node, "smtp needs at least one entry in 'ports'") }
        let username = template(r, "username", required: true)
        let password = template(r, "password")
        let oauth2 = r.bool("oauth2") ?? false
        let loginRequired = (r.oneOf("login", ["required", "optional"]) ?? "required") == "required"
        let mechanism = r.oneOf("auth_mechanism", ["PLAIN", "LOGIN", "XOAUTH2"])
        let headers = template(r, "headers")
        let perConnection = r.int("max_messages_per_connection")
        let connections = positive(r, "connections")
        let capabilities = r.mapping("capabilities").map { readCapabilities($0, base: base) }
        r.finish()
        guard let host, let username else { return nil }
        return SMTPSpec(host: host, ports: ports, username: username, password: password, oauth2: oauth2, loginRequired: loginRequired,
                        authMechanism: mechanism, headers: headers, maxMessagesPerConnection: perConnection, connections: connections,
                        capabilities: capabilities)
    }
}

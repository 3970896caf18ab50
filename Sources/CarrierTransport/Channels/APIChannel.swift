import CarrierCurl
import CarrierYAML
import Foundation

extension ChannelKind {
    /// A provider's HTTP API, as the `api` section of its file describes it.
    public static let api = ChannelKind(rawValue: "api")
}

/// Sends messages through a provider's HTTP API, in named steps: render the request from the
/// provider file, authenticate it, transfer it, and read the answer by the file's response rules.
package struct APIChannel: Channel {
    package static let kind = ChannelKind.api
    package static let section: String? = "api"

    package static func readSection(_ section: NodeReader, in file: ProviderFileReader, capabilities: Capabilities) -> (any Sendable)? {
        file.readAPI(section, capabilities: capabilities)
    }

    let setup: ChannelContext
    let context: ProviderBinding
    let spec: APISpec

    package init(_ setup: ChannelContext) throws(CarrierError) {
        self.setup = setup
        let (context, spec) = try setup.providerSection(Self.kind, as: APISpec.self)
        self.context = context
        guard setup.account.dkim != nil else {
            self.spec = spec
            return
        }
        guard let signing = spec.forSigning else {
            throw .configuration(ConfigurationError(
                "account '\(setup.account.name)' has dkim:, but \(context.definition.id)'s API takes the message as JSON fields, not as MIME Carrier could sign",
                hint: "set up DKIM for your domain at \(context.definition.id) (it signs what it builds), or send through its smtp channel"))
        }
        self.spec = signing
    }

    package var capabilities: Capabilities { spec.capabilities ?? context.definition.capabilities }

    /// Requests most ESPs take at once from one key without throttling, when neither the account
    /// nor the provider file says.
    static let defaultConcurrency = 32

    package var concurrency: Int? { context.account.concurrency ?? spec.concurrency ?? Self.defaultConcurrency }

    var options: TransferOptions { context.account.transferOptions }

    // MARK: - Steps

    /// Step 1: the request for a message, before authentication. A request to be `shown` keeps
    /// its body's value as rendered; one to be sent has its JSON written straight from the template.
    func request(for message: Message, scope: inout Scope, shown: Bool = false) throws(CarrierError) -> RenderedRequest {
        let mimeHeaders = try spec.mimeHeaders.map { t throws(CarrierError) in ProviderBinding.headerFields(try context.render(t, in: scope)) } ?? []
        let writer = MIMEWriter(includeBcc: spec.mimeIncludesBcc, extraHeaders: mimeHeaders, dkim: context.account.dkim)
        // The message is read through the scope's fields: a closure that held the message itself would copy it.
        let fields = scope.fields ?? MessageFieldValues(message)
        scope.setLazy("mime") { .string(try writer.write(fields.message)) }
        let url = context.rewrite(url: (try context.render(spec.url, in: scope)).text)
        // On the bytes: every byte of a non-ASCII character is over 0x7F, so this is the same
        // test as on the characters, without decoding them.
        guard url.withContiguousUTF8({ $0.allSatisfy { $0 > 0x20 && $0 != 0x7F } }) else {
            throw .header(HeaderInjectionError(place: "HTTP request", name: "URL",
                                               problem: "it contains a space or control character; a template value needs | url_escape"))
        }
        var headers: [RenderedRequest.Header] = []
        if let template = spec.headers, let object = (try context.render(template, in: scope)).objectValue {
            for entry in object { try headers.append(.checked(entry.key, entry.value.text, sensitive: false)) }
        }
        let body = shown ? try spec.body.body(try context.render(spec.body.template, in: scope))
            : try spec.body.body(in: scope, context: context)
        return RenderedRequest(method: spec.method, url: url, headers: headers, body: body)
    }

    /// Step 2: the auth scheme's headers over the finished request.
    func authenticate(_ request: inout RenderedRequest, credential: String?, context auth: AuthContext) throws(CarrierError) {
        for (name, value) in try spec.auth.headers(for: request.wire, credential: credential, context: auth) {
            // `Basic base64(user:key)` and tokens are derived or obtained here: hidden from all output.
            if type(of: spec.auth).headerValuesAreSecret {
                auth.secrets.remember(value)
                if let space = value.utf8.firstIndex(of: UInt8(ascii: " ")) { auth.secrets.remember(String(value[value.utf8.index(after: space)...])) }
            }
            request.headers.removeAll { HeaderRules.sameFieldName($0.name, name) }
            try request.headers.append(.checked(name, value, sensitive: true))
        }
    }

    /// The exact request for a message, without sending it (tokens fetched at send time are
    /// placeholders). Its body's bytes are those a send writes (`ExpressionTests.jsonWrittenAsRendered`, and `sentBodyMismatch` in every provider example).
    func rendered(_ message: Message, shown: Bool = true) throws(CarrierError) -> RenderedRequest {
        var scope = context.scope(for: message)
        var request = try request(for: message, scope: &scope, shown: shown)
        try authenticate(&request, credential: nil, context: setup.authContext(context, scope: scope))
        return request
    }

    /// What differs between the JSON body a send writes and the one `carrier render` shows (nil
    /// when they are the same bytes): a send writes it straight from the template, a render
    /// renders the value first. `providers test` checks it for every example.
    func sentBodyMismatch(_ message: Message) throws(CarrierError) -> String? {
        // A MIME part of the body (`mime`) would otherwise get a new Message-ID and Date each time.
        var message = message
        message.messageID = message.messageID ?? "body-check@carrier.invalid"
        message.date = message.date ?? 0
        var scope = context.scope(for: message)
        let shown = try request(for: message, scope: &scope, shown: true).body
        let sent = try request(for: message, scope: &scope).body
        guard shown.bytesAreDisplayJSON, sent.bytes != shown.bytes else { return nil }
        return context.redactor.redact("the body a send writes differs from the one shown:\n  sent:  \(String(decoding: sent.bytes, as: UTF8.self))"
            + "\n  shown: \(String(decoding: shown.bytes, as: UTF8.self))")
    }

    /// The request a send of the message puts on the wire, built as a send builds it.
    package func wireRequest(_ message: Message) throws(CarrierError) -> CurlHTTPRequest? {
        try rendered(message, shown: false).wire
    }

    package func render(_ message: Message, showSecrets: Bool) throws(CarrierError) -> Value {
        try rendered(message).display(redactor: context.redactor, showSecrets: showSecrets)
    }

    /// Sends the message once and reports the attempt.
    package func send(_ message: Message) async -> Attempt {
        let started = Date()
        do {
            var scope = context.scope(for: message)
            var request = try request(for: message, scope: &scope)
            if let header = spec.idempotencyHeader, let key = message.messageID {
                try request.headers.append(.checked(header, key, sensitive: false))
            }
            switch await transfer(&request, scope: scope, started: started) {
            case .answered(let response): return settle(response, started: started, message: message)
            case .failed(let failed): return failed
            }
        } catch {
            // A template that fails for this message is the provider file's fault; no other try of it will do better.
            return attempt(.failed, since: started, .permanent, error: error.description)
        }
    }

    /// An attempt of this account, its error redacted.
    func attempt(_ outcome: Attempt.Outcome, since started: Date, _ errorClass: ErrorClass? = nil, status: Int? = nil, error: String? = nil,
                 ids: [String] = [], retryAfter: Double? = nil) -> Attempt {
        Attempt(account: context.account.name, provider: context.definition.id, channel: Self.kind, outcome: outcome,
                errorClass: errorClass, status: status, error: error.map(context.redactor.redact),
                durationMs: Int(Date().timeIntervalSince(started) * 1000), messageIDs: ids, retryAfter: retryAfter)
    }

    /// A request's fate: the provider's answer, or the attempt that failed before one came.
    enum TransferResult {
        case answered(CurlHTTPResponse)
        case failed(Attempt)
    }

    /// Authenticates a finished request (fetching a token when the scheme needs one) and sends
    /// it: the answer, or the failed attempt.
    func transfer(_ request: inout RenderedRequest, scope: Scope, started: Date) async -> TransferResult {
        let auth = setup.authContext(context, scope: scope)
        let credential: String?
        do { credential = try await spec.auth.fetchCredential(auth) } catch {
            return .failed(attempt(.failed, since: started, error.errorClass, status: error.status, error: error.message))
        }
        do { try authenticate(&request, credential: credential, context: auth) } catch {
            return .failed(attempt(.failed, since: started, .permanent, error: error.description))
        }
        do { return .answered(try await setup.engine.send(request.wire, options: options)) } catch {
            return .failed(attempt(.failed, since: started, .forTransfer(error, messageMayHaveGone: error.requestSent),
                                    error: "\(error.kind.rawValue): \(error.message)"))
        }
    }

    /// What an answer means for the message, by the provider's response rules.
    func settle(_ response: CurlHTTPResponse, started: Date, message: Message? = nil) -> Attempt {
        let outcome: ResponseInterpreter.Interpretation
        do { outcome = try ResponseInterpreter(spec: spec.response, context: context).interpret(response, message: message) } catch {
            // The request went out and an answer came that the file's rules cannot read:
            // a success status leaves it unknown whether the message was taken.
            let errorClass: ErrorClass = (200..<300).contains(response.status) ? .ambiguous : .forHTTPStatus(response.status)
            return attempt(.failed, since: started, errorClass, status: response.status,
                           error: "HTTP \(response.status): the provider file could not read the answer: \(error)")
        }
        if outcome.accepted && !outcome.recipients.isEmpty && outcome.recipients.allSatisfy({ $0.disposition == .refused }) {
            // Every recipient refused: nobody got it, whatever the status code says.
            var refused = attempt(.failed, since: started, .permanent, status: response.status,
                                  error: "HTTP \(response.status): every recipient was refused: "
                                      + outcome.recipients.map { "\($0.email) (\($0.status)\($0.error.map { ": \($0)" } ?? ""))" }.joined(separator: ", "))
            refused.recipients = outcome.recipients
            return refused
        }
        if outcome.accepted {
            var sent = attempt(.sent, since: started, status: response.status, ids: outcome.messageIDs)
            sent.acceptedForLater = outcome.acceptedForLater
            sent.recipients = outcome.recipients
            return sent
        }
        return attempt(.failed, since: started, outcome.errorClass, status: response.status, error: outcome.error, retryAfter: outcome.retryAfter)
    }
}

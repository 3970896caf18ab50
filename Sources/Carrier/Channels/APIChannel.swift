import CarrierCurl
import Foundation

/// Sends messages through a provider's HTTP API, as its YAML file describes.
struct APIChannel: Sendable {
    let context: ProviderContext
    let spec: APISpec
    let engine: CurlEngine
    let tokens: OAuth2TokenProvider

    init(context: ProviderContext, engine: CurlEngine = .shared, tokens: OAuth2TokenProvider = .shared) throws(CarrierError) {
        guard let spec = context.definition.api else {
            throw .configuration(ConfigurationError("provider \(context.definition.id) has no api channel",
                                                    hint: "use channel: smtp for account '\(context.account.name)'"))
        }
        self.context = context
        self.spec = spec
        self.engine = engine
        self.tokens = tokens
    }

    var options: TransferOptions {
        TransferOptions(connectTimeout: context.account.timeouts.connect, totalTimeout: context.account.timeouts.total,
                        caFile: context.account.caFile)
    }

    /// The exact request for a message, without sending it (OAuth2 tokens are placeholders).
    func render(_ message: Message) throws(CarrierError) -> RenderedRequest {
        var scope = context.scope(for: message)
        let mimeHeaders = try spec.mimeHeaders.map { t throws(CarrierError) in ProviderContext.headerFields(try context.render(t, in: scope)) } ?? []
        let writer = MIMEWriter(includeBcc: spec.mimeIncludesBcc, extraHeaders: mimeHeaders)
        scope.lazy["mime"] = { .string(writer.write(message)) }
        let url = context.rewrite(url: (try context.render(spec.url, in: scope)).text)
        var headers = try AuthResolver.headers(spec.auth, context: context, scope: scope)
        if let template = spec.headers, let object = (try context.render(template, in: scope)).objectValue {
            for entry in object { headers.append(.init(name: entry.key, value: entry.value.text, sensitive: false)) }
        }
        let rendered = try context.render(spec.body.template, in: scope)
        let body: RenderedRequest.Body
        switch spec.body.encoding {
        case .json: body = .json(rendered)
        case .form: body = .form(FormEncoding.fields(rendered))
        case .multipart: body = .multipart(FormEncoding.parts(rendered))
        case .raw: body = .raw(contentType: spec.body.contentType ?? "text/plain", text: rendered.text)
        }
        return RenderedRequest(method: spec.method, url: url, headers: headers, body: body)
    }

    /// Sends the message once and reports the attempt.
    func send(_ message: Message, idempotencyKey: String? = nil) async -> Attempt {
        let started = Date()
        func attempt(_ outcome: Attempt.Outcome, _ errorClass: ErrorClass? = nil, status: Int? = nil, error: String? = nil,
                     ids: [String] = [], retryAfter: Double? = nil) -> Attempt {
            Attempt(account: context.account.name, provider: context.definition.id, channel: .api, outcome: outcome,
                    errorClass: errorClass, status: status, error: error.map(context.redactor.redact),
                    durationMs: Int(Date().timeIntervalSince(started) * 1000), messageIDs: ids, retryAfter: retryAfter)
        }
        do {
            var request = try render(message)
            if case .oauth2(let oauth) = spec.auth {
                let scope = context.scope(for: message)
                let (url, grant) = try AuthResolver.grant(oauth, context: context, scope: scope)
                do {
                    let token = try await tokens.token(url: url, grant: grant, engine: engine, options: options)
                    request.headers.removeAll { $0.name == "Authorization" }
                    request.headers.insert(.init(name: "Authorization", value: "Bearer \(token)", sensitive: true), at: 0)
                } catch {
                    return attempt(.failed, error.errorClass, status: error.status, error: error.message)
                }
            }
            var wire = request.wire()
            if let header = spec.idempotencyHeader, let key = idempotencyKey { wire.headers.append((header, key)) }
            let response: HTTPResponse
            do {
                response = try await engine.send(wire, options: options)
            } catch {
                let errorClass: ErrorClass = error.requestSent ? .ambiguous : (error.kind == .tls ? .failover : .retry)
                return attempt(.failed, errorClass, error: "\(error.kind.rawValue): \(error.message)")
            }
            let outcome = try ResponseInterpreter(spec: spec.response, context: context).interpret(response)
            if outcome.accepted { return attempt(.sent, status: response.status, ids: outcome.messageIDs) }
            return attempt(.failed, outcome.errorClass, status: response.status, error: outcome.error, retryAfter: outcome.retryAfter)
        } catch {
            // A template that fails for this message is the provider file's fault; no other try of it will do better.
            return attempt(.failed, .permanent, error: error.description)
        }
    }
}

import CarrierYAML
import Foundation

extension ProviderDefinition {
    /// The `api` section.
    package var api: APISpec? { sections[.api] as? APISpec }
    /// Whether its API drops a second send of one message: it sends the stable Message-ID as an
    /// idempotency key (`idempotency_header`).
    package var dropsDuplicatesByMessageID: Bool { api?.idempotencyHeader != nil }
}

package struct APISpec: Sendable {
    var method: String
    var url: Mapping
    var headers: Mapping?
    var auth: any AuthScheme
    var body: any BodyEncoding
    var mimeIncludesBcc: Bool
    /// Whether the API takes the whole message as MIME (`mime:` in the file): only then can Carrier sign it.
    var sendsMIME: Bool
    /// Extra header fields written into the `mime` variable (where the API has no field for tags or metadata).
    var mimeHeaders: Mapping?
    package var response: ResponseSpec
    var idempotencyHeader: String?
    /// Requests the ESP takes at once from one account (`api: {concurrency: N}`); the account may say otherwise.
    var concurrency: Int?
    /// The batch endpoint (`api: {batch: …}`), for bulk runs.
    var batch: BatchSpec?
    /// The API's raw-MIME request (`signed:`), for accounts that sign with DKIM.
    var signed: SignedRequest?
    /// What this request carries when it differs from the provider's capabilities (a `signed:` request's own).
    var capabilities: Capabilities?

    /// The spec an account with `dkim:` sends by: this one when it takes MIME, else its `signed:`
    /// request (one message per request: batches carry fields, not signed MIME); nil when it has neither.
    var forSigning: APISpec? {
        if sendsMIME { return self }
        guard let signed else { return nil }
        var spec = self
        spec.url = signed.url ?? url
        spec.headers = signed.headers ?? headers
        spec.body = signed.body
        spec.mimeIncludesBcc = signed.mimeIncludesBcc
        spec.mimeHeaders = signed.mimeHeaders
        spec.sendsMIME = true
        spec.capabilities = signed.capabilities
        spec.signed = nil
        spec.batch = nil
        return spec
    }
}

/// `api: {signed: {url, headers, mime, body}}`: where an API that takes fields also takes the
/// whole message as MIME (Mailgun's `messages.mime`, Graph's `sendMail` as `text/plain`), the
/// request that carries the MIME Carrier writes and signs. `url` and `headers` default to the api's.
struct SignedRequest: Sendable {
    var url: Mapping?
    var headers: Mapping?
    var body: any BodyEncoding
    var mimeIncludesBcc: Bool
    var mimeHeaders: Mapping?
    /// What the MIME request carries, written over the provider's (a MIME message has a text and an HTML part).
    var capabilities: Capabilities?
}

/// Reads the provider's answer: did it accept, which ids, what went wrong, and what kind of failure.
package struct ResponseSpec: Sendable {
    var success: Mapping?
    var messageIDs: Mapping?
    var error: Mapping?
    var retryAfter: Mapping?
    /// True when the ESP took the message for processing later (Azure's 202 with an operation).
    var acceptedForLater: Mapping?
    /// Per-recipient results of an accepted answer: a list of `{email, status, message_id, error}`.
    var recipients: Mapping?
    var classify: [StatusRule]
    var classifyWhen: [(condition: CompiledExpression, errorClass: ErrorClass)]
}

/// A status pattern (`429`, `500-599`, `4xx`) and the failure class it means.
struct StatusRule: Sendable {
    var range: ClosedRange<Int>
    var errorClass: ErrorClass

    static func parse(_ text: String) -> ClosedRange<Int>? {
        if let n = Int(text) { return n...n }
        if text.count == 3, text.hasSuffix("xx"), let d = Int(text.prefix(1)) { return d * 100...d * 100 + 99 }
        let parts = text.split(separator: "-")
        if parts.count == 2, let a = Int(parts[0].trimmingWhitespace()),
           let b = Int(parts[1].trimmingWhitespace()), a <= b { return a...b }
        return nil
    }
}

extension ProviderFileReader {
    func readAPI(_ r: NodeReader, capabilities: Capabilities) -> APISpec? {
        let method = r.oneOf("method", ["POST", "PUT", "PATCH", "GET"]) ?? "POST"
        let url = template(r, "url", required: true)
        let headers = template(r, "headers")
        let auth = auth(in: r)
        let body = body(in: r)
        let sendsMIME = r.node("mime") != nil
        let (mimeIncludesBcc, mimeHeaders) = readMIME(r)
        let signed = r.mapping("signed").flatMap { readSigned($0, base: capabilities) }
        let response = r.mapping("response").map(readResponse)
            ?? ResponseSpec(success: nil, messageIDs: nil, error: nil, retryAfter: nil, classify: [], classifyWhen: [])
        let idempotency = r.string("idempotency_header")
        let concurrency = positive(r, "concurrency")
        let batch = r.mapping("batch").flatMap(readBatch)
        r.finish()
        guard let url, let body else { return nil }
        return APISpec(method: method, url: url, headers: headers, auth: auth, body: body, mimeIncludesBcc: mimeIncludesBcc, sendsMIME: sendsMIME,
                       mimeHeaders: mimeHeaders, response: response, idempotencyHeader: idempotency, concurrency: concurrency, batch: batch,
                       signed: signed, capabilities: nil)
    }

    /// `mime: {bcc, headers}`: whether the written MIME keeps Bcc, and extra header fields.
    private func readMIME(_ r: NodeReader) -> (includesBcc: Bool, headers: Mapping?) {
        guard let mime = r.mapping("mime") else { return (false, nil) }
        defer { mime.finish() }
        return (mime.bool("bcc") ?? false, template(mime, "headers"))
    }

    func readSigned(_ r: NodeReader, base: Capabilities) -> SignedRequest? {
        let url = template(r, "url")
        let headers = template(r, "headers")
        let (mimeIncludesBcc, mimeHeaders) = readMIME(r)
        let capabilities = r.mapping("capabilities").map { readCapabilities($0, base: base) }
        let body = body(in: r)
        r.finish()
        guard let body else { return nil }
        return SignedRequest(url: url, headers: headers, body: body, mimeIncludesBcc: mimeIncludesBcc, mimeHeaders: mimeHeaders,
                             capabilities: capabilities)
    }

    func readResponse(_ r: NodeReader) -> ResponseSpec {
        let variables = DefinitionLoader.responseVariables
        var spec = ResponseSpec(success: nil, messageIDs: nil, error: nil, retryAfter: nil, classify: [], classifyWhen: [])
        if let node = r.node("success") {
            if case .sequence(let items) = node.kind {
                let statuses = items.compactMap { Value(yaml: $0).intValue }
                spec.success = .literal(.array(statuses.map(Value.int)))
            } else {
                spec.success = compiler(variables).compile(node)
            }
        }
        spec.messageIDs = template(r, "message_ids", variables: variables)
        spec.error = template(r, "error", variables: variables)
        spec.retryAfter = template(r, "retry_after", variables: variables)
        spec.acceptedForLater = template(r, "accepted_for_later", variables: variables)
        spec.recipients = template(r, "recipients", variables: variables)
        let classNames = ErrorClass.allCases.map(\.rawValue)
        for (pattern, node) in r.entries("classify") ?? [] {
            guard let range = StatusRule.parse(pattern) else {
                r.error(node, "'\(pattern)' is not a status pattern", hint: "write 429, 500-599 or 5xx")
                continue
            }
            guard let name = node.scalar, let errorClass = ErrorClass(rawValue: name) else {
                r.error(node, "'\(node.scalar ?? "")' is not a failure class", hint: Suggest.hint(for: node.scalar ?? "", in: classNames))
                continue
            }
            spec.classify.append(StatusRule(range: range, errorClass: errorClass))
        }
        for item in r.list("classify_when") ?? [] {
            let rule = NodeReader(file: file, node: item, context: "a classify_when rule", sink: sink)
            let condition = rule.requiredNode("when").flatMap { compiler(variables).compileExpression($0) }
            let errorClass = rule.oneOf("class", classNames).flatMap(ErrorClass.init(rawValue:))
            if rule.node.mapping != nil, errorClass == nil, rule.node["class"] == nil { rule.error(item, "a classify_when rule needs a 'class'") }
            rule.finish()
            if let condition, let errorClass { spec.classifyWhen.append((condition, errorClass)) }
        }
        r.finish()
        return spec
    }
}

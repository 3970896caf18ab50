import CarrierCurl
import Foundation

/// `api: {batch: …}`: the provider's batch endpoint — several messages in one request, one
/// answer per message.
///
/// ```yaml
/// batch:
///   url: https://api.postmarkapp.com/email/batch
///   size: 500                                   # messages per request
///   body: "{{ requests }}"                      # `requests`: each message's api.body, rendered as for one send
///   results: "{{ body }}"                       # the answers, in the order of the messages
///   item_success: "{{ item.ErrorCode == 0 }}"   # per answer (`item`)
///   item_message_ids: "{{ item.MessageID }}"
///   item_error: "{{ item.Message }}"
/// ```
struct BatchSpec: Sendable {
    var url: Mapping
    var size: Int
    var body: Mapping
    var results: Mapping
    var itemSuccess: Mapping
    var itemMessageIDs: Mapping?
    var itemError: Mapping?

    static let requestVariables: Set<String> = ["requests", "settings", "credentials", "now"]
    static let itemVariables: Set<String> = ["item", "status", "headers", "body", "text", "settings"]
}

extension ProviderFileReader {
    func readBatch(_ r: NodeReader) -> BatchSpec? {
        let url = template(r, "url", required: true, variables: BatchSpec.requestVariables)
        let size = positive(r, "size") ?? 100
        let body = template(r, "body", required: true, variables: BatchSpec.requestVariables)
        let results = template(r, "results", required: true, variables: DefinitionLoader.responseVariables)
        let success = template(r, "item_success", required: true, variables: BatchSpec.itemVariables)
        let ids = template(r, "item_message_ids", variables: BatchSpec.itemVariables)
        let error = template(r, "item_error", variables: BatchSpec.itemVariables)
        r.finish()
        guard let url, let body, let results, let success else { return nil }
        return BatchSpec(url: url, size: size, body: body, results: results, itemSuccess: success, itemMessageIDs: ids, itemError: error)
    }
}

extension APIChannel {
    /// Messages per batch request, or nil when the provider has no batch endpoint.
    var batchSize: Int? { spec.batch?.size }

    /// Sends up to ``batchSize`` messages in one request; one attempt per message, in order.
    /// A request that fails as a whole fails every message with the answer's class; an answer
    /// that refuses some messages fails those (permanent) and sends the others.
    func sendBatch(_ messages: [Message]) async -> [Attempt] {
        guard let batch = spec.batch, !messages.isEmpty else { return [] }
        let started = Date()
        func attempt(_ outcome: Attempt.Outcome, _ errorClass: ErrorClass? = nil, status: Int? = nil, error: String? = nil,
                     ids: [String] = []) -> Attempt {
            Attempt(account: context.account.name, provider: context.definition.id, channel: Self.kind, outcome: outcome,
                    errorClass: errorClass, status: status, error: error.map(context.redactor.redact),
                    durationMs: Int(Date().timeIntervalSince(started) * 1000), messageIDs: ids)
        }
        func all(_ one: Attempt) -> [Attempt] { Array(repeating: one, count: messages.count) }
        do {
            var requests: [Value] = []
            for message in messages {
                requests.append(try context.render(spec.body.template, in: context.scope(for: message)))
            }
            var scope = context.scope(for: messages[0])
            scope.values["requests"] = .array(requests)
            var request = try self.request(for: messages[0], scope: &scope)
            request.url = context.rewrite(url: (try context.render(batch.url, in: scope)).text)
            let body = try context.render(batch.body, in: scope)
            request.body = RequestBody(contentType: "application/json", bytes: Data(JSONWriter.bytes(body)), display: body)
            let auth = setup.authContext(context, scope: scope)
            let credential: String?
            do { credential = try await spec.auth.fetchCredential(auth) } catch {
                return all(attempt(.failed, error.errorClass, status: error.status, error: error.message))
            }
            try authenticate(&request, credential: credential, context: auth)
            let response: HTTPResponse
            do { response = try await setup.engine.send(request.wire, options: options) } catch {
                return all(attempt(.failed, .forTransfer(error, messageMayHaveGone: error.requestSent), error: "\(error.kind.rawValue): \(error.message)"))
            }
            guard (200..<300).contains(response.status), !response.truncated else {
                // The batch as a whole: classified by the provider's single-send rules.
                let outcome = try ResponseInterpreter(spec: spec.response, context: context).interpret(response)
                return all(attempt(.failed, outcome.errorClass ?? .forHTTPStatus(response.status), status: response.status,
                                   error: outcome.error ?? "HTTP \(response.status)", ids: []))
            }
            let parsed = (try? JSONParser.parse(Array(response.body))) ?? .null
            var headers = OrderedObject()
            for header in response.headers { headers[header.name.lowercased()] = .string(header.value) }
            let answerScope = Scope(values: ["status": .int(response.status), "headers": .object(headers), "body": parsed,
                                             "text": .string(String(decoding: response.body, as: UTF8.self)), "settings": .object(context.settings)])
            let items = (try context.render(batch.results, in: answerScope)).arrayValue ?? []
            return try messages.indices.map { i throws(CarrierError) -> Attempt in
                guard i < items.count else {
                    return attempt(.failed, .ambiguous, status: response.status,
                                   error: "HTTP \(response.status): the batch answer has no result for message \(i + 1) of \(messages.count)")
                }
                let itemScope = answerScope.with("item", items[i])
                if (try context.render(batch.itemSuccess, in: itemScope)).isTruthy {
                    let ids = try batch.itemMessageIDs.map { t throws(CarrierError) in try context.render(t, in: itemScope) } ?? .null
                    return attempt(.sent, status: response.status, ids: (ids.arrayValue ?? [ids]).filter { !$0.isEmpty }.map(\.text))
                }
                let error = try batch.itemError.map { t throws(CarrierError) in (try context.render(t, in: itemScope)).text } ?? "refused"
                return attempt(.failed, .permanent, status: response.status, error: "HTTP \(response.status): \(error)")
            }
        } catch {
            return all(attempt(.failed, .permanent, error: error.description))
        }
    }
}

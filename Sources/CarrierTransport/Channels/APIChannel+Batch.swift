import CarrierCurl
import Foundation

/// `api: {batch: …}`: the provider's batch endpoint — several messages in one request. Two kinds:
///
/// - a list endpoint (Postmark): `body` builds the request from `requests`, and `results` gives
///   one answer per message, read with the `item_…` rules (also on an error status, when the
///   answer has one per message: Mailjet). With `vary:`, a request takes only messages alike but
///   for those body fields (Brevo's messageVersions carry just those);
/// - a merge endpoint (SendGrid's personalizations, Mailgun's recipient variables, SparkPost's
///   recipients, Mandrill's `message.to`): `merge: KEY` sends one request per group of messages
///   that are the same except for KEY, with KEY's lists joined; the answer is read by the
///   provider's single-send rules and stands for every message of the group (a per-recipient
///   answer is split among them). Body fields named in `vary:` may differ too: where they do, the
///   request carries the `placeholder:` (`$name` is the field's last key) and each message's value
///   goes with its entries of KEY (`values:`) or in `recipients`, which `add:` puts in the
///   request (Mailgun substitutes `%recipient.subject%` per recipient). Keys are dotted paths.
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
    /// The key whose lists are joined across messages that are otherwise the same (`merge:`).
    var mergeKey: String?
    var body: Mapping?
    var results: Mapping?
    var itemSuccess: Mapping?
    var itemMessageIDs: Mapping?
    var itemError: Mapping?
    /// The failure class of a refused item (`item_class`); default `permanent`.
    var itemClass: Mapping?
    /// Which messages the batch endpoint takes (`when:`, over the message); the others are sent one by one.
    var when: Mapping?
    /// Body fields that may differ between the messages of one request (`vary:`, dotted paths).
    var vary: [String] = []
    /// What stands in a merged body for a field that differs (`placeholder:`; `$name` is its last key).
    var placeholder: String?
    /// Where each entry of the merge key carries its message's differing values (`values:`).
    var valuesKey: String?
    /// Fields (dotted paths) added to a merged body (`add:`, over `recipients`: each address → its
    /// differing values, and `varied`: the names of the fields that differ).
    var add: Mapping?

    static let requestVariables: Set<String> = ["requests", "settings", "credentials", "now"]
    static let mergeVariables: Set<String> = ["recipients", "varied", "settings"]
    static let itemVariables: Set<String> = ["item", "status", "headers", "body", "text", "settings"]
}

extension ProviderFileReader {
    func readBatch(_ r: NodeReader) -> BatchSpec? {
        let url = template(r, "url", required: true, variables: BatchSpec.requestVariables)
        let size = positive(r, "size") ?? 100
        let merge = r.string("merge")
        let listEndpoint = merge == nil
        let body = template(r, "body", required: listEndpoint, variables: BatchSpec.requestVariables)
        let results = template(r, "results", required: listEndpoint, variables: DefinitionLoader.responseVariables)
        let success = template(r, "item_success", required: listEndpoint, variables: BatchSpec.itemVariables)
        let ids = template(r, "item_message_ids", variables: BatchSpec.itemVariables)
        let error = template(r, "item_error", variables: BatchSpec.itemVariables)
        let itemClass = template(r, "item_class", variables: BatchSpec.itemVariables)
        let when = template(r, "when")
        let vary = r.list("vary")?.compactMap { r.scalarString($0, name: "vary") } ?? []
        let placeholder = r.string("placeholder")
        let valuesKey = r.string("values")
        let add = template(r, "add", variables: BatchSpec.mergeVariables)
        if listEndpoint, let node = r.node("placeholder") ?? r.node("values") ?? r.node("add") {
            r.error(node, "'placeholder', 'values' and 'add' belong to a merge endpoint",
                    hint: "add 'merge: KEY' (the list joined across messages), or remove them")
        } else if !listEndpoint, !vary.isEmpty, placeholder == nil, let node = r.node("vary") {
            r.error(node, "a merge endpoint with 'vary' needs a 'placeholder' for the fields that differ",
                    hint: "such as placeholder: \"%recipient.$name%\" ($name is the field's last key)")
        }
        r.finish()
        guard let url, !listEndpoint || (body != nil && results != nil && success != nil) else { return nil }
        return BatchSpec(url: url, size: size, mergeKey: merge, body: body, results: results, itemSuccess: success, itemMessageIDs: ids,
                         itemError: error, itemClass: itemClass, when: when, vary: vary, placeholder: placeholder, valuesKey: valuesKey, add: add)
    }
}

extension APIChannel: BatchChannel {
    /// Messages per batch request, or nil when the provider has no batch endpoint.
    package var batchSize: Int? { spec.batch?.size }

    /// Whether the batch endpoint takes this message (its `when:` rule; all do without one).
    package func batchable(_ message: Message) -> Bool {
        guard let when = spec.batch?.when else { return true }
        return (try? context.render(when, in: context.scope(for: message)))?.isTruthy ?? false
    }

    /// Sends up to ``batchSize`` messages in one request; one attempt per message, in order.
    /// A request that fails as a whole fails every message with the answer's class; an answer
    /// that refuses some messages fails those (permanent) and sends the others.
    package func sendBatch(_ messages: [Message]) async -> [Attempt] {
        guard let batch = spec.batch, !messages.isEmpty else { return [] }
        let started = Date()
        if let key = batch.mergeKey { return await sendMerged(messages, key: key, batch: batch, started: started) }
        guard !batch.vary.isEmpty else { return await sendList(messages, batch: batch, started: started) }
        // Brevo's messageVersions: one request per group of messages alike but for the `vary` fields.
        var results = [Attempt?](repeating: nil, count: messages.count)
        let (groups, failed) = group(messages, ignoring: batch.vary, started: started)
        for (i, attempt) in failed { results[i] = attempt }
        for group in groups {
            let attempts = await sendList(group.indices.map { messages[$0] }, batch: batch, started: started)
            for (i, attempt) in zip(group.indices, attempts) { results[i] = attempt }
        }
        return results.map { $0! }
    }

    /// Messages grouped by their rendered body without the `ignoring` fields (a field there must be
    /// set in all or none); messages that cannot be rendered are failed attempts.
    private func group(_ messages: [Message], ignoring fields: [String], started: Date)
        -> (groups: [(indices: [Int], values: [Value])], failed: [(Int, Attempt)]) {
        var groups: [(rest: [UInt8], indices: [Int], values: [Value])] = []
        var failed: [(Int, Attempt)] = []
        for (i, message) in messages.enumerated() {
            do {
                let value = try context.render(spec.body.template, in: context.scope(for: message))
                // A body that is not an object matches only itself.
                var fingerprint = JSONWriter.bytes(value)
                if value.objectValue != nil {
                    var rest = value
                    for field in fields { rest.set(path: field, to: .bool(!value.at(path: field).isEmpty)) }
                    fingerprint = JSONWriter.bytes(rest)
                }
                if let g = groups.firstIndex(where: { $0.rest == fingerprint }) {
                    groups[g].indices.append(i)
                    groups[g].values.append(value)
                } else {
                    groups.append((fingerprint, [i], [value]))
                }
            } catch {
                failed.append((i, attempt(.failed, since: started, .permanent, error: error.description)))
            }
        }
        return (groups.map { ($0.indices, $0.values) }, failed)
    }

    /// A list endpoint: the messages' bodies as `requests`, one answer per message.
    private func sendList(_ messages: [Message], batch: BatchSpec, started: Date) async -> [Attempt] {
        guard let bodyTemplate = batch.body, let resultsTemplate = batch.results, let itemSuccess = batch.itemSuccess else { return [] }
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
            // The list goes in the section's own encoding, as a single send's body does.
            request.body = try spec.body.body(try context.render(bodyTemplate, in: scope))
            let response: CurlHTTPResponse
            switch await transfer(&request, scope: scope, started: started) {
            case .answered(let answer): response = answer
            case .failed(let failed): return all(failed)
            }
            guard !response.truncated else { return all(settle(response, started: started)) }
            let answerScope = ResponseInterpreter.scope(of: response, settings: context.settings)
            guard (200..<300).contains(response.status) else {
                // Refused, but with an answer per message (Mailjet's 400 when some fail): read each.
                // Otherwise the batch failed as a whole, classified by the single-send rules.
                guard let items = (try? context.render(resultsTemplate, in: answerScope))?.arrayValue, items.count == messages.count else {
                    return all(settle(response, started: started))
                }
                return try read(items, for: messages.count, answerScope: answerScope, status: response.status, batch: batch, itemSuccess: itemSuccess, started: started)
            }
            let items: [Value]
            do { items = (try context.render(resultsTemplate, in: answerScope)).arrayValue ?? [] } catch {
                // A 2xx whose answer cannot be read: the messages may have gone.
                return all(attempt(.failed, since: started, .ambiguous, status: response.status,
                                   error: "HTTP \(response.status): the provider file could not read the batch answer: \(error)"))
            }
            return try read(items, for: messages.count, answerScope: answerScope, status: response.status, batch: batch, itemSuccess: itemSuccess, started: started)
        } catch {
            return all(attempt(.failed, since: started, .permanent, error: error.description))
        }
    }

    /// One attempt per message from the answer's items, in order (a missing item is ambiguous).
    private func read(_ items: [Value], for count: Int, answerScope: Scope, status: Int, batch: BatchSpec, itemSuccess: Mapping,
                      started: Date) throws(CarrierError) -> [Attempt] {
        try (0..<count).map { i throws(CarrierError) -> Attempt in
            guard i < items.count else {
                return attempt(.failed, since: started, .ambiguous, status: status,
                               error: "HTTP \(status): the batch answer has no result for message \(i + 1) of \(count)")
            }
            let itemScope = answerScope.with("item", items[i])
            if (try context.render(itemSuccess, in: itemScope)).isTruthy {
                let ids = try batch.itemMessageIDs.map { t throws(CarrierError) in try context.render(t, in: itemScope) } ?? .null
                return attempt(.sent, since: started, status: status, ids: (ids.arrayValue ?? [ids]).filter { !$0.isEmpty }.map(\.text))
            }
            let error = try batch.itemError.map { t throws(CarrierError) in (try context.render(t, in: itemScope)).text } ?? "refused"
            let named = try batch.itemClass.map { t throws(CarrierError) in (try context.render(t, in: itemScope)).text }
            return attempt(.failed, since: started, named.flatMap(ErrorClass.init(rawValue:)) ?? .permanent, status: status,
                           error: "HTTP \(status): \(error)")
        }
    }

    /// A merge endpoint: messages that are the same but for `key` (and the `vary` fields) go in one
    /// request with `key`'s lists joined (in order); each group's answer, read by the single-send
    /// rules, is every member's attempt. Messages that differ elsewhere go in requests of their own.
    private func sendMerged(_ messages: [Message], key: String, batch: BatchSpec, started: Date) async -> [Attempt] {
        var results = [Attempt?](repeating: nil, count: messages.count)
        let (groups, failed) = group(messages, ignoring: [key] + batch.vary, started: started)
        for (i, attempt) in failed { results[i] = attempt }
        for group in groups {
            let attempt: Attempt
            do {
                let merged = try merge(group.values, recipients: group.indices.map { messages[$0].to }, key: key, batch: batch)
                attempt = await sendRendered(merged, for: messages[group.indices[0]], url: batch.url, started: started)
            } catch {
                attempt = self.attempt(.failed, since: started, .permanent, error: error.description)
            }
            for i in group.indices { results[i] = Self.own(attempt, for: messages[i]) }
        }
        return results.map { $0! }
    }

    /// A group's attempt as one of its messages sees it: with a per-recipient answer (Mandrill's),
    /// only that message's recipients, and failed when every one of them was refused.
    static func own(_ attempt: Attempt, for message: Message) -> Attempt {
        guard !attempt.recipients.isEmpty else { return attempt }
        let addresses = Set((message.to + message.cc + message.bcc).map { $0.email.lowercased() })
        var mine = attempt
        mine.recipients = attempt.recipients.filter { addresses.contains($0.email.lowercased()) }
        guard !mine.recipients.isEmpty else { return attempt }
        mine.messageIDs = mine.recipients.compactMap(\.messageID)
        if attempt.outcome == .sent, mine.recipients.allSatisfy({ $0.disposition == .refused }) {
            mine.outcome = .failed
            mine.errorClass = .permanent
            mine.error = (attempt.status.map { "HTTP \($0): " } ?? "") + "refused: "
                + mine.recipients.map { "\($0.email) (\($0.status)\($0.error.map { ": \($0)" } ?? ""))" }.joined(separator: ", ")
        }
        return mine
    }

    /// One body for a group: the first message's, with a placeholder for each `vary` field whose
    /// values differ, `key`'s lists joined (each entry carrying its message's values under
    /// `values:`), and the `add` fields rendered over each recipient's values.
    private func merge(_ values: [Value], recipients: [[Address]], key: String, batch: BatchSpec) throws(CarrierError) -> Value {
        var merged = values[0]
        var own = [OrderedObject](repeating: OrderedObject(), count: values.count)
        var varied: [Value] = []
        if let placeholder = batch.placeholder {
            for field in batch.vary where values.contains(where: { $0.at(path: field) != values[0].at(path: field) }) {
                let name = String(field.split(separator: ".").last ?? Substring(field))
                merged.set(path: field, to: .string(placeholder.replacingOccurrences(of: "$name", with: name)))
                varied.append(.string(name))
                for i in values.indices { own[i][name] = .string(values[i].at(path: field).text) }
            }
        }
        var joined: [Value] = []
        for (i, value) in values.enumerated() {
            let entries = value.at(path: key).arrayValue ?? [value.at(path: key)]
            guard let valuesKey = batch.valuesKey, !own[i].isEmpty else { joined += entries; continue }
            joined += entries.map { entry in
                var entry = entry
                entry.set(path: valuesKey, to: .object(own[i]))
                return entry
            }
        }
        merged.set(path: key, to: .array(joined))
        guard let add = batch.add else { return merged }
        var byAddress = OrderedObject()
        for (i, addresses) in recipients.enumerated() {
            for address in addresses { byAddress[address.email] = .object(own[i]) }
        }
        let extra = try context.render(add, in: Scope(values: ["recipients": .object(byAddress), "varied": .array(varied),
                                                               "settings": .object(context.settings)]))
        for entry in extra.objectValue ?? OrderedObject() where !entry.value.isNull {
            merged.set(path: entry.key, to: entry.value)
        }
        return merged
    }

    /// Sends an already rendered body (a merged batch) like a single send, to the batch URL.
    private func sendRendered(_ body: Value, for message: Message, url: Mapping, started: Date) async -> Attempt {
        do {
            var scope = context.scope(for: message)
            var request = try self.request(for: message, scope: &scope)
            request.url = context.rewrite(url: (try context.render(url, in: scope)).text)
            request.body = try spec.body.body(body)
            switch await transfer(&request, scope: scope, started: started) {
            case .answered(let response): return settle(response, started: started, message: message)
            case .failed(let failed): return failed
            }
        } catch {
            return attempt(.failed, since: started, .permanent, error: error.description)
        }
    }
}

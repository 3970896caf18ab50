import CarrierCurl
import Foundation

/// Applies a provider's response rules to an HTTP answer.
package struct ResponseInterpreter {
    let spec: ResponseSpec
    let context: ProviderBinding

    package init(spec: ResponseSpec, context: ProviderBinding) {
        self.spec = spec
        self.context = context
    }

    package struct Interpretation {
        package var accepted: Bool
        package var messageIDs: [String]
        package var error: String?
        package var errorClass: ErrorClass?
        var retryAfter: Double?
        var acceptedForLater = false
        var recipients: [Attempt.RecipientResult] = []
    }

    /// Error text longer than this is cut (after redaction, so no part of a secret survives).
    package static let maximumErrorLength = 500

    /// What response rules read of an answer: `status`, `headers` (lower-case names), `body` (the
    /// JSON when it is JSON, else the text, else null), `text` (the raw body) and `settings`; for a
    /// single send also `message` — the message sent: `to`, `cc`, `bcc`, `recipients` (every
    /// address) and `message_id` — so an answer that lists only the refused addresses, or has no
    /// id, can be read against what was sent. Single sends and batches read answers through this one scope.
    static func scope(of response: CurlHTTPResponse, settings: OrderedObject, message: Message? = nil) -> Scope {
        var values = OrderedObject()
        values.reserveCapacity(4)
        values.appendNew("status", .int(response.status))
        values.appendNew("settings", .object(settings))
        let json = try? JSONParser.parse(Array(response.body))
        if let json {
            values.appendNew("body", json)
        } else {
            let text = response.text
            values.appendNew("body", text.isEmpty ? .null : .string(text))
            values.appendNew("text", .string(text))
        }
        var scope = Scope(values: values)
        // Made only when a rule reads them: most read the body alone.
        if json != nil { scope.setLazy("text") { .string(response.text) } }
        scope.setLazy("headers") { .object(OrderedObject(headers: response.headers)) }
        if let message {
            scope.setLazy("message") {
                .object(["to": .array(message.to.map(\.value)), "cc": .array(message.cc.map(\.value)),
                         "bcc": .array(message.bcc.map(\.value)), "recipients": .array(message.recipients.map { .string($0.email) }),
                         "message_id": message.messageID.map(Value.string) ?? .null])
            }
        }
        return scope
    }

    package func interpret(_ response: CurlHTTPResponse, message: Message? = nil) throws(CarrierError) -> Interpretation {
        if response.truncated { return oversized(response) }
        let scope = Self.scope(of: response, settings: context.settings, message: message)
        let accepted: Bool
        switch spec.success {
        case nil: accepted = (200..<300).contains(response.status)
        case .literal(.array(let statuses))?: accepted = statuses.contains(.int(response.status))
        case let template?: accepted = (try context.render(template, in: scope)).isTruthy
        }
        if accepted {
            let ids = try spec.messageIDs.map { t throws(CarrierError) in try context.render(t, in: scope) } ?? .null
            let list = (ids.arrayValue ?? [ids]).filter { !$0.isEmpty }.map(\.text)
            // The rules expect an id and the answer has none: it cannot be read, so whether the
            // provider took the message is unknown — not a success to report.
            if spec.messageIDs != nil && list.isEmpty {
                return Interpretation(accepted: false, messageIDs: [], error: describe(response, "the answer has no message id the provider file "
                                   + "can read, so whether the message was accepted is unknown: " + response.text),
                               errorClass: .ambiguous)
            }
            let later = try spec.acceptedForLater.map { t throws(CarrierError) in (try context.render(t, in: scope)).isTruthy } ?? false
            let recipients = try spec.recipients.map { t throws(CarrierError) in Attempt.RecipientResult.list(try context.render(t, in: scope)) } ?? []
            return Interpretation(accepted: true, messageIDs: list, acceptedForLater: later,
                           recipients: recipients.map { var r = $0; r.error = r.error.map { context.redactor.redact($0) }; return r })
        }
        var errorText = try spec.error.map { t throws(CarrierError) in (try context.render(t, in: scope)).text } ?? ""
        if errorText.isEmpty { errorText = response.text.trimmingCharacters(in: .whitespacesAndNewlines) }
        if errorText.isEmpty { errorText = "no error text" }
        errorText = describe(response, errorText)
        return Interpretation(accepted: false, messageIDs: [], error: errorText, errorClass: try classify(response.status, scope: scope),
                       retryAfter: try retryAfter(response, scope: scope))
    }

    /// `HTTP <status>: <text>`, redacted first and then cut.
    private func describe(_ response: CurlHTTPResponse, _ text: String) -> String {
        var redacted = context.redactor.redact(text).escapingControlCharacters()
        if redacted.count > Self.maximumErrorLength { redacted = String(redacted.prefix(Self.maximumErrorLength)) + "…" }
        return "HTTP \(response.status): " + redacted
    }

    /// An answer past the size cap is classified by its status alone; a success status whose
    /// body was not read in full may or may not mean the message was taken.
    private func oversized(_ response: CurlHTTPResponse) -> Interpretation {
        let note = "the answer is larger than \(context.account.transferOptions.maximumResponseBytes) bytes; reading stopped there"
        if (200..<300).contains(response.status) {
            return Interpretation(accepted: false, messageIDs: [], error: describe(response, note), errorClass: .ambiguous)
        }
        let errorClass = spec.classify.first { $0.range.contains(response.status) }?.errorClass ?? .forHTTPStatus(response.status)
        return Interpretation(accepted: false, messageIDs: [], error: describe(response, note), errorClass: errorClass,
                       retryAfter: Self.retryAfterHeader(response))
    }

    private func classify(_ status: Int, scope: Scope) throws(CarrierError) -> ErrorClass {
        for rule in spec.classifyWhen {
            do {
                if try rule.condition.evaluate(in: scope).isTruthy { return rule.errorClass }
            } catch {
                throw .template(error)
            }
        }
        if let rule = spec.classify.first(where: { $0.range.contains(status) }) { return rule.errorClass }
        // A 2xx the rules did not accept is the provider refusing the message, not a transport fault.
        if (200..<300).contains(status) { return .permanent }
        return ErrorClass.forHTTPStatus(status)
    }

    private func retryAfter(_ response: CurlHTTPResponse, scope: Scope) throws(CarrierError) -> Double? {
        if let template = spec.retryAfter, let seconds = DurationText.hint(try context.render(template, in: scope)) { return seconds }
        return Self.retryAfterHeader(response)
    }

    /// `Retry-After` as seconds or an HTTP date; a value that is not a sensible wait is no hint.
    static func retryAfterHeader(_ response: CurlHTTPResponse) -> Double? {
        guard let header = response.header("Retry-After")?.trimmingWhitespace() else { return nil }
        if let seconds = DurationText.hint(.string(header)) { return seconds }
        if let date = RFC2822Date.parse(header) { return DurationText.hint(.double(Double(date) - Date().timeIntervalSince1970)) }
        return nil
    }
}

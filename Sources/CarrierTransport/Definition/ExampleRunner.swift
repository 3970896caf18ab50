import CarrierCurl
import Foundation

/// Runs the `examples` of a provider file: renders each message and compares the request with
/// the one written down, then feeds the written answer through the response rules.
public enum ExampleRunner {
    /// The outcome of one example: empty `failures` means it passed.
    public struct ExampleResult: Sendable {
        public var provider: String
        public var name: String
        public var location: String
        public var failures: [String]
        public var passed: Bool { failures.isEmpty }
    }

    /// Renders every example of the provider file; nothing is sent.
    public static func run(_ definition: ProviderDefinition) -> [ExampleResult] {
        let lent = Lent()
        return definition.examples.map { example in
            ExampleResult(provider: definition.id, name: example.name, location: "\(definition.file):\(example.mark)",
                   failures: failures(of: example, in: definition, lent: lent))
        }
    }

    /// Why a provider with both send examples and events proves no join, or nil: one answered
    /// send example must carry an `event:`.
    public static func missingJoin(_ definition: ProviderDefinition) -> String? {
        guard definition.events != nil, definition.examples.contains(where: { $0.response != nil }),
              !definition.examples.contains(where: { $0.event != nil }) else { return nil }
        return "it has events and answered send examples, but no example with an event: — add event: (the webhook for that "
            + "message) to one, so providers test checks that receipts and delivery events join"
    }

    /// What the examples' channels are lent; nothing is sent, so the engine never starts its thread.
    private struct Lent {
        let clock = SystemClock()
        let secrets = ObtainedSecrets()
        let engine = CurlEngine()
        let tokens: OAuth2TokenProvider

        init() { tokens = OAuth2TokenProvider(clock: clock, secrets: secrets) }
    }

    private static func failures(of example: ProviderExample, in definition: ProviderDefinition, lent: Lent) -> [String] {
        let account = Account(name: "example", provider: definition.id, channel: example.channel,
                              credentials: example.credentials.objectValue ?? OrderedObject(),
                              settings: example.settings.objectValue ?? OrderedObject())
        do {
            let message: Message
            do { message = try Message.decode(example.message) } catch { throw CarrierError.message(error) }
            let context = try ProviderBinding(definition: definition, account: account, clock: lent.clock, secrets: lent.secrets)
            var failures: [String] = []
            let setup = ChannelContext(account: account, provider: context, engine: lent.engine, tokens: lent.tokens,
                                       clock: lent.clock, secrets: lent.secrets)
            if example.channel == .smtp {
                let rendered = try SMTPChannel(setup).render(message, showSecrets: true)
                return compareSMTP(expected: example.request ?? .null, actual: rendered)
            }
            let channel = try APIChannel(setup)
            let rendered = try channel.render(message, showSecrets: true)
            if let expected = example.request {
                failures += compareRequest(expected: expected, actual: rendered)
            }
            if let mismatch = try channel.sentBodyMismatch(message) { failures.append(mismatch) }
            if let response = example.response {
                // The answer is settled as a real send's is: the same rules, the same per-recipient reading.
                let attempt = channel.settle(httpResponse(response), started: Date(), message: message)
                failures += compareOutcome(expected: example.expect ?? .null, actual: attempt)
                if let event = example.event {
                    failures += joinFailures(event, receiptIDs: attempt.messageIDs, definition: definition, settings: example.settings)
                }
            } else if example.event != nil {
                failures.append("event: needs a response: (the receipt's id comes from the answer)")
            }
            return failures
        } catch let error as CarrierError {
            return ["cannot render: \(error)"]
        } catch {
            return ["cannot render: \(error)"]
        }
    }

    /// Whether the events the provider's `map:` makes of an example's webhook name the receipt's id:
    /// `GET /v1/messages/ID` and suppressions find a message by it.
    static func joinFailures(_ event: Value, receiptIDs: [String], definition: ProviderDefinition, settings: Value) -> [String] {
        guard let spec = definition.events else { return ["event: the provider file has no events: section"] }
        let eventIDs: [String]
        do { eventIDs = try eventMessageIDs(event, spec: spec, settings: settings) } catch {
            return ["event: the events map cannot read it: \(error)"]
        }
        guard !eventIDs.isEmpty else { return ["event: the events map makes no event of it"] }
        return eventIDs.filter { !receiptIDs.contains($0) }.map { id in
            "event: its message_id '\(id)' is not the receipt's \(receiptIDs.map { "'\($0)'" }.joined(separator: ", ")): "
                + "events would never find their message (make events.map.message_id read the id response.message_ids gives)"
        }
    }

    /// The `message_id` of each event the `map:` makes of a webhook written as `{body, headers, url}`
    /// (not verified: the example shows the payload, not a signature).
    static func eventMessageIDs(_ event: Value, spec: EventsSpec, settings: Value) throws -> [String] {
        let headers = (event["headers"].objectValue ?? OrderedObject()).entries.map { (name: $0.key, value: $0.value.text) }
        let bytes: Data
        switch event["body"] {
        case .string(let text): bytes = Data(text.utf8)
        case let other: bytes = Data(JSONWriter.string(other).utf8)
        }
        let hasType = headers.contains { HeaderRules.sameFieldName($0.name, "content-type") }
        let request = WebhookRequest(headers: hasType || event["body"].stringValue != nil ? headers : headers + [("Content-Type", "application/json")],
                                     body: bytes, url: event["url"].stringValue)
        let read = request.read(maximumJSONDepth: 64)
        let scope = request.scope(body: read.body, url: event["url"].text, secret: nil, settings: settings, now: 0)
        let items: [Value]
        if let template = spec.events {
            let listed = try template.render(in: scope)
            items = listed.arrayValue ?? (listed.isNull ? [] : [listed])
        } else {
            items = read.body.arrayValue ?? [read.body]
        }
        return try items.compactMap { item in
            guard let template = spec.map["message_id"] else { return nil }
            let id = try template.render(in: scope.with("item", item))
            return id.isEmpty ? nil : id.text
        }
    }

    static func httpResponse(_ value: Value) -> CurlHTTPResponse {
        let headers = (value["headers"].objectValue ?? OrderedObject()).entries.map { (name: $0.key, value: $0.value.text) }
        let body: Data
        switch value["body"] {
        case .null: body = Data()
        case .string(let s): body = Data(s.utf8)
        case let other: body = Data(JSONWriter.string(other).utf8)
        }
        return CurlHTTPResponse(status: value["status"].intValue ?? 200, headers: headers, body: body)
    }

    /// Method, URL and body must match exactly; the headers written down must be present with those values.
    static func compareRequest(expected: Value, actual: Value) -> [String] {
        var failures: [String] = []
        for key in ["method", "url", "body"] where expected.objectValue?[key] != nil {
            failures += differences(expected[key], actual[key], path: "request.\(key)")
        }
        for header in expected["headers"].objectValue ?? OrderedObject() {
            let found = actual["headers"].objectValue?.entries.first { HeaderRules.sameFieldName($0.key, header.key) }?.value
            if found != header.value {
                failures.append("request.headers.\(header.key): expected \(JSONWriter.string(header.value)), got \(found.map(JSONWriter.string) ?? "nothing")")
            }
        }
        return failures
    }

    /// Host, ports, username and envelope must match; the headers written down must be in the message.
    static func compareSMTP(expected: Value, actual: Value) -> [String] {
        var failures: [String] = []
        for key in ["host", "ports", "username", "envelope"] where expected[key] != .null {
            failures += differences(expected[key], actual[key], path: "request.\(key)")
        }
        let head = actual["message"].text.components(separatedBy: "\r\n\r\n").first ?? ""
        let lines = head.replacingOccurrences(of: "\r\n ", with: " ").components(separatedBy: "\r\n")
        for header in expected["headers"].objectValue ?? OrderedObject() {
            let values = (header.value.arrayValue ?? [header.value]).map(\.text)
            for value in values where !lines.contains("\(header.key): \(value)") {
                failures.append("request.headers.\(header.key): expected a header '\(header.key): \(value)' in the message")
            }
        }
        return failures
    }

    private static func compareOutcome(expected: Value, actual: Attempt) -> [String] {
        var failures: [String] = []
        let status = actual.outcome == .sent ? "sent" : "failed"
        if let want = expected["outcome"].stringValue, want != status {
            failures.append("expect.outcome: expected \(want), got \(status)" + (actual.error.map { " (\($0))" } ?? ""))
        }
        if let want = expected["message_ids"].arrayValue, want.map(\.text) != actual.messageIDs {
            failures.append("expect.message_ids: expected \(want.map(\.text)), got \(actual.messageIDs)")
        }
        if let want = expected["class"].stringValue, want != actual.errorClass?.rawValue {
            failures.append("expect.class: expected \(want), got \(actual.errorClass?.rawValue ?? "none")")
        }
        if let want = expected["error"].stringValue, !(actual.error ?? "").contains(want) {
            failures.append("expect.error: expected it to contain \"\(want)\", got \"\(actual.error ?? "")\"")
        }
        if let want = expected["retry_after"].intValue, Int(actual.retryAfter ?? -1) != want {
            failures.append("expect.retry_after: expected \(want), got \(actual.retryAfter.map { String($0) } ?? "none")")
        }
        if let want = expected["recipients"].arrayValue {
            failures += differences(.array(want), .array(actual.recipients.map(\.value)), path: "expect.recipients")
        }
        return failures
    }

    /// Paths where two values differ, such as `request.body.personalizations[0].to[1].name`.
    static func differences(_ expected: Value, _ actual: Value, path: String) -> [String] {
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            var out: [String] = []
            for entry in e { out += differences(entry.value, a[entry.key] ?? .null, path: "\(path).\(entry.key)") }
            for key in a.keys where e[key] == nil { out.append("\(path).\(key): not expected, got \(JSONWriter.string(a[key]!))") }
            return out
        case (.array(let e), .array(let a)) where e.count == a.count:
            return zip(e, a).enumerated().flatMap { differences($1.0, $1.1, path: "\(path)[\($0)]") }
        default:
            if MappingExpression.looselyEqual(expected, actual) { return [] }
            return ["\(path): expected \(JSONWriter.string(expected)), got \(JSONWriter.string(actual))"]
        }
    }
}

import CarrierYAML
import Foundation

/// A provider file's `events:` section: how its webhooks prove they are genuine, how a payload
/// splits into events, and how each maps to a ``DeliveryEvent``.
///
/// ```yaml
/// events:
///   verify: {hmac: {key: "{{ secret }}", message: "{{ body.signature.timestamp + body.signature.token }}",
///                   signature: "{{ body.signature.signature }}"}}
///   timestamp: "{{ body.signature.timestamp }}"   # checked against `tolerance` (seconds, default 300)
///   replay: "{{ body.signature.token }}"          # a signature seen again with another body is refused
///   events: "{{ [body['event-data']] }}"          # the ESP's events in the payload (`item` below)
///   handshake: {when: "{{ … }}", answer: {…}}     # a verified handshake and the JSON to answer it
///   map:
///     event: "{{ item.event | lookup({delivered: 'delivered', failed: 'bounced'}, 'unknown') }}"
///     message_id: "{{ '<' + item.message.headers['message-id'] + '>' }}"
///     recipient: "{{ item.recipient }}"           # a list gives one event per recipient
///     timestamp: "{{ item.timestamp }}"           # unix seconds or ISO 8601; written as ISO 8601
///     event_id: "{{ item.id }}"                   # default: a hash of the ESP's event
/// ```
package struct EventsSpec: Sendable {
    package var verifier: any WebhookVerifier
    package var timestamp: Mapping?
    package var tolerance: Double
    package var events: Mapping?
    package var map: [String: Mapping]
    /// A verified request that is the ESP's handshake, and what to answer it (`handshake: {when, answer}`,
    /// Event Grid's validation: echo its code); it carries no events.
    package var handshake: (when: Mapping, answer: Mapping)?
    /// What makes one signature unique (`replay:`, Mailgun's token): seen again within the tolerance
    /// with another body, the webhook is refused (a signature that does not cover the body).
    package var replay: Mapping?

    /// What verification, `timestamp` and `events` may read.
    package static let requestVariables: Set<String> = ["body", "text", "headers", "query", "url", "secret", "settings", "now"]
    /// What the `map` templates may read: the same, and the ESP's event as `item`.
    static let itemVariables = requestVariables.union(["item"])
    /// The fields `map` may set.
    static let fields = ["event", "bounce", "message_id", "recipient", "timestamp", "event_id", "reason", "url", "user_agent", "ip",
                         "tags", "metadata"]
}

extension ProviderFileReader {
    func readEvents(_ r: NodeReader) -> EventsSpec? {
        var verifier: (any WebhookVerifier)?
        if let node = r.requiredNode("verify") {
            let verifiers = format.verifiers, names = verifiers.map { $0.name }
            let entries = node.mapping ?? []
            if entries.count != 1 {
                r.error(node, "'verify' names one verifier", hint: "one of: " + names.joined(separator: ", "))
            } else if let name = entries[0].key.scalar, let type = verifiers.first(where: { $0.name == name }) {
                verifier = type.read(entries[0].value, in: self)
            } else {
                r.error(entries[0].key, "unknown verifier '\(entries[0].key.scalar ?? "")'",
                        hint: Suggest.hint(for: entries[0].key.scalar ?? "", in: names, otherwise: "verifiers are: " + names.joined(separator: ", ")))
            }
        }
        let timestamp = template(r, "timestamp", variables: EventsSpec.requestVariables)
        let tolerance = Double(positive(r, "tolerance") ?? 300)
        let events = template(r, "events", variables: EventsSpec.requestVariables)
        let replay = template(r, "replay", variables: EventsSpec.requestVariables)
        var handshake: (when: Mapping, answer: Mapping)?
        if let h = r.mapping("handshake") {
            if let when = template(h, "when", required: true, variables: EventsSpec.requestVariables),
               let answer = template(h, "answer", required: true, variables: EventsSpec.requestVariables) {
                handshake = (when, answer)
            }
            h.finish()
        }
        var map: [String: Mapping] = [:]
        if let m = r.mapping("map") {
            for field in EventsSpec.fields {
                if let t = template(m, field, required: field == "event", variables: EventsSpec.itemVariables) { map[field] = t }
            }
            m.finish()
        } else if r.node("map") == nil {
            r.error(r.node, "'events' needs a 'map' of each ESP event to Carrier's", hint: "add map: {event: \"{{ item.event }}\", …}")
        }
        r.finish()
        guard let verifier, map["event"] != nil else { return nil }
        return EventsSpec(verifier: verifier, timestamp: timestamp, tolerance: tolerance, events: events, map: map, handshake: handshake,
                          replay: replay)
    }
}

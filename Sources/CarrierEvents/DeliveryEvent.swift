import Foundation

/// One delivery event from an ESP's webhook, in Carrier's words: what happened to which message
/// for which recipient. `messageID` is the id Carrier's receipt gave, so a send and its events join.
public struct DeliveryEvent: Sendable, Equatable {
    /// What happened. `unknown` is an ESP event the provider file does not name.
    public enum Kind: String, Sendable, CaseIterable {
        case queued, sent, delivered, deferred, bounced, rejected, failed, opened, clicked, complained, unsubscribed, subscribed
        /// An automatic reply (out of office, vacation) came back: delivered, and not a bounce.
        case autoresponded
        case unknown
    }

    public var event: Kind
    /// `hard` or `soft`, when the ESP tells.
    public var bounce: String?
    public var provider: String
    public var account: String
    public var messageID: String?
    public var recipient: String?
    /// ISO 8601 in UTC.
    public var timestamp: String?
    /// The ESP's id for the event, or a stable hash of it; an id already written is not written again.
    public var eventID: String
    public var reason: String?
    /// The link clicked.
    public var url: String?
    public var userAgent: String?
    public var ip: String?
    public var tags: [String]
    public var metadata: OrderedObject
    /// The ESP's own event, as it came.
    public var raw: Value

    /// An event as a provider file's `map` makes it; what it does not say stays empty.
    public init(event: Kind, bounce: String? = nil, provider: String, account: String, messageID: String?, recipient: String? = nil,
                timestamp: String? = nil, eventID: String, reason: String? = nil, url: String? = nil, userAgent: String? = nil,
                ip: String? = nil, tags: [String] = [], metadata: OrderedObject = OrderedObject(), raw: Value = .null) {
        self.event = event
        self.bounce = bounce
        self.provider = provider
        self.account = account
        self.messageID = messageID
        self.recipient = recipient
        self.timestamp = timestamp
        self.eventID = eventID
        self.reason = reason
        self.url = url
        self.userAgent = userAgent
        self.ip = ip
        self.tags = tags
        self.metadata = metadata
        self.raw = raw
    }

    /// The event with the account's secrets masked in the texts a map may have taken from anywhere
    /// in the request (its `raw` event is masked before it is read). Ids, addresses and times are
    /// left whole: masking part of one could make two events one.
    func redacted(by redactor: Redactor) -> DeliveryEvent {
        var event = self
        event.reason = reason.map(redactor.redact)
        event.url = url.map(redactor.redact)
        event.userAgent = userAgent.map(redactor.redact)
        event.tags = tags.map(redactor.redact)
        event.metadata = redactor.redact(.object(metadata)).objectValue ?? metadata
        return event
    }

    /// The event as one JSON object (an NDJSON line of `carrier events`).
    public var value: Value {
        var object = OrderedObject()
        object.reserveCapacity(15)
        // Fifteen names, each once: appended without looking for it first.
        object.appendNew("event", .string(event.rawValue))
        object.appendNew("bounce", bounce.map(Value.string) ?? .null)
        object.appendNew("provider", .string(provider))
        object.appendNew("account", .string(account))
        object.appendNew("message_id", messageID.map(Value.string) ?? .null)
        object.appendNew("recipient", recipient.map(Value.string) ?? .null)
        object.appendNew("timestamp", timestamp.map(Value.string) ?? .null)
        object.appendNew("event_id", .string(eventID))
        object.appendNew("reason", reason.map(Value.string) ?? .null)
        object.appendNew("url", url.map(Value.string) ?? .null)
        object.appendNew("user_agent", userAgent.map(Value.string) ?? .null)
        object.appendNew("ip", ip.map(Value.string) ?? .null)
        object.appendNew("tags", .array(tags.map(Value.string)))
        object.appendNew("metadata", .object(metadata))
        object.appendNew("raw", raw)
        return .object(object)
    }
}

import Carrier
import Foundation

/// A message the gateway accepted, and what became of it: what `GET /v1/messages/{id}` shows.
public struct QueuedMessage: Sendable {
    /// Where a message stands.
    public enum Status: String, Sendable, CaseIterable {
        /// Accepted and durable; not tried yet.
        case queued
        /// A send is under way.
        case sending
        /// An account took it.
        case sent
        /// Every account of its route failed for now; it is tried again at `nextAttempt`.
        case deferred
        /// Refused for good (an invalid message, a permanent refusal, a capability it needs).
        case failed
        /// Still unsent when it reached the queue's `max_age`.
        case expired
        /// Its client cancelled it before it was sent.
        case cancelled
        /// A gateway stopped while sending it, so it may have reached the provider, which does not
        /// drop duplicates: left for an operator (`carrier queue retry --resend-unknown ID`, or cancel).
        case unknown

        /// Whether nothing more will happen to it.
        public var isFinal: Bool { self == .sent || self == .failed || self == .expired || self == .cancelled }
    }

    public var id: String
    public var client: String
    /// How it came in: `http` or `smtp`.
    public var intake: String
    public var route: String?
    public var status: Status
    /// When it was accepted (seconds since 1970, on the gateway's clock).
    public var created: Double
    /// When it is due to be tried (again).
    public var nextAttempt: Double
    /// Each try: when, and what the route's accounts said (a receipt's attempts).
    public var attempts: [Value]
    /// The account that took it, and the ids its provider gave.
    public var account: String?
    public var provider: String?
    public var providerIDs: [String]
    /// Delivery events received for it (`POST /events/{account}`), newest last.
    public var events: [Value]
    public var lastError: String?
    public var message: Message

    public init(id: String, client: String, intake: String, route: String?, created: Double, message: Message) {
        self.id = id
        self.client = client
        self.intake = intake
        self.route = route
        self.status = .queued
        self.created = created
        self.nextAttempt = created
        self.attempts = []
        self.providerIDs = []
        self.events = []
        self.message = message
    }

    /// The record as stored (with the message) or as shown (without it).
    public func value(includingMessage: Bool) -> Value {
        var object = OrderedObject()
        object["id"] = .string(id)
        object["status"] = .string(status.rawValue)
        object["client"] = .string(client)
        object["intake"] = .string(intake)
        object["route"] = route.map(Value.string) ?? .null
        object["created"] = .string(ISO8601.format(epochSeconds: Int(created)))
        object["created_at"] = .double(created)
        object["next_attempt"] = status.isFinal ? .null : .double(nextAttempt)
        object["message_id"] = message.messageID.map(Value.string) ?? .null
        object["account"] = account.map(Value.string) ?? .null
        object["provider"] = provider.map(Value.string) ?? .null
        object["provider_ids"] = .array(providerIDs.map(Value.string))
        object["last_error"] = lastError.map(Value.string) ?? .null
        object["attempts"] = .array(attempts)
        object["events"] = .array(events)
        if includingMessage { object["message"] = message.value }
        return .object(object)
    }

    /// Reads a stored record back.
    public init(stored value: Value) throws(CarrierError) {
        guard let id = value["id"].stringValue, let client = value["client"].stringValue,
              let status = value["status"].stringValue.flatMap(Status.init(rawValue:)),
              let created = value["created_at"].doubleValue else {
            throw .storage(StorageError("the queue", path: value["id"].stringValue ?? "?", reason: "the record lacks id, client, status or created_at"))
        }
        let message: Message
        do { message = try Message.decode(value["message"], source: "queue record \(id)") } catch { throw .message(error) }
        self.init(id: id, client: client, intake: value["intake"].stringValue ?? "http", route: value["route"].stringValue,
                  created: created, message: message)
        self.status = status
        self.nextAttempt = value["next_attempt"].doubleValue ?? created
        self.attempts = value["attempts"].arrayValue ?? []
        self.account = value["account"].stringValue
        self.provider = value["provider"].stringValue
        self.providerIDs = (value["provider_ids"].arrayValue ?? []).compactMap(\.stringValue)
        self.events = value["events"].arrayValue ?? []
        self.lastError = value["last_error"].stringValue
    }
}

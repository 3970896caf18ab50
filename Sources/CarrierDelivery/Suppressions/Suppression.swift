/// One entry of the suppression list: an address Carrier does not send to, for every sending
/// domain (`scope` `*`) or for one, and why.
public struct Suppression: Sendable, Equatable {
    /// Why an address is suppressed.
    public enum Reason: String, Sendable, CaseIterable {
        /// A hard bounce, or as many soft bounces as `soft_bounce_limit`.
        case bounced
        /// The recipient marked a message as spam.
        case complained
        /// The recipient unsubscribed (a delivery event, or Carrier's one-click unsubscribe).
        case unsubscribed
        /// Added by hand (`carrier suppressions add`, `import`).
        case manual
    }

    /// `*` for every sending domain, else the sending domain (the From's) it applies to.
    public var scope: String
    /// The address, lowercased.
    public var address: String
    public var reason: Reason
    /// What added it: the account whose event it was, `unsubscribe:LIST`, `import`, `cli`.
    public var source: String?
    /// The delivery event that added it, as Carrier normalised it.
    public var event: Value?
    /// When it was added (seconds since 1970).
    public var created: Double

    public static let everyDomain = "*"

    public init(address: String, reason: Reason, scope: String = Suppression.everyDomain, source: String? = nil, event: Value? = nil, created: Double) {
        self.scope = scope.lowercased()
        self.address = address.lowercased()
        self.reason = reason
        self.source = source
        self.event = event
        self.created = created
    }

    /// How a receipt names it.
    public var recipient: SuppressedRecipient {
        SuppressedRecipient(email: address, reason: reason.rawValue, scope: scope, since: created)
    }

    /// The entry as the file store and `carrier suppressions list --json` write it.
    public var value: Value {
        var object: OrderedObject = ["address": .string(address), "scope": .string(scope), "reason": .string(reason.rawValue),
                                     "created": .double(created)]
        if let source { object["source"] = .string(source) }
        if let event { object["event"] = event }
        return .object(object)
    }

    /// Reads an entry written by ``value``; nil when it is not one.
    public init?(_ value: Value) {
        guard let address = value["address"].stringValue, !address.isEmpty, let reason = Reason(rawValue: value["reason"].text),
              let created = value["created"].doubleValue else { return nil }
        self.init(address: address, reason: reason, scope: value["scope"].stringValue ?? Self.everyDomain, source: value["source"].stringValue,
                  event: value["event"].isNull ? nil : value["event"], created: created)
    }
}

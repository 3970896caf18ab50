/// A recipient Carrier did not send to because the suppression list names them.
public struct SuppressedRecipient: Sendable, Equatable {
    public var email: String
    /// `bounced`, `complained`, `unsubscribed` or `manual`.
    public var reason: String
    /// `*` (every sending domain) or the sending domain the entry is for.
    public var scope: String
    /// When the address was added (seconds since 1970).
    public var since: Double

    public init(email: String, reason: String, scope: String, since: Double) {
        self.email = email
        self.reason = reason
        self.scope = scope
        self.since = since
    }

    public var value: Value {
        .object(["email": .string(email), "status": "suppressed", "reason": .string(reason), "scope": .string(scope),
                 "since": .string(ISO8601.format(epochSeconds: Int(since)))])
    }

    /// `ann@example.com (bounced, since 2026-12-07T06:00:00Z)`.
    public var summary: String {
        "\(email) (\(reason)\(scope == "*" ? "" : " for \(scope)"), since \(ISO8601.format(epochSeconds: Int(since))))"
    }
}

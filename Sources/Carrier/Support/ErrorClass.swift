/// What kind of failure happened, decided once where it happens; the router acts on it.
public enum ErrorClass: String, Sendable, Hashable, CaseIterable, Codable {
    /// A passing fault (5xx, connection refused, SMTP 4xx): try this account again after a pause.
    case retry
    /// The provider asked us to slow down (429, SMTP 421/451): wait `Retry-After` or move on.
    case rateLimited = "rate_limited"
    /// This account cannot send now (401/403, SMTP 535, TLS failure): try the next account.
    case failover
    /// The message itself is at fault (400, SMTP 550 for every recipient): stop, do not spray it around.
    case permanent
    /// The request went out and no answer came: it may have been sent.
    case ambiguous

    /// The class for an HTTP status when a provider file says nothing about it.
    public static func forHTTPStatus(_ status: Int) -> ErrorClass {
        switch status {
        case 429: return .rateLimited
        case 408, 500...599: return .retry
        case 401, 403: return .failover
        default: return .permanent
        }
    }
}


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

    /// The class for an HTTP status when a provider file says nothing about it: 429
    /// `rate_limited`; 408 and 5xx `retry`; 401, 403 and 3xx (a redirect is not followed) `failover`;
    /// other 4xx `permanent`.
    public static func forHTTPStatus(_ status: Int) -> ErrorClass {
        switch status {
        case 429: return .rateLimited
        case 408, 500...599: return .retry
        case 401, 403: return .failover
        case 300...399: return .failover  // a redirect is about the endpoint, not the message
        default: return .permanent
        }
    }
}


extension ErrorClass {
    /// The class of an SMTP error reply: credentials refused (530, 534, 535, 538) → `failover`;
    /// 421 and 451 → `rate_limited`; other 4xx → `retry`; 5xx → `permanent`.
    package static func forSMTPReply(_ code: Int) -> ErrorClass? {
        switch code {
        case 530, 534, 535, 538: return .failover
        case 421, 451: return .rateLimited
        case 400..<500: return .retry
        case 500...: return .permanent
        default: return nil
        }
    }
}

import Carrier

/// Why the gateway did not take a message, with what each protocol answers.
public struct SubmissionError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// No credentials, or wrong ones.
        case unauthorized
        /// The `from` address is outside the client's `from_domains`.
        case senderNotAllowed
        /// The message is not one Carrier can send (bad fields, header injection, unreadable MIME).
        case invalid
        /// Larger than the limit.
        case tooLarge
        /// The client is over its rate; `retryAfter` seconds.
        case rateLimited
        /// The queue cannot be written (disk full, permissions): nothing was acknowledged.
        case unavailable
        /// The gateway is stopping and takes nothing new.
        case shuttingDown
    }

    public var kind: Kind
    public var message: String
    public var retryAfter: Double?

    public init(_ kind: Kind, _ message: String, retryAfter: Double? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    /// The HTTP status of the answer.
    public var httpStatus: Int {
        switch kind {
        case .unauthorized: 401
        case .senderNotAllowed: 403
        case .invalid: 422
        case .tooLarge: 413
        case .rateLimited: 429
        case .unavailable, .shuttingDown: 503
        }
    }

    /// The SMTP reply after DATA (or MAIL FROM), with its enhanced status code.
    public var smtpReply: String {
        switch kind {
        case .unauthorized: "535 5.7.8 " + message
        case .senderNotAllowed: "550 5.7.1 " + message
        case .invalid: "554 5.6.0 " + message
        case .tooLarge: "552 5.3.4 " + message
        case .rateLimited: "451 4.7.1 " + message
        case .unavailable: "451 4.3.0 " + message
        case .shuttingDown: "421 4.3.2 " + message
        }
    }
}

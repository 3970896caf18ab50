/// Why a transfer failed before a complete answer arrived.
public struct TransferError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Could not reach the server (refused, unresolvable, connect timeout): nothing was sent.
        case connect
        /// TLS could not be set up or the certificate was not trusted: nothing was sent.
        case tls
        /// The request was (at least partly) sent and the answer did not come in time.
        case timeout
        /// The connection broke after the request was sent.
        case dropped
        /// The server answered with an error reply (SMTP 4xx/5xx).
        case refused
        /// The request could not be built (a malformed URL, an unsupported scheme): nothing was sent,
        /// and sending it again would fail the same way.
        case malformed
        /// Anything else libcurl reported.
        case other
    }

    public var kind: Kind
    /// Whether any of the request reached the server; when true, the message may have been accepted.
    public var requestSent: Bool
    public var message: String
    public var curlCode: Int

    public init(kind: Kind, requestSent: Bool, message: String, curlCode: Int) {
        self.kind = kind
        self.requestSent = requestSent
        self.message = message
        self.curlCode = curlCode
    }

    public var description: String { message }
}

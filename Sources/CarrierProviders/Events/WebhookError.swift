/// Why a webhook was not taken, with the HTTP status `carrier events serve` answers.
public struct WebhookError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// No such account, or its provider declares no `events:` (404).
        case unknownAccount = "unknown_account"
        /// A missing or wrong signature, a stale timestamp, wrong credentials (401).
        case unverified
        /// Verified, but the payload cannot be read as the provider file says (400).
        case badPayload = "bad_payload"
        /// The account or provider file cannot verify anything: no webhook secret, a bad key (500).
        case configuration
        /// Something the verification needs from the ESP (its certificate) could not be had just now (503).
        case unavailable
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var status: Int {
        switch kind {
        case .unknownAccount: return 404
        case .unverified: return 401
        case .badPayload: return 400
        case .configuration: return 500
        case .unavailable: return 503
        }
    }

    public var description: String { message }
}

/// How an SMTP connection is protected.
public enum TLSMode: String, Sendable, Hashable, CaseIterable {
    /// STARTTLS is required: if the server does not offer it, nothing is sent (never downgraded).
    case starttls
    /// TLS from the first byte (port 465 style).
    case implicit
    /// No TLS at all (only when an account asks for it).
    case none
}

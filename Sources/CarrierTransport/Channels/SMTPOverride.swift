import CarrierCurl

/// An account's replacement for its provider's SMTP relay (regions, sandboxes, local test servers).
public struct SMTPOverride: Sendable {
    public var host: String?
    public var port: Int?
    public var tls: TLSMode?
    /// The EHLO name (default: this machine's host name).
    public var helo: String?
    /// Send credentials over a connection without TLS (only with `tls: none`).
    public var allowPlaintextAuth: Bool
    /// MAIL FROM, when it differs from the message's from (a bounce address).
    public var envelopeFrom: String?
    /// `PLAIN`, `LOGIN` or `XOAUTH2`, overriding the provider file.
    public var authMechanism: String?
    /// How many connections the account may open at once (default: the provider file's, else 1).
    public var connections: Int?
    /// Messages per connection before a new one is opened (default: the provider file's limit).
    public var maxMessagesPerConnection: Int?
    public init(host: String? = nil, port: Int? = nil, tls: TLSMode? = nil, helo: String? = nil, allowPlaintextAuth: Bool = false,
                envelopeFrom: String? = nil, authMechanism: String? = nil, connections: Int? = nil, maxMessagesPerConnection: Int? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
        self.helo = helo
        self.allowPlaintextAuth = allowPlaintextAuth
        self.envelopeFrom = envelopeFrom
        self.authMechanism = authMechanism
        self.connections = connections
        self.maxMessagesPerConnection = maxMessagesPerConnection
    }
}

extension SMTPOverride {
    /// Reads an account's `smtp:`; its `ca_file` applies to the account's transfers.
    static func read(_ r: NodeReader, transfer: inout TransferOptions, absolute: (String) -> String) -> SMTPOverride {
        let override = SMTPOverride(host: r.string("host"), port: r.int("port"),
                                    tls: r.oneOf("tls", TLSMode.allCases.map(\.rawValue)).flatMap(TLSMode.init(rawValue:)),
                                    helo: r.string("helo"), allowPlaintextAuth: r.bool("allow_plaintext_auth") ?? false,
                                    envelopeFrom: r.string("envelope_from"), authMechanism: r.oneOf("auth_mechanism", ["PLAIN", "LOGIN", "XOAUTH2"]),
                                    connections: r.int("connections"), maxMessagesPerConnection: r.int("max_messages_per_connection"))
        if let ca = r.string("ca_file") { transfer.caFile = absolute(ca) }
        r.finish()
        return override
    }
}

extension Account {
    /// The account's replacement for its provider's SMTP relay (`smtp:`), read by the SMTP channel.
    public var smtp: SMTPOverride? {
        get { options[.smtp] as? SMTPOverride }
        set { options[.smtp] = newValue }
    }
}

import CarrierCurl

/// A named way to send: a provider, a channel, and the credentials and settings for it.
public struct Account: Sendable {
    public var name: String
    /// The provider id (`sendgrid`), or `file` for the folder channel.
    public var provider: String
    public var channel: ChannelKind
    /// Credentials with `${ENV}` and `{file: …}` already resolved.
    public var credentials: OrderedObject
    public var settings: OrderedObject
    /// Replaces scheme, host and port of every HTTP URL of the provider (API and OAuth token URL).
    public var endpoint: String?
    /// Overrides the provider's SMTP relay.
    public var smtp: SMTPOverride?
    /// Replaces the message's `from` (each ESP verifies its own sending domains).
    public var from: Address?
    /// For the file channel: the folder `.eml` files are written to.
    public var directory: String?
    /// Timeouts and trusted certificate authorities (`timeout:`, `ca_file:`), for HTTPS and SMTP.
    public var transferOptions: TransferOptions
    /// Send what the provider can carry and list the rest as `dropped`, instead of skipping the account.
    public var ignoreUnsupported: Bool
    /// API requests in flight at once through this account (`concurrency:`); default: the provider file's, else 32.
    public var concurrency: Int?
    /// Sends per second, minute, hour and day (`limits:`), over the provider file's.
    public var limits: RateLimits?
    /// What verifies the ESP's webhooks (`webhook_secret:`): an HMAC key, `user:password` for basic
    /// auth, or a public key. A secret like any credential.
    public var webhookSecret: String?
    /// The public URL the ESP calls (`webhook_url:`), for ESPs that sign it (Mandrill).
    public var webhookURL: String?

    public init(name: String, provider: String, channel: ChannelKind, credentials: OrderedObject = OrderedObject(),
                settings: OrderedObject = OrderedObject(), endpoint: String? = nil, smtp: SMTPOverride? = nil,
                from: Address? = nil, directory: String? = nil, transferOptions: TransferOptions = TransferOptions(),
                ignoreUnsupported: Bool = false, concurrency: Int? = nil) {
        self.name = name
        self.provider = provider
        self.channel = channel
        self.credentials = credentials
        self.settings = settings
        self.endpoint = endpoint
        self.smtp = smtp
        self.from = from
        self.directory = directory
        self.transferOptions = transferOptions
        self.ignoreUnsupported = ignoreUnsupported
        self.concurrency = concurrency
    }
}

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

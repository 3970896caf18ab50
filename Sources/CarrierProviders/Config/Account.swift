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
    /// Replaces the message's `from` (each ESP verifies its own sending domains).
    public var from: Address?
    /// Each channel's own per-account options (`smtp:` for the SMTP channel, `directory:` for the
    /// file channel), as that channel read them from the account; the channels give them names.
    public var options: [ChannelKind: any Sendable]
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
    /// Signs the MIME the account sends (SMTP, raw-MIME APIs, `.eml` files) with DKIM (`dkim:`).
    public var dkim: DKIMSigner?

    public init(name: String, provider: String, channel: ChannelKind, credentials: OrderedObject = OrderedObject(),
                settings: OrderedObject = OrderedObject(), endpoint: String? = nil, options: [ChannelKind: any Sendable] = [:],
                from: Address? = nil, transferOptions: TransferOptions = TransferOptions(),
                ignoreUnsupported: Bool = false, concurrency: Int? = nil) {
        self.name = name
        self.provider = provider
        self.channel = channel
        self.credentials = credentials
        self.settings = settings
        self.endpoint = endpoint
        self.options = options
        self.from = from
        self.transferOptions = transferOptions
        self.ignoreUnsupported = ignoreUnsupported
        self.concurrency = concurrency
    }
}

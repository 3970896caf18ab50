import Foundation

/// One SMTP transaction as libcurl performs it: connect (TLS as asked), EHLO, AUTH, MAIL, RCPT, DATA.
public struct SMTPRequest: Sendable {
    public var host: String
    public var port: Int
    public var tls: TLSMode
    /// The name given in EHLO.
    public var helo: String
    public var mailFrom: String
    public var recipients: [String]
    public var data: Data
    public var username: String?
    public var password: String?
    /// An OAuth2 access token for XOAUTH2.
    public var bearer: String?
    /// `PLAIN`, `LOGIN` or `XOAUTH2` to pin; nil lets libcurl choose from what the server offers.
    public var mechanism: String?
    /// Open a new connection instead of reusing an idle one.
    public var freshConnection: Bool
    /// After this many messages a connection is replaced by a new one.
    public var maxMessagesPerConnection: Int?

    public init(host: String, port: Int, tls: TLSMode, helo: String, mailFrom: String, recipients: [String], data: Data,
                username: String? = nil, password: String? = nil, bearer: String? = nil, mechanism: String? = nil,
                freshConnection: Bool = false, maxMessagesPerConnection: Int? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
        self.helo = helo
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.data = data
        self.username = username
        self.password = password
        self.bearer = bearer
        self.mechanism = mechanism
        self.freshConnection = freshConnection
        self.maxMessagesPerConnection = maxMessagesPerConnection
    }
}

/// An SMTP failure with the conversation that led to it.
public struct SMTPFailure: Error, Sendable {
    public var transfer: TransferError
    /// The server's reply code, when it gave one.
    public var replyCode: Int?
    public var lastReply: String?
    public var transcript: [String]
    /// Whether DATA had been sent (the message may have been accepted).
    public var dataSent: Bool
    public var rejected: [(recipient: String, reply: String)]
    /// Whether the transaction ran on a connection kept from an earlier message.
    public var reusedConnection: Bool
    /// The failure is about the server, not the message: it refused to talk (a `554` greeting,
    /// a garbage banner) or cannot carry what the message needs (SMTPUTF8). Another account may.
    public var aboutServer: Bool = false

    package init(transfer: TransferError, replyCode: Int?, lastReply: String?, transcript: [String], dataSent: Bool,
                 rejected: [(recipient: String, reply: String)], reusedConnection: Bool, aboutServer: Bool = false) {
        self.transfer = transfer
        self.replyCode = replyCode
        self.lastReply = lastReply
        self.transcript = transcript
        self.dataSent = dataSent
        self.rejected = rejected
        self.reusedConnection = reusedConnection
        self.aboutServer = aboutServer
    }
}

/// What happened in an SMTP transaction.
public struct SMTPResult: Sendable {
    /// The last reply code (250 when the message was queued).
    public var replyCode: Int
    /// The last reply line from the server.
    public var lastReply: String
    /// Recipients the server refused at RCPT TO, with its reply.
    public var rejected: [(recipient: String, reply: String)]
    /// The conversation, client lines as `C: …`, server lines as `S: …`, credentials as `***`.
    public var transcript: [String]
    /// Whether an idle connection was reused.
    public var reusedConnection: Bool
}

/// What happened to one message: where it went, its ids, and every attempt on the way.
public struct Receipt: Sendable {
    public enum Status: String, Sendable {
        case sent, failed, spooled
        /// Sent to some recipients; the server refused the others for now (`deferred`), and
        /// with a spool the message is kept for them alone.
        case partial
    }
    public var status: Status
    public var account: String?
    public var provider: String?
    public var channel: ChannelKind?
    public var messageIDs: [String]
    public var attempts: [Attempt]
    /// Where the message was kept when nobody took it.
    public var spoolPath: String?
    /// True when an earlier attempt may have delivered the message too.
    public var possibleDuplicate: Bool
    /// The route stopped on purpose (a permanent failure, or an ambiguous one with `on_ambiguous: stop`):
    /// sending the message again elsewhere would not help, so it is reported and not kept.
    public var stoppedOnPurpose = false
    /// Recipients not sent to yet (status `partial`).
    public var deferred: [String] = []
    /// A spool problem after the message was settled (an entry that could not be removed or kept).
    public var spoolError: String?
    /// Recipients left out because the suppression list names them (never silently).
    public var suppressed: [SuppressedRecipient] = []

    public init(status: Status, account: String? = nil, provider: String? = nil, channel: ChannelKind? = nil,
                messageIDs: [String] = [], attempts: [Attempt] = [], spoolPath: String? = nil, possibleDuplicate: Bool = false) {
        self.status = status
        self.account = account
        self.provider = provider
        self.channel = channel
        self.messageIDs = messageIDs
        self.attempts = attempts
        self.spoolPath = spoolPath
        self.possibleDuplicate = possibleDuplicate
    }

    /// The receipt as `carrier send --json` prints it.
    public var value: Value {
        var object = OrderedObject()
        object["status"] = .string(status.rawValue)
        object["account"] = account.map(Value.string) ?? .null
        object["provider"] = provider.map(Value.string) ?? .null
        object["channel"] = channel.map { .string($0.rawValue) } ?? .null
        object["message_ids"] = .array(messageIDs.map(Value.string))
        object["attempts"] = .array(attempts.map(\.value))
        if let spoolPath { object["spool_path"] = .string(spoolPath) }
        if !deferred.isEmpty { object["deferred"] = .array(deferred.map(Value.string)) }
        if status == .sent || status == .partial, let results = attempts.last?.recipients, !results.isEmpty {
            object["recipients"] = .array(results.map(\.value))
        }
        if let spoolError { object["spool_error"] = .string(spoolError) }
        if !suppressed.isEmpty { object["suppressed"] = .array(suppressed.map(\.value)) }
        if possibleDuplicate { object["possible_duplicate"] = .bool(true) }
        if attempts.last?.outcome == .sent && attempts.last?.acceptedForLater == true {
            object["accepted_for_later"] = .bool(true)  // the ESP queued it for processing; the id is its operation
        }
        return .object(object)
    }

    /// One line per failed attempt, for error output.
    public var failureSummary: String {
        let lines = attempts.map { a in
            "  \(a.account) (\(a.provider) \(a.channel.rawValue)): \(a.outcome.rawValue)"
                + (a.errorClass.map { " [\($0.rawValue)]" } ?? "")
                + (a.status.map { status in a.error?.hasPrefix("HTTP \(status)") == true ? "" : " status \(status)" } ?? "")
                + (a.error.map { ": \($0)" } ?? "")
        }
        var head = spoolPath.map { "not sent; the message is kept in \($0) (retry with: carrier outbox retry)" } ?? "not sent"
        if attempts.isEmpty && !suppressed.isEmpty {
            head = "not sent: every recipient is on the suppression list: " + suppressed.map(\.summary).joined(separator: ", ")
                + " (carrier suppressions remove ADDRESS takes one off)"
        }
        return ([head] + lines + (spoolError.map { ["  spool: \($0)"] } ?? [])).joined(separator: "\n")
    }
}

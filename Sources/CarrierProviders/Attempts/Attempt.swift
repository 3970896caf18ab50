/// One try to hand a message to one account.
public struct Attempt: Sendable {
    /// How the try ended.
    public enum Outcome: String, Sendable {
        /// The provider accepted the message.
        case sent
        /// The provider refused it, or the transfer failed; `errorClass` says what to do next.
        case failed
        /// The account was passed over without a try; `skipReason` says why.
        case skipped
    }

    /// Why an account was passed over without a try.
    public enum SkipReason: Sendable, Equatable {
        /// The account's circuit is open after repeated failures, until this time (unix seconds).
        case circuitOpen(until: Double)
        /// The provider cannot carry something the message uses.
        case capability
        /// The account or its provider cannot be used (a missing credential, a broken provider file).
        case unusable
        /// The account's hourly or daily sending limit is spent until this time (unix seconds).
        case limitSpent(until: Double)

        /// The name in JSON receipts.
        public var name: String {
            switch self {
            case .circuitOpen: "circuit_open"
            case .capability: "capability"
            case .unusable: "unusable"
            case .limitSpent: "limit_spent"
            }
        }
    }

    public var account: String
    public var provider: String
    public var channel: ChannelKind
    public var outcome: Outcome
    public var errorClass: ErrorClass?
    /// HTTP status or SMTP reply code.
    public var status: Int?
    public var error: String?
    public var durationMs: Int
    public var messageIDs: [String]
    /// Seconds the provider asked us to wait.
    public var retryAfter: Double?
    public var skipReason: SkipReason?
    /// Parts of the message the provider did not carry: by design (an HTML-only API drops the text
    /// part) or because the account or route has `ignore_unsupported`. Never dropped silently.
    public var dropped: [String] = []
    /// The SMTP conversation and where it went, for the SMTP channel.
    public var smtp: SMTPDetails?
    /// The file written, for the file channel.
    public var path: String?
    /// The provider took the message for processing later (an operation id, not a delivery yet).
    public var acceptedForLater = false
    /// What the provider said for each recipient, when it answers per recipient (or SMTP's RCPT replies).
    public var recipients: [RecipientResult] = []

    /// One recipient's result in an accepted message.
    public struct RecipientResult: Sendable, Equatable {
        public var email: String
        /// `sent`, `queued` or `scheduled` (taken), `deferred` (refused for now: worth a retry),
        /// or what the provider called its refusal (`rejected`, `invalid`, …).
        public var status: String
        public var messageID: String?
        public var error: String?

        package init(email: String, status: String, messageID: String? = nil, error: String? = nil) {
            self.email = email
            self.status = status
            self.messageID = messageID
            self.error = error
        }

        /// What a recipient's status means for the message.
        public enum Disposition: Sendable, Equatable {
            /// Taken (`sent`, `queued`, `scheduled`, `accepted`, `success`, `ok`).
            case accepted
            /// Refused for now (`deferred`): worth a retry for that recipient.
            case deferred
            /// Refused for good (`rejected`, `invalid`, …).
            case refused
        }

        /// What the provider's status word means: the one place those words are read.
        public var disposition: Disposition {
            switch status.lowercased() {
            case "sent", "queued", "scheduled", "accepted", "success", "ok": .accepted
            case "deferred": .deferred
            default: .refused
            }
        }

        public var accepted: Bool { disposition == .accepted }

        package var value: Value {
            var object = OrderedObject()
            object["email"] = .string(email)
            object["status"] = .string(status)
            if let messageID { object["message_id"] = .string(messageID) }
            if let error { object["error"] = .string(error) }
            return .object(object)
        }

        /// Reads a provider's list of `{email, status, message_id, error}` (other keys ignored); a
        /// list of such lists (accepted and refused ones built apart) is read as one.
        package static func list(_ value: Value) -> [RecipientResult] {
            (value.arrayValue ?? []).flatMap { $0.arrayValue ?? [$0] }.compactMap { item in
                guard let email = item["email"].stringValue, !email.isEmpty else { return nil }
                let status = item["status"].isNull ? "sent" : item["status"].text
                return RecipientResult(email: email, status: status, messageID: item["message_id"].isNull ? nil : item["message_id"].text,
                                       error: item["error"].isNull || item["error"].isEmpty ? nil : item["error"].text)
            }
        }
    }

    /// Recipients the provider did not take for good (rejected, invalid), with their reasons.
    public var refusedRecipients: [RecipientResult] {
        recipients.filter { $0.disposition == .refused }
    }

    public init(account: String, provider: String, channel: ChannelKind, outcome: Outcome, errorClass: ErrorClass? = nil,
                status: Int? = nil, error: String? = nil, durationMs: Int = 0, messageIDs: [String] = [],
                retryAfter: Double? = nil, skipReason: SkipReason? = nil) {
        self.account = account
        self.provider = provider
        self.channel = channel
        self.outcome = outcome
        self.errorClass = errorClass
        self.status = status
        self.error = error
        self.durationMs = durationMs
        self.messageIDs = messageIDs
        self.retryAfter = retryAfter
        self.skipReason = skipReason
    }

    /// Recipients the SMTP server refused for now (a 4xx reply to RCPT TO) while it took the
    /// message for the others: they are worth sending again.
    public var deferredRecipients: [String] {
        let fromResults = recipients.filter { $0.disposition == .deferred }.map(\.email)
        return fromResults.isEmpty ? (smtp?.rejected.filter { $0.reply.hasPrefix("4") }.map(\.recipient) ?? []) : fromResults
    }

    /// The attempt as receipts, logs and the spool write it.
    public var value: Value {
        var object = OrderedObject()
        object["account"] = .string(account)
        object["provider"] = .string(provider)
        object["channel"] = .string(channel.rawValue)
        object["outcome"] = .string(outcome.rawValue)
        object["class"] = errorClass.map { .string($0.rawValue) } ?? .null
        object["status"] = status.map(Value.int) ?? .null
        object["error"] = error.map(Value.string) ?? .null
        object["duration_ms"] = .int(durationMs)
        if !messageIDs.isEmpty { object["message_ids"] = .array(messageIDs.map(Value.string)) }
        if let retryAfter { object["retry_after"] = .double(retryAfter) }
        if let skipReason { object["skipped"] = .string(skipReason.name) }
        if !dropped.isEmpty { object["dropped"] = .array(dropped.map(Value.string)) }
        if let path { object["path"] = .string(path) }
        if acceptedForLater { object["accepted_for_later"] = .bool(true) }
        if !recipients.isEmpty { object["recipients"] = .array(recipients.map(\.value)) }
        if let smtp { for entry in smtp.value { object[entry.key] = entry.value } }
        return .object(object)
    }
}

/// What an SMTP attempt saw: the port that carried it, the server's last reply, refused
/// recipients and the conversation (credentials as `***`).
public struct SMTPDetails: Sendable {
    /// A recipient the server refused at RCPT TO, with its reply.
    public struct Rejection: Sendable {
        public var recipient: String
        public var reply: String

        package init(recipient: String, reply: String) {
            self.recipient = recipient
            self.reply = reply
        }
    }

    /// The port that carried the message (nil when it failed).
    public var port: SMTPPort?
    /// The server's last reply.
    public var reply: String?
    /// Every port tried, in order (filled when the attempt failed).
    public var portsTried: [Int] = []
    public var rejected: [Rejection] = []
    public var transcript: [String] = []

    package init() {}

    /// The details with secrets hidden: a server may quote credentials in its replies.
    package func redacted(by redactor: Redactor) -> SMTPDetails {
        var copy = self
        copy.reply = reply.map(redactor.redact)
        copy.rejected = rejected.map { Rejection(recipient: $0.recipient, reply: redactor.redact($0.reply)) }
        copy.transcript = transcript.map(redactor.redact)
        return copy
    }

    var value: OrderedObject {
        var object = OrderedObject()
        if let port {
            object["port"] = .int(port.port)
            object["tls"] = .string(port.tls.rawValue)
        }
        if let reply { object["reply"] = .string(reply) }
        if !portsTried.isEmpty { object["ports_tried"] = .array(portsTried.map(Value.int)) }
        if !rejected.isEmpty {
            object["rejected"] = .array(rejected.map { .object(["recipient": .string($0.recipient), "reply": .string($0.reply)]) })
        }
        object["transcript"] = .array(transcript.map(Value.string))
        return object
    }
}

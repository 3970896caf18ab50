/// Checks what a message uses against what a provider's channel declares it can carry, so
/// nothing is dropped silently: an account that cannot carry a message is skipped with the
/// reasons, or, with `ignore_unsupported`, given the message without those parts, each listed.
enum CapabilityCheck {
    /// What an account makes of a message.
    enum Verdict {
        /// The account cannot carry the message; the reasons, one per part.
        case refused([String])
        /// The message to send (parts left out) and what was left out, for the attempt's `dropped`.
        case carry(Message, dropped: [String])
    }

    /// One thing the provider cannot carry, and how to leave it out when the message still makes
    /// sense without it (`nil`: it cannot be left out, as a template or a recipient).
    struct Shortfall {
        var reason: String
        var leaveOut: ((inout Message) -> Void)?
    }

    static func verdict(_ message: consuming Message, _ capabilities: Capabilities, provider: String, ignoreUnsupported: Bool) -> Verdict {
        let shortfalls = self.shortfalls(message, capabilities, provider: provider)
        var dropped = byDesign(message, capabilities, provider: provider)
        if shortfalls.isEmpty { return .carry(message, dropped: dropped) }
        guard ignoreUnsupported, shortfalls.allSatisfy({ $0.leaveOut != nil }) else {
            return .refused(shortfalls.filter { !ignoreUnsupported || $0.leaveOut == nil }.map(\.reason))
        }
        for shortfall in shortfalls {
            shortfall.leaveOut?(&message)
            dropped.append(shortfall.reason + " (left out: ignore_unsupported)")
        }
        return .carry(message, dropped: dropped)
    }

    static func shortfalls(_ message: Message, _ c: Capabilities, provider: String) -> [Shortfall] {
        var found: [Shortfall] = []
        if !message.tags.isEmpty {
            if let max = c.tags {
                if message.tags.count > max {
                    found.append(Shortfall(reason: "\(provider) takes at most \(max) tag(s); the message has \(message.tags.count)") {
                        $0.tags = Array($0.tags.prefix(max))
                    })
                }
            } else {
                found.append(Shortfall(reason: "\(provider) does not support tags") { $0.tags = [] })
            }
        }
        if !message.metadata.isEmpty && !c.metadata {
            found.append(Shortfall(reason: "\(provider) does not support metadata") { $0.metadata = OrderedObject() })
        }
        if message.template != nil && !c.templates { found.append(Shortfall(reason: "\(provider) does not support templates")) }
        if message.template == nil && c.templatesRequired {
            found.append(Shortfall(reason: "\(provider) sends stored templates only; the message has no template"))
        }
        if message.sendAt != nil && !c.sendAt {
            found.append(Shortfall(reason: "\(provider) does not support send_at (scheduled sending)") { $0.sendAt = nil })
        }
        // A copy field the API has no place for would vanish: refused, or left out and listed. Not
        // when it holds every recipient — the message would then go to no one.
        let others = { (message: Message, but: KeyPath<Message, [Address]>) in
            [\Message.to, \.cc, \.bcc].filter { $0 != but }.contains { !message[keyPath: $0].isEmpty }
        }
        if !message.cc.isEmpty && !c.cc {
            found.append(Shortfall(reason: "\(provider) does not support cc", leaveOut: others(message, \.cc) ? { $0.cc = [] } : nil))
        }
        if !message.bcc.isEmpty && !c.bcc {
            found.append(Shortfall(reason: "\(provider) does not support bcc", leaveOut: others(message, \.bcc) ? { $0.bcc = [] } : nil))
        }
        if !message.headers.isEmpty && !c.customHeaders {
            found.append(Shortfall(reason: "\(provider) does not support custom headers") { $0.headers = [] })
        }
        if !(message.text ?? "").isEmpty && (message.html ?? "").isEmpty && !c.text {
            found.append(Shortfall(reason: "\(provider) cannot send a text-only message"))
        }
        found += attachmentShortfalls(message, c, provider: provider)
        // Counted without duplicates only when the plain count is over (that count costs a case fold each).
        if let max = c.maxRecipients, message.to.count + message.cc.count + message.bcc.count > max, message.recipients.count > max {
            found.append(Shortfall(reason: "\(provider) takes at most \(max) recipients; the message has \(message.recipients.count)"))
        }
        if let max = c.maxReplyTo, message.replyTo.count > max {
            found.append(Shortfall(reason: "\(provider) takes at most \(max) reply-to address(es); the message has \(message.replyTo.count)") {
                $0.replyTo = Array($0.replyTo.prefix(max))
            })
        }
        return found
    }

    private static func attachmentShortfalls(_ message: Message, _ c: Capabilities, provider: String) -> [Shortfall] {
        let files = message.attachments
        guard !files.isEmpty else { return [] }
        var found: [Shortfall] = []
        if !c.attachments && files.contains(where: { $0.disposition == .attachment }) {
            found.append(Shortfall(reason: "\(provider) does not support attachments") { $0.attachments.removeAll { $0.disposition == .attachment } })
        }
        if !c.inlineImages && files.contains(where: { $0.disposition == .inline }) {
            found.append(Shortfall(reason: "\(provider) does not support inline images") { $0.attachments.removeAll { $0.disposition == .inline } })
        }
        if let max = c.maxAttachments, files.count > max {
            found.append(Shortfall(reason: "\(provider) takes at most \(max) attachment(s); the message has \(files.count)") {
                $0.attachments = Array($0.attachments.prefix(max))
            })
        }
        let bytes = files.reduce(0) { $0 + $1.content.count }
        if let max = c.maxAttachmentBytes, bytes > max {
            found.append(Shortfall(reason: "\(provider) takes at most \(max) bytes of attachments; the message has \(bytes)") { message in
                var total = 0
                message.attachments = message.attachments.filter { file in
                    total += file.content.count
                    return total <= max
                }
            })
        }
        return found
    }

    /// Parts a provider leaves out by design while still carrying the message, listed in the
    /// attempt's `dropped` so the loss is visible.
    static func byDesign(_ message: Message, _ c: Capabilities, provider: String) -> [String] {
        var dropped: [String] = []
        if c.text && !c.textAndHTML && !(message.text ?? "").isEmpty && !(message.html ?? "").isEmpty {
            dropped.append("text part (\(provider) carries one body: the HTML)")
        }
        if !c.text && !(message.text ?? "").isEmpty && !(message.html ?? "").isEmpty {
            dropped.append("text part (\(provider) carries HTML only)")
        }
        return dropped
    }
}

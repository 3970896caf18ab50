/// Checks what a message uses against what a provider declares it can carry, so nothing is
/// dropped silently: an account that cannot carry a message is skipped with the reasons.
public enum CapabilityCheck {
    public static func problems(_ message: Message, _ c: Capabilities, provider: String) -> [String] {
        var problems: [String] = []
        if !message.tags.isEmpty {
            if let max = c.tags {
                if message.tags.count > max { problems.append("\(provider) takes at most \(max) tag(s); the message has \(message.tags.count)") }
            } else {
                problems.append("\(provider) does not support tags")
            }
        }
        if !message.metadata.isEmpty && !c.metadata { problems.append("\(provider) does not support metadata") }
        if message.template != nil && !c.templates { problems.append("\(provider) does not support templates") }
        if message.sendAt != nil && !c.sendAt { problems.append("\(provider) does not support send_at (scheduled sending)") }
        if !message.headers.isEmpty && !c.customHeaders { problems.append("\(provider) does not support custom headers") }
        if !(message.text ?? "").isEmpty && (message.html ?? "").isEmpty && !c.text {
            problems.append("\(provider) cannot send a text-only message")
        }
        let files = message.attachments
        if !files.isEmpty {
            if !c.attachments && files.contains(where: { $0.disposition == .attachment }) { problems.append("\(provider) does not support attachments") }
            if !c.inlineImages && files.contains(where: { $0.disposition == .inline }) { problems.append("\(provider) does not support inline images") }
            if let max = c.maxAttachments, files.count > max { problems.append("\(provider) takes at most \(max) attachment(s); the message has \(files.count)") }
            let bytes = files.reduce(0) { $0 + $1.content.count }
            if let max = c.maxAttachmentBytes, bytes > max { problems.append("\(provider) takes at most \(max) bytes of attachments; the message has \(bytes)") }
        }
        if let max = c.maxRecipients, message.recipients.count > max {
            problems.append("\(provider) takes at most \(max) recipients; the message has \(message.recipients.count)")
        }
        if let max = c.maxReplyTo, message.replyTo.count > max {
            problems.append("\(provider) takes at most \(max) reply-to address(es); the message has \(message.replyTo.count)")
        }
        return problems
    }

    /// Parts of a message a provider leaves out by design while still carrying the message,
    /// reported in the receipt (`dropped`) so the loss is visible.
    public static func dropped(_ message: Message, _ c: Capabilities, provider: String) -> [String] {
        var dropped: [String] = []
        if !c.text && !(message.text ?? "").isEmpty && !(message.html ?? "").isEmpty {
            dropped.append("text part (\(provider) carries HTML only)")
        }
        return dropped
    }
}

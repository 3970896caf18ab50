import Foundation

extension Message {
    /// Everything in the message that would end up in a header and breaks its grammar: the
    /// Message-ID (RFC 5322 msg-id), custom headers Carrier owns (`Bcc`, `From`, …), attachment media types and content ids, file names, custom
    /// headers, metadata keys (header names over SMTP), tags and the template id (one line).
    /// Checked when a message is read and again before it is sent, so a message built in code
    /// is held to the same rules.
    public var headerProblems: [MessageError.FieldProblem] {
        var problems: [MessageError.FieldProblem] = []
        func problem(_ field: String, _ message: String, _ hint: String? = nil) {
            problems.append(.init(field: field, message: message, hint: hint))
        }
        if let id = messageID, !HeaderRules.isMessageID(id) {
            problem("message_id", "'\(id.prefix(80).escapingControlCharacters())' is not an RFC 5322 msg-id",
                    "write unique-part@your-domain: letters, digits and !#$%&'*+-/=?^_`{|}~ on each side of one @, no spaces or line breaks")
        }
        // A line break in a subject is the header writers' to refuse or fold; other control characters no one can carry.
        if let subject, subject.withContiguousUTF8({ $0.contains { HeaderRules.isControlByte($0) && $0 != 0x0D && $0 != 0x0A } }) {
            problem("subject", "contains a control character (a NUL or an escape)", "remove it from the subject or the value it was filled from")
        }
        func displayName(_ address: Address, _ field: @autoclosure () -> String) {
            guard address.name.map(HeaderRules.hasControlCharacters) == true else { return }
            problem(field(), "the display name contains a control character (a line break, NUL or escape)",
                    "a display name is one line of text; check the value it was filled from")
        }
        func names(_ field: String, _ addresses: [Address]) {
            for (i, address) in addresses.enumerated() { displayName(address, "\(field)[\(i)].name") }
        }
        displayName(from, "from.name")
        names("to", to)
        names("cc", cc)
        names("bcc", bcc)
        names("reply_to", replyTo)
        for (i, file) in attachments.enumerated() {
            if !HeaderRules.isOneLine(file.filename) { problem("attachments[\(i)].filename", "contains a line break or NUL") }
            if !HeaderRules.isMediaType(file.type) {
                problem("attachments[\(i)].type", "'\(file.type.prefix(80).escapingControlCharacters())' is not a media type", "write type/subtype, such as application/pdf")
            }
            if let cid = file.contentID, !HeaderRules.isContentID(cid) {
                problem("attachments[\(i)].content_id", "'\(cid.prefix(80).escapingControlCharacters())' is not a content id",
                        "use letters, digits, dots and -, optionally followed by @domain (as in cid:logo.1@example.com)")
            }
        }
        for (name, value) in headers {
            if let owner = Message.reservedHeaders.first(where: { HeaderRules.sameFieldName($0.name, name) })?.owner {
                problem("headers.\(name)", "\(name) cannot be set as a custom header", owner.isEmpty ? "Carrier writes it" : "use the \(owner) field")
            } else if !HeaderRules.isFieldName(name) {
                problem("headers.\(name.escapingControlCharacters())", "'\(name.escapingControlCharacters())' is not a valid header name",
                        "use letters, digits and - (printable ASCII without spaces, ':' or brackets)")
            } else if !HeaderRules.isOneLine(value) {
                problem("headers.\(name)", "the value contains a line break or NUL", "header values must be one line")
            }
        }
        for entry in metadata where !HeaderRules.isFieldName(entry.key) {
            problem("metadata.\(entry.key.escapingControlCharacters())", "the key is not a header-safe name",
                    "use letters, digits, '-', '_' and '.' (keys travel as header names over SMTP)")
        }
        for (i, tag) in tags.enumerated() where !HeaderRules.isOneLine(tag) {
            problem("tags[\(i)]", "contains a line break or NUL", "a tag is one line of text")
        }
        if let id = template?.id, !id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) {
            problem("template", "the template id '\(id.prefix(80).escapingControlCharacters())' contains spaces or control characters",
                    "copy the id from the provider's template list")
        }
        return problems
    }
}

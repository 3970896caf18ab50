import Foundation

/// Writes a ``Message`` as an RFC 5322 / MIME document with CRLF line ends.
///
/// The structure follows what the message needs: `multipart/mixed` for attachments around
/// `multipart/related` for inline images around `multipart/alternative` for text and HTML.
/// Text is 7bit when it is short-lined ASCII, quoted-printable otherwise, base64 when it holds
/// a NUL; files are base64 at 76.
/// No line exceeds 998 octets. Boundaries are derived from the message, so the same message
/// (with a fixed `message_id` and `date`) always gives the same bytes.
public struct MIMEWriter: Sendable {
    /// Write a `Bcc` header. Only for APIs that read recipients from headers (Gmail); never over SMTP.
    public var includeBcc: Bool
    /// Extra header fields a channel adds (provider tag and metadata headers over SMTP).
    public var extraHeaders: [(name: String, value: String)]
    /// Signs the finished message with DKIM (an account's or route's `dkim:`).
    public var dkim: DKIMSigner?

    public init(includeBcc: Bool = false, extraHeaders: [(name: String, value: String)] = [], dkim: DKIMSigner? = nil) {
        self.includeBcc = includeBcc
        self.extraHeaders = extraHeaders
        self.dkim = dkim
    }

    /// The message as MIME text (UTF-8 where headers allow it never occurs: all non-ASCII is encoded).
    ///
    /// Every header is checked as it is written: a name that is not a field name, a raw value
    /// with a line break, or a Message-ID, Content-ID or media type outside its grammar is
    /// refused, whatever the source (the message, a provider file, a library caller).
    public func write(_ message: Message) throws(HeaderInjectionError) -> String {
        if let problem = message.headerProblems.first {
            throw HeaderInjectionError(place: "MIME", name: problem.field, problem: problem.message)
        }
        let out = ByteSink(capacity: 1024 + (message.text?.utf8.count ?? 0) + (message.html?.utf8.count ?? 0))
        func header(_ name: String, _ value: String) throws(HeaderInjectionError) {
            try HeaderInjectionError.check(name, value, place: "MIME")
            HeaderEncoding.writeFolded(name, value, into: out)
        }
        func addressHeader(_ name: String, _ addresses: [Address]) throws(HeaderInjectionError) {
            guard !addresses.isEmpty else { return }
            try header(name, addresses.count == 1 ? HeaderEncoding.address(addresses[0])
                                                  : addresses.map(HeaderEncoding.address).joined(separator: ", "))
        }
        try addressHeader("From", [message.from])
        try addressHeader("To", message.to)
        try addressHeader("Cc", message.cc)
        if includeBcc { try addressHeader("Bcc", message.bcc) }
        try addressHeader("Reply-To", message.replyTo)
        if let subject = message.subject { try header("Subject", HeaderEncoding.unstructured(subject)) }
        try header("Date", RFC2822Date.format(epochSeconds: message.date ?? Int(Date().timeIntervalSince1970)))
        let messageID = message.messageID ?? MessageIDs.make(domain: message.from.domain)
        try header("Message-ID", "<" + messageID + ">")
        for (name, value) in extraHeaders {
            // A provider's header value with a line break is refused, not encoded into one line.
            try HeaderInjectionError.check(name, value, place: "MIME")
        }
        for (name, value) in message.headers + extraHeaders {
            try header(name, HeaderEncoding.unstructured(value))
        }
        try header("MIME-Version", "1.0")
        var counter = 0
        Self.body(of: message).write(into: out, seed: Self.seed(message, messageID: messageID), counter: &counter)
        guard let dkim else { return out.string }
        do { return try dkim.sign(out.string, fromDomain: message.from.domain) } catch {
            throw HeaderInjectionError(place: "MIME", name: "DKIM-Signature", problem: error.description)
        }
    }

    /// The part tree: text and HTML as alternatives, inline files beside HTML, attachments around both.
    private static func body(of message: Message) -> Part {
        var textParts: [Part] = []
        if let text = message.text, !text.isEmpty { textParts.append(.text(text, subtype: "plain")) }
        if let html = message.html, !html.isEmpty { textParts.append(.text(html, subtype: "html")) }
        if textParts.isEmpty { textParts.append(.text("", subtype: "plain")) }
        var core: Part = textParts.count == 1 ? textParts[0] : .multipart("alternative", textParts)
        let hasHTML = message.html.map { !$0.isEmpty } ?? false
        let inline = message.attachments.filter { $0.disposition == .inline && hasHTML }
        if !inline.isEmpty { core = .multipart("related", [core] + inline.map(Part.file)) }
        let attached = message.attachments.filter { !($0.disposition == .inline && hasHTML) }
        if !attached.isEmpty { core = .multipart("mixed", [core] + attached.map(Part.file)) }
        return core
    }

    private static func seed(_ message: Message, messageID: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ s: String) {
            for byte in s.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        mix(messageID)
        mix(message.subject ?? "")
        mix(String(message.text?.utf8.count ?? 0))
        mix(String(message.html?.utf8.count ?? 0))
        for a in message.attachments { mix(a.filename); mix(String(a.content.count)) }
        return hash
    }

    private indirect enum Part {
        case text(String, subtype: String)
        case file(Attachment)
        case multipart(String, [Part])

        func write(into out: ByteSink, seed: UInt64, counter: inout Int) {
            switch self {
            case .text(var text, let subtype):
                out.append("Content-Type: text/")
                out.append(subtype)
                out.append("; charset=\"utf-8\"\r\nContent-Transfer-Encoding: ")
                text.withUTF8 { bytes in
                    let encoding = TextTransferEncoding(for: bytes)
                    out.append(encoding.rawValue)
                    out.append("\r\n\r\n")
                    encoding.write(bytes, into: out)
                }
                out.append("\r\n")
            case .file(let attachment):
                // Written piece by piece into the sink: an interpolated string per line was most of a part's cost.
                out.append("Content-Type: ")
                out.append(attachment.type)
                out.append("; ")
                out.append(HeaderEncoding.parameter("name", attachment.filename))
                out.append("\r\nContent-Transfer-Encoding: base64\r\n")
                if let cid = attachment.contentID {
                    out.append("Content-ID: <")
                    out.append(cid)
                    out.append(">\r\n")
                }
                out.append(HeaderEncoding.fold("Content-Disposition: " + attachment.disposition.rawValue + "; "
                                               + HeaderEncoding.parameter("filename", attachment.filename)))
                out.append("\r\n\r\n")
                out.append(Base64.mimeWrapped(attachment.content))
                out.append("\r\n")
            case .multipart(let subtype, let parts):
                counter += 1
                let boundary = "=_carrier_" + String(seed, radix: 16) + "_" + String(counter)
                out.append("Content-Type: multipart/")
                out.append(subtype)
                out.append("; boundary=\"")
                out.append(boundary)
                out.append("\"\r\n\r\n")
                for part in parts {
                    out.append("--")
                    out.append(boundary)
                    out.append("\r\n")
                    part.write(into: out, seed: seed, counter: &counter)
                }
                out.append("--")
                out.append(boundary)
                out.append("--\r\n")
            }
        }
    }
}

/// Message-IDs: random, unique, with the sender's domain on the right (when it is ASCII; an
/// internationalised domain cannot stand in a msg-id, so `carrier.invalid` does).
package enum MessageIDs {
    package static func make(domain: String) -> String {
        let right = HeaderRules.isDotAtom(Substring(domain)) ? domain : "carrier.invalid"
        return randomUUID() + "@" + right
    }

    /// A version-4 UUID in lower case, as `UUID().uuidString.lowercased()` writes it, from the
    /// system's random bytes drawn in bulk, with no Foundation string work (a send makes one, so
    /// it showed in profiles).
    static func randomUUID() -> String {
        var bytes = SystemRandomPool.bytes(16)
        bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80  // RFC 4122 variant
        return String(unsafeUninitializedCapacity: 36) { out in
            var n = 0
            for (i, byte) in bytes.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 { out[n] = UInt8(ascii: "-"); n += 1 }
                out[n] = HexDigit.lower(byte >> 4)
                out[n + 1] = HexDigit.lower(byte & 0x0F)
                n += 2
            }
            return n
        }
    }
}

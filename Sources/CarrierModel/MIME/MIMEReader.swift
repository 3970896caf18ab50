import Foundation

/// Reads a message received as MIME (over SMTP, or `message/rfc822` over HTTP) into a Carrier
/// ``Message``, so any provider can carry it: addresses and subject with their encoded-words,
/// the text and HTML bodies, attachments (RFC 2231 file names) and inline parts with their
/// content ids, reply-to, the Message-ID and Date, and the custom headers. Transfer encodings
/// (base64, quoted-printable, 7bit, 8bit, binary) and the common charsets are decoded; what
/// cannot be read is refused with the reason — never dropped.
public enum MIMEReader {
    /// A message that cannot be read, and where.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { "the MIME message cannot be read: " + message }
    }

    /// Headers that describe the transport or the MIME structure, not the message: they are not
    /// passed on as custom headers (the provider writes its own).
    static let transportHeaders: Set<String> = [
        "received", "return-path", "dkim-signature", "domainkey-signature", "authentication-results", "arc-seal",
        "arc-message-signature", "arc-authentication-results", "x-original-to", "delivered-to", "mime-version",
        "content-type", "content-transfer-encoding", "content-disposition", "content-id", "content-description",
        "message-id", "date", "from", "to", "cc", "bcc", "reply-to", "subject", "sender", "x-mailer-queue-id",
    ]

    /// Nested multiparts deeper than this are refused (no mail client writes them).
    static let maximumDepth = 32

    /// The message in `bytes`. `envelopeRecipients` (SMTP's RCPT TO), when given, are the
    /// recipients: those not in To or Cc become Bcc.
    public static func message(from bytes: [UInt8], envelopeRecipients: [String]? = nil) throws(Failure) -> Message {
        let part = try MIMEPart(bytes[...], depth: 0)
        var fromList = try addresses(part.header("from"), field: "From")
        guard !fromList.isEmpty else { throw Failure(message: "it has no From address") }
        let from = fromList.removeFirst()
        var message = Message(from: from)
        message.to = try addresses(part.header("to"), field: "To")
        message.cc = try addresses(part.header("cc"), field: "Cc")
        message.bcc = try addresses(part.header("bcc"), field: "Bcc")
        message.replyTo = try addresses(part.header("reply-to"), field: "Reply-To")
        message.subject = part.header("subject").map { HeaderDecoding.unstructured($0) }
        if let id = part.header("message-id")?.trimmingWhitespace() {
            let bare = id.hasPrefix("<") && id.hasSuffix(">") ? String(id.dropFirst().dropLast()) : id
            if !bare.isEmpty { message.messageID = bare }
        }
        message.date = part.header("date").flatMap { RFC2822Date.parse($0.trimmingWhitespace()) }
        message.headers = part.headers.filter { !transportHeaders.contains($0.name.lowercased()) }
            .map { (name: $0.name, value: HeaderDecoding.unstructured($0.value).trimmingWhitespace()) }
        var body = Body()
        try collect(part, into: &body, inRelated: false)
        message.text = body.text
        message.html = body.html
        message.attachments = body.attachments
        if let envelope = envelopeRecipients {
            let visible = Set((message.to + message.cc).map { $0.email.lowercased() })
            let listedBcc = Set(message.bcc.map { $0.email.lowercased() })
            message.bcc += envelope.filter { !visible.contains($0.lowercased()) && !listedBcc.contains($0.lowercased()) }
                .map { Address(email: $0) }
            let delivered = Set(envelope.map { $0.lowercased() })
            // Only the envelope's recipients get the message (a header may list others, as Bcc'd copies do).
            message.to = message.to.filter { delivered.contains($0.email.lowercased()) }
            message.cc = message.cc.filter { delivered.contains($0.email.lowercased()) }
            message.bcc = message.bcc.filter { delivered.contains($0.email.lowercased()) }
            if message.to.isEmpty && message.cc.isEmpty, !message.bcc.isEmpty {
                // A provider needs a To: the first hidden recipient stays hidden by being the only one.
                message.to = [message.bcc.removeFirst()]
            }
        }
        return message
    }

    private struct Body {
        var text: String?
        var html: String?
        var attachments: [Attachment] = []
    }

    /// Walks the MIME tree: the first text/plain and text/html that are not attachments are the
    /// bodies; every other leaf is an attachment (inline when it has a content id inside
    /// multipart/related or says `inline`).
    private static func collect(_ part: MIMEPart, into body: inout Body, inRelated: Bool) throws(Failure) {
        let type = part.contentType
        if type.type.hasPrefix("multipart/") {
            for child in try part.children() {
                try collect(child, into: &body, inRelated: inRelated || type.type == "multipart/related")
            }
            return
        }
        let disposition = part.disposition
        let filename = disposition.parameters["filename"] ?? type.parameters["name"]
        let isAttachment = disposition.type == "attachment" || (filename != nil && disposition.type != "inline")
        if !isAttachment, type.type == "text/plain", body.text == nil {
            body.text = try part.text()
            return
        }
        if !isAttachment, type.type == "text/html", body.html == nil {
            body.html = try part.text()
            return
        }
        let content = try part.decodedBody()
        let contentID = part.header("content-id").map { id -> String in
            let trimmed = id.trimmingWhitespace()
            return trimmed.hasPrefix("<") && trimmed.hasSuffix(">") ? String(trimmed.dropFirst().dropLast()) : trimmed
        }
        let inline = contentID != nil && (inRelated || disposition.type == "inline") && disposition.type != "attachment"
        let name = filename ?? (type.type == "message/rfc822" ? "message.eml" : defaultName(for: type.type, index: body.attachments.count + 1))
        body.attachments.append(Attachment(filename: name, type: type.type, content: content, disposition: inline ? .inline : .attachment,
                                           contentID: inline ? contentID : nil))
    }

    private static func defaultName(for type: String, index: Int) -> String {
        let ext = ["text/plain": "txt", "text/html": "html", "text/calendar": "ics", "application/pdf": "pdf", "image/png": "png",
                   "image/jpeg": "jpg", "image/gif": "gif"][type] ?? "bin"
        return "part\(index).\(ext)"
    }

    /// An address list (`"Ann B." <ann@example.com>, bob@example.com (Bob), Team: c@example.com;`).
    static func addresses(_ header: String?, field: String) throws(Failure) -> [Address] {
        guard let header else { return [] }
        var result: [Address] = []
        for item in splitList(header) {
            var text = item.trimmingWhitespace()
            // A group (`Team: a@x, b@y;`): its name goes, its members stay.
            if let colon = firstUnquoted(UInt8(ascii: ":"), in: text), !text[..<colon].contains(ascii: "<"), !text[..<colon].contains(ascii: "\"") {
                text = String(text[text.index(after: colon)...])
            }
            text = text.trimming(ascii: " ;")
            if text.isEmpty { continue }
            let withoutComments = removingComments(text)
            if let open = withoutComments.lastIndex(of: "<"), let close = withoutComments.lastIndex(of: ">"), open < close {
                let email = withoutComments[withoutComments.index(after: open)..<close].trimmingWhitespace()
                let rawName = withoutComments[..<open].trimmingWhitespace()
                let name = rawName.isEmpty ? nil : HeaderDecoding.displayName(rawName)
                guard email.contains(ascii: "@") else { throw Failure(message: "\(field) holds '\(item.escapingControlCharacters())', which is no address") }
                result.append(Address(email: email, name: name?.isEmpty == false ? name : nil))
            } else {
                let email = withoutComments.trimmingWhitespace()
                guard email.contains(ascii: "@"), !email.contains(ascii: " ") else {
                    throw Failure(message: "\(field) holds '\(item.escapingControlCharacters())', which is no address")
                }
                result.append(Address(email: email))
            }
        }
        return result
    }

    /// Splits at commas outside quotes, angle brackets and comments. The delimiters are ASCII, so
    /// the list is read byte by byte (a multi-byte character never holds one) and cut into slices.
    static func splitList(_ text: String) -> [String] {
        var items: [String] = []
        var quoted = false, escaped = false, angle = 0, comment = 0
        let bytes = text.utf8
        var start = bytes.startIndex
        var index = start
        while index < bytes.endIndex {
            if escaped {
                escaped = false
            } else {
                switch bytes[index] {
                case UInt8(ascii: "\\") where quoted || comment > 0: escaped = true
                case UInt8(ascii: "\"") where comment == 0: quoted.toggle()
                case UInt8(ascii: "<") where !quoted && comment == 0: angle += 1
                case UInt8(ascii: ">") where !quoted && comment == 0: angle = max(0, angle - 1)
                case UInt8(ascii: "(") where !quoted: comment += 1
                case UInt8(ascii: ")") where !quoted: comment = max(0, comment - 1)
                case UInt8(ascii: ",") where !quoted && angle == 0 && comment == 0:
                    items.append(String(text[start..<index]))
                    start = bytes.index(after: index)
                default: break
                }
            }
            index = bytes.index(after: index)
        }
        items.append(String(text[start...]))
        return items
    }

    private static func firstUnquoted(_ target: UInt8, in text: String) -> String.Index? {
        var quoted = false
        let bytes = text.utf8
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if byte == target && !quoted { return index }
            index = bytes.index(after: index)
        }
        return nil
    }

    /// The text without `(comments)` outside quotes (as Python's `getaddresses` reads them, a
    /// comment is not a display name).
    private static func removingComments(_ text: String) -> String {
        guard text.contains(ascii: "(") else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var depth = 0, quoted = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") && depth == 0 { quoted.toggle() }
            if !quoted && byte == UInt8(ascii: "(") { depth += 1; continue }
            if !quoted && byte == UInt8(ascii: ")") && depth > 0 { depth -= 1; continue }
            if depth == 0 { out.append(byte) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One MIME entity: its headers (unfolded, in order) and its body bytes.
struct MIMEPart {
    var headers: [(name: String, value: String)]
    var body: ArraySlice<UInt8>
    let depth: Int
    /// `Content-Type`, lower-cased, with its parameters (default `text/plain`): read once, as
    /// walking the tree asks for it several times a part.
    let contentType: ContentField

    init(_ bytes: ArraySlice<UInt8>, depth: Int) throws(MIMEReader.Failure) {
        guard depth <= MIMEReader.maximumDepth else { throw MIMEReader.Failure(message: "multiparts nest deeper than \(MIMEReader.maximumDepth) levels") }
        self.depth = depth
        // The header ends at the first empty line (CRLF CRLF, or bare LF LF).
        var index = bytes.startIndex
        var lineStart = index
        var headerLines: [String] = []
        var bodyStart = bytes.endIndex
        while index < bytes.endIndex {
            guard bytes[index] == 0x0A else { index += 1; continue }
            var lineEnd = index
            if lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if lineEnd == lineStart { bodyStart = index + 1; break }
            headerLines.append(String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self))
            index += 1
            lineStart = index
        }
        if bodyStart == bytes.endIndex && lineStart < bytes.endIndex && index >= bytes.endIndex {
            headerLines.append(String(decoding: bytes[lineStart...], as: UTF8.self))  // headers only, no body
        }
        var headers: [(name: String, value: String)] = []
        for line in headerLines {
            if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += line
            } else if let colon = line.utf8.firstIndex(of: UInt8(ascii: ":")) {
                let name = line[..<colon].trimmingWhitespace()
                guard !name.isEmpty, !name.contains(ascii: " ") else { continue }  // not a header field (an mbox "From " line)
                headers.append((name, String(line[line.index(after: colon)...]).trimmingWhitespace()))
            }
        }
        self.headers = headers
        self.body = bodyStart <= bytes.endIndex ? bytes[bodyStart...] : []
        contentType = ContentField(headers.first { HeaderRules.sameFieldName($0.name, "content-type") }?.value ?? "text/plain; charset=us-ascii",
                                   defaultType: "text/plain")
    }

    func header(_ name: String) -> String? {
        headers.first { HeaderRules.sameFieldName($0.name, name) }?.value
    }


    var disposition: ContentField {
        ContentField(header("content-disposition") ?? "", defaultType: "")
    }

    /// The parts of a multipart body, between its boundaries.
    func children() throws(MIMEReader.Failure) -> [MIMEPart] {
        guard let boundary = contentType.parameters["boundary"], !boundary.isEmpty else {
            throw MIMEReader.Failure(message: "a \(contentType.type) part has no boundary")
        }
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [MIMEPart] = []
        var starts: [Int] = []  // where each delimiter line starts
        var ends: [Int] = []    // where the line after it starts
        var closed = false
        var lineStart = body.startIndex
        while lineStart < body.endIndex {
            var lineEnd = lineBreak(from: lineStart)
            let next = lineEnd < body.endIndex ? lineEnd + 1 : lineEnd
            if lineEnd > lineStart && body[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = body[lineStart..<lineEnd]
            if line.first == UInt8(ascii: "-"), line.starts(with: delimiter) {
                let rest = line.dropFirst(delimiter.count)
                let isClose = rest.starts(with: [0x2D, 0x2D])
                if isClose || rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    starts.append(lineStart)
                    ends.append(next)
                    if isClose { closed = true; break }
                }
            }
            lineStart = next
        }
        guard starts.count >= 2 || (starts.count == 1 && !closed) else {
            throw MIMEReader.Failure(message: "a \(contentType.type) part has no part delimited by its boundary")
        }
        for i in 0..<starts.count where !(closed && i == starts.count - 1) {
            var end = i + 1 < starts.count ? starts[i + 1] : body.endIndex
            // The line break before a delimiter belongs to the delimiter.
            if end > ends[i] && body[end - 1] == 0x0A { end -= 1; if end > ends[i] && body[end - 1] == 0x0D { end -= 1 } }
            parts.append(try MIMEPart(body[ends[i]..<max(ends[i], end)], depth: depth + 1))
        }
        return parts
    }

    /// The index of the next line feed in the body from `start` (its end when none), found by
    /// `memchr`: a multipart's body is searched line by line for its boundary.
    private func lineBreak(from start: Int) -> Int {
        body.withUnsafeBufferPointer { buffer in
            let offset = start - body.startIndex
            guard let base = buffer.baseAddress, offset < buffer.count,
                  let found = memchr(base + offset, 0x0A, buffer.count - offset) else { return body.endIndex }
            return body.startIndex + (UnsafeRawPointer(found) - UnsafeRawPointer(base))
        }
    }

    /// The body with its transfer encoding undone.
    func decodedBody() throws(MIMEReader.Failure) -> Data {
        switch (header("content-transfer-encoding") ?? "7bit").trimmingWhitespace().lowercased() {
        case "base64":
            let cleaned = body.filter { !($0 == 0x0D || $0 == 0x0A || $0 == 0x20 || $0 == 0x09) }
            var text = String(decoding: cleaned, as: UTF8.self)
            while text.utf8.count % 4 != 0 { text += "=" }
            guard let data = Data(base64Encoded: text) else { throw MIMEReader.Failure(message: "a base64 part is not valid base64") }
            return data
        case "quoted-printable":
            return Data(QuotedPrintable.decode(body))
        case "7bit", "8bit", "binary", "":
            return Data(body)
        case let other:
            throw MIMEReader.Failure(message: "a part has the unknown transfer encoding '\(other.escapingControlCharacters())'")
        }
    }

    /// A text body in its charset.
    func text() throws(MIMEReader.Failure) -> String {
        let bytes = [UInt8](try decodedBody())
        let charset = contentType.parameters["charset"] ?? "us-ascii"
        if let text = HeaderDecoding.decode(bytes, charset: charset) { return text }
        if ["us-ascii", "ascii"].contains(charset.lowercased()) {
            // 8-bit bytes labelled ASCII: UTF-8 when they are UTF-8, as mail clients read them.
            if let text = String(validating: bytes, as: UTF8.self) { return text }
            return String(bytes: bytes, encoding: .isoLatin1) ?? ""
        }
        throw MIMEReader.Failure(message: "a text part is in the charset '\(charset.escapingControlCharacters())', which Carrier does not read "
                                 + "(it reads UTF-8, US-ASCII, ISO-8859-1 and Windows-1252), or its bytes are not valid in it")
    }
}

/// A `Content-Type` or `Content-Disposition` value: the lower-cased type and its parameters,
/// with RFC 2231 continuations (`name*0*=`, `name*1*=`) joined and decoded.
struct ContentField {
    var type: String
    var parameters: [String: String]

    init(_ value: String, defaultType: String) {
        let pieces = MIMEReader.splitParameters(value)
        let first = pieces.first?.trimmingWhitespace().lowercased() ?? ""
        type = first.isEmpty || (!first.contains(ascii: "/") && defaultType.contains(ascii: "/")) ? defaultType : first
        var plain: [String: String] = [:]
        var continued: [String: [(index: Int, value: String, encoded: Bool)]] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.utf8.firstIndex(of: UInt8(ascii: "=")) else { continue }
            var name = piece[..<equals].trimmingWhitespace().lowercased()
            let raw = piece[piece.index(after: equals)...].trimmingWhitespace()
            let extended = name.hasSuffix("*")
            if extended { name.removeLast() }
            if let star = name.firstIndex(of: "*"), let index = Int(name[name.index(after: star)...]) {
                continued[String(name[..<star]), default: []].append((index, raw, extended))
            } else {
                plain[name] = HeaderDecoding.parameterValue(raw, extended: extended)
            }
        }
        for (name, pieces) in continued {
            let sorted = pieces.sorted { $0.index < $1.index }
            if let first = sorted.first, first.encoded {
                // `charset'language'%XX…` across the pieces: the bytes joined, then read in the charset.
                let head = first.value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                let charset = head.count == 3 ? String(head[0]) : "utf-8"
                var bytes: [UInt8] = []
                for (i, piece) in sorted.enumerated() {
                    let text = i == 0 && head.count == 3 ? head[2] : Substring(piece.value)
                    if piece.encoded { bytes += HeaderDecoding.percentDecoded(text) ?? Array(text.utf8) }
                    else { bytes += Array(HeaderDecoding.parameterValue(String(text), extended: false).utf8) }
                }
                plain[name] = HeaderDecoding.decode(bytes, charset: charset) ?? String(decoding: bytes, as: UTF8.self)
            } else {
                plain[name] = sorted.map { HeaderDecoding.parameterValue($0.value, extended: false) }.joined()
            }
        }
        for (name, value) in plain where name == "filename" || name == "name" {
            plain[name] = HeaderDecoding.unstructured(value)  // encoded-words in names, as some clients write them
        }
        parameters = plain
    }
}

extension MIMEReader {
    /// Splits `type; a=1; b="x;y"` at semicolons outside quotes (byte by byte, as ``splitList(_:)``).
    static func splitParameters(_ text: String) -> [String] {
        var items: [String] = []
        var quoted = false, escaped = false
        let bytes = text.utf8
        var start = bytes.startIndex
        var index = start
        while index < bytes.endIndex {
            let byte = bytes[index]
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") && quoted {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                quoted.toggle()
            } else if byte == UInt8(ascii: ";") && !quoted {
                items.append(String(text[start..<index]))
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        items.append(String(text[start...]))
        return items
    }
}

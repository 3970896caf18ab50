import CarrierModel
import CCurl
import Foundation

/// Collects the SMTP conversation from libcurl's debug callback.
package final class SMTPTranscript {
    package var lines: [String] = []
    var inAuth = false
    package var dataSent = false
    package var lastReply: String?
    /// The last reply with a 4xx or 5xx code: what the failure is about (later lines may be "221 Bye").
    var lastErrorReply: String?
    var pendingRecipient: String?
    package var rejected: [(recipient: String, reply: String)] = []
    var reused = false
    /// The server's first words on a new connection were not a `220` greeting (a `554` refusal, or garbage).
    var greetingRefused = false
    /// The server answered EHLO on this transfer (not on a reused connection).
    var ehloAnswered = false
    /// The server listed SMTPUTF8 in its EHLO reply.
    var offersSMTPUTF8 = false
    private var sawServerLine = false
    private var sawClientLine = false
    private var lastCommand = ""

    package init() {}

    package func client(_ text: String) {
        for line in Self.lines(text) {
            sawClientLine = true
            if !inAuth { lastCommand = Self.asciiUppercased(line.utf8.prefix(4)) }
            if Self.hasPrefix(line, "AUTH ") {
                inAuth = true
                let parts = line.split(separator: " ")
                lines.append("C: AUTH \(parts.count > 1 ? parts[1] : "")" + (parts.count > 2 ? " ***" : ""))
            } else if inAuth {
                lines.append("C: ***")
            } else {
                lines.append("C: " + line)
                if Self.hasPrefix(line, "RCPT TO:") { pendingRecipient = Self.address(in: line) }
                if line.utf8.count == 4 && lastCommand == "DATA" { dataSent = true }
            }
        }
    }

    package func server(_ text: String) {
        // Control characters escaped: a server's lines are shown on terminals and kept in files.
        for line in Self.lines(text).map({ $0.escapingControlCharacters() }) {
            lines.append("S: " + line)
            lastReply = line
            let bytes = Array(line.utf8)
            let code = Int(String(decoding: bytes.prefix(3), as: UTF8.self)) ?? 0
            if !sawServerLine {
                sawServerLine = true
                if code != 220 && !sawClientLine { greetingRefused = true }
            }
            if lastCommand == "EHLO" && code == 250 {
                ehloAnswered = true
                if bytes.count >= 12 && Self.asciiUppercased(bytes[4..<12]) == "SMTPUTF8" { offersSMTPUTF8 = true }
            }
            if code >= 400 && pendingRecipient == nil { lastErrorReply = line }
            if inAuth && code != 334 { inAuth = false }
            let isFinal = bytes.count < 4 || bytes[3] != UInt8(ascii: "-")
            if isFinal, let recipient = pendingRecipient {
                if code >= 400 { rejected.append((recipient, line)) }
                pendingRecipient = nil
            }
        }
    }

    /// The CRLF-ended lines of what libcurl passed (empty ones left out), split on the bytes: an
    /// SMTP conversation is a few lines a message, but every message has one.
    static func lines(_ text: String) -> [String] {
        var out: [String] = []
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for i in bytes.indices where bytes[i] == 0x0A && i > 0 && bytes[i - 1] == 0x0D {
                if i - 1 > start { out.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i - 1]), as: UTF8.self)) }
                start = i + 1
            }
            if start < bytes.count { out.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self)) }
        }
        return out
    }

    /// Whether a line starts with an ASCII word, in any case.
    static func hasPrefix(_ line: String, _ word: String) -> Bool {
        line.utf8.count >= word.utf8.count && asciiUppercased(line.utf8.prefix(word.utf8.count)) == word
    }

    static func asciiUppercased<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        String(decoding: bytes.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    func info(_ text: String) {
        if text.hasPrefix("Re-using existing connection") || text.hasPrefix("Reusing existing connection") { reused = true }
    }

    static func address(in line: String) -> String {
        let bytes = line.utf8
        guard let open = bytes.firstIndex(of: UInt8(ascii: "<")), let close = bytes.firstIndex(of: UInt8(ascii: ">")), open < close else { return line }
        return String(line[bytes.index(after: open)..<close])
    }
}

import CarrierModel
import CCurl
import Foundation

/// Collects the SMTP conversation from libcurl's debug callback. Read on the bytes libcurl passes:
/// a conversation is a few lines a message, but every message has one, and libcurl's notes
/// ("Re-using existing connection…") come in between.
package final class SMTPTranscript {
    package var lines: [String] = []
    var inAuth = false
    package var dataSent = false
    /// The server's last line (its index in ``lines``); the string is made when asked for.
    private var lastReplyIndex: Int?
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
    private var lastCommand = Command.other

    /// The commands whose replies the transcript reads.
    private enum Command {
        case ehlo, data, other
    }

    package init() {}

    package var lastReply: String? { lastReplyIndex.map { String(lines[$0].dropFirst(3)) } }

    package func client(_ text: UnsafeBufferPointer<UInt8>) {
        Self.forEachLine(text) { line in
            sawClientLine = true
            if !inAuth {
                lastCommand = Self.starts(line, with: "EHLO") ? .ehlo : Self.starts(line, with: "DATA") ? .data : .other
            }
            if Self.starts(line, with: "AUTH ") {
                inAuth = true
                let parts = String(decoding: line, as: UTF8.self).split(separator: " ")
                lines.append("C: AUTH \(parts.count > 1 ? parts[1] : "")" + (parts.count > 2 ? " ***" : ""))
            } else if inAuth {
                lines.append("C: ***")
            } else {
                lines.append(Self.line("C: ", line))
                if Self.starts(line, with: "RCPT TO:") { pendingRecipient = Self.address(in: line) }
                if line.count == 4 && lastCommand == .data { dataSent = true }
            }
        }
    }

    package func server(_ text: UnsafeBufferPointer<UInt8>) {
        Self.forEachLine(text) { bytes in
            // Control characters escaped: a server's lines are shown on terminals and kept in files.
            lines.append(ControlCharacters.mayAppear(in: bytes) ? "S: " + String(decoding: bytes, as: UTF8.self).escapingControlCharacters()
                                                               : Self.line("S: ", bytes))
            lastReplyIndex = lines.count - 1
            let code = Self.replyCode(bytes)
            if !sawServerLine {
                sawServerLine = true
                if code != 220 && !sawClientLine { greetingRefused = true }
            }
            if lastCommand == .ehlo && code == 250 {
                ehloAnswered = true
                if bytes.count >= 12 && Self.starts(UnsafeBufferPointer(rebasing: bytes[4...]), with: "SMTPUTF8") { offersSMTPUTF8 = true }
            }
            if code >= 400 && pendingRecipient == nil { lastErrorReply = lastReply }
            if inAuth && code != 334 { inAuth = false }
            let isFinal = bytes.count < 4 || bytes[3] != UInt8(ascii: "-")
            if isFinal, let recipient = pendingRecipient {
                if code >= 400, let reply = lastReply { rejected.append((recipient, reply)) }
                pendingRecipient = nil
            }
        }
    }

    func info(_ text: UnsafeBufferPointer<UInt8>) {
        if Self.starts(text, with: "Re-using existing connection") || Self.starts(text, with: "Reusing existing connection") { reused = true }
    }

    /// Calls `body` with each CRLF-ended line of `text` (empty ones left out, a last line without CRLF included).
    static func forEachLine(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        for i in text.indices where text[i] == 0x0A && i > 0 && text[i - 1] == 0x0D {
            if i - 1 > start { body(UnsafeBufferPointer(rebasing: text[start..<i - 1])) }
            start = i + 1
        }
        if start < text.count { body(UnsafeBufferPointer(rebasing: text[start...])) }
    }

    /// Whether `line` starts with an ASCII word, in any case.
    static func starts(_ line: UnsafeBufferPointer<UInt8>, with word: StaticString) -> Bool {
        guard line.count >= word.utf8CodeUnitCount else { return false }
        for k in 0..<word.utf8CodeUnitCount {
            let byte = line[k], expected = word.utf8Start[k]
            guard byte == expected || ((0x61...0x7A).contains(byte) && byte - 0x20 == expected) else { return false }
        }
        return true
    }

    /// `prefix` and the line's bytes as one string, made once.
    private static func line(_ prefix: StaticString, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let count = prefix.utf8CodeUnitCount + bytes.count
        return String(unsafeUninitializedCapacity: count) { out in
            guard let base = out.baseAddress else { return 0 }
            base.update(from: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
            if let source = bytes.baseAddress { (base + prefix.utf8CodeUnitCount).update(from: source, count: bytes.count) }
            return count
        }
    }

    /// The three-digit code a reply line starts with, or 0.
    private static func replyCode(_ line: UnsafeBufferPointer<UInt8>) -> Int {
        guard line.count >= 3 else { return 0 }
        var code = 0
        for byte in line[0..<3] {
            guard (0x30...0x39).contains(byte) else { return 0 }
            code = code * 10 + Int(byte - 0x30)
        }
        return code
    }

    static func address(in line: UnsafeBufferPointer<UInt8>) -> String {
        guard let open = line.firstIndex(of: UInt8(ascii: "<")), let close = line.firstIndex(of: UInt8(ascii: ">")), open < close else {
            return String(decoding: line, as: UTF8.self)
        }
        return String(decoding: line[(open + 1)..<close], as: UTF8.self)
    }
}

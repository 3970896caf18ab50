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
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init) {
            sawClientLine = true
            let upper = line.uppercased()
            if !inAuth { lastCommand = String(upper.prefix(4)) }
            if upper.hasPrefix("AUTH ") {
                inAuth = true
                let parts = line.split(separator: " ")
                lines.append("C: AUTH \(parts.count > 1 ? parts[1] : "")" + (parts.count > 2 ? " ***" : ""))
            } else if inAuth {
                lines.append("C: ***")
            } else {
                lines.append("C: " + line)
                if upper.hasPrefix("RCPT TO:") { pendingRecipient = Self.address(in: line) }
                if upper == "DATA" { dataSent = true }
            }
        }
    }

    package func server(_ text: String) {
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true).map(Self.printable) {
            lines.append("S: " + line)
            lastReply = line
            let code = Int(line.prefix(3)) ?? 0
            if !sawServerLine {
                sawServerLine = true
                if code != 220 && !sawClientLine { greetingRefused = true }
            }
            if lastCommand == "EHLO" && code == 250 {
                ehloAnswered = true
                if line.dropFirst(4).uppercased().hasPrefix("SMTPUTF8") { offersSMTPUTF8 = true }
            }
            if code >= 400 && pendingRecipient == nil { lastErrorReply = line }
            if inAuth && code != 334 { inAuth = false }
            let isFinal = line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] != "-"
            if isFinal, let recipient = pendingRecipient {
                if code >= 400 { rejected.append((recipient, line)) }
                pendingRecipient = nil
            }
        }
    }

    func info(_ text: String) {
        if text.hasPrefix("Re-using existing connection") || text.hasPrefix("Reusing existing connection") { reused = true }
    }

    /// A server line with control characters escaped: it is shown on terminals and kept in files.
    static func printable(_ line: Substring) -> String {
        line.escapingControlCharacters()
    }

    static func address(in line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line.firstIndex(of: ">"), open < close else { return line }
        return String(line[line.index(after: open)..<close])
    }
}

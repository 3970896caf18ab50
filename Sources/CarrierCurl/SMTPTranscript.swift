import CCurl
import Foundation

/// Collects the SMTP conversation from libcurl's debug callback.
final class SMTPTranscript {
    var lines: [String] = []
    var inAuth = false
    var dataSent = false
    var lastReply: String?
    /// The last reply with a 4xx or 5xx code: what the failure is about (later lines may be "221 Bye").
    var lastErrorReply: String?
    var pendingRecipient: String?
    var rejected: [(recipient: String, reply: String)] = []
    var reused = false
    /// The server's first words were not a `220` greeting (a `554` refusal, or garbage).
    var greetingRefused = false
    /// The server listed SMTPUTF8 in its EHLO reply.
    var offersSMTPUTF8 = false
    private var sawServerLine = false

    func client(_ text: String) {
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init) {
            let upper = line.uppercased()
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

    func server(_ text: String) {
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true).map(Self.printable) {
            lines.append("S: " + line)
            lastReply = line
            let code = Int(line.prefix(3)) ?? 0
            if !sawServerLine {
                sawServerLine = true
                if code != 220 { greetingRefused = true }
            }
            if code == 250 && line.dropFirst(4).uppercased().hasPrefix("SMTPUTF8") { offersSMTPUTF8 = true }
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
        guard line.unicodeScalars.contains(where: { $0.value < 0x20 || ($0.value >= 0x7F && $0.value <= 0x9F) }) else { return String(line) }
        return String(String.UnicodeScalarView(line.unicodeScalars.flatMap { scalar -> [Unicode.Scalar] in
            scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F)
                ? Array("\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars) : [scalar]
        }))
    }

    static func address(in line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line.firstIndex(of: ">"), open < close else { return line }
        return String(line[line.index(after: open)..<close])
    }
}

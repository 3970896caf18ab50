import Carrier
import CarrierCurl
import CarrierTransport
import Foundation

/// An SMTP conversation as libcurl reports it: the input is the server's side, split by NUL bytes
/// into the replies to a fixed list of client commands. The transcript must stay printable (it is
/// shown and stored) and every failure must get a class.
enum SMTPReplyFuzzing {
    static let commands = ["EHLO carrier.local", "AUTH PLAIN AGFiAGM=", "MAIL FROM:<a@example.com> SIZE=100",
                           "RCPT TO:<b@example.com>", "RCPT TO:<c@example.com>", "DATA", ".", "QUIT"]

    static func run(_ bytes: [UInt8]) {
        let transcript = SMTPTranscript()
        let replies = bytes.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
        (replies.first ?? []).withUnsafeBufferPointer(transcript.server)
        for (command, reply) in zip(commands, replies.dropFirst()) {
            Array((command + "\r\n").utf8).withUnsafeBufferPointer(transcript.client)
            reply.withUnsafeBufferPointer(transcript.server)
        }
        for line in transcript.lines {
            // Tab is kept, as `escapingControlCharacters` documents; every other control character is escaped.
            let control = line.unicodeScalars.first { ($0.value < 0x20 && $0 != "\t") || (0x7F...0x9F).contains($0.value) }
            require(control == nil, "a control character in the transcript line \(line.debugDescription)")
            require(!line.contains("AGFiAGM="), "the AUTH secret in the transcript")
        }
        let code = transcript.lastReply.flatMap { Int($0.prefix(3)) }
        for kind in [TransferError.Kind.refused, .dropped, .timeout] {
            let failure = SMTPFailure(transfer: TransferError(kind: kind, requestSent: true, message: "fuzz", curlCode: 0), replyCode: code, lastReply: transcript.lastReply,
                                      transcript: transcript.lines, dataSent: transcript.dataSent, rejected: transcript.rejected,
                                      reusedConnection: false)
            _ = failure.errorClass(code: code.flatMap { $0 >= 400 ? $0 : nil })
        }
    }
}

import Carrier
import Foundation
import Testing

/// The gateway's MIME reader against Python's email package on messages as mail clients write
/// them (Tests/Support/mime_corpus.py): both must read the same addresses, subject, bodies and
/// attachments.
@Suite("MIME reader")
struct MIMEReaderTests {
    static let corpus: (folder: String, names: [String]) = {
        let folder = (try? temporaryDirectory()) ?? NSTemporaryDirectory() + "/carrier-mime-corpus-\(getpid())"
        let result = try? Fixtures.python("mime_corpus.py", [folder], input: Data())
        let names = (try? JSONParser.parse(result?.stdout ?? "[]"))?.arrayValue?.compactMap(\.stringValue) ?? []
        return (folder, names)
    }()

    @Test func corpusIsWritten() {
        #expect(Self.corpus.names.count == 7)
    }

    @Test("Reads what Python's email package reads", arguments: corpus.names)
    func readsLikePython(_ name: String) throws {
        let raw = try #require(FileManager.default.contents(atPath: "\(Self.corpus.folder)/\(name).eml"))
        let expected = try JSONParser.parse(try #require(FileManager.default.contents(atPath: "\(Self.corpus.folder)/\(name).json")).map { $0 })
        let message = try MIMEReader.message(from: [UInt8](raw))
        func addresses(_ list: [Address]) -> Value {
            .array(list.map { .object(["email": .string($0.email), "name": $0.name.map(Value.string) ?? .null]) })
        }
        #expect(addresses([message.from]) == .array([expected["from"]]))
        #expect(addresses(message.to) == expected["to"])
        #expect(addresses(message.cc) == expected["cc"])
        #expect(addresses(message.replyTo) == expected["reply_to"])
        #expect(message.subject.map(Value.string) ?? .null == expected["subject"])
        #expect(message.messageID.map(Value.string) ?? .null == expected["message_id"])
        #expect(message.date.map(Value.int) ?? .null == expected["date"], "\(name): the Date header, zone included")
        #expect(Self.lines(message.text) == Self.lines(expected["text"].stringValue))
        #expect(Self.lines(message.html) == Self.lines(expected["html"].stringValue))
        let attachments = (expected["attachments"].arrayValue ?? [])
        #expect(message.attachments.count == attachments.count)
        for (mine, theirs) in zip(message.attachments, attachments) {
            #expect(Value.string(mine.filename) == theirs["filename"] || (theirs["filename"] == .null && mine.filename.hasPrefix("part")) || mine.type == "message/rfc822")
            #expect(mine.type == theirs["type"].text)
            #expect(mine.content.base64EncodedString() == theirs["content_b64"].text, "\(name): \(mine.filename)")
            #expect(mine.contentID.map(Value.string) ?? .null == theirs["content_id"])
        }
        if let campaign = expected["x_campaign"].stringValue {
            #expect(message.headers.contains { $0.name == "X-Campaign" && $0.value == campaign })
        }
    }

    /// Line ends compared without CR (mail uses CRLF, Python gives LF for some parts).
    static func lines(_ text: String?) -> String? {
        text?.replacingOccurrences(of: "\r\n", with: "\n")
    }

    @Test("Quoted-printable as Python writes it is read back: '=', blanks and tabs at every place around the 8-byte words, trailing blanks, soft breaks, non-ASCII")
    func quotedPrintableFromPython() throws {
        let specials = ["=", " ", "\t", "  ", "= ", "é", "==", "=\t"]
        var texts: [String] = []
        for special in specials {
            for position in 0..<18 {
                texts.append(String(repeating: "a", count: position) + special + String(repeating: "b", count: 17 - position) + "\n")
                texts.append(String(repeating: "x", count: position) + special + "\n" + String(repeating: "y", count: 90 + position) + special + "z\n")
            }
        }
        texts.append(String(repeating: "0123456789=", count: 40) + "\n")
        texts.append("trailing blanks   \nand a tab\t\nend\n")
        let result = try Fixtures.python("qp_messages.py", input: Data(JSONWriter.bytes(.array(texts.map(Value.string)))))
        #expect(result.status == 0, "\(result.stderr)")
        let messages = try #require(try JSONParser.parse(result.stdout).arrayValue)
        #expect(messages.count == texts.count)
        for (text, raw) in zip(texts, messages) {
            let message = try MIMEReader.message(from: Array(raw.text.utf8))
            #expect(Self.lines(message.text) == Self.lines(text), "\(raw.text)")
        }
    }

    @Test func envelopeRecipientsOutsideTheHeadersAreBcc() throws {
        let raw = Array("From: a@example.com\r\nTo: b@example.com, c@example.com\r\nSubject: s\r\n\r\nhi\r\n".utf8)
        let message = try MIMEReader.message(from: raw, envelopeRecipients: ["b@example.com", "hidden@example.com"])
        #expect(message.to.map(\.email) == ["b@example.com"], "c@ was not an envelope recipient: it does not get a copy")
        #expect(message.bcc.map(\.email) == ["hidden@example.com"])
    }

    @Test func unreadableMessagesAreRefusedWithTheReason() {
        let cases: [(String, String)] = [
            ("To: b@example.com\r\n\r\nno sender\r\n", "no From"),
            ("From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nx\r\n", "no boundary"),
            ("From: a@example.com\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n\u{00E9}\r\n", "koi8-r"),
            ("From: a@example.com\r\nContent-Transfer-Encoding: x-uuencode\r\nContent-Type: application/pdf\r\n\r\nx\r\n", "x-uuencode"),
        ]
        for (raw, reason) in cases {
            #expect(throws: MIMEReader.Failure.self, "\(reason)") { try MIMEReader.message(from: Array(raw.utf8)) }
            do { _ = try MIMEReader.message(from: Array(raw.utf8)) } catch { #expect(error.description.contains(reason), "\(error)") }
        }
    }
}

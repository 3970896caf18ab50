import Carrier
import Foundation
import Testing

/// What a real peer makes of the MIME writer's output (Python's email package, policy=default).
@Suite("MIME writer")
struct MIMEWriterTests {
    @Test func referenceMessageParsesCleanly() throws {
        var message = try Fixtures.referenceMessage()
        message.date = 1_795_000_000
        let mime = try MIMEWriter().write(message)
        let parsed = try Fixtures.parseMIME(Data(mime.utf8))
        #expect(parsed["defects"] == [])
        #expect(parsed["bare_lf"] == false)
        #expect((parsed["max_line"].intValue ?? 999) <= 78)
        let headers = parsed["headers"]
        #expect(headers["Subject"] == "Your order #1234 — merci ✓")
        #expect(headers["To"] == "Alice Able <alice@example.com>, Bob Bäcker <bob@example.com>")
        #expect(headers["Bcc"] == .null, "no Bcc header unless a provider asks for it")
        #expect(headers["Date"] == "Wed, 18 Nov 2026 11:06:40 +0000")
        #expect(headers["MIME-Version"] == "1.0")
        let types = (parsed["parts"].arrayValue ?? []).map { $0["content_type"].text }
        #expect(types == ["multipart/mixed", "multipart/related", "multipart/alternative", "text/plain", "text/html", "image/png", "application/pdf"])
        let parts = parsed["parts"].arrayValue ?? []
        #expect(parts[5]["content_id"] == "<logo123>")
        #expect(parts[5]["content_b64"] == "iVBORw0KGgo=")
        #expect(parts[6]["filename"] == "invoice.pdf")
        #expect(parts[6]["disposition"] == "attachment")
        #expect(parts[6]["content_b64"] == "JVBERi0xLjQK")
        #expect(parts.allSatisfy { $0["defects"] == [] })
    }

    @Test func nonASCIIFilenamesLongLinesAndBigAttachmentsStayWithinLimits() throws {
        let long = String(repeating: "Grüße aus Köln, ", count: 200)  // one 3200-character line
        let big = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let message = Message(from: Address(email: "a@example.com", name: "Ünïcode, \"Quoted\" Name"),
                              to: [Address(email: "b@example.com", name: "日本 太郎")],
                              subject: String(repeating: "Ärger mit langen Betreffzeilen ", count: 6),
                              text: long, html: "<p>\(long)</p>",
                              attachments: [Attachment(filename: "Rechnung März €.pdf", content: big)])
        let mime = try MIMEWriter().write(message)
        let parsed = try Fixtures.parseMIME(Data(mime.utf8))
        #expect(parsed["defects"] == [])
        #expect((parsed["max_line"].intValue ?? 9999) <= 998)
        #expect(parsed["headers"]["Subject"].text == message.subject)
        #expect(parsed["headers"]["From"].text.contains("Ünïcode"))
        #expect(parsed["headers"]["To"] == "日本 太郎 <b@example.com>")
        let parts = parsed["parts"].arrayValue ?? []
        let text = try #require(parts.first { $0["content_type"] == "text/plain" })
        #expect(text["text"].text.trimmingCharacters(in: .newlines) == long)
        let file = try #require(parts.first { $0["content_type"] == "application/pdf" })
        #expect(file["filename"] == "Rechnung März €.pdf")
        #expect(Data(base64Encoded: file["content_b64"].text) == big)
    }

    /// Found by the `mime-header` fuzz target: ASCII that looks like an encoded-word was written as
    /// it is, and every reader decoded it into something else; a word too long to fold broke the
    /// 998-octet line limit; a run of spaces was folded into lines of white space only.
    @Test(arguments: ["Re: =?utf-8?q?x?= ok", "Re: " + String(repeating: "z", count: 1200), "t" + String(repeating: " ", count: 140) + "f",
                      String(repeating: " ", count: 1000) + "x"])
    func plainTextThatReadersWouldChangeIsEncoded(subject: String) throws {
        let message = Message(from: Address(email: "a@example.com", name: "=?utf-8?b?QQ==?="), to: [Address(email: "b@example.com")],
                              subject: subject, text: "t")
        let mime = try MIMEWriter().write(message)
        let parsed = try Fixtures.parseMIME(Data(mime.utf8))
        #expect(parsed["defects"] == [])
        #expect((parsed["max_line"].intValue ?? 9999) <= 998)
        #expect(parsed["headers"]["Subject"].text == subject)
        #expect(parsed["headers"]["From"].text == "=?utf-8?b?QQ==?= <a@example.com>")
        let header = mime.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(!header.contains { $0.allSatisfy { $0 == " " || $0 == "\t" } }, "a header line of white space only")
    }

    @Test func bccOnlyWhenAsked() throws {
        let message = Message(from: Address(email: "a@example.com"), to: [Address(email: "b@example.com")],
                              bcc: [Address(email: "hidden@example.com")], subject: "s", text: "t")
        #expect(try !MIMEWriter().write(message).contains("hidden@example.com"))
        #expect(try MIMEWriter(includeBcc: true).write(message).contains("Bcc: hidden@example.com\r\n"))
    }

    @Test func sameMessageSameBytes() throws {
        var message = try Fixtures.referenceMessage()
        message.messageID = "fixed@shop.example.com"
        message.date = 1_795_000_000
        #expect(try MIMEWriter().write(message) == MIMEWriter().write(message))
    }

    /// The text encoders read eight bytes at a time, with lines of 75 and 76 characters where
    /// quoted-printable and 7bit change their minds: every special character at every position
    /// around those edges, each message read back by Python's email package.
    @Test("Text bodies come back as they were sent, in the transfer encoding RFC 2045's rules give, whatever stands where")
    func textBodiesSurviveTheirEncoding() throws {
        let specials = [" ", "\t", "=", "é", "\u{1}", "-", "--", "From ", "\r", "\n", "\r\n", "\0", "x", " \n"]
        var texts: [String] = []
        for length in [15, 67, 75, 76] {
            for special in specials {
                for position in Set(Array(0...17) + Array((length - 9)...length)) where position <= length {
                    let text = String(repeating: "a", count: position) + special + String(repeating: "a", count: length - position)
                    texts += [text, text + "é"]  // the second always quoted-printable
                }
            }
        }
        texts += ["", "From the start", "--boundary-like", String(repeating: "abcdefg ", count: 40), String(repeating: "é", count: 100), "a\r\rb\n\nc\r\n\r\nd"]
        let cases = try texts.map { text -> Value in
            let message = Message(from: Address(email: "a@example.com"), to: [Address(email: "b@example.com")], subject: "s", text: text)
            return .object(["text": .string(text), "mime": .string(Data(try MIMEWriter().write(message).utf8).base64EncodedString())])
        }
        let result = try Fixtures.python("check_text_bodies.py", input: Data(JSONWriter.bytes(.array(cases))))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "ok \(cases.count)\n")
    }
}

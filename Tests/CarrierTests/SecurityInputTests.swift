import Carrier
import CarrierYAML
import Foundation
import Testing

/// Hostile messages and files (issue 8): each test here failed before the fix it names.
@Suite("Security: hostile input")
struct SecurityInputTests {
    static let base = #"{"from": "a@example.com", "to": ["b@example.com"], "subject": "s", "text": "t""#

    /// The problems Carrier reports for a message, or [] when it is accepted.
    static func problems(_ json: String, baseDirectory: String? = nil, attachmentFolders: [String] = []) -> [MessageError.FieldProblem] {
        do {
            _ = try Message.parse(json, source: "m.json", baseDirectory: baseDirectory, attachmentFolders: attachmentFolders)
            return []
        } catch { return error.problems }
    }

    @Test("Addresses: the shapes and characters refused, and the forms accepted (bytes or text in, the same answer)",
          arguments: [
              ("a@example.com", nil), ("Ann Able <a@example.com>", nil), (#""Able, Ann" <a@example.com>"#, nil),
              ("  Ann <a@example.com>  ", nil), ("\u{00A0}a@example.com\u{00A0}", nil), ("Zoë <zoë@exämple.com>", nil),
              ("a@b@example.com", "is not an e-mail address"), ("@example.com", "is not an e-mail address"),
              ("a@", "is not an e-mail address"), ("example.com", "is not an e-mail address"), ("<>", "is not an e-mail address"),
              ("a b@example.com", "cannot have"), ("a@exa(mple.com", "cannot have"), ("Ann <a\\@example.com>", "cannot have"),
              ("a@example.com\u{7F}", "cannot have"), ("a\u{01}@example.com", "cannot have"),
              ("a@.example.com", "malformed domain"), ("a@example.com.", "malformed domain"), ("a@example..com", "malformed domain"),
          ] as [(String, String?)])
    func addresses(_ text: String, _ refusal: String?) throws {
        let json = #"{"from": \#(JSONWriter.string(.string(text))), "to": ["b@example.com"], "subject": "s", "text": "t"}"#
        let problems = Self.problems(json)
        if let refusal {
            #expect(problems.count == 1 && problems[0].field == "from" && problems[0].message.contains(refusal), "\(text): \(problems)")
        } else {
            #expect(problems.isEmpty, "\(text): \(problems)")
        }
        // The gateway reads bytes: the same answer.
        let fromBytes: [MessageError.FieldProblem]
        do { _ = try Message.parse(data: Data(json.utf8), readsPaths: false); fromBytes = [] } catch { fromBytes = error.problems }
        #expect(fromBytes.map(\.message) == problems.map(\.message))
        #expect(Self.problems(#"{"from": "a@example.com", "to": ["b@example.com"], "subject": "s", "text": "t", "reply_to": {"email": "x@example.com", "name": "A\nB"}}"#)
                .contains { $0.message.contains("line break") })
    }

    // MARK: High 1 — message_id

    /// Found by the `response` fuzz target: a high surrogate followed by an escape that is not a
    /// low one trapped the JSON parser — one such string in a webhook, an ESP's answer or a
    /// message stopped the process.
    @Test("A lone high surrogate before another \\u escape is U+FFFD, not a crash; a real pair still decodes")
    func unpairedSurrogateEscapes() throws {
        #expect(try JSONParser.parse(#""\ud9AA\u9d0A""#) == .string("\u{FFFD}\u{9D0A}"))
        #expect(try JSONParser.parse(#""\ud83d\u0041x""#) == .string("\u{FFFD}Ax"))
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONParser.parse(#"{"a": "\udbff\udfff"}"#)["a"] == .string("\u{10FFFF}"))
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(#""\ud83d\uZZZZ""#) }
    }

    @Test("A date or send_at outside the years 1 to 9999 is refused, naming the field (-9223372036854775808 trapped when the MIME Date header was written; 9223372036854775807 wrote the year 292277026596)")
    func timesOutOfRange() throws {
        for field in ["date", "send_at"] {
            for value in ["9223372036854775807", "-9223372036854775808", "253402300800", #""99999999999999999""#] {
                let problems = Self.problems(Self.base + #", "\#(field)": \#(value)}"#)
                #expect(problems.map(\.field) == [field], "\(field): \(value)")
                #expect(problems.first?.message.contains("between the years 1 and 9999") == true)
            }
            #expect(Self.problems(Self.base + #", "\#(field)": 253402300799}"#).isEmpty)
        }
        // Written anyway (a library caller sets the field itself): the last second of 9999, not a trap.
        var message = try Message.parse(Self.base + "}")
        message.date = Int.max
        #expect(try MIMEWriter().write(message).contains("Date: Fri, 31 Dec 9999 23:59:59 +0000"))
    }

    @Test("A CR/LF in message_id is refused, naming the field; a valid one still works")
    func messageIDIsAnRFC5322MsgID() throws {
        let injected = Self.problems(Self.base + #", "message_id": "x@y.example\r\nBcc: victim@evil.example"}"#)
        #expect(injected.map(\.field) == ["message_id"])
        #expect(Self.problems(Self.base + #", "message_id": "no-at-sign"}"#).map(\.field) == ["message_id"])
        #expect(Self.problems(Self.base + #", "message_id": "two words@y.example"}"#).map(\.field) == ["message_id"])
        #expect(Self.problems(Self.base + #", "message_id": "<order-1.2@shop.example>"}"#).isEmpty)
        #expect(Self.problems(Self.base + #", "message_id": "abc@[10.0.0.1]"}"#).isEmpty)
    }

    @Test("Every header writer refuses a line break, whatever the source (a library caller builds the message)")
    func headerWritersRefuseLineBreaks() throws {
        var message = Message(from: Address(email: "a@example.com"), to: [Address(email: "b@example.com")], subject: "s", text: "t")
        message.messageID = "x@y.example\r\nBcc: victim@evil.example"
        #expect(throws: HeaderInjectionError.self) { try MIMEWriter(includeBcc: true).write(message) }
        message.messageID = "x@y.example"
        message.headers = [("X-Ok", "one\r\nBcc: victim@evil.example")]
        #expect(throws: HeaderInjectionError.self) { try MIMEWriter().write(message) }
        message.headers = [("Bcc", "victim@evil.example")]
        #expect(throws: HeaderInjectionError.self) { try MIMEWriter(includeBcc: true).write(message) }
        #expect(message.headerProblems.map(\.field) == ["headers.Bcc"])
        message.headers = []
        #expect(throws: HeaderInjectionError.self) { try MIMEWriter(extraHeaders: [("X-Tag\r\nBcc", "v")]).write(message) }
        let mime = try MIMEWriter(extraHeaders: [("X-Tag", "v")]).write(message)
        let parsed = try Fixtures.parseMIME(Data(mime.utf8))
        #expect(parsed["headers"]["Bcc"].isNull)
    }

    @Test("A message built in code with an injected message_id is refused before any provider sees it")
    func injectedIDNeverReachesAProvider() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let config = try Fixtures.configuration(provider: "gmail", endpoint: server.url,
                                                credentials: "{client_id: cid, client_secret: cs-123456, refresh_token: rt-123456}")
        let mailer = Mailer(configuration: config, registry: Fixtures.registry())
        var message = try Fixtures.referenceMessage()
        message.messageID = "x@y.example\r\nBcc: victim@evil.example"
        await #expect(throws: CarrierError.self) { try await mailer.send(message) }
        #expect(throws: CarrierError.self) { try mailer.render(message, account: "test") }
        #expect(try await server.requests().isEmpty)
    }

    // MARK: High 2 — YAML alias bombs

    static let aliasBomb = """
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        """

    @Test("Nested aliases are refused with a position, in a message, a configuration and a provider file")
    func aliasBombsAreBounded() throws {
        #expect(throws: YAMLSyntaxError.self) { try YAMLParser.parse(Self.aliasBomb, file: "bomb.yaml") }
        let problems = Self.problems("from: a@example.com\nto: b@example.com\nsubject: s\ntext: t\nmetadata:\n" +
                                     Self.aliasBomb.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        #expect(problems.first?.message.contains("alias") == true)
        #expect(throws: DiagnosticsError.self) { try Configuration.parse(Self.aliasBomb, file: "carrier.yaml") }
    }

    @Test("One bad provider file in a folder is reported; the others still load and list")
    func aBombInAProviderFolderStopsOnlyItself() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.aliasBomb.write(toFile: folder.path + "/bomb.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Repository.providers + "/sendgrid.yaml", toPath: folder.path + "/sendgrid.yaml")
        let registry = ProviderRegistry()
        registry.addDirectory(folder.path)
        #expect(registry.definitions["sendgrid"] != nil)
        #expect(registry.failures["bomb"]?.description.contains("alias") == true)
        let config = folder.path + "/carrier.yaml"
        try "providers: [.]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let listed = try carrier(["providers", "list", "--config", config])
        #expect(listed.stdout.contains("sendgrid"))
        #expect(listed.stderr.contains("bomb"))
    }

    // MARK: High 3 — attachment paths

    @Test("Attachment paths stay in the message's folder: absolute, .., symlinks, /proc and FIFOs are refused")
    func attachmentPathsAreConfined() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let messages = folder.path + "/messages"
        let files = folder.path + "/files"
        try FileManager.default.createDirectory(atPath: messages, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        try "inside".write(toFile: messages + "/ok.txt", atomically: true, encoding: .utf8)
        try "outside".write(toFile: folder.path + "/secret.txt", atomically: true, encoding: .utf8)
        try "allowed".write(toFile: files + "/extra.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: messages + "/link.txt", withDestinationPath: folder.path + "/secret.txt")
        mkfifo(messages + "/fifo", 0o600)
        func attaching(_ path: String, folders: [String] = []) -> [MessageError.FieldProblem] {
            Self.problems(Self.base + #", "attachments": [{"path": "\#(path)"}]}"#, baseDirectory: messages, attachmentFolders: folders)
        }
        #expect(attaching("ok.txt").isEmpty)
        for hostile in ["/etc/passwd", "../secret.txt", "link.txt", "/proc/self/environ", "fifo", "../files/extra.txt"] {
            let problems = attaching(hostile)
            #expect(problems.map(\.field) == ["attachments[0].path"], "\(hostile) was attached")
            #expect(problems.first?.message.contains(hostile) == true, "the refusal names the path")
        }
        #expect(attaching("../files/extra.txt", folders: [files]).isEmpty, "attachment_folders allows a folder")
    }

    @Test("carrier.yaml's attachment_folders reaches the command line")
    func attachmentFoldersFromTheConfiguration() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/files", withIntermediateDirectories: true)
        try "report".write(toFile: folder.path + "/files/r.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: folder.path + "/messages", withIntermediateDirectories: true)
        try (Self.base + #", "attachments": [{"path": "../files/r.txt"}]}"#).write(toFile: folder.path + "/messages/m.json", atomically: true, encoding: .utf8)
        let refused = try carrier(["send", "messages/m.json"], directory: folder.path)
        #expect(refused.status == 2 && refused.stderr.contains("outside the folders"))
        try "attachment_folders: [./files]\naccounts: {out: {provider: file, directory: ./out}}\n"
            .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        let sent = try carrier(["send", "messages/m.json"], directory: folder.path)
        #expect(sent.status == 0, "\(sent.stderr)")
    }

    // MARK: Medium 5 — part and HTTP header injection

    @Test("Attachment type and content_id, metadata keys and tags are checked at the message boundary")
    func partHeaderFieldsAreValidated() {
        let attachment = #""filename": "a.txt", "content": "aGk=""#
        #expect(Self.problems(Self.base + #", "attachments": [{\#(attachment), "type": "text/plain\r\nX-Evil: 1"}]}"#).map(\.field)
                == ["attachments[0].type"])
        #expect(Self.problems(Self.base + #", "attachments": [{\#(attachment), "type": "text/plain; charset=utf-8"}]}"#).isEmpty)
        #expect(Self.problems(Self.base + #", "attachments": [{\#(attachment), "content_id": "a>\r\nX-Evil: <b"}]}"#).map(\.field)
                == ["attachments[0].content_id"])
        #expect(Self.problems(Self.base + #", "metadata": {"ok": 1, "bad key\r\nBcc": 2}}"#).map(\.field) == ["metadata.bad key\\u{D}\\u{A}Bcc"], "echoed escaped")
        #expect(Self.problems(Self.base + #", "tags": ["ok", "two\r\nlines"]}"#).map(\.field) == ["tags[1]"])
    }

    @Test("A subject with a line break never becomes a raw HTTP header line")
    func providerHTTPHeadersAreChecked() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let provider = """
            schema: 1
            id: echoer
            name: Echoer
            credentials: {key: {secret: true}}
            api:
              url: "https://api.echoer.example/send"
              auth: {bearer: "{{ credentials.key }}"}
              headers: {X-Subject: "{{ subject }}"}
              body: {json: {to: "{{ to | pluck('email') }}"}}
            """
        try provider.write(toFile: folder.path + "/echoer.yaml", atomically: true, encoding: .utf8)
        let registry = ProviderRegistry()
        registry.addDirectory(folder.path)
        let config = try Fixtures.configuration(provider: "echoer", endpoint: server.url, credentials: "{key: k-123456}")
        let mailer = Mailer(configuration: config, registry: registry)
        let message = try Message.parse(Self.base.replacingOccurrences(of: #""subject": "s""#, with: #""subject": "hi\r\nX-Injected: yes""#) + "}")
        let receipt = try #require(await notSent { try await mailer.send(message) })
        #expect(receipt.attempts.first?.errorClass == .permanent)
        #expect(receipt.attempts.first?.error?.contains("X-Subject") == true)
        #expect(try await server.requests().isEmpty)
    }

    // MARK: Low — message input

    @Test("Duplicate keys, invalid UTF-8 and a NUL in the body")
    func messageInputIsStrict() throws {
        #expect(Self.problems(#"{"from": "a@example.com", "from": "c@example.com", "to": "b@example.com", "subject": "s", "text": "t"}"#)
            .first?.message.contains("duplicate key") == true)
        #expect(Self.problems("from: a@example.com\nfrom: c@example.com\nto: b@example.com\nsubject: s\ntext: t\n")
            .first?.message.contains("duplicate key") == true)
        var bytes = Data((Self.base + "}").utf8)
        bytes.insert(0xFF, at: 40)
        #expect(throws: MessageError.self) { try Message.parse(data: bytes) }
        do { _ = try Message.parse(data: bytes) } catch { #expect(error.description.contains("byte offset 40")) }

        let message = try Message.parse(Self.base.replacingOccurrences(of: #""text": "t""#, with: #""text": "a\u0000b""#) + "}")
        let parsed = try Fixtures.parseMIME(Data(try MIMEWriter().write(message).utf8))
        #expect(parsed["parts"][0]["transfer_encoding"].text.lowercased() == "base64")
        #expect(parsed["parts"][0]["text"].text == "a\u{0}b")
    }

    @Test("A 6000-deep expression in a provider file is refused, not a crash")
    func expressionDepthIsBounded() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let deep = String(repeating: "(", count: 6000) + "1" + String(repeating: ")", count: 6000)
        let provider = """
            schema: 1
            id: deep
            name: Deep
            api:
              url: "https://deep.example/send"
              auth: {none: {}}
              body: {json: {x: "{{ \(deep) }}"}}
            """
        try provider.write(toFile: folder.path + "/deep.yaml", atomically: true, encoding: .utf8)
        let result = try carrier(["providers", "lint", folder.path + "/deep.yaml"])
        #expect(result.status == 2 || result.status == 1)
        #expect(result.stderr.contains("deeper than") || result.stderr.contains("longer than"), "\(result.stderr)")
    }

    @Test("A NUL or escape from a merge value in a display name or subject is refused, naming the row")
    func controlCharactersInMergeValues() throws {
        let template = try BulkTemplate.parse("from: a@example.com\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", source: "m.yaml")
        let nul = BulkRecipient(line: 7, address: Address(email: "f@x.example", name: "nul\u{0}byte"),
                                fields: ["email": "f@x.example", "name": "plain"])
        #expect(throws: CarrierError.self) { try template.message(for: nul) }
        do { _ = try template.message(for: nul) } catch {
            #expect(error.description.contains("line 7") && error.description.contains("to[0].name"), "\(error)")
        }
        let escape = BulkRecipient(line: 8, address: Address(email: "f@x.example"), fields: ["email": "f@x.example", "name": "\u{1B}[2J"])
        do {
            _ = try template.message(for: escape)
            Issue.record("an escape in the subject was accepted")
        } catch {
            #expect(error.description.contains("line 8") && error.description.contains("subject"), "\(error)")
        }
    }

    @Test("A line break in a value Carrier echoes cannot forge a line of its own on stderr")
    func echoedValuesAreEscaped() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "accounts:\n  out: {provider: file, directory: ./out}\n".write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        let message = Repository.example("welcome.yaml")
        for arguments in [["--route", "nope\ncarrier: sent via forged"], ["--account", "nope\ncarrier: sent via forged"]] {
            let result = try carrier(["send"] + arguments + [message], directory: folder.path)
            #expect(result.status == 2, "\(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix("carrier: sent via") || $0.hasPrefix("carrier: carrier: sent via") }, "\(result.stderr)")
            #expect(result.stderr.contains("nope\\u{A}carrier: sent via forged"), "\(result.stderr)")
        }
    }

    @Test("A message file or NDJSON line over --max-message-bytes is refused, naming it, without being read whole; the others go")
    func messageSizeIsCapped() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "accounts:\n  out: {provider: file, directory: ./out}\n".write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        let small = #"{"from": "a@b.example", "to": ["c@d.example"], "subject": "s", "text": "t"}"#
        let big = #"{"from": "a@b.example", "to": ["c@d.example"], "subject": "s", "text": "\#(String(repeating: "x", count: 5000))"}"#
        try [small, big, small].joined(separator: "\n").write(toFile: folder.path + "/three.ndjson", atomically: true, encoding: .utf8)
        let stream = try carrier(["send", "--ndjson", "--max-message-bytes", "1000", "three.ndjson"], directory: folder.path)
        #expect(stream.status == 2)
        #expect(stream.stderr.contains("three.ndjson:2") && stream.stderr.contains("longer than 1000 bytes"), "\(stream.stderr)")
        #expect(stream.stdout.components(separatedBy: "sent via").count - 1 == 2, "lines 1 and 3 are sent: \(stream.stdout)")
        try big.write(toFile: folder.path + "/big.json", atomically: true, encoding: .utf8)
        let file = try carrier(["send", "--max-message-bytes", "1000", "big.json"], directory: folder.path)
        #expect(file.status == 2 && file.stderr.contains("big.json") && file.stderr.contains("larger than 1000 bytes"), "\(file.stderr)")
        #expect(try carrier(["send", "big.json"], directory: folder.path).status == 0, "the default limit is far above 5 KB")
    }
}

import Carrier
import Foundation
import Testing

/// `carrier bulk` (issue 11): merge fields, recipient files with bad rows, the journal and resume,
/// a SIGKILL mid-run, and what the run reports.
@Suite("Bulk sending", .serialized)
struct BulkTests {
    static let template = """
        from: Shop <orders@shop.example.com>
        subject: "Hello {{ recipient.name | default('there') }}, order {{ recipient.order_id }}"
        text: "Your order {{ recipient.order_id }} ships on {{ recipient.day }}."
        headers: {X-Order-Id: "{{ recipient.order_id }}"}
        metadata: {order_id: "{{ recipient.order_id }}"}
        tags: [notice]
        """

    static func write(_ text: String, _ name: String, in folder: TemporaryFolder) throws {
        try text.write(toFile: folder.path + "/" + name, atomically: true, encoding: .utf8)
    }

    /// What the file channel wrote, each message parsed by Python's email package.
    static func written(_ folder: TemporaryFolder) throws -> [Value] {
        let out = folder.path + "/out"
        return try ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).sorted().map {
            try Fixtures.parseMIME(try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)))
        }
    }

    @Test("Merge fields and defaults fill every part; quoted CSV fields and bad rows are read with their line numbers")
    func mergeAndCSV() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write(Self.template, "message.yaml", in: folder)
        try Self.write("accounts:\n  out: {provider: file, directory: ./out}\n", "carrier.yaml", in: folder)
        try Self.write("email,name,order_id,day\nalice@example.com,Alice,1001,Monday\n\"bob@example.com\",\"Bob \"\"B\"\" Baker\",1002,\"Tues,\nday\"\n"
                       + "not-an-email,X,1003,Wed\ncarol@example.com,,1004,Thu\ndave@example.com,Dave,1005\n", "list.csv", in: folder)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(result.status == 1, "bad rows make the run exit 1")
        let summary = try JSONParser.parse(result.stdout)
        #expect(summary["sent"] == 3 && summary["rows"] == 5)
        #expect(summary["bad_rows"] == .array([.object(["line": 5, "problem": "'not-an-email' is not an e-mail address"]),
                                               .object(["line": 7, "problem": "3 fields where the header has 4"])]))
        let messages = try Self.written(folder)
        let byTo = Dictionary(uniqueKeysWithValues: messages.map { ($0["headers"]["To"].text, $0) })
        #expect(byTo["Alice <alice@example.com>"]?["headers"]["Subject"] == "Hello Alice, order 1001")
        #expect(byTo["\"Bob \\\"B\\\" Baker\" <bob@example.com>"]?["headers"]["Subject"] == "Hello Bob \"B\" Baker, order 1002", "\(byTo.keys)")
        #expect(byTo["carol@example.com"]?["headers"]["Subject"] == "Hello there, order 1004", "an empty name takes the default")
        #expect(byTo["carol@example.com"]?["headers"]["X-Order-Id"] == "1004")
        let bobText = byTo["\"Bob \\\"B\\\" Baker\" <bob@example.com>"]?["parts"][0]["text"].text ?? ""
        #expect(bobText.hasPrefix("Your order 1002 ships on Tues,\r\nday") || bobText.hasPrefix("Your order 1002 ships on Tues,\nday"), "\(bobText)")
    }

    @Test("An unknown field, a cc or a broken expression is refused before anything is sent, naming field and file")
    func templateErrors() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("accounts:\n  out: {provider: file, directory: ./out}\n", "carrier.yaml", in: folder)
        try Self.write("email,name,order_id\nalice@example.com,Alice,1\n", "list.csv", in: folder)
        try Self.write(Self.template, "message.yaml", in: folder)
        let unknown = try carrier(["bulk", "message.yaml", "list.csv"], directory: folder.path)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("message.yaml") && unknown.stderr.contains("recipient.day"), "\(unknown.stderr)")
        try Self.write("from: a@example.com\ncc: boss@example.com\nsubject: s\ntext: \"{{ recipient.order_id }}\"\n", "cc.yaml", in: folder)
        let cc = try carrier(["bulk", "cc.yaml", "list.csv"], directory: folder.path)
        #expect(cc.status == 2 && cc.stderr.contains("cc.yaml:2:1") && cc.stderr.contains("'cc'"), "\(cc.stderr)")
        try Self.write("from: a@example.com\nsubject: \"{{ recipient.name | nosuch }}\"\ntext: t\n", "bad.yaml", in: folder)
        let bad = try carrier(["bulk", "bad.yaml", "list.csv"], directory: folder.path)
        #expect(bad.status == 2 && bad.stderr.contains("bad.yaml:2:") && bad.stderr.contains("nosuch"), "\(bad.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder.path + "/out")) ?? []).isEmpty)
        let dry = try carrier(["bulk", "--dry-run", "--json", "cc.yaml", "list.csv"], directory: folder.path)
        #expect(dry.status == 2)
    }

    @Test("NDJSON on standard input, a dry run that sends nothing, and a resume that sends only what failed")
    func journalAndResume() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("from: Shop <orders@shop.example.com>\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", "message.yaml", in: folder)
        try Self.write("accounts:\n  mt: {provider: mailtrap, endpoint: \"\(server.url)\", credentials: {api_token: tok-123456}}\n",
                       "carrier.yaml", in: folder)
        let lines = (0..<10).map { #"{"email": "r\#($0)@example.com", "name": "R\#($0)"}"# }.joined(separator: "\n") + "\n"
        try Self.write(lines, "list.ndjson", in: folder)
        let dry = try carrier(["bulk", "--dry-run", "message.yaml", "list.ndjson"], directory: folder.path)
        #expect(dry.status == 0 && dry.stdout.contains("10 checked"), "\(dry.stdout)\(dry.stderr)")
        #expect(try await server.requests().isEmpty)

        // Every third request fails with a 503 (retry class): those recipients are left for the next run.
        let ok = Answer.json(200, .object(["success": true, "message_ids": ["m"]]))
        let down = Answer.json(503, .object(["errors": ["maintenance"]]))
        try await server.script(["*": [ok, ok, down, ok, ok, down, ok, ok, down, ok, ok]])
        let first = try carrier(["bulk", "--no-batch", "--in-flight", "1", "--json", "message.yaml", "list.ndjson"], directory: folder.path)
        #expect(first.status == 1)
        let firstSummary = try JSONParser.parse(first.stdout)
        #expect(firstSummary["failed"] == .object(["retry": 3]) && firstSummary["sent"] == 7, "\(first.stdout)")
        let failedOnce = Set(try await server.requests().map { $0.json["to"][0]["email"].text }).count
        #expect(failedOnce == 10)
        try await server.script(["*": [ok]])
        let second = try carrier(["bulk", "--no-batch", "--json", "message.yaml", "list.ndjson"], directory: folder.path)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try JSONParser.parse(second.stdout)["sent"] == 3 && JSONParser.parse(second.stdout)["already_done"] == 7)
        #expect(try await server.requests().count == 13, "only the three that failed were sent again")
        let third = try carrier(["bulk", "--no-batch", "--json", "message.yaml", "list.ndjson"], directory: folder.path)
        #expect(try JSONParser.parse(third.stdout)["already_done"] == 10 && third.status == 0)
        #expect(try await server.requests().count == 13)

        // The journal belongs to this message: another message on the same list is refused, not skipped.
        try Self.write("from: Shop <orders@shop.example.com>\nsubject: \"Other {{ recipient.name }}\"\ntext: t\n", "other.yaml", in: folder)
        let other = try carrier(["bulk", "--no-batch", "other.yaml", "list.ndjson"], directory: folder.path)
        #expect(other.status == 2 && other.stderr.contains("belongs to another run"), "\(other.stderr)")

        // Standard input keeps no journal beside a file: the run says so by sending all.
        let piped = try carrier(["bulk", "--no-batch", "--json", "message.yaml", "-"], input: Data(lines.utf8), directory: folder.path)
        #expect(try JSONParser.parse(piped.stdout)["sent"] == 10)
    }

    @Test("A run killed midway and run again sends nobody twice and loses nobody: each is sent once or listed as unknown")
    func sigkillThenResume() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        var slow = Answer.json(200, .object(["success": true, "message_ids": ["m"]])).objectValue!
        slow["delay"] = .double(0.1)
        try await server.script(["*": [.object(slow)]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("from: Shop <orders@shop.example.com>\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", "message.yaml", in: folder)
        try Self.write("accounts:\n  mt: {provider: mailtrap, endpoint: \"\(server.url)\", credentials: {api_token: tok-123456}}\n",
                       "carrier.yaml", in: folder)
        try Self.write("email,name\n" + (0..<40).map { "r\($0)@example.com,R\($0)" }.joined(separator: "\n") + "\n", "list.csv", in: folder)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.binary)
        process.arguments = ["bulk", "--no-batch", "--in-flight", "4", "message.yaml", "list.csv"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try? await poll("ten sends at the server") { try await server.requests().count >= 10 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let resumed = try carrier(["bulk", "--no-batch", "--json", "message.yaml", "list.csv"], directory: folder.path)
        let summary = try JSONParser.parse(resumed.stdout)
        let unknown = Set((summary["unknown"].arrayValue ?? []).map { $0["email"].text })
        var counts: [String: Int] = [:]
        for request in try await server.requests() { counts[request.json["to"][0]["email"].text, default: 0] += 1 }
        for i in 0..<40 {
            let email = "r\(i)@example.com"
            #expect((counts[email] ?? 0) <= 1, "\(email) was sent \(counts[email] ?? 0) times")
            #expect(counts[email] == 1 || unknown.contains(email), "\(email) was neither sent nor listed as unknown")
        }
        #expect(unknown.count <= 4, "at most the messages in flight at the kill are unknown: \(unknown)")
    }

    @Test("Progress is a line redrawn in place on a terminal, and plain lines off one")
    func progressOnAndOffATerminal() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("from: a@example.com\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", "message.yaml", in: folder)
        try Self.write("accounts:\n  out: {provider: file, directory: ./out}\n", "carrier.yaml", in: folder)
        try Self.write("email,name\n" + (0..<300).map { "r\($0)@example.com,R\($0)" }.joined(separator: "\n") + "\n", "list.csv", in: folder)
        let plain = try carrier(["bulk", "message.yaml", "list.csv"], directory: folder.path)
        #expect(plain.status == 0)
        #expect(plain.stderr.contains("sent or failed") && !plain.stderr.contains("\u{1B}["), "\(plain.stderr)")
        #expect(plain.stdout.contains("300 rows: 300 sent"))
        // Under a pseudo-terminal (util-linux `script`), the line is redrawn with CR and erase-line.
        try FileManager.default.removeItem(atPath: folder.path + "/list.csv.journal.ndjson")
        let command = "'\(Repository.binary)' bulk message.yaml list.csv"
        let tty = try run("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"], directory: folder.path)
        #expect(tty.status == 0, "\(tty.stdout)")
        #expect(tty.stdout.contains("\r\u{1B}[K"), "no in-place progress on a terminal: \(tty.stdout.debugDescription.prefix(300))")
    }

    @Test("Postmark's batch endpoint: three requests for seven recipients, each recipient once with its own values, a refusal inside a batch")
    func postmarkBatches() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        func answer(_ count: Int, refuse: Int? = nil) -> Value {
            Answer.json(200, .array((0..<count).map { i in
                i == refuse ? .object(["ErrorCode": 406, "Message": "You tried to send to a recipient that has been marked as inactive."])
                            : .object(["ErrorCode": 0, "Message": "OK", "MessageID": .string("pm-\(UUID().uuidString.prefix(8))")])
            }))
        }
        try await server.script(["/email/batch": [answer(3), answer(3, refuse: 1), answer(1)]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/p", withIntermediateDirectories: true)
        let postmark = try String(contentsOfFile: Repository.providers + "/postmark.yaml", encoding: .utf8)
        try postmark.replacingOccurrences(of: "    size: 500", with: "    size: 3").write(toFile: folder.path + "/p/postmark.yaml", atomically: true, encoding: .utf8)
        try Self.write("providers: [./p]\naccounts:\n  pm: {provider: postmark, endpoint: \"\(server.url)\", credentials: {server_token: pm-token-1}}\n",
                       "carrier.yaml", in: folder)
        try Self.write("from: Shop <orders@shop.example.com>\nsubject: \"Order {{ recipient.order_id }}\"\ntext: \"Hi {{ recipient.name }}\"\n",
                       "message.yaml", in: folder)
        try Self.write("email,name,order_id\n" + (0..<7).map { "r\($0)@example.com,R\($0),\(500 + $0)" }.joined(separator: "\n") + "\n",
                       "list.csv", in: folder)
        // One batch at a time, so the scripted answers meet the batches in order.
        let result = try carrier(["bulk", "--in-flight", "1", "--json", "message.yaml", "list.csv"], directory: folder.path)
        let summary = try JSONParser.parse(result.stdout)
        #expect(summary["sent"] == 6 && summary["failed"] == .object(["permanent": 1]), "\(result.stdout)\(result.stderr)")
        let requests = try await server.requests()
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.path == "/email/batch" && $0.header("X-Postmark-Server-Token") == "pm-token-1" })
        let sent = requests.flatMap { $0.json.arrayValue ?? [] }
        // Batches go out side by side, so they may arrive in any order; each recipient once, with its own values.
        #expect(sent.map { $0["To"].text }.sorted() == (0..<7).map { "R\($0) <r\($0)@example.com>" })
        for item in sent {
            let n = Int(item["To"].text.dropFirst().prefix { $0 != " " }) ?? -1
            #expect(item["Subject"].text == "Order \(500 + n)", "\(item["To"].text) got \(item["Subject"].text)")
        }
        let journal = try String(contentsOfFile: folder.path + "/list.csv.journal.ndjson", encoding: .utf8)
        let refused = journal.split(separator: "\n").filter { $0.contains(#""state":"refused""#) }
        #expect(refused.count == 1 && refused[0].contains("marked as inactive. (ErrorCode 406)"), "\(journal)")
        let again = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(again.stdout)["already_done"] == 7)
        #expect(try await server.requests().count == 3)
    }

    @Test("SendGrid: a dynamic template with per-recipient data goes as one request of personalizations; differing subjects do not merge")
    func sendgridPersonalizations() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.text(202, "", headers: ["X-Message-Id": "sg-batch-1"])]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("accounts:\n  sg: {provider: sendgrid, endpoint: \"\(server.url)\", credentials: {api_key: SG.key-1}}\n", "carrier.yaml", in: folder)
        try Self.write("email,name,order_id\n" + (0..<7).map { "r\($0)@example.com,R\($0),\(700 + $0)" }.joined(separator: "\n") + "\n",
                       "list.csv", in: folder)
        try Self.write("from: orders@shop.example.com\ntemplate: {id: d-1234, variables: {name: \"{{ recipient.name }}\", order: \"{{ recipient.order_id }}\"}}\n",
                       "template.yaml", in: folder)
        let merged = try carrier(["bulk", "--json", "template.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(merged.stdout)["sent"] == 7, "\(merged.stdout)\(merged.stderr)")
        let one = try await server.requests()
        #expect(one.count == 1, "seven personalizations in one request")
        let personalizations = one.first?.json["personalizations"].arrayValue ?? []
        #expect(personalizations.map { $0["to"][0]["email"].text } == (0..<7).map { "r\($0)@example.com" })
        #expect(personalizations.map { $0["dynamic_template_data"]["order"].text } == (0..<7).map { "\(700 + $0)" })
        #expect(one.first?.json["template_id"] == "d-1234")
        try specCheck(one.first!.body)

        try Self.write("from: orders@shop.example.com\nsubject: \"Order {{ recipient.order_id }}\"\ntext: t\n", "subjects.yaml", in: folder)
        let separate = try carrier(["bulk", "--journal", "other.ndjson", "--json", "subjects.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(separate.stdout)["sent"] == 7)
        #expect(try await server.requests().count == 8, "messages that differ outside the personalization are not merged")
    }

    func specCheck(_ body: Data) throws {
        let result = try Fixtures.python("check_spec.py", [Repository.spec("sendgrid-tsg_mail_v3.yaml"), "/v3/mail/send", "post",
                                                           "--set", #"custom_args={"type":"object","additionalProperties":{"type":"string"}}"#], input: body)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test("Mailgun: seven recipients in one request with recipient-variables; per-recipient subject and text travel as %recipient.…% values")
    func mailgunRecipientVariables() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["id": "<batch-1@mg.example.com>", "message": "Queued. Thank you."]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("accounts:\n  mg: {provider: mailgun, endpoint: \"\(server.url)\", credentials: {api_key: key-1}, settings: {domain: mg.example.com}}\n",
                       "carrier.yaml", in: folder)
        try Self.write("from: Shop <orders@mg.example.com>\nsubject: \"Order {{ recipient.order_id }}\"\ntext: \"Hi {{ recipient.name }}\"\nhtml: <p>Thanks</p>\n",
                       "message.yaml", in: folder)
        try Self.write("email,name,order_id\n" + (0..<7).map { "r\($0)@example.com,R\($0),\(300 + $0)" }.joined(separator: "\n") + "\n",
                       "list.csv", in: folder)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(result.stdout)["sent"] == 7, "\(result.stdout)\(result.stderr)")
        let requests = try await server.requests()
        #expect(requests.count == 1, "seven recipients in one request")
        let request = try #require(requests.first)
        #expect(request.path == "/v3/mg.example.com/messages")
        let contentType = try #require(request.header("Content-Type"))
        let parts = try MultipartNames.parse(request.body, contentType: contentType)
        #expect(parts.filter { $0.name == "to" }.map(\.value) == (0..<7).map { "R\($0) <r\($0)@example.com>" })
        #expect(parts.first { $0.name == "html" }?.value == "<p>Thanks</p>", "a part the same for all stays as it is")
        let variables = try JSONParser.parse(try #require(parts.first { $0.name == "recipient-variables" }).value)
        #expect(variables.objectValue?.count == 7)
        // What each recipient reads once Mailgun has put in their values.
        let subject = try #require(parts.first { $0.name == "subject" }).value
        let text = try #require(parts.first { $0.name == "text" }).value
        for n in 0..<7 {
            let own = variables["r\(n)@example.com"]
            #expect(subject.replacingOccurrences(of: "%recipient.subject%", with: own["subject"].text) == "Order \(300 + n)")
            #expect(text.replacingOccurrences(of: "%recipient.text%", with: own["text"].text) == "Hi R\(n)")
        }
        let spec = try Fixtures.python("check_spec.py", [Repository.spec("mailgun-openapi.yaml"), "/v3/{domain_name}/messages", "post",
                                                          "--multipart", contentType], input: request.body)
        #expect(spec.status == 0, "the batch body does not match Mailgun's spec: \(spec.stdout) \(spec.stderr)")
        let journal = try String(contentsOfFile: folder.path + "/list.csv.journal.ndjson", encoding: .utf8)
        #expect(journal.components(separatedBy: "<batch-1@mg.example.com>").count - 1 == 7, "every recipient's outcome carries the batch's id")
    }

    @Test("A batch the first account of a failover route refuses as a whole goes on to the next account, each recipient once")
    func batchFailsOverAlongTheRoute() async throws {
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        try await primary.script(["/email/batch": [Answer.json(401, .object(["ErrorCode": 10, "Message": "Bad or missing Server API token."]))]])
        try await backup.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("""
            accounts:
              pm: {provider: postmark, endpoint: "\(primary.url)", credentials: {server_token: pm-token-1}}
              mt: {provider: mailtrap, endpoint: "\(backup.url)", credentials: {api_token: tok-123456}}
            routes:
              default: {accounts: [pm, mt]}
            """, "carrier.yaml", in: folder)
        try Self.write("from: orders@shop.example.com\nsubject: \"Order {{ recipient.order_id }}\"\ntext: t\n", "message.yaml", in: folder)
        try Self.write("email,order_id\n" + (0..<5).map { "r\($0)@example.com,\(40 + $0)" }.joined(separator: "\n") + "\n", "list.csv", in: folder)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        let summary = try JSONParser.parse(result.stdout)
        #expect(summary["sent"] == 5 && summary["per_account"]["mt"] == 5, "\(result.stdout)\(result.stderr)")
        #expect(try await primary.requests().count == 1, "one batch request to the first account")
        let sent = try await backup.requests().map { $0.json }
        #expect(sent.map { $0["to"][0]["email"].text }.sorted() == (0..<5).map { "r\($0)@example.com" })
        for item in sent {
            let n = Int(item["to"][0]["email"].text.dropFirst().prefix { $0 != "@" }) ?? -1
            #expect(item["subject"].text == "Order \(40 + n)")
        }
    }

    @Test("Brevo: messages alike but for recipient, subject and content go as messageVersions of one request, matching the official spec")
    func brevoMessageVersions() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(201, .object(["messageIds": .array((0..<5).map { .string("<bv-\($0)@smtp-relay.mailin.fr>") })]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("accounts:\n  bv: {provider: brevo, endpoint: \"\(server.url)\", credentials: {api_key: xkeysib-1}}\n", "carrier.yaml", in: folder)
        try Self.write("from: Shop <orders@shop.example.com>\nsubject: \"Order {{ recipient.order_id }}\"\nhtml: \"<p>Hi {{ recipient.name }}</p>\"\ntags: [notice]\n",
                       "message.yaml", in: folder)
        try Self.write("email,name,order_id\n" + (0..<5).map { "r\($0)@example.com,R\($0),\(600 + $0)" }.joined(separator: "\n") + "\n",
                       "list.csv", in: folder)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(result.stdout)["sent"] == 5, "\(result.stdout)\(result.stderr)")
        let requests = try await server.requests()
        #expect(requests.count == 1 && requests.first?.path == "/v3/smtp/email")
        let body = try #require(requests.first).json
        let versions = body["messageVersions"].arrayValue ?? []
        #expect(versions.map { $0["to"][0]["email"].text } == (0..<5).map { "r\($0)@example.com" })
        #expect(versions.map { $0["subject"].text } == (0..<5).map { "Order \(600 + $0)" })
        #expect(versions.map { $0["htmlContent"].text } == (0..<5).map { "<p>Hi R\($0)</p>" })
        #expect(body["tags"] == ["notice"])
        let spec = try Fixtures.python("check_spec.py", [Repository.spec("brevo-v3-swagger.yaml"), "/smtp/email", "post"], input: requests[0].body)
        #expect(spec.status == 0, "\(spec.stdout)\(spec.stderr)")
        let journal = try String(contentsOfFile: folder.path + "/list.csv.journal.ndjson", encoding: .utf8)
        for n in 0..<5 { #expect(journal.contains("\"email\":\"r\(n)@example.com\",\"account\":\"bv\",\"state\":\"sent\",\"message_ids\":[\"<bv-\(n)@"), "\(journal)") }
    }

    @Test("A batch refused as a whole for good (one bad message) is sent again one message at a time, so the others still go")
    func wholeRefusalIsSplit() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(400, .object(["code": "invalid_parameter", "message": "email is not valid in to"])),
                                       Answer.json(201, .object(["messageId": "<one@smtp-relay.mailin.fr>"]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("accounts:\n  bv: {provider: brevo, endpoint: \"\(server.url)\", credentials: {api_key: xkeysib-1}}\n", "carrier.yaml", in: folder)
        try Self.write("from: orders@shop.example.com\nsubject: Hi\nhtml: <p>Hi</p>\n", "message.yaml", in: folder)
        try Self.write("email\n" + (0..<3).map { "r\($0)@example.com" }.joined(separator: "\n") + "\n", "list.csv", in: folder)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(result.stdout)["sent"] == 3, "\(result.stdout)\(result.stderr)")
        let requests = try await server.requests()
        #expect(requests.count == 4, "one batch, then three single sends")
        #expect(requests[0].json["messageVersions"].arrayValue?.count == 3)
        #expect(requests.dropFirst().map { $0.json["to"][0]["email"].text }.sorted() == ["r0@example.com", "r1@example.com", "r2@example.com"])
    }

    @Test("Mailjet: a 400 with a status per message fails only the refused one; the others are sent")
    func mailjetPartialAnswer() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let statuses: [Value] = (0..<4).map { i in
            i == 1 ? .object(["Status": "error", "Errors": [.object(["ErrorMessage": "\"r1@example\" is an invalid email address."])]])
                   : .object(["Status": "success", "To": [.object(["Email": .string("r\(i)@example.com"), "MessageID": .int(9000 + i)])]])
        }
        try await server.script(["*": [Answer.json(400, .object(["Messages": .array(statuses)]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("accounts:\n  mj: {provider: mailjet, endpoint: \"\(server.url)\", credentials: {api_key: pub, secret_key: priv}}\n",
                       "carrier.yaml", in: folder)
        try Self.write("from: orders@shop.example.com\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", "message.yaml", in: folder)
        try Self.write("email,name\n" + (0..<4).map { "r\($0)@example.com,R\($0)" }.joined(separator: "\n") + "\n", "list.csv", in: folder)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        let summary = try JSONParser.parse(result.stdout)
        #expect(summary["sent"] == 3 && summary["failed"] == .object(["permanent": 1]), "\(result.stdout)\(result.stderr)")
        let requests = try await server.requests()
        #expect(requests.count == 1)
        #expect(requests.first?.json["Messages"].arrayValue?.map { $0["Subject"].text } == (0..<4).map { "Hi R\($0)" })
        let journal = try String(contentsOfFile: folder.path + "/list.csv.journal.ndjson", encoding: .utf8)
        #expect(journal.contains("9002") && journal.contains("is an invalid email address"), "\(journal)")
    }

    @Test("SparkPost: one transmission for five recipients, each with its own substitution_data for a differing subject")
    func sparkpostTransmission() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["results": .object([
            "total_rejected_recipients": 0, "total_accepted_recipients": 5, "id": "11668787484950529"])]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("accounts:\n  sp: {provider: sparkpost, endpoint: \"\(server.url)\", credentials: {api_key: sp-key-1}}\n", "carrier.yaml", in: folder)
        try Self.write("from: orders@shop.example.com\nsubject: \"Order {{ recipient.order_id }}\"\nhtml: <p>Thanks</p>\n", "message.yaml", in: folder)
        try Self.write("email,order_id\n" + (0..<5).map { "r\($0)@example.com,\(800 + $0)" }.joined(separator: "\n") + "\n", "list.csv", in: folder)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(result.stdout)["sent"] == 5, "\(result.stdout)\(result.stderr)")
        let requests = try await server.requests()
        #expect(requests.count == 1 && requests.first?.path == "/api/v1/transmissions")
        let body = try #require(requests.first).json
        #expect(body["content"]["subject"] == "{{{subject}}}")
        #expect(body["content"]["html"] == "<p>Thanks</p>", "a part the same for all stays as it is")
        let recipients = body["recipients"].arrayValue ?? []
        #expect(recipients.map { $0["address"]["email"].text } == (0..<5).map { "r\($0)@example.com" })
        #expect(recipients.map { $0["substitution_data"]["subject"].text } == (0..<5).map { "Order \(800 + $0)" })
    }

    @Test("Mandrill: one request with merge_vars; a recipient the answer rejects fails alone, the others are sent")
    func mandrillMergeVars() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let answer: Value = .array((0..<4).map { i in
            i == 2 ? .object(["email": "r2@example.com", "status": "rejected", "reject_reason": "hard-bounce", "_id": "md-2"])
                   : .object(["email": .string("r\(i)@example.com"), "status": "sent", "_id": .string("md-\(i)")])
        })
        try await server.script(["*": [Answer.json(200, answer)]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("accounts:\n  md: {provider: mandrill, endpoint: \"\(server.url)\", credentials: {api_key: md-key-1}}\n", "carrier.yaml", in: folder)
        try Self.write("from: orders@shop.example.com\nsubject: Your order\ntext: \"Hi {{ recipient.name }}\"\n", "message.yaml", in: folder)
        try Self.write("email,name\n" + (0..<4).map { "r\($0)@example.com,R\($0)" }.joined(separator: "\n") + "\n", "list.csv", in: folder)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        let summary = try JSONParser.parse(result.stdout)
        #expect(summary["sent"] == 3 && summary["failed"] == .object(["permanent": 1]), "\(result.stdout)\(result.stderr)")
        let requests = try await server.requests()
        #expect(requests.count == 1 && requests.first?.path == "/api/1.0/messages/send")
        let message = try #require(requests.first).json["message"]
        #expect(message["to"].arrayValue?.map { $0["email"].text } == (0..<4).map { "r\($0)@example.com" })
        #expect(message["preserve_recipients"] == false && message["merge_language"] == "mailchimp")
        #expect(message["subject"] == "Your order" && message["text"] == "*|text|*")
        let vars = message["merge_vars"].arrayValue ?? []
        #expect(vars.map { $0["rcpt"].text } == (0..<4).map { "r\($0)@example.com" })
        #expect(vars.map { $0["vars"][0]["content"].text } == (0..<4).map { "Hi R\($0)" })
        let spec = try Fixtures.python("check_spec.py", [Repository.spec("mailchimp-transactional-openapi.json"), "/messages/send", "post",
                                                          "--allof-open"], input: requests[0].body)
        #expect(spec.status == 0, "\(spec.stdout)\(spec.stderr)")
        let journal = try String(contentsOfFile: folder.path + "/list.csv.journal.ndjson", encoding: .utf8)
        let refused = journal.split(separator: "\n").filter { $0.contains("\"state\":\"refused\"") }
        #expect(refused.count == 1 && refused[0].contains("r2@example.com") && refused[0].contains("hard-bounce"), "\(journal)")
        #expect(journal.contains("\"message_ids\":[\"md-3\"]"), "each recipient keeps its own id: \(journal)")
    }

    @Test("Mailtrap's /api/batch: one request for five recipients, matching the official spec, a refusal among the answers")
    func mailtrapBatch() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let answers: [Value] = (0..<5).map { i in
            i == 2 ? .object(["success": false, "errors": ["'to' address is invalid"]]) : .object(["success": true, "message_ids": .array([.string("mt-\(i)")])])
        }
        try await server.script(["/api/batch": [Answer.json(200, .object(["success": true, "responses": .array(answers)]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("accounts:\n  mt: {provider: mailtrap, endpoint: \"\(server.url)\", credentials: {api_token: tok-123456}}\n", "carrier.yaml", in: folder)
        try Self.write(Self.template.replacingOccurrences(of: "ships on {{ recipient.day }}", with: "ships soon"), "message.yaml", in: folder)
        try Self.write("email,name,order_id\n" + (0..<5).map { "r\($0)@example.com,R\($0),\(900 + $0)" }.joined(separator: "\n") + "\n", "list.csv", in: folder)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        let summary = try JSONParser.parse(result.stdout)
        #expect(summary["sent"] == 4 && summary["failed"] == .object(["permanent": 1]), "\(result.stdout)\(result.stderr)")
        let requests = try await server.requests()
        #expect(requests.count == 1 && requests[0].path == "/api/batch")
        let items = requests[0].json["requests"].arrayValue ?? []
        #expect(items.map { $0["to"][0]["email"].text } == (0..<5).map { "r\($0)@example.com" })
        #expect(items.map { $0["custom_variables"]["order_id"].text } == (0..<5).map { "\(900 + $0)" })
        let spec = try Fixtures.python("check_spec.py", [Repository.spec("mailtrap-email-sending-transactional.openapi.yml"), "/api/batch", "post",
                                                          "--oneof-as-anyof"], input: requests[0].body)
        #expect(spec.status == 0, "\(spec.stdout)\(spec.stderr)")
        let journal = try String(contentsOfFile: folder.path + "/list.csv.journal.ndjson", encoding: .utf8)
        #expect(journal.contains(#""email":"r2@example.com","state":"refused","class":"permanent","error":"HTTP 200: 'to' address is invalid""#), "\(journal)")
    }

    @Test("A batch refused for a passing reason is sent again as the route's retry policy says; no recipient twice")
    func batchRetry() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let ok = Answer.json(200, .array((0..<4).map { i in .object(["ErrorCode": 0, "Message": "OK", "MessageID": .string("pm-\(i)")]) }))
        try await server.script(["/email/batch": [Answer.json(503, .object(["ErrorCode": 100, "Message": "Maintenance"])), ok]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("""
            accounts:
              pm: {provider: postmark, endpoint: "\(server.url)", credentials: {server_token: pm-token-1}}
            routes:
              default: {accounts: [pm], retry: {attempts: 2, initial_delay: 10ms, max_delay: 20ms}}
            """, "carrier.yaml", in: folder)
        try Self.write("from: Shop <orders@shop.example.com>\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", "message.yaml", in: folder)
        try Self.write("email,name\n" + (0..<4).map { "r\($0)@example.com,R\($0)" }.joined(separator: "\n") + "\n", "list.csv", in: folder)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(try JSONParser.parse(result.stdout)["sent"] == 4)
        let requests = try await server.requests()
        #expect(requests.count == 2, "the whole batch once more after the 503")
        #expect(requests.allSatisfy { ($0.json.arrayValue ?? []).count == 4 })
    }

    @Test("A row's Message-ID is the same on every run, so an idempotency key dedupes a resend; NDJSON fields come from the first good row")
    func stableMessageIDs() throws {
        let template = try BulkTemplate.parse("from: Shop <orders@shop.example.com>\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", source: "m.yaml")
        let alice = BulkRecipient(line: 2, address: Address(email: "alice@example.com"), fields: ["email": "alice@example.com", "name": "A"])
        let bob = BulkRecipient(line: 3, address: Address(email: "bob@example.com"), fields: ["email": "bob@example.com", "name": "B"])
        let first = try template.message(for: alice, run: "r1").messageID
        #expect(first == (try template.message(for: alice, run: "r1").messageID))
        #expect(first != (try template.message(for: bob, run: "r1").messageID))
        #expect(first != (try template.message(for: alice, run: "r2").messageID))
        #expect(first?.hasSuffix("@shop.example.com") == true)

        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("{not json\n{\"email\": \"a@example.com\", \"name\": \"A\"}\n", "list.ndjson", in: folder)
        try Self.write("from: a@example.com\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", "m.yaml", in: folder)
        try Self.write("accounts:\n  out: {provider: file, directory: ./out}\n", "carrier.yaml", in: folder)
        let result = try carrier(["bulk", "--json", "m.yaml", "list.ndjson"], directory: folder.path)
        #expect(try JSONParser.parse(result.stdout)["sent"] == 1, "\(result.stdout)\(result.stderr)")
    }

    @Test("The library takes recipients from an AsyncSequence and reports progress")
    func asyncRecipients() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let config = try Configuration.parse("accounts:\n  out: {provider: file, directory: \(folder.path)/out}\n", file: "carrier.yaml")
        let template = try BulkTemplate.parse("from: a@example.com\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", source: "m.yaml")
        let stream = AsyncStream<BulkRecipient> { continuation in
            for i in 0..<25 {
                continuation.yield(BulkRecipient(line: i + 1, address: Address(email: "r\(i)@example.com"),
                                                 fields: ["email": .string("r\(i)@example.com"), "name": .string("R\(i)")]))
            }
            continuation.finish()
        }
        let seen = Counter()
        let summary = try await Mailer(configuration: config).bulk(template, recipients: stream, fields: ["email", "name"], journal: nil) {
            seen.set($0.done)
        }
        #expect(summary.sent == 25 && summary.rows == 25)
        #expect(seen.value == 25)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/out").count == 25)
        let needsOrder = try BulkTemplate.parse("from: a@example.com\nsubject: \"{{ recipient.order_id }}\"\ntext: t\n", source: "o.yaml")
        await #expect(throws: CarrierError.self, "a field the recipients do not carry is refused before anything is sent") {
            _ = try await Mailer(configuration: config).bulk(needsOrder, recipients: AsyncStream<BulkRecipient> { $0.finish() },
                                                             fields: ["email", "name"], journal: nil)
        }
    }

    @Test("Batches go through the router: a round-robin route sends its batch requests to each account in turn")
    func batchesFollowTheRoute() async throws {
        let first = try CaptureServer(), second = try CaptureServer()
        defer { first.stop(); second.stop() }
        let ok = Answer.json(200, .array((0..<2).map { _ in .object(["ErrorCode": 0, "Message": "OK", "MessageID": "pm-1"]) }))
        try await first.script(["/email/batch": [ok]])
        try await second.script(["/email/batch": [ok]])
        let config = try Configuration.parse("""
            accounts:
              one: {provider: postmark, endpoint: "\(first.url)", credentials: {server_token: pm-token-1}, limits: {batch_size: 2}}
              two: {provider: postmark, endpoint: "\(second.url)", credentials: {server_token: pm-token-2}, limits: {batch_size: 2}}
            routes:
              default: {strategy: round_robin, accounts: [one, two]}
            """, file: "carrier.yaml")
        let template = try BulkTemplate.parse("from: a@example.com\nsubject: Hi\ntext: t\n", source: "m.yaml")
        let recipients = AsyncStream<BulkRecipient> { continuation in
            for i in 0..<8 { continuation.yield(BulkRecipient(line: i + 1, address: Address(email: "r\(i)@example.com"), fields: ["email": .string("r\(i)@example.com")])) }
            continuation.finish()
        }
        let mailer = Mailer(configuration: config, registry: Fixtures.registry(), runtime: CarrierRuntime(random: RandomSource(seed: 3)))
        let summary = try await mailer.bulk(template, recipients: recipients, fields: ["email"], journal: nil, inFlight: 1)
        #expect(summary.sent == 8)
        #expect(summary.perAccount == ["one": 4, "two": 4], "round robin: one batch request of two to each account in turn")
        let firstRequests = try await first.requests(), secondRequests = try await second.requests()
        #expect(firstRequests.count == 2 && secondRequests.count == 2)
        #expect((firstRequests + secondRequests).allSatisfy { ($0.json.arrayValue?.count ?? 0) == 2 })
    }

    @Test("A batch account whose circuit opened is passed over: later chunks go on to the route's next account")
    func openCircuitPassesTheBatchAccountOver() async throws {
        let server = try CaptureServer()
        let folder = try TemporaryFolder()
        defer { server.stop(); folder.remove() }
        try await server.script(["*": [Answer.json(500, .object(["ErrorCode": 1, "Message": "down"]))]])
        let config = try Configuration.parse("""
            accounts:
              pm: {provider: postmark, endpoint: "\(server.url)", credentials: {server_token: pm-token-1}, limits: {batch_size: 2}}
              out: {provider: file, directory: \(folder.path)/out}
            routes:
              default: {accounts: [pm, out], retry: {attempts: 1}, breaker: {failures: 1, cooldown: 1h}}
            """, file: "carrier.yaml")
        let template = try BulkTemplate.parse("from: a@example.com\nsubject: Hi\ntext: t\n", source: "m.yaml")
        let recipients = AsyncStream<BulkRecipient> { continuation in
            for i in 0..<6 { continuation.yield(BulkRecipient(line: i + 1, address: Address(email: "r\(i)@example.com"), fields: ["email": .string("r\(i)@example.com")])) }
            continuation.finish()
        }
        let mailer = Mailer(configuration: config, registry: Fixtures.registry(), logger: .silent)
        let summary = try await mailer.bulk(template, recipients: recipients, fields: ["email"], journal: nil, inFlight: 1)
        #expect(summary.sent == 6 && summary.perAccount == ["out": 6])
        #expect(try await server.requests().count == 1, "one failed batch opened the circuit; the other chunks skipped the account")
    }

    /// A folder with a carrier.yaml whose account `mt` is a Mailtrap API at the server, a
    /// message.yaml, and a list.csv of `rows` recipients r0@example.com, r1@example.com, ….
    static func mailtrapProject(_ server: CaptureServer, rows: Int) throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try "accounts:\n  mt: {provider: mailtrap, endpoint: \"\(server.url)\", credentials: {api_token: tok-123456}}\n"
            .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        try "from: a@shop.example.com\nsubject: Hi\ntext: t\n".write(toFile: folder.path + "/message.yaml", atomically: true, encoding: .utf8)
        try ("email\n" + (0..<rows).map { "r\($0)@example.com" }.joined(separator: "\n") + "\n")
            .write(toFile: folder.path + "/list.csv", atomically: true, encoding: .utf8)
        return folder
    }

    @Test("A journal another run holds is refused: exit 2 naming the holder, nothing sent")
    func aHeldJournalIsRefused() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["m"]]))]])
        let folder = try Self.mailtrapProject(server, rows: 2)
        defer { folder.remove() }
        let held = try BulkJournal(path: folder.path + "/run.journal")  // another run holds it
        let second = try carrier(["bulk", "--journal", "run.journal", "message.yaml", "list.csv"], directory: folder.path)
        #expect(second.status == 2, "\(second.stderr)")
        #expect(second.stderr.contains("in use by another run (pid \(getpid()) on host"), "\(second.stderr)")
        #expect(try await server.requests().isEmpty, "the second run sent nothing")
        _ = held
    }

    @Test("A garbled journal line is reported with its line number and its row taken as unknown, not sent again")
    func garbledJournalLine() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["m"]]))]])
        let folder = try Self.mailtrapProject(server, rows: 2)
        defer { folder.remove() }
        let first = try carrier(["bulk", "--no-batch", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(first.status == 0, "\(first.stderr)")
        let journal = folder.path + "/list.csv.journal.ndjson"
        // Row 3 (r1) as a run killed mid-send leaves it — "started", no outcome — with the started
        // line garbled on disk (a flipped byte, not a torn end): it may have been sent.
        var lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n").map(String.init)
        lines.removeAll { $0.contains("\"line\":3") && $0.contains("\"sent\"") }
        let index = try #require(lines.firstIndex { $0.contains("\"line\":3") && $0.contains("\"started\"") })
        lines[index] = lines[index].replacingOccurrences(of: "}", with: "]")
        try (lines.joined(separator: "\n") + "\n").write(toFile: journal, atomically: true, encoding: .utf8)
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["m2"]]))]])
        let before = try await server.requests().count
        try "email\nr0@example.com\nr1@example.com\nr2@example.com\n".write(toFile: folder.path + "/list.csv", atomically: true, encoding: .utf8)
        let again = try carrier(["bulk", "--no-batch", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(again.stderr.contains("journal line \(index + 1) cannot be read; row 3 (r1@example.com) is taken as unknown"), "\(again.stderr)")
        let summary = try JSONParser.parse(again.stdout)
        #expect((summary["unknown"].arrayValue ?? []).map { $0["email"].text } == ["r1@example.com"])
        #expect(try await server.requests().count - before == 1, "only the new row r2 is sent")
    }

    @Test("SIGTERM during bulk: no more rows are read, the rows under way finish and are journalled; the next run goes on")
    func sigtermDrainsABulkRun() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        var held = Answer.json(200, .object(["success": true, "message_ids": ["m"]])).objectValue!
        held["hold"] = 1000
        try await server.script(["*": [.object(held)]])
        let folder = try Self.mailtrapProject(server, rows: 50)
        defer { folder.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.binary)
        process.arguments = ["bulk", "--no-batch", "--in-flight", "4", "message.yaml", "list.csv"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
        let errors = folder.path + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: errors)
        try process.run()
        try await poll("four rows at the server") { try await server.stats().inFlight == 4 }
        kill(process.processIdentifier, SIGTERM)
        try await poll("the stop to be noticed") { ((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "").contains("stopping") }
        try await server.release()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1)
        let sent = try await server.requests().count
        #expect(sent < 50, "no more rows were read: \(sent) sent")
        let history = BulkJournal.history(at: folder.path + "/list.csv.journal.ndjson")
        #expect(history.unknown.isEmpty, "every row under way has its outcome: \(history.unknown)")
        #expect(history.done.count == sent)
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["m"]]))]])
        let resumed = try carrier(["bulk", "--no-batch", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(resumed.stdout)["sent"].intValue == 50 - sent, "\(resumed.stdout)\(resumed.stderr)")
    }

    /// The last value a progress callback saw.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var last = 0
        func set(_ value: Int) { lock.lock(); last = max(last, value); lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return last }
    }

    @Test("Resend: messages its batch endpoint takes go 100 to a request; ones with attachments go one by one")
    func resendBatchAndSingles() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script([
            "/emails/batch": [Answer.json(200, .object(["data": .array((0..<3).map { .object(["id": .string("rs-\($0)")]) })]))],
            "/emails": [Answer.json(200, .object(["id": "rs-single"]))],
        ])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("accounts:\n  rs: {provider: resend, endpoint: \"\(server.url)\", credentials: {api_key: re_key_1}}\n", "carrier.yaml", in: folder)
        try Self.write("email,name\n" + (0..<3).map { "r\($0)@example.com,R\($0)" }.joined(separator: "\n") + "\n", "list.csv", in: folder)
        try Self.write("from: Shop <orders@shop.example.com>\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", "plain.yaml", in: folder)
        let batched = try carrier(["bulk", "--json", "plain.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(batched.stdout)["sent"] == 3, "\(batched.stdout)\(batched.stderr)")
        var requests = try await server.requests()
        #expect(requests.map(\.path) == ["/emails/batch"])
        #expect((requests[0].json.arrayValue ?? []).map { $0["subject"].text } == ["Hi R0", "Hi R1", "Hi R2"])
        let spec = try Fixtures.python("check_spec.py", [Repository.spec("resend-openapi.json"), "/emails/batch", "post"], input: requests[0].body)
        #expect(spec.status == 0, "\(spec.stdout)\(spec.stderr)")

        try Self.write("from: Shop <orders@shop.example.com>\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n"
                       + "attachments: [{filename: a.txt, content: aGk=}]\n", "attached.yaml", in: folder)
        let singles = try carrier(["bulk", "--journal", "attached.ndjson", "--json", "attached.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(singles.stdout)["sent"] == 3, "\(singles.stdout)\(singles.stderr)")
        requests = try await server.requests()
        #expect(requests.map(\.path) == ["/emails/batch", "/emails", "/emails", "/emails"])
    }
}

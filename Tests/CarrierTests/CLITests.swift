import Carrier
import Foundation
import Testing

/// The command line as a new user meets it.
@Suite("carrier command line", .serialized)
struct CLITests {
    @Test func everyProviderFilePassesItsExamples() throws {
        let result = try carrier(["providers", "test"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(" 0 failed"))
        for id in ["mailtrap", "mailgun", "sendgrid", "mailjet", "gmail", "netcore"] {
            #expect(result.stdout.contains("ok   \(id):"), "no passing example for \(id)")
        }
    }

    @Test func providerFilesMatchTheJSONSchemaEditorsUse() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Repository.providers).filter { $0.hasSuffix(".yaml") }
            .map { Repository.providers + "/" + $0 }
        #expect(files.count >= 24)
        let result = try Fixtures.python("check_schema.py", [Repository.root.appendingPathComponent("docs/provider.schema.json").path] + files,
                                         input: Data())
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // The schema must be able to fail: a typo'd key is refused.
        let typo = try Fixtures.python("check_schema.py", [Repository.root.appendingPathComponent("docs/provider.schema.json").path,
                                                           Repository.root.appendingPathComponent("Tests/Fixtures/typo.yaml").path], input: Data())
        #expect(typo.status == 1 && typo.stdout.contains("bodyy"))
    }

    @Test func embeddedDefaultWritesAnEMLIntoOutbox() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try carrier(["send", "--json", Repository.example("order-confirmation.json")], directory: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let receipt = try JSONParser.parse(result.stdout)
        #expect(receipt["status"] == "sent")
        #expect(receipt["channel"] == "file")
        #expect(receipt["attempts"][0]["outcome"] == "sent")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/outbox")
        #expect(files.count == 1 && files[0].hasSuffix(".eml"))
        let parsed = try Fixtures.parseMIME(try Data(contentsOf: URL(fileURLWithPath: directory + "/outbox/" + files[0])))
        #expect(parsed["headers"]["Subject"] == "Your order #1234 — merci ✓")
        // Nothing is lost on the way to the file: the Bcc recipient (as for `sendmail -t`), tags and metadata.
        #expect(parsed["headers"]["Bcc"] == "dave@example.com")
        #expect(parsed["headers"]["X-Carrier-Tags"] == "order-confirmation")
        #expect(try JSONParser.parse(parsed["headers"]["X-Carrier-Metadata"].text) == .object(["order_id": "1234", "customer_id": "42"]))
    }

    @Test func renderHidesSecretsUnlessAsked() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-\(UUID().uuidString).yaml").path
        try "accounts:\n  sg: {provider: sendgrid, credentials: {api_key: \"${SG_TEST_KEY}\"}}\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let hidden = try carrier(["render", "--config", config, "--account", "sg", Repository.example("order-confirmation.json")],
                                 environment: ["SG_TEST_KEY": "SG.super-secret-value"])
        #expect(hidden.status == 0, "\(hidden.stderr)")
        #expect(!hidden.stdout.contains("super-secret"))
        let request = try JSONParser.parse(hidden.stdout)
        #expect(request["headers"]["Authorization"] == "Bearer ***")
        #expect(request["url"] == "https://api.sendgrid.com/v3/mail/send")
        let shown = try carrier(["render", "--config", config, "--account", "sg", "--show-secrets", Repository.example("order-confirmation.json")],
                                environment: ["SG_TEST_KEY": "SG.super-secret-value"])
        #expect(try JSONParser.parse(shown.stdout)["headers"]["Authorization"] == "Bearer SG.super-secret-value")
    }

    @Test func exitCodesAndOneLineErrors() throws {
        let badMessage = try carrier(["send", "-"], input: Data(#"{"from": "x", "to": []}"#.utf8))
        #expect(badMessage.status == 2)
        #expect(badMessage.stderr.contains("from: 'x' is not an e-mail address"))
        let usage = try carrier(["send"])
        #expect(usage.status == 2)
        let lint = try carrier(["providers", "lint", Repository.root.appendingPathComponent("Tests/Fixtures/typo.yaml").path])
        #expect(lint.status == 2)
        #expect(lint.stderr.contains("typo.yaml:5:3: error: unknown key 'bodyy' in 'api'; did you mean 'body'?"))
    }

    @Test(.enabled(if: Peers.aiosmtpd, "needs Python's aiosmtpd: make test installs it")) func verboseShowsTheSMTPConversationWithoutCredentials() throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        let server = try SMTPServer(["--tls", "starttls", "--auth", "apikey:SG.verbose-secret"] + cert.serverOptions)
        defer { server.stop() }
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-\(UUID().uuidString).yaml").path
        try """
            accounts:
              sg: {provider: sendgrid, channel: smtp, credentials: {api_key: SG.verbose-secret},
                   smtp: {host: 127.0.0.1, port: \(server.port), ca_file: \(cert.certificate)}}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let result = try carrier(["send", "--config", config, "--verbose", Repository.example("order-confirmation.json")])
        #expect(result.status == 0, "\(result.stderr)")
        for line in ["C: STARTTLS", "C: AUTH PLAIN ***", "C: MAIL FROM:<orders@shop.example.com>", "C: RCPT TO:<dave@example.com>", "C: DATA"] {
            #expect(result.stderr.contains(line), "the transcript shows \(line)")
        }
        #expect(result.stderr.contains("S: 250 2.0.0 Ok: queued as"))
        #expect(!result.stderr.contains("SG.verbose-secret") && !result.stdout.contains("SG.verbose-secret"))
        #expect(!result.stderr.contains(Data("\0apikey\0SG.verbose-secret".utf8).base64EncodedString()))
    }

    @Test func notSentExitsOneAndKeepsSecretsOut() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-\(UUID().uuidString).yaml").path
        try "accounts:\n  mt: {provider: mailtrap, endpoint: \"\(server.url)\", credentials: {api_token: tok-very-secret}}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        try await server.script(["*": [Answer.json(401, .object(["success": false, "errors": ["Unauthorized: token tok-very-secret is revoked"]]))]])
        let result = try carrier(["send", "--config", config, "--json", Repository.example("order-confirmation.json")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("[failover]: HTTP 401: ") && !result.stderr.contains("status 401"), "the status once: \(result.stderr)")
        #expect(!result.stderr.contains("tok-very-secret") && !result.stdout.contains("tok-very-secret"))
        #expect(try JSONParser.parse(result.stdout)["status"] == "failed")
    }

    @Test("Control characters from a message are escaped in human output (C1's CSI passes the message rules, C0's ESC does not)")
    func terminalOutputIsEscaped() throws {
        let folder = try OutboxTests.project(endpoint: "http://127.0.0.1:\(closedPort())")
        defer { folder.remove() }
        _ = try carrier(["send", try OutboxTests.message(folder, "m.json", subject: #"hi \u009b2J there"#)], directory: folder.path)
        let listed = try carrier(["outbox", "list"], directory: folder.path)
        #expect(listed.stdout.contains("hi \\u{9B}2J there"), "\(listed.stdout)")
        #expect(!listed.stdout.contains("\u{9B}"))
        let refused = try carrier(["send", try OutboxTests.message(folder, "e.json", subject: #"hi \u001b[2J there"#)], directory: folder.path)
        #expect(refused.status == 2 && refused.stderr.contains("subject") && !refused.stderr.contains("\u{1B}"), "\(refused.stderr)")
    }
}

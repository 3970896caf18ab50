@testable import Carrier
import CarrierCurl
import Foundation
import Testing

/// Misbehaving HTTP and SMTP servers (issue 8, items 8 to 11 and the Low transport items).
@Suite("Security: misbehaving servers", .serialized)
struct SecurityServerTests {
    static func mailer(_ yaml: String) throws -> Mailer {
        Mailer(configuration: try Configuration.parse(yaml, file: "test-carrier.yaml"), registry: Fixtures.registry())
    }

    // MARK: Medium 8 — absurd Retry-After

    @Test("Retry-After: -1e300 through Mailgun's template path is no hint, not a crash")
    func absurdRetryAfterIsNoHint() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(429, .object(["message": "slow down, try again after -1e300 seconds"]), headers: ["Retry-After": "-1e300"]),
                                       Answer.json(429, .object(["message": "slow down"]), headers: ["Retry-After": "1e300"])]])
        let mailer = try Self.mailer("""
            accounts:
              mg: {provider: mailgun, endpoint: "\(server.url)", credentials: {api_key: key-1}, settings: {domain: shop.example.com}}
            routes:
              default: {accounts: [mg], retry: {attempts: 3, initial_delay: 10ms, max_delay: 20ms}}
            """)
        let receipt = try #require(await notSent { try await mailer.send(Fixtures.referenceMessage()) })
        #expect(receipt.attempts.count == 3)
        #expect(receipt.attempts.allSatisfy { $0.errorClass == .rateLimited && $0.retryAfter == nil })
        #expect(DurationText.hint(.string("-1e300")) == nil && DurationText.hint(.string("nan")) == nil)
        #expect(DurationText.seconds(.string("1e300")) == nil && DurationText.hint(.int(30)) == 30)
    }

    // MARK: Medium 9 — response size

    /// The peak resident memory (KiB) of a `carrier` run, read from `/usr/bin/time -v`.
    static func peakMemory(_ arguments: [String], directory: String) throws -> (result: ProcessResult, kib: Int) {
        let result = try run("/usr/bin/time", ["-v", Repository.binary] + arguments, directory: directory, timeout: 120)
        let line = result.stderr.split(separator: "\n").first { $0.contains("Maximum resident set size") } ?? ""
        return (result, Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? -1)
    }

    @Test("A gzip bomb and a 100 MB answer are cut at the cap and classified, not buffered")
    func responseBodiesAreCapped() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "accounts:\n  mt: {provider: mailtrap, endpoint: \"\(server.url)\", credentials: {api_token: tok-123456}}\n"
            .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        for (answer, label) in [(Value.object(["status": 200, "gzip_of": .int(1 << 30)]), "gzip bomb"),
                                (Value.object(["status": 500, "size": .int(100_000_000)]), "100 MB")] {
            try await server.script(["*": [answer]])
            let (result, kib) = try Self.peakMemory(["send", "--json", Repository.example("order-confirmation.json")], directory: folder.path)
            #expect(result.status == 1, "\(label): \(result.stderr)")
            let receipt = try JSONParser.parse(String(result.stdout))
            #expect(receipt["attempts"][0]["error"].text.contains("larger than"), "\(label)")
            #expect(receipt["attempts"][0]["class"] == (label == "gzip bomb" ? "ambiguous" : "retry"), "\(label)")
            #expect(kib > 0 && kib < 150_000, "\(label): peak RSS \(kib) KiB")
        }
    }

    // MARK: Medium 10 — unreadable success

    @Test("A 200 with a garbage body is ambiguous for Mailtrap and SendGrid, not sent")
    func garbageSuccessIsAmbiguous() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.text(200, "<html>maintenance page</html>")]])
        for (provider, credentials) in [("mailtrap", "{api_token: tok-123456}"), ("sendgrid", "{api_key: SG.key-123456}")] {
            let config = try Fixtures.configuration(provider: provider, endpoint: server.url, credentials: credentials)
            let mailer = Mailer(configuration: config, registry: Fixtures.registry())
            let receipt = try #require(await notSent { try await mailer.send(Fixtures.referenceMessage()) }, "\(provider) said sent")
            #expect(receipt.attempts.first?.errorClass == .ambiguous, "\(provider)")
            #expect(receipt.possibleDuplicate, "\(provider)")
        }
    }

    // MARK: Medium 11 — SMTP greeting refusal

    @Test("A 554 greeting and a garbage banner fail over to the next account", .enabled(if: Peers.aiosmtpd, "needs Python's aiosmtpd: make test installs it"))
    func greetingRefusalFailsOver() async throws {
        let good = try SMTPServer()
        defer { good.stop() }
        for greeting in ["554 5.3.2 not accepting connections", "garbage"] {
            let refusing = try SMTPServer(["--greeting", greeting])
            defer { refusing.stop() }
            let mailer = try Self.mailer("""
                accounts:
                  first: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: \(refusing.port), tls: none}}
                  second: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: \(good.port), tls: none}}
                routes:
                  default: {accounts: [first, second]}
                """)
            let receipt = try await mailer.send(Fixtures.referenceMessage())
            #expect(receipt.account == "second", "\(greeting)")
            #expect(receipt.attempts.first?.errorClass == .failover, "\(greeting)")
            if greeting == "garbage" {
                let error = receipt.attempts.first?.error ?? ""
                #expect(error.contains("\\u{1B}") && !error.contains("\u{1B}"), "control characters are escaped: \(error)")
            }
        }
        #expect(try good.received().count == 2)
    }

    // MARK: Low — SMTP recipients

    @Test("100,000 recipients are refused at once with the recipient limit, even when the server is down")
    func hugeRecipientListsAreRefusedEarly() async throws {
        var message = try Fixtures.referenceMessage()
        message.to = (0..<100_000).map { Address(email: "r\($0)@example.com") }
        message.cc = []
        message.bcc = []
        let mailer = try Self.mailer("accounts:\n  relay: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: \(closedPort()), tls: none}}\n")
        let receipt = try #require(await notSent { try await mailer.send(message) })
        #expect(receipt.attempts.first?.skipReason == .capability, "refused before any connection is tried")
        #expect(receipt.attempts.first?.error?.contains("at most 1000 recipients") == true)
    }

    @Test("Recipients answered 452 are partial and kept in the spool for a retry that sends to them alone", .enabled(if: Peers.aiosmtpd, "needs Python's aiosmtpd: make test installs it"))
    func deferredRecipientsArePartial() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let deferring = try SMTPServer(["--defer", "bob@example.com"])
        defer { deferring.stop() }
        func configure(_ port: Int) throws {
            try "spool: ./spool\naccounts:\n  relay: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: \(port), tls: none}}\n"
                .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        }
        try configure(deferring.port)
        let sent = try carrier(["send", "--json", Repository.example("order-confirmation.json")], directory: folder.path)
        #expect(sent.status == 1, "partial is not a full success")
        let receipt = try JSONParser.parse(String(sent.stdout))
        #expect(receipt["status"] == "partial")
        #expect(receipt["deferred"] == ["bob@example.com"])
        #expect(try deferring.received().first?.recipients.contains("bob@example.com") == false)

        let accepting = try SMTPServer()
        defer { accepting.stop() }
        try configure(accepting.port)
        let retried = try carrier(["outbox", "retry"], directory: folder.path)
        #expect(retried.status == 0, "\(retried.stdout)\(retried.stderr)")
        #expect(try accepting.received().map(\.recipients) == [["bob@example.com"]])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/spool").isEmpty)
    }

    @Test("Non-ASCII addresses use SMTPUTF8 when offered and are refused (failover) when not", .enabled(if: Peers.aiosmtpd, "needs Python's aiosmtpd: make test installs it"))
    func smtpUTF8() async throws {
        var message = try Fixtures.referenceMessage()
        message.from = Address(email: "shop@bücher.example")  // the Message-ID Carrier makes cannot use this domain
        message.to = [Address(email: "josé@example.com")]
        message.cc = []
        message.bcc = []
        let offering = try SMTPServer(["--smtputf8"])
        defer { offering.stop() }
        let plain = try SMTPServer()
        defer { plain.stop() }
        let sent = try await Self.mailer("accounts:\n  r: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: \(offering.port), tls: none}}\n")
            .send(message)
        #expect(sent.status == .sent)
        #expect(try offering.received().first?.recipients == ["josé@example.com"])
        #expect(sent.messageIDs.first?.hasSuffix("@carrier.invalid") == true)
        let refused = try #require(await notSent {
            try await Self.mailer("accounts:\n  r: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: \(plain.port), tls: none}}\n").send(message)
        })
        #expect(refused.attempts.first?.errorClass == .failover)
        #expect(refused.attempts.first?.error?.contains("SMTPUTF8") == true)
        #expect(try plain.received().isEmpty)
    }

    // MARK: Low — HTTP classes

    @Test("A 3xx answer fails over; a request that cannot be built is permanent")
    func redirectsAndMalformedRequests() async throws {
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        try await primary.script(["*": [Answer.text(302, "moved", headers: ["Location": "http://elsewhere.example/"])]])
        try await backup.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["m-1"]]))]])
        let mailer = try Self.mailer("""
            accounts:
              a: {provider: mailtrap, endpoint: "\(primary.url)", credentials: {api_token: tok-123456}}
              b: {provider: mailtrap, endpoint: "\(backup.url)", credentials: {api_token: tok-123456}}
            routes:
              default: {accounts: [a, b]}
            """)
        let receipt = try await mailer.send(Fixtures.referenceMessage())
        #expect(receipt.account == "b")
        #expect(receipt.attempts.first?.errorClass == .failover)

        do {
            _ = try await testEngine.send(CurlHTTPRequest(method: "POST", url: "http://127.0.0.1:1/send\r\nX: y"))
            Issue.record("a malformed URL was sent")
        } catch {
            #expect(error.kind == .malformed && !error.requestSent)
            #expect(ErrorClass.forTransfer(error, messageMayHaveGone: error.requestSent) == .permanent)
        }
        #expect(SecurityInputTests.problems(SecurityInputTests.base + #", "template": {"id": "abc\r\nX: y"}}"#).map(\.field) == ["template"])
    }
}

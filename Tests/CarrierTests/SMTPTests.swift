import Carrier
import Foundation
import Testing

/// The SMTP channel against real servers on 127.0.0.1 (aiosmtpd), with certificates made by openssl.
@Suite("SMTP channel", .serialized, .enabled(if: Peers.aiosmtpd, "needs Python's aiosmtpd: make test installs it"))
struct SMTPTests {
    /// An account on the generic smtp provider pointed at the test server.
    func mailer(port: Int, tls: String, credentials: String = "{}", extra: String = "", caFile: String? = nil,
                timeout: String = "{connect: 2, total: 10}") throws -> Mailer {
        let configuration = try Configuration.parse("""
            accounts:
              relay:
                provider: smtp
                channel: smtp
                credentials: \(credentials)
                timeout: \(timeout)
                smtp: {host: 127.0.0.1, port: \(port), tls: \(tls), helo: client.carrier.test\(caFile.map { ", ca_file: \($0)" } ?? "")\(extra)}
            """, file: "smtp-test.yaml")
        return Mailer(configuration: configuration, registry: Fixtures.registry())
    }

    func failure(_ body: () async throws -> Receipt) async -> Attempt? {
        do {
            _ = try await body()
            return nil
        } catch CarrierError.notSent(let receipt) {
            return receipt.attempts.last
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func plainWithoutTLSWhenTheAccountSaysSo() async throws {
        let server = try SMTPServer(["--tls", "none"])
        defer { server.stop() }
        let receipt = try await mailer(port: server.port, tls: "none").send(Fixtures.referenceMessage())
        #expect(receipt.channel == .smtp)
        let received = try server.received()
        #expect(received.count == 1)
        #expect(received[0].tls == false)
        #expect(received[0].helo == "client.carrier.test")
        #expect(received[0].mailFrom == "orders@shop.example.com")
        #expect(received[0].recipients == ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"])
    }

    @Test func startTLSWithAuthPlainDeliversTheMIMEAPeerCanRead() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        let server = try SMTPServer(["--tls", "starttls", "--auth", "me:pa55word"] + cert.serverOptions)
        defer { server.stop() }
        let receipt = try await mailer(port: server.port, tls: "starttls", credentials: "{username: me, password: pa55word}",
                                       caFile: cert.certificate).send(Fixtures.referenceMessage())
        let attempt = try #require(receipt.attempts.first)
        #expect(attempt.smtp?.port?.tls == .starttls)
        let transcript = attempt.smtp?.transcript ?? []
        #expect(transcript.contains("C: STARTTLS"))
        #expect(transcript.contains("C: AUTH PLAIN") || transcript.contains("C: AUTH PLAIN ***"))
        #expect(!transcript.joined().contains("pa55word") && !transcript.joined().contains(Data("\0me\0pa55word".utf8).base64EncodedString()))

        let received = try #require(try server.received().first)
        #expect(received.tls)
        #expect(received.recipients.contains("dave@example.com"), "the Bcc recipient is in the envelope")
        let parsed = try Fixtures.parseMIME(received.data)
        #expect(parsed["defects"] == [])
        #expect(parsed["headers"]["Bcc"] == .null, "no Bcc header over SMTP")
        #expect(!(parsed["header_names"].arrayValue ?? []).contains("Bcc"))
        #expect(parsed["headers"]["Subject"] == "Your order #1234 — merci ✓")
        #expect(parsed["headers"]["To"] == "Alice Able <alice@example.com>, Bob Bäcker <bob@example.com>")
        #expect(parsed["headers"]["X-Order-Id"] == "1234")
        let parts = parsed["parts"].arrayValue ?? []
        #expect(parts.map { $0["content_type"].text }.contains("multipart/alternative"))
        #expect(parts.first { $0["content_type"] == "text/plain" }?["text"].text == "Thanks for your order.")
        #expect(parts.first { $0["content_type"] == "image/png" }?["content_id"] == "<logo123>")
        #expect(parts.first { $0["content_type"] == "application/pdf" }?["content_b64"] == "JVBERi0xLjQK")
    }

    @Test func authLoginAndAWrongPassword() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        let server = try SMTPServer(["--tls", "starttls", "--auth", "me:right-pass"] + cert.serverOptions)
        defer { server.stop() }
        let login = try mailer(port: server.port, tls: "starttls", credentials: "{username: me, password: right-pass}",
                               extra: ", auth_mechanism: LOGIN", caFile: cert.certificate)
        let receipt = try await login.send(Fixtures.referenceMessage())
        let transcript = receipt.attempts[0].smtp?.transcript ?? []
        #expect(transcript.contains { $0.hasPrefix("C: AUTH LOGIN") })
        let wrong = try mailer(port: server.port, tls: "starttls", credentials: "{username: me, password: wrong-pass}", caFile: cert.certificate)
        let attempt = try #require(await failure { try await wrong.send(Fixtures.referenceMessage()) })
        #expect(attempt.errorClass == .failover)
        #expect(attempt.status == 535)
        #expect(attempt.error?.contains("535") == true)
        #expect(!(attempt.error ?? "").contains("wrong-pass"))
        #expect(try server.received().count == 1)
    }

    @Test func implicitTLS() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        let server = try SMTPServer(["--tls", "implicit"] + cert.serverOptions)
        defer { server.stop() }
        let receipt = try await mailer(port: server.port, tls: "implicit", caFile: cert.certificate).send(Fixtures.referenceMessage())
        #expect(receipt.attempts[0].smtp?.port?.tls == .implicit)
        #expect(try server.received().first?.tls == true)
    }

    @Test func requiredSTARTTLSMissingSendsNothing() async throws {
        let server = try SMTPServer(["--tls", "none", "--auth", "me:secret-pass"])
        defer { server.stop() }
        let m = try mailer(port: server.port, tls: "starttls", credentials: "{username: me, password: secret-pass}")
        let attempt = try #require(await failure { try await m.send(Fixtures.referenceMessage()) })
        #expect(attempt.errorClass == .failover)
        #expect(attempt.error?.contains("does not offer STARTTLS") == true)
        let transcript = attempt.smtp?.transcript ?? []
        #expect(!transcript.contains { $0.hasPrefix("C: AUTH") || $0.hasPrefix("C: MAIL") })
        #expect(try server.received().isEmpty)
    }

    @Test func untrustedCertificateIsRefusedUnlessCAFileTrustsIt() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        let server = try SMTPServer(["--tls", "starttls"] + cert.serverOptions)
        defer { server.stop() }
        let untrusted = try mailer(port: server.port, tls: "starttls")
        let attempt = try #require(await failure { try await untrusted.send(Fixtures.referenceMessage()) })
        #expect(attempt.errorClass == .failover)
        #expect(attempt.error?.hasPrefix("tls:") == true)
        #expect(try server.received().isEmpty)
        _ = try await mailer(port: server.port, tls: "starttls", caFile: cert.certificate).send(Fixtures.referenceMessage())
        #expect(try server.received().count == 1)
    }

    @Test func plaintextAuthIsRefusedWithoutOptIn() async throws {
        let m = try mailer(port: closedPort(), tls: "none", credentials: "{username: me, password: pw-1234}")
        await #expect {
            try await m.send(Fixtures.referenceMessage())
        } throws: { error in
            "\(error)".contains("without TLS") && "\(error)".contains("allow_plaintext_auth")
        }
    }

    @Test func closedFirstPortFallsBackToTheNext() async throws {
        let server = try SMTPServer(["--tls", "none"])
        defer { server.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-prov-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let closed = closedPort()
        try """
            id: twoports
            smtp:
              host: 127.0.0.1
              ports: [{port: \(closed), tls: none}, {port: \(server.port), tls: none}]
              login: optional
              username: ""
            """.write(toFile: folder + "/twoports.yaml", atomically: true, encoding: .utf8)
        let configuration = try Configuration.parse("""
            providers: [\(folder)]
            accounts:
              two: {provider: twoports, channel: smtp, smtp: {tls: none}}
            """, file: "c.yaml")
        let receipt = try await Mailer(configuration: configuration).send(Fixtures.referenceMessage())
        #expect(receipt.attempts[0].smtp?.port?.port == server.port)
        #expect(try server.received().count == 1)
    }

    @Test func rejectedRecipientAmongAcceptedOnes() async throws {
        let server = try SMTPServer(["--tls", "none", "--reject", "bob@example.com"])
        defer { server.stop() }
        let receipt = try await mailer(port: server.port, tls: "none").send(Fixtures.referenceMessage())
        #expect(receipt.status == .partial, "a message some recipients did not get is partial")
        #expect(receipt.deferred.isEmpty, "a 550 is for good: nothing to retry")
        let perRecipient = receipt.attempts[0].recipients.map { "\($0.email) \($0.status)" }
        #expect(perRecipient == ["alice@example.com sent", "bob@example.com rejected", "carol@example.com sent", "dave@example.com sent"])
        let rejected = try #require(receipt.attempts[0].smtp?.rejected)
        #expect(rejected.count == 1)
        #expect(rejected[0].recipient == "bob@example.com")
        #expect(rejected[0].reply.hasPrefix("550 5.1.1"))
        #expect(try server.received().first?.recipients == ["alice@example.com", "carol@example.com", "dave@example.com"])
    }

    @Test(arguments: [("421 4.7.0 Too many connections, slow down", ErrorClass.rateLimited, 421),
                      ("451 4.7.1 Rate limited, try again later", ErrorClass.rateLimited, 451),
                      ("450 4.2.1 Mailbox busy", ErrorClass.retry, 450),
                      ("554 5.7.1 Relay access denied", ErrorClass.permanent, 554)])
    func replyCodesAreClassified(_ reply: String, _ expected: ErrorClass, _ code: Int) async throws {
        let server = try SMTPServer(["--tls", "none", "--mail-reply", reply])
        defer { server.stop() }
        let attempt = try #require(await failure { try await mailer(port: server.port, tls: "none").send(Fixtures.referenceMessage()) })
        #expect(attempt.errorClass == expected)
        #expect(attempt.status == code)
        #expect(attempt.error?.contains(reply) == true, "the error quotes the server's reply: \(attempt.error ?? "")")
    }

    @Test func droppedConnectionMidMessageIsAmbiguous() async throws {
        let server = try SMTPServer(["--tls", "none", "--drop-on-data"])
        defer { server.stop() }
        let attempt = try #require(await failure { try await mailer(port: server.port, tls: "none").send(Fixtures.referenceMessage()) })
        #expect(attempt.errorClass == .ambiguous || attempt.errorClass == .retry)
        #expect(try server.received().isEmpty)
    }

    @Test func oneConnectionCarriesManyMessagesAndIdleClosesAreReopened() async throws {
        let server = try SMTPServer(["--tls", "none"])
        defer { server.stop() }
        let m = try mailer(port: server.port, tls: "none")
        for _ in 0..<3 { try await m.send(Fixtures.referenceMessage()) }
        let first = try server.received()
        #expect(first.count == 3)
        #expect(Set(first.map(\.connection)).count == 1, "three messages over one connection")
        try await server.closeIdleConnections()  // as the server's idle timeout would
        try await m.send(Fixtures.referenceMessage())
        #expect(try server.received().count == 4, "the message after an idle close is not lost")
    }

    @Test func renderShowsTheConversationWithoutSecrets() throws {
        let configuration = try Configuration.parse("""
            accounts:
              sg: {provider: sendgrid, channel: smtp, credentials: {api_key: SG.render-secret}}
            """, file: "c.yaml")
        let rendered = try Mailer(configuration: configuration, registry: Fixtures.registry())
            .render(Fixtures.referenceMessage(), account: "sg", channel: .smtp)
        #expect(rendered["host"] == "smtp.sendgrid.net")
        #expect(rendered["ports"][0] == .object(["port": 587, "tls": "starttls"]))
        #expect(rendered["username"] == "apikey")
        #expect(rendered["password"] == "***")
        #expect(rendered["envelope"]["rcpt_to"] == ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"])
        let conversation = (rendered["transcript"].arrayValue ?? []).map(\.text)
        #expect(conversation.contains("C: STARTTLS"))
        #expect(!JSONWriter.string(rendered).contains("SG.render-secret"))
        #expect(rendered["message"].text.contains("X-SMTPAPI: "))
    }
}

/// Load against Postfix's smtp-sink: many messages over a few pooled connections, none lost.
@Suite("SMTP under load (smtp-sink)", .serialized,
       .enabled(if: Peers.smtpSink, "needs Postfix's smtp-sink: make test installs it"))
struct SMTPLoadTests {
    @Test func twoHundredMessagesOverTwoConnectionsAllArrive() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-sink-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o777)  // smtp-sink drops privileges to nobody
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = closedPort()
        let sink = Process()
        sink.executableURL = URL(fileURLWithPath: "/usr/sbin/smtp-sink")
        sink.arguments = (getuid() == 0 ? ["-u", "nobody"] : []) + ["-d", directory + "/%M.", "127.0.0.1:\(port)", "64"]
        sink.standardOutput = FileHandle.nullDevice
        sink.standardError = FileHandle.nullDevice
        try sink.run()
        defer {
            // It inherits the test runner's blocked SIGTERM, so it is stopped with SIGKILL.
            kill(sink.processIdentifier, SIGKILL)
            sink.waitUntilExit()
        }
        try await poll("smtp-sink to listen") { canConnect(port: port) }
        let configuration = try Configuration.parse("""
            accounts:
              sink: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: \(port), tls: none, connections: 2,
                     max_messages_per_connection: 50}}
            """, file: "c.yaml")
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry(),
                            logger: .silent)
        let message = try Fixtures.referenceMessage()
        let sent = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<2 {
                group.addTask {
                    var ok = 0
                    for _ in stride(from: worker, to: 200, by: 2) where (try? await mailer.send(message)) != nil { ok += 1 }
                    return ok
                }
            }
            var total = 0
            for await n in group { total += n }
            return total
        }
        #expect(sent == 200)
        var files: [String] = []
        try? await poll("smtp-sink to store 200 messages") {
            files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return files.count >= 200
        }
        #expect(files.count == 200, "smtp-sink stored \(files.count) of 200 messages")
    }
}

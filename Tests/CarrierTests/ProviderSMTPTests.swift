import Carrier
import Foundation
import Testing

/// Each seed provider's `smtp` section, configured as a new user would (provider, credentials, and
/// the relay pointed at a local server): the reference message arrives with that provider's headers.
@Suite("Providers over SMTP", .serialized, .enabled(if: Peers.aiosmtpd, "needs Python's aiosmtpd: make test installs it"))
struct ProviderSMTPTests {
    struct Case: Sendable, CustomStringConvertible {
        var provider: String
        var credentials: String
        var settings = "{}"
        var username: String
        var password: String
        var headers: [String: String]
        var description: String { provider }
    }

    static let cases: [Case] = [
        Case(provider: "mailtrap", credentials: "{api_token: mt-smtp-token}", username: "api", password: "mt-smtp-token",
             headers: ["X-MT-Category": "order-confirmation", "X-MT-Custom-Variables": #"{"order_id":"1234","customer_id":"42"}"#]),
        Case(provider: "sendgrid", credentials: "{api_key: SG.smtp-key}", username: "apikey", password: "SG.smtp-key",
             headers: ["X-SMTPAPI": #"{"category":["order-confirmation"],"unique_args":{"order_id":"1234","customer_id":"42"}}"#]),
        Case(provider: "mailgun", credentials: "{api_key: key-1, smtp_password: mg-smtp-pass}", settings: "{domain: mg.shop.example.com}",
             username: "postmaster@mg.shop.example.com", password: "mg-smtp-pass",
             headers: ["X-Mailgun-Tag": "order-confirmation", "X-Mailgun-Variables": #"{"order_id":"1234","customer_id":"42"}"#]),
        Case(provider: "mailjet", credentials: "{api_key: mj-public, secret_key: mj-private}", username: "mj-public", password: "mj-private",
             headers: ["X-Mailjet-Campaign": "order-confirmation", "X-MJ-EventPayload": #"{"order_id":"1234","customer_id":"42"}"#]),
        Case(provider: "netcore", credentials: "{api_key: nc-1, smtp_username: nc-user, smtp_password: nc-pass}", username: "nc-user",
             password: "nc-pass", headers: ["X-APIHEADER": #"{"order_id":"1234","customer_id":"42"}"#]),
    ]

    @Test(arguments: cases)
    func referenceMessageCarriesTheProviderHeaders(_ c: Case) async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        let server = try SMTPServer(["--tls", "starttls", "--auth", "\(c.username):\(c.password)"] + cert.serverOptions)
        defer { server.stop() }
        let configuration = try Configuration.parse("""
            accounts:
              relay:
                provider: \(c.provider)
                channel: smtp
                credentials: \(c.credentials)
                settings: \(c.settings)
                smtp: {host: 127.0.0.1, port: \(server.port), ca_file: \(cert.certificate)}
            """, file: "c.yaml")
        var message = try Fixtures.referenceMessage()
        if c.provider == "netcore" {  // its relay carries neither inline images nor tags (see the test below)
            message = try Fixtures.referenceWithoutInline()
            message.tags = []
        }
        let receipt = try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(message)
        #expect(receipt.provider == c.provider && receipt.channel == .smtp)
        let received = try #require(try server.received().first)
        let parsed = try Fixtures.parseMIME(received.data)
        #expect(parsed["defects"] == [])
        for (name, value) in c.headers {
            #expect(parsed["headers"][name] == .string(value), "\(c.provider): \(name)")
        }
        #expect(parsed["headers"]["Bcc"] == .null)
        #expect(received.recipients.contains("dave@example.com"))
    }

    @Test func aRelayThatCannotCarryTagsRefusesInsteadOfDroppingThem() async throws {
        let configuration = try Configuration.parse("""
            accounts:
              nc: {provider: netcore, channel: smtp, credentials: {api_key: k-1234, smtp_username: u, smtp_password: p-1234},
                   smtp: {host: 127.0.0.1, port: \(closedPort())}}
            """, file: "c.yaml")
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry())
        let receipt = try #require(await notSent { try await mailer.send(try Fixtures.referenceWithoutInline()) })
        #expect(receipt.attempts.first?.outcome == .skipped)
        #expect(receipt.attempts.first?.error == "netcore (smtp) does not support tags")
    }

    @Test func gmailUsesXOAUTH2WithTheAPIChannelsToken() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        let tokens = try CaptureServer()
        defer { tokens.stop() }
        try await tokens.script(["/token": [Answer.json(200, .object(["access_token": "ya29.smtp-token", "expires_in": 3599]))]])
        let server = try SMTPServer(["--tls", "starttls", "--xoauth2", "orders@shop.example.com:ya29.smtp-token"] + cert.serverOptions)
        defer { server.stop() }
        let configuration = try Configuration.parse("""
            accounts:
              gmail:
                provider: gmail
                channel: smtp
                endpoint: \(tokens.url)
                credentials: {client_id: cid, client_secret: cs-1234, refresh_token: 1//rt-1234}
                settings: {user: orders@shop.example.com}
                smtp: {host: 127.0.0.1, port: \(server.port), ca_file: \(cert.certificate)}
            """, file: "c.yaml")
        let receipt = try await Mailer(configuration: configuration, registry: Fixtures.registry())
            .send(Fixtures.referenceMessage())
        let transcript = receipt.attempts[0].smtp?.transcript ?? []
        #expect(transcript.contains { $0.hasPrefix("C: AUTH XOAUTH2") })
        #expect(!transcript.joined().contains("ya29.smtp-token"))
        let parsed = try Fixtures.parseMIME(try #require(try server.received().first).data)
        #expect(parsed["headers"]["Bcc"] == .null, "the SMTP channel never writes Bcc, even for Gmail")
        #expect(parsed["headers"]["X-Carrier-Tags"] == "order-confirmation", "tags are kept, not dropped")
    }

    @Test func microsoft365SMTPUsesXOAUTH2WithAnExchangeToken() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        let tokens = try CaptureServer()
        defer { tokens.stop() }
        try await tokens.script(["/tenant-1/oauth2/v2.0/token": [Answer.json(200, .object(["access_token": "eyJ.exo-token", "expires_in": 3599]))]])
        let server = try SMTPServer(["--tls", "starttls", "--xoauth2", "orders@shop.example.com:eyJ.exo-token"] + cert.serverOptions)
        defer { server.stop() }
        let configuration = try Configuration.parse("""
            accounts:
              m365:
                provider: msgraph
                channel: smtp
                endpoint: \(tokens.url)
                credentials: {tenant_id: tenant-1, client_id: app-1, client_secret: app-secret-1}
                settings: {user: orders@shop.example.com}
                smtp: {host: 127.0.0.1, port: \(server.port), ca_file: \(cert.certificate)}
            """, file: "c.yaml")
        let receipt = try await Mailer(configuration: configuration, registry: Fixtures.registry())
            .send(Fixtures.referenceMessage())
        #expect(receipt.status == .sent)
        #expect(receipt.attempts[0].smtp?.transcript.contains { $0.hasPrefix("C: AUTH XOAUTH2") } == true)
        let form = try #require(try await tokens.requests().first).text
        #expect(form.contains("grant_type=client_credentials"))
        #expect(form.contains("scope=https%3A%2F%2Foutlook.office365.com%2F.default"), "SMTP AUTH needs an Exchange Online token: \(form)")
        #expect(try server.received().count == 1)
    }
}

import Carrier
import Foundation
import Testing

/// DKIM signing (RFC 6376, Ed25519 per RFC 8463) on every path where Carrier writes MIME, checked
/// by dkimpy — an implementation independent of Carrier's — with DNS answered from the records
/// `carrier dkim keygen` printed.
@Suite("DKIM", .serialized)
struct DKIMTests {
    /// Keys made by `carrier dkim keygen` in a folder, and the DNS records it printed.
    struct Keys {
        let folder: TemporaryFolder
        var records: [String] = []

        init() throws {
            folder = try TemporaryFolder()
            for (selector, flags) in [("rsa2026", [String]()), ("ed2026", ["--ed25519"])] {
                let made = try carrier(["dkim", "keygen", "--domain", "shop.example.com", "--selector", selector,
                                        "--out", folder.path + "/\(selector).pem"] + flags)
                guard made.status == 0 else { throw TestFailure("keygen failed: \(made.stderr)") }
                // `sel._domainkey.domain. IN TXT ( "…" "…" )`: the strings joined are the record.
                let line = try #require(made.stdout.split(separator: "\n").first { $0.contains("IN TXT") })
                let value = line.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map(\.element).joined()
                records.append("\(selector)._domainkey.shop.example.com=\(value)")
            }
        }

        func yaml(_ canonicalization: String = "relaxed/relaxed") -> String {
            """
            {keys: [{domain: shop.example.com, selector: rsa2026, private_key: {file: \(folder.path)/rsa2026.pem}},
                    {domain: shop.example.com, selector: ed2026, private_key: {file: \(folder.path)/ed2026.pem}}],
             canonicalization: \(canonicalization)}
            """
        }
    }

    /// What dkimpy makes of each signature of `mime`.
    static func verify(_ mime: Data, _ keys: Keys) throws -> [Value] {
        let result = try Fixtures.python("dkim_verify.py", keys.records, input: mime)
        guard result.status == 0 else { throw TestFailure("dkim_verify.py failed: \(result.stderr)") }
        return try JSONParser.parse(result.stdout)["signatures"].arrayValue ?? []
    }

    /// The message with a long folded UTF-8 subject, attachments and an inline image.
    static func message() throws -> Message {
        var message = try Fixtures.referenceMessage()
        message.subject = "Your order #1234 — merci ✓ — " + String(repeating: "a long subject that has to be folded ", count: 4)
        return message
    }

    static func altered(_ mime: Data, _ from: String, _ to: String) -> Data {
        Data(String(decoding: mime, as: UTF8.self).replacingOccurrences(of: from, with: to).utf8)
    }

    @Test("keygen writes 0600 keys, never over an existing one; RSA and Ed25519 signatures of an .eml verify, relaxed and simple; altered, they fail",
          arguments: ["relaxed/relaxed", "simple/simple"])
    func fileChannel(_ canonicalization: String) async throws {
        let keys = try Keys()
        defer { keys.folder.remove() }
        var info = stat()
        #expect(stat(keys.folder.path + "/rsa2026.pem", &info) == 0 && info.st_mode & 0o777 == 0o600)
        let again = try carrier(["dkim", "keygen", "--domain", "shop.example.com", "--selector", "rsa2026", "--out", keys.folder.path + "/rsa2026.pem"])
        #expect(again.status == 2 && again.stderr.contains("never overwritten"), "\(again.stderr)")

        let configuration = try Configuration.parse("""
            accounts:
              out: {provider: file, directory: \(keys.folder.path)/out, dkim: \(keys.yaml(canonicalization))}
            """, file: keys.folder.path + "/carrier.yaml")
        let receipt = try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(try Self.message())
        let path = try #require(receipt.attempts.first?.path)
        let mime = try Data(contentsOf: URL(fileURLWithPath: path))
        let signatures = try Self.verify(mime, keys)
        #expect(signatures.map { $0["a"].text } == ["rsa-sha256", "ed25519-sha256"])
        #expect(signatures.allSatisfy { $0["valid"] == true && $0["c"].text == canonicalization && $0["l"] == .null }, "\(signatures)")
        let signed = signatures.first?["h"].text.split(separator: ":").map(String.init) ?? []
        #expect(signed.filter { $0 == "from" }.count == 2, "From oversigned: \(signed)")
        #expect(["subject", "date", "message-id", "to", "mime-version", "content-type"].allSatisfy(signed.contains), "\(signed)")
        #expect(try Fixtures.parseMIME(mime)["defects"] == [], "still a clean message")

        let body = try Self.verify(Self.altered(mime, "Thanks", "Thank"), keys)
        #expect(body.count == 2 && body.allSatisfy { $0["valid"] == false }, "a changed body fails: \(body)")
        let header = try Self.verify(Self.altered(mime, "Subject: ", "Subject: Re: "), keys)
        #expect(header.allSatisfy { $0["valid"] == false }, "a changed subject fails: \(header)")
        let secondFrom = try Self.verify(Data(("From: someone@evil.example\r\n" + String(decoding: mime, as: UTF8.self)).utf8), keys)
        #expect(secondFrom.allSatisfy { $0["valid"] == false }, "a From added on top fails (oversigned): \(secondFrom)")
    }

    @Test("SMTP: the message the server received verifies; a route's dkim: signs for its accounts")
    func smtpChannel() async throws {
        let keys = try Keys()
        defer { keys.folder.remove() }
        let server = try SMTPServer()
        defer { server.stop() }
        let configuration = try Configuration.parse("""
            accounts:
              relay: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: \(server.port), tls: none}}
            routes:
              default: {accounts: [relay], dkim: \(keys.yaml())}
            """, file: keys.folder.path + "/carrier.yaml")
        _ = try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(try Self.message())
        let received = try #require(try server.received().first)
        let signatures = try Self.verify(received.data, keys)
        #expect(signatures.count == 2 && signatures.allSatisfy { $0["valid"] == true }, "\(signatures)")
    }

    @Test("A raw-MIME API (SES): the Raw.Data it posts verifies; a provider taking JSON fields is refused, naming what to do")
    func rawMIMEAPI() async throws {
        let keys = try Keys()
        defer { keys.folder.remove() }
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script(["*": [Answer.json(200, .object(["MessageId": "ses-1"]))]])
        let configuration = try Configuration.parse("""
            accounts:
              ses: {provider: ses, endpoint: "\(capture.url)", settings: {region: eu-west-1},
                    credentials: {access_key_id: AKIDEXAMPLE, secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}, dkim: \(keys.yaml())}
              grid: {provider: sendgrid, endpoint: "\(capture.url)", credentials: {api_key: SG.x-1234}, dkim: \(keys.yaml())}
            """, file: keys.folder.path + "/carrier.yaml")
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry())
        _ = try await mailer.send(try Self.message(), account: "ses")
        let body = try JSONParser.parse(Array(try #require(try await capture.requests().first).body))
        let mime = try #require(Data(base64Encoded: body["Content"]["Raw"]["Data"].text))
        let signatures = try Self.verify(mime, keys)
        #expect(signatures.count == 2 && signatures.allSatisfy { $0["valid"] == true }, "\(signatures)")

        let refused = try #require(await notSent { try await mailer.send(try Self.message(), account: "grid") })
        let error = refused.attempts.first?.error ?? ""
        #expect(error.contains("sendgrid's API takes the message as JSON fields") && error.contains("smtp channel"), "\(error)")
        #expect(try await capture.requests().count == 1, "nothing sent unsigned")
    }

    @Test("APIs that also take MIME (Mailgun messages.mime, Graph sendMail as text/plain): the signed request replaces the fields one and verifies")
    func signedRequests() async throws {
        let keys = try Keys()
        defer { keys.folder.remove() }
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script([
            "/t1/oauth2/v2.0/token": [Answer.json(200, .object(["access_token": "graph-token", "expires_in": 3599, "token_type": "Bearer"]))],
            "/v3/shop.example.com/messages.mime": [Answer.json(200, .object(["id": "<mg-1@shop.example.com>", "message": "Queued. Thank you."]))],
            "*": [Answer.text(202, "")],
        ])
        let configuration = try Configuration.parse("""
            accounts:
              mg: {provider: mailgun, endpoint: "\(capture.url)", credentials: {api_key: key-1}, settings: {domain: shop.example.com},
                   dkim: \(keys.yaml())}
              graph: {provider: msgraph, endpoint: "\(capture.url)", credentials: {tenant_id: t1, client_id: c1, client_secret: s1},
                      settings: {user: orders@shop.example.com}, dkim: \(keys.yaml())}
            """, file: keys.folder.path + "/carrier.yaml")
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry())

        let mailgun = try await mailer.send(try Self.message(), account: "mg")
        #expect(mailgun.messageIDs == ["<mg-1@shop.example.com>"])
        let form = try #require(try await capture.requests().first { $0.path.hasSuffix("/messages.mime") })
        let contentType = try #require(form.header("Content-Type"))
        let parts = try MultipartNames.parse(form.body, contentType: contentType)
        #expect(parts.filter { $0.name == "to" }.map(\.value)
                == ["Alice Able <alice@example.com>", "Bob Bäcker <bob@example.com>", "Carol Cc <carol@example.com>", "dave@example.com"])
        #expect(parts.first { $0.name == "o:tag" }?.value == "order-confirmation" && parts.first { $0.name == "v:customer_id" }?.value == "42")
        let mime = try #require(parts.first { $0.name == "message" }?.data)
        #expect(!String(decoding: mime, as: UTF8.self).contains("dave@example.com"), "Bcc is in no header of the message")
        var signatures = try Self.verify(mime, keys)
        #expect(signatures.count == 2 && signatures.allSatisfy { $0["valid"] == true }, "\(signatures)")
        signatures = try Self.verify(Self.altered(mime, "Thanks for your order", "Thanks for your ordeR"), keys)
        #expect(signatures.count == 2 && signatures.allSatisfy { $0["valid"] == false }, "altered: \(signatures)")
        let spec = try Fixtures.python("check_spec.py", [Repository.spec("mailgun-openapi.yaml"), "/v3/{domain_name}/messages.mime", "post",
                                                          "--multipart", contentType], input: form.body)
        #expect(spec.status == 0, "the multipart body does not match Mailgun's spec: \(spec.stdout) \(spec.stderr)")

        let graph = try await mailer.send(try Self.message(), account: "graph")
        #expect(graph.status == .sent && graph.attempts.last?.dropped == [], "a MIME message carries text and HTML")
        let send = try #require(try await capture.requests().first { $0.path.hasSuffix("/sendMail") })
        #expect(send.header("Content-Type") == "text/plain" && send.header("Authorization") == "Bearer graph-token")
        let raw = try #require(Data(base64Encoded: send.text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let parsed = try JSONParser.parse(try Fixtures.python("parse_mime.py", [], input: raw).stdout)
        #expect(parsed["headers"]["Bcc"] == "dave@example.com", "Graph reads Bcc from the MIME: \(parsed["headers"])")
        #expect(parsed["headers"]["X-Carrier-Tags"] == "order-confirmation")
        #expect(Set((parsed["parts"].arrayValue ?? []).map { $0["content_type"].text }).isSuperset(of: ["text/plain", "text/html"]))
        signatures = try Self.verify(raw, keys)
        #expect(signatures.count == 2 && signatures.allSatisfy { $0["valid"] == true }, "\(signatures)")
    }

    @Test("A key that cannot be used is an error naming the setting; mail from a domain no key covers is not sent unsigned")
    func badKeysAndDomains() async throws {
        let keys = try Keys()
        defer { keys.folder.remove() }
        try "not a key".write(toFile: keys.folder.path + "/bad.pem", atomically: true, encoding: .utf8)
        let configuration = try Configuration.parse("""
            accounts:
              bad: {provider: file, directory: \(keys.folder.path)/out, dkim: {domain: shop.example.com, selector: s, private_key: {file: \(keys.folder.path)/bad.pem}}}
              good: {provider: file, directory: \(keys.folder.path)/out, dkim: \(keys.yaml())}
            """, file: keys.folder.path + "/carrier.yaml")
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry())
        let unusable = try #require(await notSent { try await mailer.send(try Self.message(), account: "bad") })
        let reason = unusable.attempts.first?.error ?? ""
        #expect(reason.contains("accounts.bad.dkim.keys[0]") && reason.contains("not a PEM private key"), "\(unusable.attempts)")
        var other = try Self.message()
        other.from = Address(email: "news@other.example.org")
        let refused = try #require(await notSent { try await mailer.send(other, account: "good") })
        #expect(refused.attempts.first?.error?.contains("no DKIM key signs for other.example.org") == true, "\(refused.attempts)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: keys.folder.path + "/out")) ?? []).isEmpty)
    }
}

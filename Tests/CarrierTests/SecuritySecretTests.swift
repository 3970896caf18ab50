import Carrier
import Foundation
import Testing

/// Secrets in every form the engine produces stay out of output, and what Carrier keeps on disk
/// is readable by its owner only (issue 8, items 6 and 7).
@Suite("Security: secrets and permissions", .serialized)
struct SecuritySecretTests {
    /// Everything a user or another process could see after a run: stdout, stderr and every
    /// file under `folder` (the spool).
    static func everythingVisible(_ result: ProcessResult, folder: String) -> String {
        var text = result.stdout + result.stderr
        for name in FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [] {
            if let data = FileManager.default.contents(atPath: folder + "/" + name) { text += String(decoding: data, as: UTF8.self) }
        }
        return text
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("Basic credentials echoed by the ESP are hidden in stderr, the receipt, the log and the spool")
    func echoedBasicCredentialsAreRedacted() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let basic = Data("mj-public:mj-private-key".utf8).base64EncodedString()
        try await server.script(["*": [Answer.json(401, .object(["ErrorMessage": .string("bad header Authorization: Basic \(basic)")]))]])
        try Self.write("spool: ./spool\naccounts:\n  mj: {provider: mailjet, endpoint: \"\(server.url)\", credentials: {api_key: mj-public, secret_key: mj-private-key}}\n",
                       to: folder.path + "/carrier.yaml")
        let result = try carrier(["send", "--json", "--verbose", Repository.example("order-confirmation.json")], directory: folder.path)
        #expect(result.status == 1)
        let seen = Self.everythingVisible(result, folder: folder.path + "/spool")
        #expect(seen.contains("Authorization: ***"), "the echo is there, masked")
        #expect(!seen.contains(basic))
        #expect(!seen.contains("mj-private-key"))
    }

    @Test("Tokens obtained at run time (access and refresh) are hidden when an ESP echoes them")
    func obtainedTokensAreRedacted() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script([
            "/token": [Answer.json(200, .object(["access_token": "ya29.obtained-access", "refresh_token": "1//rotated-refresh",
                                                 "expires_in": 3599]))],
            "*": [Answer.json(400, .object(["error": .object(["message": "token ya29.obtained-access / 1//rotated-refresh is odd"])]))],
        ])
        let configuration = try Fixtures.configuration(provider: "gmail", endpoint: server.url,
            credentials: "{client_id: cid, client_secret: cs-secret-2, refresh_token: 1//rt-secret-2}")
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry())
        let receipt = try #require(await notSent { try await mailer.send(Fixtures.referenceMessage()) })
        let error = try #require(receipt.attempts.last?.error)
        #expect(error.contains("token *** / *** is odd"), "\(error)")
    }

    @Test("Error text is redacted before it is cut, so no prefix of a secret survives")
    func redactBeforeCutting() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let secret = "tok-0123456789abcdefghijklmnop"
        try await server.script(["*": [Answer.json(400, .object(["errors": .array([.string(String(repeating: "x", count: 490) + secret)])]))]])
        let config = try Fixtures.configuration(provider: "mailtrap", endpoint: server.url, credentials: "{api_token: \(secret)}")
        let mailer = Mailer(configuration: config, registry: Fixtures.registry())
        let receipt = try #require(await notSent { try await mailer.send(Fixtures.referenceMessage()) })
        let error = try #require(receipt.attempts.last?.error)
        #expect(!error.contains("tok-0123"), "a prefix of the secret was left: \(error.suffix(40))")
    }

    @Test("render hides a key after url_escape; a template error hides values derived from a secret")
    func derivedFormsAreRedacted() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("""
            schema: 1
            id: escaper
            name: Escaper
            credentials: {key: {secret: true}}
            api:
              url: "https://api.escaper.example/send?key={{ credentials.key | url_escape }}"
              auth: {none: {}}
              body: {json: {n: "{{ message.subject == 'fail' ? ((credentials.key | url_escape) | int) : 1 }}"}}
            """, to: folder.path + "/escaper.yaml")
        try Self.write("providers: [.]\naccounts:\n  e: {provider: escaper, credentials: {key: \"k+y/s=cr3t!\"}}\n", to: folder.path + "/carrier.yaml")
        let message = SecurityInputTests.base + "}"
        try Self.write(message, to: folder.path + "/m.json")
        let rendered = try carrier(["render", "m.json"], directory: folder.path)
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(rendered.stdout.contains("key=***"))
        #expect(!rendered.stdout.contains("k%2By%2Fs%3Dcr3t%21") && !rendered.stdout.contains("k+y/s=cr3t!"))
        try Self.write(message.replacingOccurrences(of: #""subject": "s""#, with: #""subject": "fail""#), to: folder.path + "/m.json")
        let failed = try carrier(["render", "m.json"], directory: folder.path)
        #expect(failed.status != 0)
        #expect(!failed.stderr.contains("k%2By%2Fs%3Dcr3t%21"), "\(failed.stderr)")
    }

    @Test("render hides a secret inside a JSON body — plain, nested in a JSON string, or holding a quote and a backslash",
          arguments: ["plain-Secret-123456", #"q"uo\\te-Secret-123456"#])
    func secretsInJSONBodies(_ secret: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("""
            schema: 1
            id: inbody
            name: In the body
            credentials: {key: {secret: true}}
            api:
              url: "https://api.inbody.example/send"
              auth: {none: {}}
              body: {json: {key: "{{ credentials.key }}", nested: "{{ {'k': credentials.key} | json }}", subject: "{{ subject }}"}}
            """, to: folder.path + "/inbody.yaml")
        try Self.write("providers: [.]\naccounts:\n  b: {provider: inbody, credentials: {key: \(JSONWriter.string(.string(secret)))}}\n",
                       to: folder.path + "/carrier.yaml")
        try Self.write(SecurityInputTests.base + "}", to: folder.path + "/m.json")
        let rendered = try carrier(["render", "m.json"], directory: folder.path)
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let body = try JSONParser.parse(rendered.stdout)["body"]
        #expect(body["key"] == "***" && body["subject"] == "s", "\(body)")
        #expect(!rendered.stdout.contains("Secret-123456"), "\(rendered.stdout)")
    }

    @Test("SMTP transcripts and replies that quote the password are redacted everywhere", .enabled(if: Peers.aiosmtpd, "needs Python's aiosmtpd: make test installs it"))
    func smtpTranscriptsAreRedacted() throws {
        let smtp = try SMTPServer(["--auth", "user:hunter2-secret", "--mail-reply", "451 4.7.1 password hunter2-secret is not welcome here"])
        defer { smtp.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("""
            spool: ./spool
            accounts:
              relay:
                provider: smtp
                channel: smtp
                credentials: {username: user, password: hunter2-secret}
                smtp: {host: 127.0.0.1, port: \(smtp.port), tls: none, allow_plaintext_auth: true}
            """, to: folder.path + "/carrier.yaml")
        let result = try carrier(["send", "--json", "--verbose", Repository.example("order-confirmation.json")], directory: folder.path)
        #expect(result.status == 1)
        #expect(result.stdout.contains("password *** is not welcome"), "\(result.stdout)")
        let shown = try carrier(["outbox", "list", "--json"], directory: folder.path)
        let id = try #require(try JSONParser.parse(shown.stdout)[0]["id"].stringValue)
        let show = try carrier(["outbox", "show", id], directory: folder.path)
        #expect(show.stdout.contains("transcript"))
        let seen = Self.everythingVisible(result, folder: folder.path + "/spool") + show.stdout + show.stderr
        #expect(!seen.contains("hunter2-secret"))
    }

    @Test("A secret of three characters is still hidden")
    func shortSecretsAreRedacted() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(401, .object(["errors": ["token Qz9 is revoked"]]))]])
        let config = try Fixtures.configuration(provider: "mailtrap", endpoint: server.url, credentials: "{api_token: Qz9}")
        let mailer = Mailer(configuration: config, registry: Fixtures.registry())
        let receipt = try #require(await notSent { try await mailer.send(Fixtures.referenceMessage()) })
        #expect(receipt.attempts.last?.error?.contains("token *** is revoked") == true)
    }

    // MARK: Medium 7 — permissions

    @Test("Spool files are 0600 in a 0700 folder; a secret file others can read is warned about")
    func spoolPermissionsAndSecretFiles() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.write("tok-in-a-file", to: folder.path + "/token")
        chmod(folder.path + "/token", 0o644)
        try Self.write("""
            spool: ./spool
            accounts:
              down: {provider: mailtrap, endpoint: "http://127.0.0.1:\(closedPort())", credentials: {api_token: {file: ./token}}}
            """, to: folder.path + "/carrier.yaml")
        let result = try carrier(["send", Repository.example("order-confirmation.json")], directory: folder.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("warning") && result.stderr.contains("token") && result.stderr.contains("chmod 600"))
        var info = stat()
        #expect(stat(folder.path + "/spool", &info) == 0 && info.st_mode & 0o777 == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/spool")
        #expect(files.count == 1 && files[0].hasSuffix(".json"), "\(files)")
        #expect(stat(folder.path + "/spool/" + files[0], &info) == 0 && info.st_mode & 0o777 == 0o600)

        chmod(folder.path + "/token", 0o600)
        let quiet = try carrier(["outbox", "list"], directory: folder.path)
        #expect(!quiet.stderr.contains("warning"))
    }
}

import Carrier
import Foundation
import Testing

/// What an account's channel can carry: render refuses what send refuses, and `ignore_unsupported`
/// sends what can be carried and lists the rest.
@Suite("Capability checks", .serialized)
struct CapabilityTests {
    // MARK: - render refuses what send refuses

    func netcoreConfiguration(_ folder: String, extra: String = "") throws -> String {
        let path = folder + "/carrier.yaml"
        try """
            accounts:
              netcore: {provider: netcore, credentials: {api_key: nc-key-1}\(extra)}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func renderRefusesAnInlineImageTheProviderCannotCarry() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try carrier(["render", "--config", netcoreConfiguration(folder), "--account", "netcore",
                                  Repository.example("order-confirmation.json")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("netcore does not support inline images"))
        #expect(result.stdout.isEmpty)
    }

    @Test func renderListsWhatTheProviderDropsByDesign() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let message = folder + "/message.json"
        try #"{"from": "shop@example.com", "to": ["alice@example.com"], "subject": "Hi", "text": "Hello", "html": "<p>Hello</p>"}"#
            .write(toFile: message, atomically: true, encoding: .utf8)
        let result = try carrier(["render", "--config", netcoreConfiguration(folder), "--account", "netcore", message])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try JSONParser.parse(result.stdout)["dropped"] == ["text part (netcore carries HTML only)"])
    }

    @Test func anSMTPRenderWithAnEmptyUsernameNamesTheMissingCredential() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let message = folder + "/message.json"
        try #"{"from": "shop@example.com", "to": ["alice@example.com"], "subject": "Hi", "html": "<p>Hello</p>"}"#
            .write(toFile: message, atomically: true, encoding: .utf8)
        let result = try carrier(["render", "--config", netcoreConfiguration(folder), "--account", "netcore", "--channel", "smtp", message])
        #expect(result.status == 2)
        #expect(result.stderr.contains("the SMTP username comes out empty; it needs the credential 'smtp_username'"))
    }

    // MARK: - ignore_unsupported

    @Test func ignoreUnsupportedSendsWhatTheProviderCarriesAndListsTheRest() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["data": .object(["message_id": "nc-9"]), "status": "success"]))]])
        let configuration = try Fixtures.configuration(provider: "netcore", endpoint: server.url, credentials: "{api_key: nc-key-1}",
                                                       extra: "    ignore_unsupported: true")
        let receipt = try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(Fixtures.referenceMessage())
        #expect(receipt.status == .sent)
        #expect(receipt.attempts[0].dropped.contains("text part (netcore carries HTML only)"))
        #expect(receipt.attempts[0].dropped.contains { $0.contains("does not support inline images") && $0.contains("left out") })
        let body = try #require(try await server.requests().first).json
        #expect(body["attachments"].arrayValue?.map { $0["name"].text } == ["invoice.pdf"])
    }

    @Test func ignoreUnsupportedStillRefusesWhatCannotBeLeftOut() async throws {
        let configuration = try Configuration.parse("""
            accounts:
              relay: {provider: smtp, channel: smtp, settings: {host: 127.0.0.1}, smtp: {port: 9, tls: none}}
            routes:
              default: {accounts: [relay], ignore_unsupported: true}
            """, file: "c.yaml")
        var message = try Fixtures.referenceMessage()
        message.template = Message.ProviderTemplate(id: "welcome")
        await #expect {
            try await Mailer(configuration: configuration).send(message)
        } throws: { error in
            guard case CarrierError.notSent(let receipt) = error else { return false }
            return receipt.attempts.first?.skipReason == .capability && receipt.attempts.first?.error == "smtp (smtp) does not support templates"
        }
    }

    @Test("cc and bcc: a provider that declares it has none refuses them, or with ignore_unsupported leaves them out and lists them")
    func copiesAreNeverDroppedSilently() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["id": "p-1"]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try """
            schema: 1
            id: plunkish
            credentials: {key: {secret: true}}
            capabilities: {cc: false, bcc: false}
            api:
              url: https://plunkish.example/send
              auth: {bearer: "{{ credentials.key }}"}
              body: {json: {to: "{{ to | pluck('email') }}", subject: "{{ subject }}"}}
              response: {success: [200], message_ids: "{{ body.id }}"}
            """.write(toFile: folder.path + "/plunkish.yaml", atomically: true, encoding: .utf8)
        let registry = ProviderRegistry.standard(extraDirectories: [folder.path])
        func mailer(ignoreUnsupported: Bool) throws -> Mailer {
            let config = try Configuration.parse("""
                accounts:
                  p: {provider: plunkish, endpoint: "\(server.url)", credentials: {key: k-1}, ignore_unsupported: \(ignoreUnsupported)}
                """, file: "carrier.yaml")
            return Mailer(configuration: config, registry: registry, logger: .silent)
        }
        let message = try Message.parse(#"{"from": "a@example.com", "to": ["b@example.com"], "cc": ["c@example.com"], "bcc": ["d@example.com"], "subject": "s", "text": "t"}"#)
        let refused = try #require(await notSent { try await mailer(ignoreUnsupported: false).send(message) })
        #expect(refused.attempts.first?.error?.contains("does not support cc") == true, "\(refused.attempts)")
        #expect(refused.attempts.first?.error?.contains("does not support bcc") == true)
        #expect(try await server.requests().isEmpty)
        let sent = try await mailer(ignoreUnsupported: true).send(message)
        #expect(sent.attempts.last?.dropped.contains { $0.contains("cc") } == true, "\(String(describing: sent.attempts.last?.dropped))")
        #expect(try await server.requests().first?.json["to"] == ["b@example.com"])
        let onlyCopies = try Message.parse(#"{"from": "a@example.com", "cc": ["c@example.com"], "subject": "s", "text": "t"}"#)
        #expect(await notSent { try await mailer(ignoreUnsupported: true).send(onlyCopies) } != nil, "copies that are every recipient are never left out")
        let matrix = try carrier(["providers", "matrix", "--json"])
        let rows = try JSONParser.parse(matrix.stdout).arrayValue ?? []
        // Every built-in carries both but the two whose APIs have no field for them (one recipient per
        // request: Loops; a copy per recipient: Plunk).
        let without = rows.filter { $0["cc"] != true || $0["bcc"] != true }.map { $0["id"].text }.sorted()
        #expect(rows.count >= 25 && without == ["loops", "plunk"], "\(without)")
        for file in try FileManager.default.contentsOfDirectory(atPath: Repository.providers) where file.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: Repository.providers + "/" + file, encoding: .utf8)
            #expect(text.contains("\n  cc: ") && text.contains("\n  bcc: "), "\(file) states its cc and bcc")
        }
    }
}

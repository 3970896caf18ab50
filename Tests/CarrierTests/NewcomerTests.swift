@testable import Carrier
import Foundation
import Testing

/// What a new user met when trying Carrier from outside: each test failed before its fix.
@Suite("What a newcomer met", .serialized)
struct NewcomerTests {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-new-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The provider ids of the repository's `providers/` folder.
    var repositoryProviderIDs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Repository.providers)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The environment of a process with no provider folder from outside.
    var cleanEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["CARRIER_PROVIDERS"] = nil
        return environment
    }

    // MARK: - Built-in providers travel with the binary

    @Test func aCopiedBinaryListsAndUsesEveryBuiltInProvider() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: Repository.binary, toPath: folder + "/carrier")
        let list = try run(folder + "/carrier", ["providers", "list", "--json"], environment: cleanEnvironment, directory: folder)
        #expect(list.status == 0, "\(list.stderr)")
        let listed = try JSONParser.parse(list.stdout).arrayValue ?? []
        #expect(listed.map { $0["id"].text }.sorted() == repositoryProviderIDs)
        #expect(listed.allSatisfy { $0["source"] == "built-in" })
        try """
            accounts:
              mailtrap: {provider: mailtrap, credentials: {api_token: mt-secret}}
            """.write(toFile: folder + "/carrier.yaml", atomically: true, encoding: .utf8)
        let rendered = try run(folder + "/carrier", ["render", "--account", "mailtrap", Repository.example("welcome.yaml")],
                               environment: cleanEnvironment, directory: folder)
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(try JSONParser.parse(rendered.stdout)["url"] == "https://send.api.mailtrap.io/api/send")
    }

    @Test func theLibraryCarriesTheBuiltInsAndAFolderOverridesOne() throws {
        let builtIn = ProviderRegistry()
        builtIn.addBuiltIns()
        #expect(builtIn.ids == repositoryProviderIDs)
        #expect(try builtIn.definition("sendgrid").origin == .builtIn)

        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = try String(contentsOfFile: Repository.providers + "/sendgrid.yaml", encoding: .utf8)
        try text.replacingOccurrences(of: "name: SendGrid", with: "name: SendGrid (ours)")
            .write(toFile: folder + "/sendgrid.yaml", atomically: true, encoding: .utf8)
        let registry = ProviderRegistry.standard(extraDirectories: [folder, folder + "/missing"])
        let sendgrid = try registry.definition("sendgrid")
        #expect(sendgrid.name == "SendGrid (ours)")
        #expect(sendgrid.origin == .file(folder + "/sendgrid.yaml"))
        #expect(try registry.definition("mailgun").origin == .builtIn)
        #expect(registry.warnings.count == 1)
        #expect(registry.warnings.first?.contains(folder + "/missing") == true)
    }

    @Test func aMissingProviderFolderIsAWarningThatNamesIt() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "providers: [./nowhere]\n".write(toFile: folder + "/carrier.yaml", atomically: true, encoding: .utf8)
        let result = try carrier(["providers", "list", "--config", folder + "/carrier.yaml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: the provider folder \(folder)/nowhere"))
    }

    // MARK: - The tests stand alone

    @Test func testsReadNothingOutsideTheRepository() throws {
        for folder in ["Tests/CarrierTests", "Tests/Support"] {
            let path = Repository.root.appendingPathComponent(folder).path
            for name in try FileManager.default.subpathsOfDirectory(atPath: path) where name.hasSuffix(".swift") || name.hasSuffix(".py") {
                let text = try String(contentsOfFile: path + "/" + name, encoding: .utf8)
                #expect(!text.contains(["shared", "specs"].joined(separator: "/")), "\(folder)/\(name) reads the specs beside the repository")
            }
        }
        for spec in ["sendgrid-tsg_mail_v3.yaml", "mailtrap-email-sending-transactional.openapi.yml"] {
            #expect(FileManager.default.fileExists(atPath: Repository.spec(spec)))
            #expect(Repository.spec(spec).hasPrefix(Repository.root.path + "/Tests/Specs/"))
        }
    }

    // MARK: - Round robin across processes

    func roundRobinConfiguration(_ folder: String, stateFile: Bool) throws -> String {
        let path = folder + "/carrier.yaml"
        try """
            accounts:
              a: {provider: file, directory: ./a}
              b: {provider: file, directory: ./b}
              c: {provider: file, directory: ./c}
            routes:
              default: {strategy: round_robin, accounts: [a, b, c]\(stateFile ? ", state_file: ./route-state.json" : "")}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func filesIn(_ folder: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".eml") }.count
    }

    @Test func roundRobinSpreadsThirtyProcessesEvenlyThroughTheStateFile() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try roundRobinConfiguration(folder, stateFile: true)
        for _ in 0..<30 {
            let result = try carrier(["send", "--config", config, Repository.example("welcome.yaml")])
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(["a", "b", "c"].map { filesIn(folder + "/" + $0) } == [10, 10, 10])
    }

    @Test func roundRobinWithoutAStateFileStartsEachProcessAtRandom() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try roundRobinConfiguration(folder, stateFile: false)
        for _ in 0..<30 {
            _ = try carrier(["send", "--config", config, Repository.example("welcome.yaml")])
        }
        let counts = ["a", "b", "c"].map { filesIn(folder + "/" + $0) }
        #expect(counts.reduce(0, +) == 30)
        #expect(counts.allSatisfy { $0 > 0 }, "every account is used: \(counts)")
    }

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

    // MARK: - Provider files as the docs describe them

    @Test func nowIsTheSendTimeAndDateTheMessageDate() throws {
        let definition = try DefinitionLoader.load(text: """
            id: clock
            api:
              url: https://clock.example.com/send
              body: {json: {now: "{{ now }}", date: "{{ date }}"}}
            """, file: "clock.yaml")
        let account = Account(name: "clock", provider: "clock", channel: .api)
        let runtime = CarrierRuntime(clock: ManualClock(now: WallTime(secondsSince1970: 1_800_000_000)))
        let setup = ChannelContext(account: account, provider: try ProviderBinding(definition: definition, account: account,
                                                                                 clock: runtime.clock, secrets: runtime.secrets),
                                 engine: runtime.engine, tokens: runtime.tokens, clock: runtime.clock, secrets: runtime.secrets)
        var message = try Fixtures.referenceMessage()
        message.date = 1_700_000_000
        let body = try APIChannel(setup).render(message, showSecrets: false)["body"]
        #expect(body["now"] == 1_800_000_000, "now is the runtime's clock")
        #expect(body["date"] == 1_700_000_000)
    }

    @Test func providersTestAcceptsAConfigurationWithOnlyProviderFolders() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: Repository.providers + "/smtp.yaml", toPath: folder + "/relay.yaml")
        let text = try String(contentsOfFile: folder + "/relay.yaml", encoding: .utf8)
        try text.replacingOccurrences(of: "id: smtp", with: "id: relay").write(toFile: folder + "/relay.yaml", atomically: true, encoding: .utf8)
        try "providers: [\(folder)]\n".write(toFile: folder + "/carrier.yaml", atomically: true, encoding: .utf8)
        let result = try carrier(["providers", "test", "--config", folder + "/carrier.yaml", "relay"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("1 passed, 0 failed"))
    }

    @Test func diagnosticsComeInLineOrderWithoutAFollowOnError() {
        #expect {
            try DefinitionLoader.load(text: """
                id: broken
                nmae: Broken
                api:
                  url: https://x.example.com/{{ settings. }}
                  body: {jsn: {subject: "{{ subject }}"}}
                """, file: "broken.yaml")
        } throws: { error in
            guard let diagnostics = (error as? DiagnosticsError)?.diagnostics else { return false }
            let lines = diagnostics.map(\.mark.line)
            return lines == lines.sorted() && lines.first == 2 && diagnostics.count == 3
                && !diagnostics.contains { $0.message.contains("no channel") }
        }
    }
}

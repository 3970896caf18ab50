@testable import Carrier
import Foundation
import Testing

/// The provider registry: built-in providers travel with the binary and the library, folders
/// override them, and provider files are checked as the docs describe them.
@Suite("Provider registry", .serialized)
struct ProviderRegistryTests {
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
        // Copied by cp, not in this process: a process other tests start at that moment would
        // inherit our open write descriptor, and running the copy would fail with "Text file busy".
        let copied = try run("/bin/cp", [Repository.binary, folder + "/carrier"], environment: cleanEnvironment, directory: folder)
        try #require(copied.status == 0, "\(copied.stderr)")
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

    // MARK: - Provider files as the docs describe them

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

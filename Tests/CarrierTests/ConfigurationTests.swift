import Carrier
import Foundation
import Testing

/// carrier.yaml as the library reads it: accounts, routes, each channel's own options, secrets
/// and state files, and the errors that point into the file.
@Suite("Configuration", .serialized)
struct ConfigurationTests {
    @Test("A route state_file that is a symlink is refused, and its target is left alone")
    func stateFileSymlinkIsRefused() throws {
        let folder = try OutboxTests.project(endpoint: "http://127.0.0.1:\(closedPort())",
                                      extra: "routes:\n  default: {accounts: [mt], state_file: ./state.json, breaker: {failures: 1}}\n")
        defer { folder.remove() }
        try "precious".write(toFile: folder.path + "/precious.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/state.json", withDestinationPath: folder.path + "/precious.txt")
        let result = try carrier(["send", try OutboxTests.message(folder, "m.json", subject: "s")], directory: folder.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("carrier.yaml:5:") && result.stderr.contains("symbolic link"), "\(result.stderr)")
        #expect(try String(contentsOfFile: folder.path + "/precious.txt", encoding: .utf8) == "precious")

        guard geteuid() == 0 else { return }  // only root can give a file away
        try FileManager.default.removeItem(atPath: folder.path + "/state.json")
        try "{}".write(toFile: folder.path + "/state.json", atomically: true, encoding: .utf8)
        try OutboxTests.giveAway(folder.path + "/state.json")
        let foreign = try carrier(["send", "m.json"], directory: folder.path)
        #expect(foreign.status == 2 && foreign.stderr.contains("belongs to another user"), "\(foreign.stderr)")
    }

    @Test("carrier.yaml refuses duplicate keys with a position, and ${PORT} works inside an endpoint")
    func configurationInput() throws {
        #expect(throws: DiagnosticsError.self) {
            try Configuration.parse("accounts:\n  a: {provider: file}\n  a: {provider: file}\n", file: "carrier.yaml")
        }
        do { _ = try Configuration.parse("accounts:\n  a: {provider: file, provider: smtp}\n", file: "carrier.yaml") } catch {
            #expect(error.description.contains("carrier.yaml:2:") && error.description.contains("duplicate key 'provider'"), "\(error)")
        }
        let config = try Configuration.parse("accounts:\n  mt: {provider: mailtrap, endpoint: \"http://127.0.0.1:${PORT}\", credentials: {api_token: t-1234}}\n",
                                             file: "carrier.yaml", environment: ["PORT": "8025"])
        #expect(try config.account(named: "mt").endpoint == "http://127.0.0.1:8025")
    }
}

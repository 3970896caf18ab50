import Carrier
import Foundation
import Testing

/// carrier.yaml as the library reads it: accounts, routes, each channel's own options, secrets
/// and state files, and the errors that point into the file.
@Suite("Configuration", .serialized)
struct ConfigurationTests {
    /// The error a configuration text is refused with ("" and an issue when it is accepted).
    func refusal(_ text: String, file: String = "c.yaml") -> String {
        do {
            _ = try Configuration.parse(text, file: file)
            Issue.record("accepted: \(text)")
            return ""
        } catch {
            return error.description
        }
    }
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

    @Test("An unknown account key is refused at file:line:col with the nearest known key")
    func unknownAccountKey() throws {
        let error = refusal("accounts:\n  mt:\n    provider: mailtrap\n    credentails: {api_token: t}\n", file: "carrier.yaml")
        #expect(error.contains("carrier.yaml:4:5"), "\(error)")
        #expect(error.contains("credentials"), "a suggestion: \(error)")
    }

    @Test("Each channel reads its own account options, whatever channel the account names; paths are the file's")
    func channelOptions() throws {
        let config = try Configuration.parse("""
            accounts:
              relay: {provider: smtp, channel: smtp, smtp: {host: mail.example.com, port: 2525, tls: none, connections: 3}}
              api: {provider: mailtrap, credentials: {api_token: t}, smtp: {host: relay.example.com}}
              out: {provider: file, directory: ./mail}
            """, file: "/etc/carrier/carrier.yaml")
        let relay = try config.account(named: "relay")
        #expect(relay.smtp?.host == "mail.example.com" && relay.smtp?.port == 2525 && relay.smtp?.tls == TLSMode.none)
        #expect(relay.smtp?.connections == 3)
        #expect(try config.account(named: "api").smtp?.host == "relay.example.com", "kept for a send that switches to smtp")
        #expect(try config.account(named: "out").directory == "/etc/carrier/mail")
        let error = refusal("accounts:\n  r: {provider: smtp, channel: smtp, smtp: {hots: x}}\n")
        #expect(error.contains("c.yaml:2:") && error.contains("host"), "\(error)")
    }

    @Test("A route names a known strategy; retry and breaker read durations")
    func routes() throws {
        let config = try Configuration.parse("""
            accounts:
              a: {provider: file, directory: ./a}
              b: {provider: file, directory: ./b}
            routes:
              default: {accounts: [a, b], retry: {attempts: 4, max_total: 2m}, breaker: {failures: 2, cooldown: 90s}}
            """, file: "carrier.yaml")
        let route = try #require(config.routes["default"])
        #expect(route.members.map(\.name) == ["a", "b"])
        #expect(route.retry.attempts == 4 && route.retry.maxTotal == 120)
        #expect(route.breaker?.failures == 2 && route.breaker?.cooldown == 90)
        let error = refusal("accounts:\n  a: {provider: file}\nroutes:\n  default: {strategy: round_robbin, accounts: [a]}\n")
        #expect(error.contains("c.yaml:4:") && error.contains("round_robin"), "\(error)")
    }

    @Test("defaultRoute (the CLI's $CARRIER_ROUTE) is the route a send takes when it names none")
    func defaultRoute() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var config = try Configuration.parse("""
            accounts:
              a: {provider: file, directory: \(folder.path)/a}
              b: {provider: file, directory: \(folder.path)/b}
            routes:
              default: {accounts: [a]}
              other: {accounts: [b]}
            """, file: "carrier.yaml")
        config.defaultRoute = "other"
        #expect(try await Mailer(configuration: config, logger: .silent).send(Fixtures.referenceMessage()).account == "b")
        config.defaultRoute = nil
        #expect(try await Mailer(configuration: config, logger: .silent).send(Fixtures.referenceMessage()).account == "a")
    }

    @Test("A journal that cannot be opened is a storage error naming its path")
    func storageErrorNamesThePath() throws {
        do {
            _ = try BulkJournal(path: "/proc/carrier-no-such-dir/journal.ndjson")
            Issue.record("the journal opened")
        } catch {
            guard case .storage(let storage) = error else { Issue.record("not a storage error: \(error)"); return }
            #expect(storage.path == "/proc/carrier-no-such-dir/journal.ndjson")
            #expect(error.description.hasPrefix("storage error: the journal at /proc/carrier-no-such-dir/journal.ndjson"), "\(error)")
        }
    }

    @Test("An endpoint written as ${EP} or ${EP:-default} is checked once the variable is filled in")
    func endpointFromTheEnvironment() throws {
        let text = "accounts:\n  a:\n    provider: mailtrap\n    endpoint: ${EP}\n    credentials: {api_token: t}\n"
            + "  b:\n    provider: mailtrap\n    endpoint: \"${EP_UNSET:-http://127.0.0.1:9}\"\n    credentials: {api_token: t}\n"
        let config = try Configuration.parse(text, file: "carrier.yaml", environment: ["EP": "http://127.0.0.1:8025"])
        #expect(try config.account(named: "a").endpoint == "http://127.0.0.1:8025")
        #expect(try config.account(named: "b").endpoint == "http://127.0.0.1:9")
        let wrong = try Configuration.parse(text, file: "carrier.yaml", environment: ["EP": "not a url"])
        #expect(throws: ConfigurationError.self) { try wrong.account(named: "a") }
    }

    @Test("A relative path above the configuration's folder is made absolute, never cut")
    func pathsAboveTheFile() throws {
        let config = try Configuration.parse("accounts:\n  out: {provider: file, directory: ../outbox}\n", file: "examples/carrier.yaml")
        #expect(try config.account(named: "out").directory == FileManager.default.currentDirectoryPath + "/outbox")
    }
}

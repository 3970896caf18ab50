import Carrier
import Foundation
import Testing

/// Routes against loopback servers that fail on cue.
@Suite("Routing, retries, breaker and spool", .serialized)
struct RoutingTests {
    let message = try! Message.parse(#"{"from": "orders@shop.example.com", "to": ["alice@example.com"], "subject": "Hi", "text": "Hello"}"#)

    /// Two SendGrid-shaped accounts on two capture servers, and whatever routes the test needs.
    func configuration(_ primary: CaptureServer, _ backup: CaptureServer, routes: String, spool: String? = nil) throws -> Configuration {
        try Configuration.parse("""
            accounts:
              primary: {provider: sendgrid, endpoint: "\(primary.url)", credentials: {api_key: SG.primary}, timeout: {total: 2}}
              backup:  {provider: mailtrap, endpoint: "\(backup.url)", credentials: {api_token: mt-backup}, timeout: {total: 2}}
            routes:
            \(routes)
            \(spool.map { "spool: \($0)" } ?? "")
            """, file: "route-test.yaml")
    }

    /// Message files with subjects "SUBJECT 0", "SUBJECT 1", …, for the command line.
    func writeMessages(_ count: Int, subject: String, into directory: String) throws -> [String] {
        try (0..<count).map { i in
            var m = message
            m.subject = "\(subject) \(i)"
            let path = directory + "/\(subject)-\(i).json"
            try JSONWriter.string(m.value).write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    static let sendgridOK = Answer.text(202, "", headers: ["X-Message-Id": "sg-ok"])
    static let mailtrapOK = Answer.json(200, .object(["success": true, "message_ids": ["mt-ok"]]))

    @Test func failsOverFromAFailingPrimaryAfterItsRetries() async throws {
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        try await primary.script(["*": [Answer.json(503, .object(["errors": .array([.object(["message": "service unavailable"])])]))]])
        try await backup.script(["*": [Self.mailtrapOK]])
        let config = try configuration(primary, backup, routes: """
              default: {strategy: failover, accounts: [primary, backup], retry: {attempts: 3, initial_delay: 10ms, max_delay: 50ms}}
            """)
        let receipt = try await Mailer(configuration: config, registry: Fixtures.registry()).send(message)
        #expect(receipt.account == "backup")
        #expect(receipt.messageIDs == ["mt-ok"])
        #expect(receipt.attempts.map(\.account) == ["primary", "primary", "primary", "backup"])
        #expect(receipt.attempts.prefix(3).allSatisfy { $0.errorClass == .retry && $0.status == 503 })
        #expect(try await primary.requests().count == 3)
    }

    @Test(.enabled(if: Peers.aiosmtpd, "needs Python's aiosmtpd: make test installs it")) func apiFailsOverToTheSMTPRelayOfTheSameProvider() async throws {
        let api = try CaptureServer()
        defer { api.stop() }
        try await api.script(["*": [Answer.json(500, .object(["errors": .array([.object(["message": "internal error"])])]))]])
        let cert = try TestCertificate()
        defer { cert.remove() }
        let smtp = try SMTPServer(["--tls", "starttls", "--auth", "apikey:SG.same-key"] + cert.serverOptions)
        defer { smtp.stop() }
        let config = try Configuration.parse("""
            accounts:
              sendgrid:      {provider: sendgrid, channel: api, endpoint: "\(api.url)", credentials: {api_key: SG.same-key}}
              sendgrid-smtp: {provider: sendgrid, channel: smtp, credentials: {api_key: SG.same-key},
                              smtp: {host: 127.0.0.1, port: \(smtp.port), ca_file: \(cert.certificate)}}
            routes:
              default: {strategy: failover, accounts: [sendgrid, sendgrid-smtp]}
            """, file: "c.yaml")
        let receipt = try await Mailer(configuration: config, registry: Fixtures.registry()).send(Fixtures.referenceMessage())
        #expect(receipt.account == "sendgrid-smtp" && receipt.channel == .smtp)
        #expect(receipt.attempts.first?.errorClass == .retry)
        #expect(try smtp.received().count == 1)
    }

    @Test func permanentFailureStopsAndIsNotSprayedAround() async throws {
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        let spool = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        try await primary.script(["*": [Answer.json(400, .object(["errors": .array([.object(["message": "The to array is invalid"])])]))]])
        try await backup.script(["*": [Self.mailtrapOK]])
        let config = try configuration(primary, backup, routes: "  default: {accounts: [primary, backup], retry: {attempts: 3}}", spool: spool)
        let mailer = Mailer(configuration: config, registry: Fixtures.registry())
        let receipt = try #require(await notSent { try await mailer.send(message) })
        #expect(receipt.attempts.count == 1)
        #expect(receipt.attempts[0].errorClass == .permanent)
        #expect(receipt.status == .failed && receipt.spoolPath == nil)
        #expect(try await backup.requests().isEmpty)
        #expect(try Spool(directory: spool).entries().entries.isEmpty)
    }

    @Test func retryAfterIsHonoured() async throws {
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        try await primary.script(["*": [Answer.json(429, .object(["errors": .array([.object(["message": "too many requests"])])]), headers: ["Retry-After": "1"]),
                                        Self.sendgridOK]])
        let config = try configuration(primary, backup, routes: "  default: {accounts: [primary, backup], retry: {attempts: 2, max_retry_after: 3s}}")
        let clock = ManualClock()
        let mailer = Mailer(configuration: config, registry: Fixtures.registry(), runtime: CarrierRuntime(clock: clock))
        let send = Task { [message] in try await mailer.send(message) }
        try await clock.sleepers(1)  // the 429 came back; the route waits for Retry-After
        clock.advance(by: .milliseconds(999))
        #expect(clock.sleeping == 1, "still waiting: Retry-After is 1 s")
        #expect(try await primary.requests().count == 1)
        clock.advance(by: .milliseconds(1))
        let receipt = try await send.value
        #expect(receipt.account == "primary")
        #expect(receipt.attempts.map(\.errorClass) == [.rateLimited, nil])
        #expect(try await backup.requests().isEmpty)
    }

    @Test func aRetryAfterLongerThanTheBudgetFailsOverAtOnce() async throws {
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        try await primary.script(["*": [Answer.json(429, .object(["errors": .array([.object(["message": "slow down"])])]), headers: ["Retry-After": "120"])]])
        try await backup.script(["*": [Self.mailtrapOK]])
        let config = try configuration(primary, backup, routes: "  default: {accounts: [primary, backup], retry: {attempts: 3, max_retry_after: 2s}}")
        // On a clock that never moves, any wait would never end: the send finishing is the proof.
        let clock = ManualClock()
        let receipt = try await Mailer(configuration: config, registry: Fixtures.registry(), runtime: CarrierRuntime(clock: clock)).send(message)
        #expect(receipt.account == "backup")
        #expect(receipt.attempts.map(\.errorClass) == [.rateLimited, nil])
    }

    @Test func roundRobinSpreadsExactlyEvenly() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Configuration.parse("""
            accounts:
              a: {provider: file, directory: \(directory)/a}
              b: {provider: file, directory: \(directory)/b}
              c: {provider: file, directory: \(directory)/c}
            routes:
              spread: {strategy: round_robin, accounts: [a, b, c]}
            """, file: "c.yaml")
        let mailer = Mailer(configuration: config, logger: .silent)
        for _ in 0..<30 { try await mailer.send(message, route: "spread") }
        for name in ["a", "b", "c"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(name)").count == 10)
        }
    }

    @Test func weightedStaysWithinTolerance() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Configuration.parse("""
            accounts:
              main: {provider: file, directory: \(directory)/main}
              new:  {provider: file, directory: \(directory)/new}
            routes:
              warmup: {strategy: weighted, accounts: {main: 90, new: 10}}
            """, file: "c.yaml")
        let mailer = Mailer(configuration: config, runtime: CarrierRuntime(random: RandomSource(seed: 17)), logger: .silent)
        for _ in 0..<1000 { try await mailer.send(message, route: "warmup") }
        let main = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/main").count
        let new = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/new").count
        #expect(main + new == 1000)
        #expect((850...950).contains(main), "90% ± 5 points, got \(main)")  // seeded: the same draws every run
    }

    @Test func breakerOpensSkipsProbesAndFailsBack() async throws {
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        try await primary.script(["*": [Answer.json(500, .object(["errors": .array([.object(["message": "down"])])]))]])
        try await backup.script(["*": [Self.mailtrapOK]])
        let config = try configuration(primary, backup, routes: """
              default: {accounts: [primary, backup], breaker: {failures: 3, cooldown: 1s}}
            """)
        let clock = ManualClock()
        let mailer = Mailer(configuration: config, registry: Fixtures.registry(), runtime: CarrierRuntime(clock: clock))
        for _ in 0..<6 { #expect(try await mailer.send(message).account == "backup") }
        #expect(try await primary.requests().count == 3, "after 3 failures the primary is skipped")
        try await primary.script(["*": [Self.sendgridOK]])  // the primary recovers
        clock.advance(by: .milliseconds(900))
        #expect(try await mailer.send(message).account == "backup", "still open within the 1 s cool-down")
        clock.advance(by: .milliseconds(200))
        let probe = try await mailer.send(message)
        #expect(probe.account == "primary", "the half-open probe goes to the primary and succeeds")
        for _ in 0..<3 { #expect(try await mailer.send(message).account == "primary") }
        #expect(try await primary.requests().count == 3 + 1 + 3)
        #expect(try await backup.requests().count == 7)
    }

    @Test func breakerStateIsSharedThroughItsFile() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        try await primary.script(["*": [Answer.json(500, .object([:]))]])
        try await backup.script(["*": [Self.mailtrapOK]])
        let configPath = directory + "/carrier.yaml"
        try """
            accounts:
              primary: {provider: sendgrid, endpoint: "\(primary.url)", credentials: {api_key: SG.primary}}
              backup:  {provider: mailtrap, endpoint: "\(backup.url)", credentials: {api_token: mt-backup}}
            routes:
              default: {accounts: [primary, backup], breaker: {failures: 2, cooldown: 60s, state_file: ./breaker.json}}
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let messagePath = directory + "/m.json"
        try JSONWriter.string(message.value).write(toFile: messagePath, atomically: true, encoding: .utf8)
        for _ in 0..<4 {  // four separate processes
            let result = try carrier(["send", "--config", configPath, messagePath])
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(try await primary.requests().count == 2, "the third and fourth processes saw the open circuit")
        #expect(FileManager.default.fileExists(atPath: directory + "/breaker.json"))
    }

    @Test func capabilitySkipsWithReasons() async throws {
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        try await primary.script(["*": [Self.sendgridOK]])
        try await backup.script(["*": [Self.mailtrapOK]])
        var tagged = message
        tagged.tags = ["one", "two"]  // Mailtrap takes one tag
        let config = try configuration(primary, backup, routes: "  default: {accounts: [backup, primary]}")
        let mailer = Mailer(configuration: config, registry: Fixtures.registry())
        let receipt = try await mailer.send(tagged)
        #expect(receipt.account == "primary")
        #expect(receipt.attempts[0].outcome == .skipped)
        #expect(receipt.attempts[0].error == "mailtrap takes at most 1 tag(s); the message has 2")
        #expect(try await backup.requests().isEmpty)

        tagged.tags = (1...11).map { "t\($0)" }  // SendGrid takes 10
        let eleven = tagged
        let refused = try #require(await notSent { try await mailer.send(eleven) })
        let reasons = refused.attempts.compactMap(\.error)
        #expect(reasons == ["mailtrap takes at most 1 tag(s); the message has 11", "sendgrid takes at most 10 tag(s); the message has 11"])
        #expect(refused.failureSummary.contains("mailtrap takes at most 1") && refused.failureSummary.contains("sendgrid takes at most 10"))
    }

    @Test func spoolOnTotalFailureThenOutboxRetryDeliversEachExactlyOnce() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        try await primary.script(["*": [Answer.json(503, .object([:]))]])
        try await backup.script(["*": [Answer.json(500, .object(["success": false, "errors": ["Retry later"]]))]])
        let configPath = directory + "/carrier.yaml"
        try """
            accounts:
              primary: {provider: sendgrid, endpoint: "\(primary.url)", credentials: {api_key: SG.primary}}
              backup:  {provider: mailtrap, endpoint: "\(backup.url)", credentials: {api_token: mt-backup}}
            routes:
              default: {accounts: [primary, backup]}
            spool: ./spool
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let paths = try writeMessages(4, subject: "message", into: directory)
        let failed = try carrier(["send", "--config", configPath] + paths)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("kept in"))
        let list = try carrier(["outbox", "list", "--config", configPath, "--json"])
        #expect(try JSONParser.parse(list.stdout).arrayValue?.count == 4)

        try await primary.script(["*": [Self.sendgridOK]])  // the provider recovers
        // Two retry processes at once: every message is sent exactly once.
        async let first = Task.detached { try carrier(["outbox", "retry", "--config", configPath]) }.value
        async let second = Task.detached { try carrier(["outbox", "retry", "--config", configPath]) }.value
        let results = try await [first, second]
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stdout))")
        let delivered = try await primary.requests().filter { $0.method == "POST" && $0.path == "/v3/mail/send" && $0.header("Authorization") != nil }
        let subjects = delivered.map { $0.json["subject"].text }
        // The first four requests were the failed sends; the recovered server got one request per message.
        let afterRecovery = Array(subjects.suffix(from: 4))
        #expect(afterRecovery.sorted() == ["message 0", "message 1", "message 2", "message 3"])
        let empty = try carrier(["outbox", "list", "--config", configPath, "--json"])
        #expect(try JSONParser.parse(empty.stdout).arrayValue?.isEmpty == true)
    }

    @Test func sigkillMidBatchLosesNoMessage() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [.object(["status": 202, "headers": .object(["X-Message-Id": "x"]), "delay": .double(0.15)])]])
        let configPath = directory + "/carrier.yaml"
        try """
            accounts:
              sg: {provider: sendgrid, endpoint: "\(server.url)", credentials: {api_key: SG.k}, concurrency: 1}
            spool: ./spool
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let paths = try writeMessages(20, subject: "batch", into: directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.binary)
        process.arguments = ["send", "--config", configPath] + paths
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill it once a few messages were accepted, whatever the machine's speed (bounded wait).
        try? await poll("four messages accepted") { try await server.requests().count >= 4 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let accepted = Set(try await server.requests().map { $0.json["subject"].text })
        let spooled = Set(try Spool(directory: directory + "/spool").entries().entries.compactMap(\.message.subject))
        let all = Set((0..<20).map { "batch \($0)" })
        #expect(accepted.count > 0 && accepted.count < 20, "the kill came mid-batch (\(accepted.count) accepted)")
        #expect(accepted.union(spooled) == all, "every message was either accepted or kept: missing \(all.subtracting(accepted.union(spooled)))")

        // What was in flight at the kill may have reached the provider: retry leaves it to an operator.
        let inFlight = try Spool(directory: directory + "/spool").entries().entries.filter { $0.state == .inFlight }.count
        let before = try await server.requests().count
        try await server.script(["*": [.object(["status": 202, "headers": .object(["X-Message-Id": "x"])])]])
        let retried = try carrier(["outbox", "retry", "--config", configPath])
        #expect(retried.stdout.components(separatedBy: ": unknown: ").count - 1 == inFlight, "\(retried.stdout)")
        #expect(try await server.requests().count - before == spooled.count - inFlight, "the unknown ones are not sent again")
        if inFlight > 0 {
            let resent = try carrier(["outbox", "retry", "--resend-unknown", "--config", configPath])
            #expect(resent.status == 0, "\(resent.stdout)\(resent.stderr)")
            #expect(try await server.requests().count - before == spooled.count)
        }
    }

    @Test("SIGTERM during send: no more input is read, the sends under way finish and are recorded, nothing is left in flight")
    func sigtermDrains() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try CaptureServer()
        defer { server.stop() }
        var held = Answer.json(202, .object([:]), headers: ["X-Message-Id": "x"]).objectValue!
        held["hold"] = 1000  // answered only when the test releases them
        try await server.script(["*": [.object(held)]])
        let configPath = directory + "/carrier.yaml"
        try """
            accounts:
              sg: {provider: sendgrid, endpoint: "\(server.url)", credentials: {api_key: SG.k}}
            spool: ./spool
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let paths = try writeMessages(40, subject: "drain", into: directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.binary)
        process.arguments = ["send", "--in-flight", "4", "--config", configPath] + paths
        let output = Pipe(), errors = directory + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: errors)
        try process.run()
        try await poll("four sends at the server") { try await server.stats().inFlight == 4 }
        kill(process.processIdentifier, SIGTERM)
        try await poll("the stop to be noticed") { ((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "").contains("stopping") }
        try await server.release()
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1)
        let requests = try await server.requests().count
        #expect(requests < 40, "input stopped being read: \(requests) sent")
        #expect(stdout.components(separatedBy: "sent via").count - 1 == requests, "every send under way finished and was reported: \(stdout)")
        let left = try Spool(directory: directory + "/spool").entries().entries
        #expect(left.allSatisfy { $0.state != .inFlight }, "nothing is left in flight: \(left.map(\.state))")
    }
}

/// The receipt of a send that must fail; records an issue when it was sent.
func notSent(_ body: () async throws -> Receipt) async -> Receipt? {
    do {
        let receipt = try await body()
        Issue.record("expected the message not to be sent, but it went via \(receipt.account ?? "?")")
        return nil
    } catch let error as CarrierError {
        guard case .notSent(let receipt) = error else {
            Issue.record("expected notSent, got \(error)")
            return nil
        }
        return receipt
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

import Logging

extension Logger {
    /// A logger that drops everything, for tests that send many messages.
    static var silent: Logger { Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }) }
}

/// A provider whose file names an idempotency header gets the same key on every attempt of a message.
@Suite("Idempotency keys")
struct IdempotencyTests {
    @Test func theSameKeyOnEveryRetry() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-idem-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            id: keyed
            credentials: {token: {secret: true}}
            api:
              url: https://api.keyed.example/send
              auth: {bearer: "{{ credentials.token }}"}
              idempotency_header: Idempotency-Key
              body: {json: {to: "{{ to | pluck('email') }}", subject: "{{ subject }}"}}
              response: {message_ids: "{{ body.id }}"}
            """.write(toFile: folder + "/keyed.yaml", atomically: true, encoding: .utf8)
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(503, .object([:])), Answer.json(502, .object([:])), Answer.json(200, .object(["id": "k-1"]))]])
        let configuration = try Configuration.parse("""
            providers: [\(folder)]
            accounts:
              keyed: {provider: keyed, endpoint: "\(server.url)", credentials: {token: tok-1234}}
            routes:
              default: {accounts: [keyed], retry: {attempts: 3, initial_delay: 10ms}}
            """, file: "c.yaml")
        let receipt = try await Mailer(configuration: configuration).send(Fixtures.referenceMessage())
        #expect(receipt.messageIDs == ["k-1"])
        let keys = try await server.requests().map { $0.header("Idempotency-Key") }
        #expect(keys.count == 3)
        #expect(Set(keys).count == 1 && keys[0] != nil, "one key for all three attempts: \(keys)")
    }
}

/// Routes across processes: a round robin shares its position through the route's state file.
@Suite("Routing across processes", .serialized)
struct RoutingProcessTests {
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
}

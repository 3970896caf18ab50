import Carrier
import Foundation
import Testing

/// Sending limits (issue 11): the per-second window spaces sends out (measured at the server),
/// and a spent daily allowance passes the account over so the route fails over.
@Suite("Rate limits", .serialized)
struct RateLimitTests {
    static let ok = Answer.json(200, .object(["success": true, "message_ids": ["m"]]))

    @Test("limits: {per_second: 5} — five sends go at once, the sixth waits a fifth of a second on the clock")
    func perSecondIsHonoured() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Self.ok]])
        let config = try Configuration.parse("""
            accounts:
              mt: {provider: mailtrap, endpoint: "\(server.url)", credentials: {api_token: tok-123456}, limits: {per_second: 5}}
            """, file: "carrier.yaml")
        let clock = ManualClock()
        let mailer = Mailer(configuration: config, registry: Fixtures.registry(), runtime: CarrierRuntime(clock: clock))
        var messages: [Message] = []
        for _ in 0..<7 { var m = try Fixtures.referenceMessage(); m.messageID = nil; messages.append(m) }
        let batch = Task { [messages] in try await mailer.send(batch: messages, inFlight: 1) }
        // A bucket of five that refills five a second: five go, then the sixth waits for a token.
        try await clock.sleepers(1)
        #expect(try await server.requests().count == 5)
        clock.advance(by: .milliseconds(150))
        #expect(clock.sleeping == 1, "a token takes 0.2 s to come back")
        clock.advance(by: .milliseconds(50))
        try await clock.sleepers(1)  // the sixth went; the seventh waits in turn
        #expect(try await server.requests().count == 6)
        clock.advance(by: .milliseconds(200))
        let results = try await batch.value
        #expect(results.allSatisfy { (try? $0.get())?.status == .sent })
        #expect(try await server.requests().count == 7)
    }

    @Test("A spent daily limit passes the account over and the route fails over; provider files declare defaults")
    func dailyLimitFailsOver() async throws {
        let primary = try CaptureServer(), backup = try CaptureServer()
        defer { primary.stop(); backup.stop() }
        try await primary.script(["*": [Self.ok]])
        try await backup.script(["*": [Self.ok]])
        let config = try Configuration.parse("""
            accounts:
              a: {provider: mailtrap, endpoint: "\(primary.url)", credentials: {api_token: tok-123456}, limits: {per_day: 3}}
              b: {provider: mailtrap, endpoint: "\(backup.url)", credentials: {api_token: tok-123456}}
            routes:
              default: {accounts: [a, b]}
            """, file: "carrier.yaml")
        let mailer = Mailer(configuration: config, registry: Fixtures.registry())
        var receipts: [Receipt] = []
        for _ in 0..<5 { receipts.append(try await mailer.send(Fixtures.referenceMessage())) }
        #expect(receipts.map { $0.account ?? "" } == ["a", "a", "a", "b", "b"])
        #expect(receipts[3].attempts.first?.skipReason?.name == "limit_spent")
        #expect(receipts[3].attempts.first?.error?.contains("limit of 3 per day is spent") == true)
        #expect(try await primary.requests().count == 3)

        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "schema: 1\nid: limited\nname: Limited\nlimits: {per_hour: 2}\napi:\n  url: https://limited.example/send\n  body: {json: {s: \"{{ subject }}\"}}\n"
            .write(toFile: folder.path + "/limited.yaml", atomically: true, encoding: .utf8)
        let registry = ProviderRegistry()
        registry.addDirectory(folder.path)
        let limited = Mailer(configuration: try Fixtures.configuration(provider: "limited", endpoint: primary.url, credentials: "{}"),
                             registry: registry)
        for _ in 0..<2 { _ = try await limited.send(Fixtures.referenceMessage()) }
        let third = try #require(await notSent { try await limited.send(Fixtures.referenceMessage()) })
        #expect(third.attempts.first?.error?.contains("limit of 2 per hour is spent") == true)
    }

    @Test("With the route's state_file, separate processes share the daily allowance")
    func limitsAreSharedAcrossProcessesThroughTheStateFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        func files(_ name: String) -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path + "/" + name)) ?? []).filter { $0.hasSuffix(".eml") }.count
        }
        func configuration(stateFile: Bool) throws -> String {
            let path = folder.path + "/carrier-\(stateFile).yaml"
            try """
                accounts:
                  a: {provider: file, directory: ./a, limits: {per_day: 2}}
                  b: {provider: file, directory: ./b}
                routes:
                  default: {accounts: [a, b]\(stateFile ? ", state_file: ./state.json" : "")}
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let shared = try configuration(stateFile: true)
        for _ in 0..<5 {
            let result = try carrier(["send", "--config", shared, Repository.example("welcome.yaml")])
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(files("a") == 2 && files("b") == 3, "the third process and after go to b: a=\(files("a")) b=\(files("b"))")
        let state = try String(contentsOfFile: folder.path + "/state.json", encoding: .utf8)
        #expect(state.contains("limits:a"))

        // Without a state file each process counts its own: every send goes to a.
        let separate = try configuration(stateFile: false)
        for _ in 0..<3 { _ = try carrier(["send", "--config", separate, Repository.example("welcome.yaml")]) }
        #expect(files("a") == 5)
    }

    @Test("limits: {batch_size, concurrency} — smaller batches, and one request at a time (measured at the server)")
    func batchSizeAndConcurrency() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        func answer(_ count: Int, delay: Double) -> Value {
            var a = Answer.json(200, .array((0..<count).map { _ in .object(["ErrorCode": 0, "Message": "OK", "MessageID": "pm-1"]) }))
            if var o = a.objectValue { o["delay"] = .double(delay); a = .object(o) }
            return a
        }
        try await server.script(["/email/batch": [answer(2, delay: 0.3)]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try """
            accounts:
              pm: {provider: postmark, endpoint: "\(server.url)", credentials: {server_token: pm-token-1}, limits: {batch_size: 2, concurrency: 1}}
            """.write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        try "from: a@shop.example.com\nsubject: Hi\ntext: t\n".write(toFile: folder.path + "/message.yaml", atomically: true, encoding: .utf8)
        try ("email\n" + (0..<6).map { "r\($0)@example.com" }.joined(separator: "\n") + "\n")
            .write(toFile: folder.path + "/list.csv", atomically: true, encoding: .utf8)
        let result = try carrier(["bulk", "--json", "message.yaml", "list.csv"], directory: folder.path)
        #expect(try JSONParser.parse(result.stdout)["sent"] == 6, "\(result.stdout)\(result.stderr)")
        let requests = try await server.requests()
        #expect(requests.count == 3 && requests.allSatisfy { ($0.json.arrayValue?.count ?? 0) == 2 }, "three batches of two")
        #expect(try await server.stats().peak == 1, "slow answers, and never two batches at the server at once")
    }
}

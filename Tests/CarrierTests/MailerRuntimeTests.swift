import Carrier
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// What a `Mailer` owns (its runtime: engine, route state, limits) and how it stops.
@Suite("Mailer runtime: owned state and shutdown")
struct MailerRuntimeTests {
    static let ok = Answer.json(200, .object(["success": true, "message_ids": ["m"]]))

    static func message(_ subject: String = "Hi") throws -> Message {
        try Message.parse(#"{"from": "orders@shop.example.com", "to": ["alice@example.com"], "subject": "\#(subject)", "text": "Hello"}"#)
    }

    /// One account named `esp` (breaker after one failure, two sends a day) and a file fallback.
    static func configuration(_ server: CaptureServer, fallback: String) throws -> Configuration {
        try Configuration.parse("""
            accounts:
              esp: {provider: mailtrap, endpoint: "\(server.url)", credentials: {api_token: tok-123456}, limits: {per_day: 2}}
              fallback: {provider: file, directory: \(fallback)}
            routes:
              default: {accounts: [esp, fallback], breaker: {failures: 1, cooldown: 1h}}
            """, file: "carrier.yaml")
    }

    @Test("Two mailers with an account of the same name share no breaker and no rate limit")
    func twoMailersShareNothing() async throws {
        let broken = try CaptureServer(), healthy = try CaptureServer()
        let folder = try TemporaryFolder()
        defer { broken.stop(); healthy.stop(); folder.remove() }
        try await broken.script(["*": [Answer.json(500, .object(["errors": ["down"]]))]])
        try await healthy.script(["*": [Self.ok]])
        let first = Mailer(configuration: try Self.configuration(broken, fallback: folder.path + "/a"), registry: Fixtures.registry(), logger: .silent)
        let second = Mailer(configuration: try Self.configuration(healthy, fallback: folder.path + "/b"), registry: Fixtures.registry(), logger: .silent)

        // The first mailer's `esp` fails once: its circuit opens, and its next send skips it.
        #expect(try await first.send(Self.message()).account == "fallback")
        let skipped = try await first.send(Self.message())
        #expect(skipped.account == "fallback")
        #expect(skipped.attempts.first?.skipReason?.isCircuitOpen == true, "\(skipped.attempts)")
        // The second mailer's `esp` is untouched: it sends, and spends its own two sends a day.
        #expect(try await second.send(Self.message()).account == "esp")
        #expect(try await second.send(Self.message()).account == "esp")
        let spent = try await second.send(Self.message())
        #expect(spent.account == "fallback", "the second mailer's daily limit of 2 is spent")
        // A third mailer on the same server still has its own two sends.
        let third = Mailer(configuration: try Self.configuration(healthy, fallback: folder.path + "/c"), registry: Fixtures.registry(), logger: .silent)
        #expect(try await third.send(Self.message()).account == "esp")
        #expect(try await broken.requests().count == 1)
        #expect(try await healthy.requests().count == 3)
    }

    @Test("A mailer in a ServiceGroup: cancelled with sends in flight, each send ends sent or ambiguous, and its thread is gone")
    func serviceGroupCancellation() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        var held = Self.ok.objectValue!
        held["hold"] = 1000  // never reached: answered only on release
        try await server.script(["/fast": [Self.ok], "*": [.object(held)]])
        let configuration = try Configuration.parse("""
            accounts:
              esp: {provider: mailtrap, endpoint: "\(server.url)", credentials: {api_token: tok-123456}}
            routes:
              default: {accounts: [esp], retry: {attempts: 1}}
            """, file: "carrier.yaml")
        let clock = ManualClock()
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry(),
                            runtime: CarrierRuntime(clock: clock, shutdownGrace: .seconds(5)), logger: .silent)
        let group = ServiceGroup(configuration: .init(services: [mailer], logger: .silent))
        let running = Task { try await group.run() }

        let sends = (0..<4).map { i in Task { try await mailer.send(Self.message("in flight \(i)")) } }
        try await poll("four sends at the server") { try await server.stats().inFlight == 4 }
        let thread = try #require(mailer.runtime.engine.threadID)
        #expect(FileManager.default.fileExists(atPath: "/proc/self/task/\(thread)"))

        running.cancel()
        try await clock.sleepers(1)  // the shutdown waits its grace period for the sends under way
        clock.advance(by: .seconds(5))
        try await running.value

        for send in sends {
            switch await send.result {
            case .success(let receipt):
                #expect(receipt.status == .sent)
            case .failure(let error as CarrierError):
                guard case .notSent(let receipt) = error else { Issue.record("unexpected \(error)"); continue }
                #expect(receipt.attempts.last?.errorClass == .ambiguous, "a request that went out is ambiguous: \(receipt.attempts)")
                #expect(receipt.possibleDuplicate)
            case .failure(let error):
                Issue.record("unexpected \(error)")
            }
        }
        #expect(mailer.runtime.engine.threadID == nil)
        // The loop says it ended just before its thread returns: the kernel lets the thread go a moment later.
        try await poll("the curl thread to end") { !FileManager.default.fileExists(atPath: "/proc/self/task/\(thread)") }
    }

    @Test("A graceful shutdown lets the sends under way finish")
    func gracefulShutdownDrains() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        var held = Self.ok.objectValue!
        held["hold"] = 1000
        try await server.script(["*": [.object(held)]])
        let configuration = try Configuration.parse("""
            accounts:
              esp: {provider: mailtrap, endpoint: "\(server.url)", credentials: {api_token: tok-123456}}
            """, file: "carrier.yaml")
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry(), runtime: CarrierRuntime(clock: ManualClock()), logger: .silent)
        let group = ServiceGroup(configuration: .init(services: [mailer], logger: .silent))
        let running = Task { try await group.run() }
        let sends = (0..<3).map { i in Task { try await mailer.send(Self.message("drain \(i)")) } }
        try await poll("three sends at the server") { try await server.stats().inFlight == 3 }
        await group.triggerGracefulShutdown()
        try await server.release()
        try await running.value
        for send in sends { #expect(try await send.value.status == .sent) }
        #expect(mailer.runtime.engine.threadID == nil)
    }
}

extension Attempt.SkipReason {
    var isCircuitOpen: Bool { if case .circuitOpen = self { true } else { false } }
}

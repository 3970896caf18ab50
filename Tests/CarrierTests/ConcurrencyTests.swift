import Carrier
import CarrierCurl
import Foundation
import Testing

/// The event loop and concurrent sending (issue 9): many sends in flight on one thread, task
/// cancellation, NDJSON streaming with receipts in the order given.
@Suite("Concurrent sending", .serialized)
struct ConcurrencyTests {
    static let ok = Answer.json(200, .object(["success": true, "message_ids": ["m"]]))

    @Test("Twenty sends to a slow server overlap instead of queueing behind one another")
    func sendsOverlap() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        // Each request is held until all twenty are in flight at once: sends queued one behind
        // another would never get there (the server gives up after 60 s and says so).
        var held = Self.ok.objectValue!
        held["hold"] = 20
        try await server.script(["*": [.object(held)]])
        let config = try Fixtures.configuration(provider: "mailtrap", endpoint: server.url, credentials: "{api_token: tok-123456}",
                                                extra: "")
        let mailer = Mailer(configuration: config, registry: Fixtures.registry())
        let messages = try (0..<20).map { i -> Message in
            var message = try Fixtures.referenceMessage()
            message.subject = "m\(i)"
            return message
        }
        let results = try await mailer.send(batch: messages)
        #expect(results.allSatisfy { (try? $0.get())?.status == .sent })
        #expect(try await server.stats().peak == 20, "all twenty were in flight at once")
        #expect(Set(try await server.requests().map { $0.json["subject"].text }) == Set((0..<20).map { "m\($0)" }))
    }

    @Test("An account's concurrency bounds its sends in flight")
    func concurrencyIsBounded() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        var slow = Self.ok.objectValue!
        slow["delay"] = .double(0.3)
        try await server.script(["*": [.object(slow)]])
        let config = try Configuration.parse("""
            accounts:
              mt: {provider: mailtrap, endpoint: "\(server.url)", credentials: {api_token: tok-123456}, concurrency: 2}
            """, file: "carrier.yaml")
        let mailer = Mailer(configuration: config, registry: Fixtures.registry())
        let message = try Fixtures.referenceMessage()
        _ = try await mailer.send(batch: Array(repeating: message, count: 6).map { var m = $0; m.messageID = nil; return m })
        #expect(try await server.stats().peak == 2, "6 slow sends, never more than two at the server at once")
    }

    @Test("Cancelling a send's task removes its transfer at once")
    func cancellationRemovesTheTransfer() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        var stuck = Self.ok.objectValue!
        stuck["delay"] = .double(10)
        try await server.script(["*": [.object(stuck)]])
        let task = Task { try await testEngine.send(CurlHTTPRequest(method: "POST", url: server.url + "/slow")) }
        try await poll("the request to reach the server") { try await server.stats().inFlight == 1 }
        task.cancel()
        let result = await task.result
        // Not cancelled, the transfer would wait the server's 10 s and end in a 200.
        #expect(throws: TransferError.self) { try result.get() }
    }

    @Test("NDJSON on standard input is streamed, and receipts come out in the order given")
    func ndjsonKeepsOrder() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        // The server hands out id-K to the K-th request it gets; the first ones answer slowly, so
        // later messages finish first and the command must hold their receipts back.
        try await server.script(["*": (0..<30).map { i -> Value in
            var answer = Answer.json(200, .object(["success": true, "message_ids": .array([.string("id-\(i)")])])).objectValue!
            answer["delay"] = .double(i < 4 ? 0.4 : 0.01)
            return .object(answer)
        }])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "accounts:\n  mt: {provider: mailtrap, endpoint: \"\(server.url)\", credentials: {api_token: tok-123456}}\n"
            .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        let lines = (0..<30).map { #"{"from": "a@example.com", "to": ["b@example.com"], "subject": "n\#($0)", "text": "t"}"# }
        let result = try carrier(["send", "--ndjson", "--in-flight", "8", "-"], input: Data((lines.joined(separator: "\n") + "\n").utf8),
                                 directory: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        let arrivals = try await server.requests().map { $0.json["subject"].text }
        let printed = result.stdout.split(separator: "\n").filter { $0.hasPrefix("sent via") }.compactMap { line in
            Int(line.split(separator: "id-").last ?? "").map { arrivals[$0] }
        }
        #expect(printed == (0..<30).map { "n\($0)" }, "receipts out of order: \(printed)")

        let broken = lines[0...2].joined(separator: "\n") + "\n{not json\n" + lines[3] + "\n"
        let mixed = try carrier(["send", "--ndjson", "-"], input: Data(broken.utf8), directory: folder.path)
        #expect(mixed.status == 2)
        #expect(mixed.stderr.contains("-:4"), "\(mixed.stderr)")
        #expect(mixed.stderr.contains("1 of 5 messages were not sent"), "\(mixed.stderr)")
    }
}

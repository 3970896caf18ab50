import Carrier
import CarrierGateway
import Foundation
import Logging
import Testing

/// The gateway's queue with an MTA's manners, on a ``ManualClock``: a failed send is deferred to
/// its backoff time and tried then, an unsent message expires at `max_age`, a permanent refusal
/// fails at once, a cancelled one is never sent; clients see only their own messages.
@Suite("Gateway queue")
struct GatewayQueueTests {
    static let ok = Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))
    static let down = Answer.json(503, .object(["errors": ["maintenance"]]))

    /// A gateway whose one account posts to the capture server; the route tries once per send.
    static func gateway(_ server: CaptureServer, folder: TemporaryFolder, clock: ManualClock, maxAge: String = "1h",
                        clients: String? = nil) throws -> Gateway {
        let yaml = """
            accounts:
              mt: {provider: mailtrap, endpoint: "\(server.url)", credentials: {api_token: tok-123456}}
            routes:
              default: {accounts: [mt], retry: {attempts: 1}}
            serve:
              http: {listen: 127.0.0.1:0}
              queue: {path: queue, max_age: \(maxAge), first_retry: 60s, max_retry_delay: 10m}
            clients:
            \(clients ?? """
              shop: {api_key: key-shop, from_domains: [shop.example.com], limits: {per_second: 2}}
              blog: {api_key: key-blog}
            """)
            """
        let configuration = try Configuration.parse(yaml, file: folder.path + "/carrier.yaml", environment: [:])
        return try Gateway(configuration: configuration, settings: try GatewayConfiguration(configuration), registry: Fixtures.registry(),
                           runtime: CarrierRuntime(clock: clock), logger: .silent)
    }

    static let message = Message(from: Address(email: "orders@shop.example.com"), to: [Address(email: "ann@example.com")],
                                 subject: "Your order", text: "On its way.")

    static func status(_ gateway: Gateway, _ id: String, is expected: QueuedMessage.Status) async throws {
        let client = try #require(gateway.client(apiKey: "key-shop"))
        try await poll("message \(id) \(expected.rawValue)", seconds: 30) { try await gateway.status(id, client: client)?.status == expected }
    }

    @Test("A send that fails for now is deferred to its backoff time on the clock, tried then, and sent")
    func deferredThenSent() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await server.script(["*": [Self.down, Self.ok]])
        let clock = ManualClock(now: WallTime(secondsSince1970: 1_800_000_000))
        let gateway = try Self.gateway(server, folder: folder, clock: clock)
        let running = Task { try await gateway.run() }
        defer { running.cancel() }
        let shop = try #require(gateway.client(apiKey: "key-shop"))
        let record = try await gateway.submit(Self.message, client: shop, intake: "http")
        #expect(record.status == .queued)
        try await Self.status(gateway, record.id, is: .deferred)
        let deferred = try #require(try await gateway.status(record.id, client: shop))
        #expect(deferred.nextAttempt == 1_800_000_060, "first retry 60 s after the failure, on the gateway's clock")
        #expect(deferred.lastError?.contains("503") == true, "\(deferred.lastError ?? "")")
        try await clock.sleepers(1)
        clock.advance(by: .seconds(59))
        #expect(try await server.requests().count == 1, "not before its time")
        clock.advance(by: .seconds(1))
        try await Self.status(gateway, record.id, is: .sent)
        let sent = try #require(try await gateway.status(record.id, client: shop))
        #expect(sent.account == "mt" && sent.providerIDs == ["mt-1"] && sent.attempts.count == 2)
        #expect(try await server.requests().count == 2)
    }

    @Test("Still unsent at max_age: expired, with the reason; a permanent refusal fails at once")
    func expiryAndPermanentFailure() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await server.script(["*": [Self.down, Self.down, Answer.json(422, .object(["errors": ["bad address"]]))]])
        let clock = ManualClock(now: WallTime(secondsSince1970: 1_800_000_000))
        let gateway = try Self.gateway(server, folder: folder, clock: clock, maxAge: "150s")
        let running = Task { try await gateway.run() }
        defer { running.cancel() }
        let shop = try #require(gateway.client(apiKey: "key-shop"))
        let record = try await gateway.submit(Self.message, client: shop, intake: "http")
        try await Self.status(gateway, record.id, is: .deferred)
        try await clock.sleepers(1)
        clock.advance(by: .seconds(60))
        // The second failure comes 60 s in; the next try would be 120 s later, past max_age (150 s).
        try await Self.status(gateway, record.id, is: .expired)
        let expired = try #require(try await gateway.status(record.id, client: shop))
        #expect(expired.lastError?.contains("max_age") == true)

        let refused = try await gateway.submit(Self.message, client: shop, intake: "http")
        try await Self.status(gateway, refused.id, is: .failed)
        #expect(try await server.requests().count == 3)
    }

    @Test("A cancelled message is never sent; clients see and cancel only their own; from domains and rates are enforced")
    func cancelAndIsolation() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await server.script(["*": [Self.down, Self.ok]])
        let clock = ManualClock(now: WallTime(secondsSince1970: 1_800_000_000))
        let gateway = try Self.gateway(server, folder: folder, clock: clock)
        let running = Task { try await gateway.run() }
        defer { running.cancel() }
        let shop = try #require(gateway.client(apiKey: "key-shop"))
        let blog = try #require(gateway.client(apiKey: "key-blog"))
        #expect(gateway.client(apiKey: "key-nobody") == nil)
        let record = try await gateway.submit(Self.message, client: shop, intake: "http")
        try await Self.status(gateway, record.id, is: .deferred)
        #expect(try await gateway.status(record.id, client: blog) == nil, "another client's message does not exist for it")
        #expect(try await gateway.cancel(record.id, client: blog) == nil)
        #expect(try await gateway.cancel(record.id, client: shop)?.status == .cancelled)
        // An hour later the cancelled message would long be due; a new message, sent in the same
        // pass of the queue, shows that it was passed over.
        clock.advance(by: .seconds(3600))
        var later = Self.message
        later.subject = "later"
        let next = try await gateway.submit(later, client: shop, intake: "http")
        try await Self.status(gateway, next.id, is: .sent)
        #expect(try await gateway.status(record.id, client: shop)?.status == .cancelled)
        #expect(try await server.requests().map { $0.json["subject"].text } == ["Your order", "later"], "the cancelled message was not tried again")
        clock.advance(by: .seconds(1))  // the client's rate bucket full again

        var foreign = Self.message
        foreign.from = Address(email: "ceo@elsewhere.example")
        await #expect(throws: SubmissionError.self) { try await gateway.submit(foreign, client: shop, intake: "http") }
        do { _ = try await gateway.submit(foreign, client: shop, intake: "http") } catch { #expect(error.kind == .senderNotAllowed && error.httpStatus == 403) }

        // per_second: 2 — the bucket refilled over the hour; two pass, the third waits half a second.
        _ = try await gateway.submit(Self.message, client: shop, intake: "http")
        _ = try await gateway.submit(Self.message, client: shop, intake: "http")
        do {
            _ = try await gateway.submit(Self.message, client: shop, intake: "http")
            Issue.record("a third message within the second was taken")
        } catch {
            #expect(error.kind == .rateLimited && error.httpStatus == 429 && error.smtpReply.hasPrefix("451 4.7.1"))
            #expect(error.retryAfter == 0.5)
        }
    }

    @Test("A restarted gateway finds its queue: what was queued is sent, what was left sending is 'unknown' (its provider keeps no idempotency key), what was sent stays sent")
    func restart() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await server.script(["*": [Self.ok]])
        let clock = ManualClock(now: WallTime(secondsSince1970: 1_800_000_000))
        let queue = try FileQueue(directory: folder.path + "/queue")
        func record(_ seed: UInt64, _ status: QueuedMessage.Status) -> QueuedMessage {
            var record = QueuedMessage(id: QueueIDs.make(now: clock.seconds, random: RandomSource(seed: seed)), client: "shop", intake: "smtp",
                                       route: nil, created: clock.seconds, message: Self.message)
            record.status = status
            return record
        }
        let stuck = record(1, .sending)  // as a gateway killed mid-send leaves it: the provider may have it
        let done = record(2, .sent), waiting = record(3, .queued)
        try await queue.enqueue(batch: [stuck, done, waiting])

        let gateway = try Self.gateway(server, folder: folder, clock: clock)
        let running = Task { try await gateway.run() }
        defer { running.cancel() }
        try await Self.status(gateway, waiting.id, is: .sent)
        try await Self.status(gateway, stuck.id, is: .unknown)
        let shop = try #require(gateway.client(apiKey: "key-shop"))
        #expect(try await gateway.status(stuck.id, client: shop)?.lastError?.contains("--resend-unknown") == true)
        #expect(try await gateway.status(done.id, client: shop)?.status == .sent)
        #expect(try await server.requests().count == 1, "only the message never tried was sent; the interrupted one is not sent twice")

        // Final records go after serve.queue.keep (7 days); what is not final stays.
        #expect(await queue.purge(finalAcceptedBefore: clock.seconds - 7 * 86_400) == 0)
        let reopened = try FileQueue(directory: folder.path + "/queue")
        #expect(await reopened.purge(finalAcceptedBefore: clock.seconds + 1) == 2)
        #expect(try await reopened.record(done.id) == nil)
        #expect(await reopened.depth().count == 1, "the unknown one waits for an operator")
        // An operator cancels it.
        #expect(try await reopened.cancel(stuck.id, now: clock.seconds)?.status == .cancelled)
    }

    @Test("The file queue's log: records across segments come back after a restart, newest first; a torn last line is not a record; an old one-file-a-message folder is moved in; purged segments go, sparse ones are compacted")
    func log() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path + "/queue"
        func segments() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".log") }.sorted() }
        let random = RandomSource(seed: 7)
        var records = (0..<40).map { n in
            QueuedMessage(id: QueueIDs.make(now: 1_800_000_000 + Double(n), random: random), client: "shop", intake: "http", route: nil,
                          created: 1_800_000_000 + Double(n), message: Self.message)
        }
        // An earlier Carrier's folder: one record a file.
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data(JSONWriter.bytes(records[0].value(includingMessage: true))).write(to: URL(fileURLWithPath: path + "/\(records[0].id).json"))
        var queue = try FileQueue(directory: path, segmentLimit: 4096)
        #expect(try await queue.record(records[0].id)?.id == records[0].id)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: path).contains { $0.hasSuffix(".json") }), "moved into the log")
        try await queue.enqueue(batch: Array(records[1...]))
        for n in 0..<40 where n % 4 != 3 {
            records[n].status = .sent
            try await queue.update(records[n])
        }
        #expect(try segments().count > 3, "the segments turn over at the limit")

        // A crash cut the last write short: the torn line is not a record, and nothing is written after it.
        let last = try #require(try segments().last)
        let handle = try #require(FileHandle(forWritingAtPath: path + "/" + last))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"id":"torn","status":"que"#.utf8))
        try handle.close()
        queue = try FileQueue(directory: path, segmentLimit: 4096)
        for record in records {
            #expect(try await queue.record(record.id)?.status == record.status)
        }
        #expect(await queue.depth().count == 10)

        // Purged: segments holding only purged lines are deleted; those mostly dead are compacted.
        let before = try segments().count
        #expect(await queue.purge(finalAcceptedBefore: 1_900_000_000) == 30)
        let after = try segments()
        #expect(after.count < before, "\(after)")
        queue = try FileQueue(directory: path, segmentLimit: 4096)
        #expect(await queue.depth().count == 10)
        for record in records where record.status == .queued {
            #expect(try await queue.record(record.id)?.status == .queued)
        }
        #expect(try await queue.record(records[0].id) == nil, "purged stays purged after a restart")
    }

    @Test("Delivery events for one message arriving at once are all kept with it (the file queue adds each to the newest record, not to a copy another event replaced)")
    func concurrentEvents() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path + "/queue"
        var record = QueuedMessage(id: QueueIDs.make(now: 1_800_000_000, random: RandomSource(seed: 3)), client: "shop", intake: "http",
                                   route: nil, created: 1_800_000_000, message: Self.message)
        record.status = .sent
        record.providerIDs = ["provider-1"]
        let queue = try FileQueue(directory: path)
        try await queue.enqueue(record)
        try await withThrowingTaskGroup(of: String?.self) { group in
            for n in 0..<64 {
                group.addTask {
                    try await queue.add(event: DeliveryEvent(event: n % 2 == 0 ? .delivered : .opened, provider: "postmark", account: "pm",
                                                             messageID: "provider-1", eventID: "event-\(n)"), receivedAt: 1_800_000_100)
                }
            }
            for try await id in group { #expect(id == record.id) }
        }
        #expect(try await queue.record(record.id)?.events.count == 64)
        #expect(try await FileQueue(directory: path).record(record.id)?.events.count == 64, "and so after a restart")
        // The same event again adds nothing.
        #expect(try await queue.add(event: DeliveryEvent(event: .delivered, provider: "postmark", account: "pm", messageID: "provider-1",
                                                         eventID: "event-0"), receivedAt: 1_800_000_200) == nil)
    }
}

import Carrier
import CarrierGateway
import CarrierPostgres
import Foundation
import Logging
import Testing

/// Where the gateway's queue is kept, for the tests that run against each.
enum QueueStore: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case files, postgres
    var testDescription: String { rawValue }
}

/// One queue under test, and how to open it again as another process would: after a restart
/// (files) or from another node (PostgreSQL).
struct QueueUnderTest: Sendable {
    let queue: any MessageQueue
    /// The same queue as a process that starts now sees it.
    let reopen: @Sendable () async throws -> any MessageQueue
    /// Seconds after which a claim of a stopped process may be taken (PostgreSQL's lease; 0 for files).
    let lease: Double
}

/// Runs `body` with a fresh queue in `store` — a folder, or a throwaway PostgreSQL server with the
/// schema migrated — and removes it afterwards.
func withQueue(_ store: QueueStore, _ body: @Sendable (QueueUnderTest) async throws -> Void) async throws {
    switch store {
    case .files:
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path + "/queue"
        try await body(QueueUnderTest(queue: try FileQueue(directory: path), reopen: { try FileQueue(directory: path) }, lease: 0))
    case .postgres:
        let server = try PostgresServer()
        defer { server.stop() }
        try await withPostgresStores(server, count: 2) { stores in
            try await stores[0].migrate()
            try await body(QueueUnderTest(queue: PostgresQueue(store: stores[0]), reopen: { PostgresQueue(store: stores[1]) }, lease: 60))
        }
    }
}

/// `count` stores on one server, as `count` nodes (each its own pool and node name), running while `body` runs.
func withPostgresStores(_ server: PostgresServer, count: Int, lease: Double = 60, _ body: @Sendable ([PostgresStore]) async throws -> Void) async throws {
    let stores = try (0..<count).map { index in
        var settings = StoreSettings(url: try PostgresURL(server.url), lease: lease, connections: 4, node: "node-\(index)")
        settings.timeout = 30  // the whole suite on two cores can hold a statement past the default 5 s
        return try PostgresStore(settings: settings, logger: .silent)
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        for store in stores { group.addTask { await store.run() } }
        defer { group.cancelAll() }
        for _ in 0..<8 { await Task.yield() }
        try await body(stores)
    }
}

/// The contract every ``MessageQueue`` keeps, run against the file queue and the PostgreSQL one.
@Suite("Queue contract (files and PostgreSQL)", .serialized)
struct QueueContractTests {
    static func record(_ n: Int, created: Double, client: String = "shop") -> QueuedMessage {
        var message = Message(from: Address(email: "orders@shop.example.com"), to: [Address(email: "ann\(n)@example.com")],
                              subject: "Order \(n) — ünïcode", text: "Line one\nLine two")
        message.messageID = "m\(n)@shop.example.com"
        return QueuedMessage(id: QueueIDs.make(now: created, random: RandomSource()), client: client, intake: "http", route: nil, created: created,
                             message: message)
    }

    static func event(_ kind: DeliveryEvent.Kind, providerID: String, id: String) -> DeliveryEvent {
        DeliveryEvent(event: kind, provider: "mailtrap", account: "mt", messageID: providerID, recipient: "ann1@example.com", eventID: id)
    }

    static let stores = QueueStore.allCases.filter { $0 == .files || PostgresServer.available }

    @Test("A record comes back as stored: its message, its client; depth and the next due time count it", arguments: stores)
    func roundTrip(_ store: QueueStore) async throws {
        try await withQueue(store) { q in
            let first = Self.record(1, created: 1_000), second = Self.record(2, created: 1_010)
            try await q.queue.enqueue(batch: [first, second])
            let read = try #require(try await q.queue.record(first.id))
            #expect(read.status == .queued && read.client == "shop" && read.created == 1_000)
            #expect(read.message.subject == "Order 1 — ünïcode" && read.message.text == "Line one\nLine two" && read.message.messageID == "m1@shop.example.com")
            #expect(read.message.to.map(\.email) == ["ann1@example.com"])
            #expect(try await q.queue.record(QueueIDs.make(now: 5, random: RandomSource())) == nil)
            let depth = await q.queue.depth()
            #expect(depth.count == 2 && depth.oldestCreated == 1_000)
            #expect(await q.queue.nextDue() == 1_000)
            // Another process sees the same.
            let other = try await q.reopen()
            #expect(try await other.record(second.id)?.message.subject == "Order 2 — ünïcode")
        }
    }

    @Test("Claims take due records oldest first, at most the limit, each once; a claimed record shows 'sending'", arguments: stores)
    func claims(_ store: QueueStore) async throws {
        try await withQueue(store) { q in
            let records = (0..<5).map { Self.record($0, created: 1_000 + Double($0)) }
            var later = Self.record(9, created: 1_000)
            later.nextAttempt = 2_000
            try await q.queue.enqueue(batch: records + [later])
            let claimed = try await q.queue.claimDue(now: 1_500, limit: 3)
            #expect(claimed.map(\.id) == records.prefix(3).map(\.id))
            #expect(claimed.allSatisfy { $0.status == .sending })
            #expect(try await q.queue.record(records[0].id)?.status == .sending)
            let rest = try await q.queue.claimDue(now: 1_500, limit: 10)
            #expect(rest.map(\.id) == records.suffix(2).map(\.id), "the not-yet-due one stays, the claimed ones are not claimed again")
            #expect(try await q.queue.claimDue(now: 2_000, limit: 10).map(\.id) == [later.id])
        }
    }

    @Test("An outcome is kept; a provider id finds its message; an event is kept once per (account, event id)", arguments: stores)
    func outcomesAndEvents(_ store: QueueStore) async throws {
        try await withQueue(store) { q in
            let record = Self.record(1, created: 1_000)
            try await q.queue.enqueue(record)
            var claimed = try #require(try await q.queue.claimDue(now: 1_000, limit: 1).first)
            claimed.status = .sent
            claimed.account = "mt"
            claimed.provider = "mailtrap"
            claimed.providerIDs = ["pid-1"]
            try await q.queue.update(claimed)
            #expect(try await q.queue.record(providerID: "pid-1")?.id == record.id)
            #expect(try await q.queue.record(providerID: "pid-2") == nil)
            #expect(try await q.queue.add(event: Self.event(.delivered, providerID: "pid-1", id: "e1"), receivedAt: 1_100) == record.id)
            #expect(try await q.queue.add(event: Self.event(.delivered, providerID: "pid-1", id: "e1"), receivedAt: 1_101) == nil, "the same event again")
            #expect(try await q.queue.add(event: Self.event(.opened, providerID: "pid-1", id: "e2"), receivedAt: 1_102) == record.id)
            #expect(try await q.queue.add(event: Self.event(.opened, providerID: "pid-9", id: "e3"), receivedAt: 1_103) == nil, "no such message")
            let shown = try #require(try await q.queue.record(record.id))
            #expect(shown.status == .sent && shown.account == "mt" && shown.providerIDs == ["pid-1"])
            #expect(shown.events.map { $0["event"].stringValue } == ["delivered", "opened"])
            #expect(await q.queue.depth().count == 0)
        }
    }

    @Test("A waiting record can be cancelled; one being sent cannot; old final records are purged", arguments: stores)
    func cancelAndPurge(_ store: QueueStore) async throws {
        try await withQueue(store) { q in
            let waiting = Self.record(1, created: 1_000), sending = Self.record(2, created: 1_001)
            try await q.queue.enqueue(batch: [waiting, sending])
            _ = try await q.queue.claimDue(now: 1_000, limit: 1)  // the older: `waiting`
            var claimedSecond = try #require(try await q.queue.claimDue(now: 1_001, limit: 1).first)
            #expect(claimedSecond.id == sending.id)
            #expect(try await q.queue.cancel(sending.id, now: 1_002)?.status == .sending, "too late")
            claimedSecond.status = .sent
            try await q.queue.update(claimedSecond)
            let third = Self.record(3, created: 1_003)
            try await q.queue.enqueue(third)
            #expect(try await q.queue.cancel(third.id, now: 1_004)?.status == .cancelled)
            #expect(try await q.queue.claimDue(now: 5_000, limit: 10).isEmpty, "a cancelled record is not sent")
            #expect(await q.queue.purge(finalAcceptedBefore: 1_002) == 1, "the sent one, accepted at 1,001")
            #expect(try await q.queue.record(sending.id) == nil)
            #expect(try await q.queue.record(third.id)?.status == .cancelled)
        }
    }

    @Test("A record a stopped process was sending is found by the next one (after its lease), once", arguments: stores)
    func abandonedClaims(_ store: QueueStore) async throws {
        try await withQueue(store) { q in
            let record = Self.record(1, created: 1_000), untouched = Self.record(2, created: 1_001)
            try await q.queue.enqueue(batch: [record, untouched])
            _ = try await q.queue.claimDue(now: 1_000, limit: 1)
            // The claimer stops without an outcome; another process opens the queue.
            let next = try await q.reopen()
            if q.lease > 0 {
                #expect(try await next.abandoned(now: 1_000 + q.lease - 1).isEmpty, "its lease still holds")
            }
            let found = try await next.abandoned(now: 1_000 + q.lease + 1)
            #expect(found.map(\.id) == [record.id])
            #expect(try await next.abandoned(now: 1_000 + q.lease + 2).isEmpty, "taken once")
            #expect(try await next.claimDue(now: 1_000 + q.lease + 2, limit: 10).map(\.id) == [untouched.id], "never claimed as if unsent")
        }
    }
}

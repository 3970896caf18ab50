import Carrier
import CarrierGateway
import Foundation
import Logging
import PostgresNIO

/// The gateway's queue in PostgreSQL, shared by every node that names the same `store:`. A
/// submission is acknowledged once its `INSERT` committed (durable under PostgreSQL's default
/// `synchronous_commit`). Nodes claim due messages with `FOR UPDATE SKIP LOCKED` and a lease
/// (`locked_until`, `node`): a node that stops mid-send leaves its lease to expire, and another
/// node then takes the message as ``abandoned(now:)``. `NOTIFY carrier_queue` after each
/// submission wakes idle nodes (``watch(_:)``).
public final class PostgresQueue: MessageQueue {
    public let store: PostgresStore
    var client: PostgresClient { store.client }
    var node: String { store.settings.node }
    var lease: Double { store.settings.lease }
    static let channel = "carrier_queue"
    static let final = "('sent', 'failed', 'expired', 'cancelled')"

    public init(store: PostgresStore) {
        self.store = store
    }

    /// Other nodes change the queue too: the gateway looks again at least this often (seconds).
    public var pollInterval: Double? { 5 }

    /// Reads a stored record; its `status` column wins over the JSON's (a claim changes only the column).
    private func decode(status: String, record text: String, events: String? = nil) throws(StorageError) -> QueuedMessage {
        do {
            var value = try JSONParser.parse(Array(text.utf8))
            if let events, case .object(var object) = value {
                let list = try JSONParser.parse(Array(events.utf8))
                if list.arrayValue?.isEmpty == false { object["events"] = list }
                value = .object(object)
            }
            var record = try QueuedMessage(stored: value)
            if let status = QueuedMessage.Status(rawValue: status) { record.status = status }
            return record
        } catch {
            throw StorageError("the database", path: store.settings.url.description, reason: "a queue record cannot be read: \(error)")
        }
    }

    /// Rows of (status, record) read as records.
    private func records(_ query: PostgresQuery, _ what: String) async throws(StorageError) -> [QueuedMessage] {
        var out: [QueuedMessage] = []
        for row in try await store.rows(query, what) {
            let (status, text) = try store.decode(row, as: (String, String).self, what)
            out.append(try decode(status: status, record: text))
        }
        return out
    }

    private func run(_ query: PostgresQuery, _ what: String) async throws(StorageError) {
        _ = try await store.rows(query, what)
    }

    private static func text(_ record: QueuedMessage) -> String {
        var stored = record
        stored.events = []  // events live in carrier_events, joined when the record is read
        return JSONWriter.string(stored.value(includingMessage: true))
    }

    // MARK: MessageQueue

    public func enqueue(_ record: QueuedMessage) async throws(StorageError) {
        try await enqueue(batch: [record])
    }

    public func enqueue(batch records: [QueuedMessage]) async throws(StorageError) {
        guard !records.isEmpty else { return }
        let ids = records.map(\.id), clients = records.map(\.client), statuses = records.map(\.status.rawValue)
        let created = records.map(\.created), next = records.map(\.nextAttempt)
        let messageIDs = records.map { $0.message.messageID ?? "" }, texts = records.map(Self.text)
        // One statement: every row or none, and the notification sent when it commits.
        try await run("""
            WITH added AS (
                INSERT INTO carrier_messages (id, client, status, created, next_attempt, message_id, record)
                SELECT i, c, s, t, n, nullif(m, ''), r::json
                FROM unnest(\(ids)::text[], \(clients)::text[], \(statuses)::text[], \(created)::float8[], \(next)::float8[],
                            \(messageIDs)::text[], \(texts)::text[]) AS x(i, c, s, t, n, m, r)
                RETURNING 1)
            SELECT pg_notify('\(unescaped: Self.channel)', count(*)::text) FROM added
            """, "the messages could not be stored")
    }

    public func record(_ id: String) async throws(StorageError) -> QueuedMessage? {
        let what = "the message could not be read"
        guard let row = try await store.rows("""
            SELECT m.status, m.record::text,
                   (SELECT coalesce(json_agg(e.event ORDER BY e.received), '[]'::json)::text
                      FROM carrier_provider_ids p JOIN carrier_events e ON e.provider_message_id = p.provider_id
                     WHERE p.message = m.id)
            FROM carrier_messages m WHERE m.id = \(id)
            """, what).first else { return nil }
        let (status, text, events) = try store.decode(row, as: (String, String, String).self, what)
        return try decode(status: status, record: text, events: events)
    }

    public func claimDue(now: Double, limit: Int) async throws(StorageError) -> [QueuedMessage] {
        try await records("""
            UPDATE carrier_messages m SET status = 'sending', locked_until = \(now + lease), node = \(node)
            FROM (SELECT id FROM carrier_messages
                   WHERE status IN ('queued', 'deferred') AND next_attempt <= \(now)
                   ORDER BY next_attempt LIMIT \(limit) FOR UPDATE SKIP LOCKED) due
            WHERE m.id = due.id
            RETURNING m.status, m.record::text
            """, "due messages could not be claimed")
    }

    public func update(_ record: QueuedMessage) async throws(StorageError) {
        let providerIDs = record.providerIDs
        try await run("""
            WITH changed AS (
                UPDATE carrier_messages SET status = \(record.status.rawValue), next_attempt = \(record.nextAttempt),
                       locked_until = NULL, node = NULL, message_id = \(record.message.messageID), record = \(Self.text(record))::json
                WHERE id = \(record.id) RETURNING id)
            INSERT INTO carrier_provider_ids (provider_id, message)
            SELECT p, changed.id FROM changed, unnest(\(providerIDs)::text[]) AS p
            ON CONFLICT (provider_id) DO UPDATE SET message = EXCLUDED.message
            """, "the message's state could not be written")
    }

    public func cancel(_ id: String, now: Double) async throws(StorageError) -> QueuedMessage? {
        // Only a message no node is sending: the status changes in the same statement that checks it.
        try await run("""
            UPDATE carrier_messages SET status = 'cancelled', locked_until = NULL, node = NULL
            WHERE id = \(id) AND status IN ('queued', 'deferred', 'unknown')
            """, "the message could not be cancelled")
        return try await record(id)
    }

    public func record(providerID: String) async throws(StorageError) -> QueuedMessage? {
        let what = "the message could not be found"
        guard let row = try await store.rows("SELECT message FROM carrier_provider_ids WHERE provider_id = \(providerID)", what).first else { return nil }
        return try await record(try store.decode(row, as: String.self, what))
    }

    public func add(event: DeliveryEvent, receivedAt now: Double) async throws(StorageError) -> String? {
        let what = "the delivery event could not be stored"
        // Kept once per (account, event id): a provider's retried webhook adds nothing.
        guard let row = try await store.rows("""
            WITH added AS (
                INSERT INTO carrier_events (account, event_id, provider_message_id, received, event)
                VALUES (\(event.account), \(event.eventID), \(event.messageID), \(now), \(JSONWriter.string(event.value))::json)
                ON CONFLICT (account, event_id) DO NOTHING RETURNING provider_message_id)
            SELECT p.message FROM added JOIN carrier_provider_ids p ON p.provider_id = added.provider_message_id
            """, what).first else { return nil }
        return try store.decode(row, as: String.self, what)
    }

    public func depth() async -> (count: Int, oldestCreated: Double?) {
        let what = "the queue's depth could not be read"
        do {
            guard let row = try await store.rows("""
                SELECT count(*), min(created) FROM carrier_messages WHERE status IN ('queued', 'deferred', 'sending', 'unknown')
                """, what).first else { return (0, nil) }
            let (count, oldest) = try store.decode(row, as: (Int, Double?).self, what)
            return (count, oldest)
        } catch {
            store.logger.warning("queue depth not read", metadata: ["error": "\(error)"])
            return (0, nil)
        }
    }

    public func nextDue() async -> Double? {
        let what = "the next due time could not be read"
        do {
            guard let row = try await store.rows("""
                SELECT least((SELECT min(next_attempt) FROM carrier_messages WHERE status IN ('queued', 'deferred')),
                             (SELECT min(locked_until) FROM carrier_messages WHERE status = 'sending'))
                """, what).first else { return nil }
            return try store.decode(row, as: Double?.self, what)
        } catch {
            store.logger.warning("next due time not read", metadata: ["error": "\(error)"])
            return nil
        }
    }

    public func checkWritable() async throws(StorageError) {
        let what = "the database cannot be reached"
        if let row = try await store.rows("SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'", what).first,
           try store.decode(row, as: Bool.self, what) {
            throw StorageError("the database", path: store.settings.url.description, reason: "the server is read-only (a standby?)",
                               hint: "point store: at the primary")
        }
        try await store.checkSchema()
    }

    public func purge(finalAcceptedBefore created: Double) async -> Int {
        let what = "old records could not be removed"
        do {
            guard let row = try await store.rows("""
                WITH gone AS (DELETE FROM carrier_messages WHERE status IN \(unescaped: Self.final) AND created < \(created) RETURNING 1)
                SELECT count(*) FROM gone
                """, what).first else { return 0 }
            return try store.decode(row, as: Int.self, what)
        } catch {
            store.logger.warning("old records not removed", metadata: ["error": "\(error)"])
            return 0
        }
    }

    public func abandoned(now: Double) async throws(StorageError) -> [QueuedMessage] {
        try await records("""
            UPDATE carrier_messages m SET locked_until = \(now + lease), node = \(node)
            FROM (SELECT id FROM carrier_messages WHERE status = 'sending' AND locked_until < \(now)
                   ORDER BY locked_until LIMIT 100 FOR UPDATE SKIP LOCKED) gone
            WHERE m.id = gone.id
            RETURNING m.status, m.record::text
            """, "abandoned messages could not be claimed")
    }

    /// Calls `wake` on every `NOTIFY carrier_queue` (a node queued messages) until cancelled; on a
    /// lost connection, listens again after a pause (1 s, doubling to 30 s).
    public func watch(clock: any WallClock, _ wake: @escaping @Sendable () -> Void) async {
        var pause = 1.0
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        pause = 1
                        wake()  // anything queued while no one listened
                        for try await _ in notifications { wake() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                store.logger.warning("not listening for new messages; trying again", metadata: ["error": "\(store.failure("LISTEN", error))",
                                                                                                 "in_seconds": "\(pause)"])
            }
            try? await clock.sleep(until: WallTime(secondsSince1970: clock.seconds + pause), tolerance: nil)
            pause = min(30, pause * 2)
        }
    }
}

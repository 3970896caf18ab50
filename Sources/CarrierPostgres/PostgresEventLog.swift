import Carrier
import Foundation
import PostgresNIO

/// Delivery events in PostgreSQL (`carrier_events`), for `carrier events serve` with `store:`:
/// kept once per (account, event id) — a provider's retried webhook adds nothing — and joined to
/// the gateway's messages by provider message id. Committed before the webhook is answered.
public struct PostgresEventLog: EventStore {
    public let store: PostgresStore
    let clock: any WallClock

    public init(store: PostgresStore, clock: any WallClock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    public func append(_ events: [DeliveryEvent]) async throws -> (written: Int, repeated: Int) {
        guard !events.isEmpty else { return (0, 0) }
        let accounts = events.map(\.account), ids = events.map(\.eventID), messages = events.map { $0.messageID ?? "" }
        let texts = events.map { JSONWriter.string($0.value) }
        let added = try await store.rows("""
            INSERT INTO carrier_events (account, event_id, provider_message_id, received, event)
            SELECT a, i, nullif(m, ''), \(clock.seconds), e::json FROM unnest(\(accounts)::text[], \(ids)::text[], \(messages)::text[], \(texts)::text[]) AS x(a, i, m, e)
            ON CONFLICT (account, event_id) DO NOTHING RETURNING 1
            """, "the delivery events could not be stored")
        return (added.count, events.count - added.count)
    }
}

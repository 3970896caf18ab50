/// Where verified delivery events are kept, each once: an NDJSON file (``EventLog``) or the shared
/// store's `carrier_events` table (`store:` PostgreSQL). A webhook is answered 2xx only after
/// ``append(_:)`` returned.
public protocol EventStore: Sendable {
    /// Keeps the events not kept before; returns how many were new and how many repeats.
    func append(_ events: [DeliveryEvent]) async throws -> (written: Int, repeated: Int)
}

extension EventLog: EventStore {}

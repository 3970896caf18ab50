import Carrier

/// Where the gateway keeps what it accepted until it is sent, and what became of it. A submission
/// is acknowledged only after ``enqueue(_:)`` returns: the record is durable by then.
///
/// ``FileQueue`` keeps them in a folder (an append-only log); a database can keep them for several machines.
public protocol MessageQueue: Sendable {
    /// Stores a new record durably (fsync'd) before it returns.
    func enqueue(_ record: QueuedMessage) async throws(StorageError)
    /// Stores several records; all are durable when it returns.
    func enqueue(batch records: [QueuedMessage]) async throws(StorageError)
    /// A record, or nil when there is none with that id.
    func record(_ id: String) async throws(StorageError) -> QueuedMessage?
    /// Records due at `now` (queued, or deferred with `nextAttempt` passed), oldest first, now
    /// marked `sending` durably (a send that may have gone out is never taken for one that did
    /// not); at most `limit`.
    func claimDue(now: Double, limit: Int) async throws(StorageError) -> [QueuedMessage]
    /// Writes a record's new state.
    func update(_ record: QueuedMessage) async throws(StorageError)
    /// Cancels a record that was not sent yet; gives the record as it now stands (nil: no such id).
    func cancel(_ id: String, now: Double) async throws(StorageError) -> QueuedMessage?
    /// The record whose provider gave this message id, if any (for delivery events).
    func record(providerID: String) async throws(StorageError) -> QueuedMessage?
    /// Keeps a delivery event with the message its provider id names; gives that message's id
    /// (nil: no such message, or this event was kept already).
    func add(event: DeliveryEvent, receivedAt now: Double) async throws(StorageError) -> String?
    /// Messages not final yet, and when the oldest of them was accepted.
    func depth() async -> (count: Int, oldestCreated: Double?)
    /// When the next not-final record is due, if any.
    func nextDue() async -> Double?
    /// Throws unless a record can be written now (for `/ready`).
    func checkWritable() async throws(StorageError)
    /// Forgets final records (sent, failed, expired, cancelled) accepted before `created`; how many.
    func purge(finalAcceptedBefore created: Double) async -> Int
    /// Records left `sending` by a gateway that stopped (this one before a restart, or another
    /// node whose lease ran out), now held by this one. Their send may have reached the provider:
    /// the gateway sends them again only where the provider drops duplicates, and marks the
    /// others `unknown` for an operator (docs/serve.md).
    func abandoned(now: Double) async throws(StorageError) -> [QueuedMessage]
    /// Calls `wake` whenever another process queued messages, until cancelled (a shared queue).
    func watch(clock: any WallClock, _ wake: @escaping @Sendable () -> Void) async
    /// For a queue other processes change too: how often (seconds) to look again without a wake.
    var pollInterval: Double? { get }
}

extension MessageQueue {
    public func watch(clock: any WallClock, _ wake: @escaping @Sendable () -> Void) async {}
    public var pollInterval: Double? { nil }

    public func enqueue(batch records: [QueuedMessage]) async throws(StorageError) {
        for record in records { try await enqueue(record) }
    }

    /// The domain the message an event is about was sent from, when this queue holds it
    /// (`suppressions: {scope: sending_domain}`).
    public func sendingDomain(of event: DeliveryEvent) async -> String? {
        guard let id = event.messageID, let record = try? await record(providerID: id) else { return nil }
        let domain = record.message.from.domain.lowercased()
        return domain.isEmpty ? nil : domain
    }
}

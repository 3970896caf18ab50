/// Turns delivery events into suppression-list entries: a hard bounce, a complaint or an
/// unsubscribe adds the recipient (for every sending domain, with the event and the account it
/// came through); soft bounces are counted, and `softBounceLimit` of them count as a hard one.
/// Only Carrier sees the bounces of every ESP a route fails over between, so an address that
/// bounced at one is not mailed through the next.
public struct SuppressionRecorder: Sendable {
    public let store: any SuppressionStore
    /// Soft bounces that suppress an address (0: never).
    public let softBounceLimit: Int
    let clock: any WallClock

    public init(store: any SuppressionStore, softBounceLimit: Int = 3, clock: any WallClock = SystemClock()) {
        self.store = store
        self.softBounceLimit = softBounceLimit
        self.clock = clock
    }

    /// Records what the events say; returns the entries added.
    @discardableResult
    public func record(_ events: [DeliveryEvent]) async throws(StorageError) -> [Suppression] {
        var entries: [Suppression] = []
        let now = clock.seconds
        for event in events {
            guard let recipient = event.recipient, !recipient.isEmpty else { continue }
            let reason: Suppression.Reason
            switch event.event {
            case .bounced where event.bounce?.lowercased() == "soft", .deferred where event.bounce?.lowercased() == "soft":
                let count = try await store.countSoftBounce(recipient, scope: Suppression.everyDomain, at: now)
                guard softBounceLimit > 0, count >= softBounceLimit else { continue }
                reason = .bounced
            case .bounced: reason = .bounced
            case .complained: reason = .complained
            case .unsubscribed: reason = .unsubscribed
            default: continue
            }
            entries.append(Suppression(address: recipient, reason: reason, source: event.account, event: event.value, created: now))
        }
        if !entries.isEmpty { try await store.add(entries) }
        return entries
    }
}

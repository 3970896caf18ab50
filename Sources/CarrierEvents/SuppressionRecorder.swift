/// Turns delivery events into suppression-list entries: a hard bounce, a complaint or an
/// unsubscribe adds the recipient (for every sending domain, with the event and the account it
/// came through); soft bounces are counted, and `softBounceLimit` of them count as a hard one.
/// Only Carrier sees the bounces of every ESP a route fails over between, so an address that
/// bounced at one is not mailed through the next.
public struct SuppressionRecorder: Sendable {
    public let store: any SuppressionStore
    /// Soft bounces that suppress an address (0: never).
    public let softBounceLimit: Int
    /// The domain an event's message was sent from, where it can be found (the gateway's queue):
    /// entries are then for that domain only (`suppressions: {scope: sending_domain}`); nil, or a
    /// message not found, suppresses for every domain.
    public let sendingDomain: (@Sendable (DeliveryEvent) async -> String?)?
    let clock: any WallClock

    public init(store: any SuppressionStore, softBounceLimit: Int = 3, clock: any WallClock = SystemClock(),
                sendingDomain: (@Sendable (DeliveryEvent) async -> String?)? = nil) {
        self.store = store
        self.softBounceLimit = softBounceLimit
        self.clock = clock
        self.sendingDomain = sendingDomain
    }

    /// Records what the events say; returns the entries added.
    @discardableResult
    public func record(_ events: [DeliveryEvent]) async throws(StorageError) -> [Suppression] {
        var entries: [Suppression] = []
        let now = clock.seconds
        for event in events {
            guard let recipient = event.recipient, !recipient.isEmpty, let effect = Self.effect(of: event) else { continue }
            let scope = await sendingDomain?(event) ?? Suppression.everyDomain
            if effect.softBounce {
                let count = try await store.countSoftBounce(recipient, scope: scope, at: now)
                guard softBounceLimit > 0, count >= softBounceLimit else { continue }
            }
            entries.append(Suppression(address: recipient, reason: effect.reason, scope: scope, source: event.account, event: event.value, created: now))
        }
        if !entries.isEmpty { try await store.add(entries) }
        return entries
    }

    /// What an event means for the list: a reason, and whether it is a soft bounce that only counts
    /// towards `softBounceLimit`.
    static func effect(of event: DeliveryEvent) -> (reason: Suppression.Reason, softBounce: Bool)? {
        let soft = event.bounce?.lowercased() == "soft"
        switch event.event {
        case .bounced: return (.bounced, soft)
        case .deferred where soft: return (.bounced, true)
        case .complained: return (.complained, false)
        case .unsubscribed: return (.unsubscribed, false)
        default: return nil
        }
    }
}

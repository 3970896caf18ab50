import Foundation

/// How many sends an account may make per second, minute, hour and day, how many it may have in
/// flight at once, and how many messages go in one batch request (`limits:` in a provider file as
/// the ESP's defaults, in an account to override them).
public struct RateLimits: Sendable, Equatable {
    public var perSecond: Int?
    public var perMinute: Int?
    public var perHour: Int?
    public var perDay: Int?
    /// Sends in flight at once (`concurrency`); an account's own `concurrency:` comes first.
    public var concurrency: Int?
    /// Messages in one batch request (`batch_size`), at most the endpoint's own size.
    public var batchSize: Int?

    public init(perSecond: Int? = nil, perMinute: Int? = nil, perHour: Int? = nil, perDay: Int? = nil,
                concurrency: Int? = nil, batchSize: Int? = nil) {
        self.perSecond = perSecond
        self.perMinute = perMinute
        self.perHour = perHour
        self.perDay = perDay
        self.concurrency = concurrency
        self.batchSize = batchSize
    }

    /// No window to count sends in (concurrency and batch size are applied elsewhere).
    public var isEmpty: Bool { perSecond == nil && perMinute == nil && perHour == nil && perDay == nil }

    /// The account's limits written over the provider's, key by key.
    package func overridden(by account: RateLimits?) -> RateLimits {
        guard let account else { return self }
        return RateLimits(perSecond: account.perSecond ?? perSecond, perMinute: account.perMinute ?? perMinute,
                          perHour: account.perHour ?? perHour, perDay: account.perDay ?? perDay,
                          concurrency: account.concurrency ?? concurrency, batchSize: account.batchSize ?? batchSize)
    }

    /// Reads `limits: {per_second, per_minute, per_hour, per_day, concurrency, batch_size}`; problems go to the reader.
    package static func read(_ r: NodeReader) -> RateLimits {
        func positive(_ key: String) -> Int? {
            guard let value = r.int(key) else { return nil }
            if value < 1, let node = r.node(key) { r.error(node, "'\(key)' must be at least 1"); return nil }
            return value
        }
        let limits = RateLimits(perSecond: positive("per_second"), perMinute: positive("per_minute"),
                                perHour: positive("per_hour"), perDay: positive("per_day"),
                                concurrency: positive("concurrency"), batchSize: positive("batch_size"))
        r.finish()
        return limits
    }
}

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
    func overridden(by account: RateLimits?) -> RateLimits {
        guard let account else { return self }
        return RateLimits(perSecond: account.perSecond ?? perSecond, perMinute: account.perMinute ?? perMinute,
                          perHour: account.perHour ?? perHour, perDay: account.perDay ?? perDay,
                          concurrency: account.concurrency ?? concurrency, batchSize: account.batchSize ?? batchSize)
    }

    /// Reads `limits: {per_second, per_minute, per_hour, per_day, concurrency, batch_size}`; problems go to the reader.
    static func read(_ r: NodeReader) -> RateLimits {
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

/// Token buckets for one account: the short windows (second, minute) make a send wait for its
/// token; the long ones (hour, day) do not wait — a spent hourly or daily allowance passes the
/// account over, so the route fails over to the next. Kept by the process, or — when the route
/// has a `state_file` — in that file, so every process sending through the route shares them.
/// Time is read, and waited for, on the runtime's clock.
actor RateLimiter {
    struct Bucket: Sendable {
        var capacity: Double
        var tokens: Double
        var perSecond: Double
        var updated: Double
        var window: String
    }
    private var buckets: [Bucket]
    private let clock: any WallClock

    init(_ limits: RateLimits, clock: any WallClock) {
        self.clock = clock
        let now = clock.seconds
        var buckets: [Bucket] = []
        func add(_ limit: Int?, seconds: Double, window: String) {
            guard let limit else { return }
            buckets.append(Bucket(capacity: Double(limit), tokens: Double(limit), perSecond: Double(limit) / seconds, updated: now, window: window))
        }
        add(limits.perSecond, seconds: 1, window: "second")
        add(limits.perMinute, seconds: 60, window: "minute")
        add(limits.perHour, seconds: 3600, window: "hour")
        add(limits.perDay, seconds: 86400, window: "day")
        self.buckets = buckets
    }

    enum Decision: Sendable {
        case go
        case wait(Double)
        case spent(reason: String, until: Double)
    }

    /// Refills the buckets to `now` and takes `count` tokens when every bucket has them.
    static func step(_ buckets: inout [Bucket], count: Double, now: Double) -> Decision {
        for i in buckets.indices {
            buckets[i].tokens = min(buckets[i].capacity, buckets[i].tokens + max(0, now - buckets[i].updated) * buckets[i].perSecond)
            buckets[i].updated = now
        }
        var wait = 0.0
        for bucket in buckets where bucket.tokens < count {
            if count > bucket.capacity {
                return .spent(reason: "\(Int(count)) sends at once exceed the account's limit of \(Int(bucket.capacity)) per \(bucket.window)", until: now + 1)
            }
            let needed = (count - bucket.tokens) / bucket.perSecond
            if bucket.window == "hour" || bucket.window == "day" {
                return .spent(reason: "the account's limit of \(Int(bucket.capacity)) per \(bucket.window) is spent", until: now + needed)
            }
            wait = max(wait, needed)
        }
        if wait > 0 { return .wait(wait) }
        for i in buckets.indices { buckets[i].tokens -= count }
        return .go
    }

    /// Takes `count` tokens from every bucket, waiting for the short windows; nil when the sends
    /// may go, else why not and until when (a spent hour or day). With `shared`, the buckets live
    /// under `key` in the route's state file.
    func take(_ count: Int = 1, shared: RouteState? = nil, key: String = "") async -> (reason: String, until: Double)? {
        while true {
            let now = clock.seconds
            let decision: Decision
            if let shared {
                let template = buckets
                decision = await shared.update(key) { stored in
                    var buckets = template
                    for i in buckets.indices {
                        if let saved = stored[buckets[i].window].objectValue {
                            buckets[i].tokens = saved["tokens"]?.doubleValue ?? buckets[i].tokens
                            buckets[i].updated = saved["updated"]?.doubleValue ?? buckets[i].updated
                        }
                    }
                    let decision = Self.step(&buckets, count: Double(count), now: now)
                    stored = .object(OrderedObject(buckets.map { ($0.window, .object(["tokens": .double($0.tokens), "updated": .double($0.updated)])) }))
                    return decision
                }
            } else {
                decision = Self.step(&buckets, count: Double(count), now: now)
            }
            switch decision {
            case .go: return nil
            case .spent(let reason, let until): return (reason, until)
            case .wait(let seconds):
                do { try await clock.pause(seconds: seconds) } catch { return ("the send was cancelled", now) }
            }
        }
    }
}

/// One ``RateLimiter`` per account (and limits) in a runtime.
actor RateLimiters {
    private var limiters: [String: RateLimiter] = [:]
    private let clock: any WallClock

    init(clock: any WallClock) { self.clock = clock }

    func limiter(for account: String, limits: RateLimits) -> RateLimiter? {
        guard !limits.isEmpty else { return nil }
        let key = "\(account)|\(limits.perSecond ?? 0)|\(limits.perMinute ?? 0)|\(limits.perHour ?? 0)|\(limits.perDay ?? 0)"
        if let existing = limiters[key] { return existing }
        let limiter = RateLimiter(limits, clock: clock)
        limiters[key] = limiter
        return limiter
    }
}

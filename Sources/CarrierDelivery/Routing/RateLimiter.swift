import Foundation

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
            // Never back in time: a process that read its clock before waiting for a shared
            // bucket would otherwise refill the same interval twice.
            buckets[i].updated = max(buckets[i].updated, now)
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

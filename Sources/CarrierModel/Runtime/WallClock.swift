import Foundation

/// A clock whose instants are wall-clock times: every part of Carrier that waits, expires or
/// retries reads one (retries and backoff, breakers and cool-downs, rate limits, OAuth2 token
/// expiry, journal and spool timestamps), so tests can move time instead of sleeping.
///
/// ``SystemClock`` is the real one; ``ManualClock`` moves only when told to.
public protocol WallClock: Clock, Sendable where Instant == WallTime, Duration == Swift.Duration {}

extension WallClock {
    /// Seconds since 1970 now.
    public var seconds: Double { now.secondsSince1970 }

    /// Waits `seconds` on this clock (nothing for zero or less).
    public func pause(seconds: Double) async throws {
        guard seconds > 0, seconds.isFinite else { return }
        try await sleep(until: now.advanced(by: .seconds(seconds)), tolerance: nil)
    }
}

/// The machine's clock: `now` from the system's real-time clock, waits on the monotonic one.
public struct SystemClock: WallClock {
    public init() {}

    public var now: WallTime { WallTime(Date()) }
    public var minimumResolution: Duration { .microseconds(1) }

    public func sleep(until deadline: WallTime, tolerance: Duration?) async throws {
        let seconds = deadline.secondsSince1970 - Date().timeIntervalSince1970
        guard seconds > 0 else { return }
        try await ContinuousClock().sleep(for: .seconds(seconds), tolerance: tolerance)
    }
}

import Foundation

/// A moment in wall-clock time, as seconds since 1970 (UTC): how spool entries, journals, route
/// state files, token expiries and providers' timestamps count time.
public struct WallTime: InstantProtocol, Sendable, Hashable, Comparable {
    public var secondsSince1970: Double

    public init(secondsSince1970: Double) { self.secondsSince1970 = secondsSince1970 }
    public init(_ date: Date) { self.secondsSince1970 = date.timeIntervalSince1970 }

    /// The same moment as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: secondsSince1970) }

    public func advanced(by duration: Duration) -> WallTime {
        WallTime(secondsSince1970: secondsSince1970 + duration.seconds)
    }

    public func duration(to other: WallTime) -> Duration {
        .seconds(other.secondsSince1970 - secondsSince1970)
    }

    public static func < (lhs: WallTime, rhs: WallTime) -> Bool { lhs.secondsSince1970 < rhs.secondsSince1970 }
}

extension Duration {
    /// The duration in seconds, fractions included.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

import Foundation

/// Durations as carrier.yaml and provider answers write them, always finite and in range:
/// whatever a file or a server says, no duration can become a negative, infinite or absurd wait.
package enum DurationText {
    /// The longest duration a configuration may name (about 10 years).
    static let maximumSeconds: Double = 315_360_000
    /// The longest wait a provider's hint (`Retry-After`) is believed for; longer means no hint.
    static let maximumHintSeconds: Double = 86_400

    /// Seconds from `30`, `1.5`, `200ms`, `5s`, `2m`, `1h`; nil when it is not a duration in range.
    package static func seconds(_ value: Value) -> Double? {
        guard let seconds = parse(value), seconds.isFinite, seconds >= 0, seconds <= maximumSeconds else { return nil }
        return seconds
    }

    /// A provider's hint of how long to wait: nil (no hint) when negative, not finite or over a day.
    package static func hint(_ value: Value) -> Double? {
        guard let seconds = seconds(value), seconds <= maximumHintSeconds else { return nil }
        return seconds
    }

    private static func parse(_ value: Value) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s):
            let t = s.trimmingWhitespace()
            if t.hasSuffix("ms"), let n = Double(t.dropLast(2)) { return n / 1000 }
            if t.hasSuffix("s"), let n = Double(t.dropLast()) { return n }
            if t.hasSuffix("m"), let n = Double(t.dropLast()) { return n * 60 }
            if t.hasSuffix("h"), let n = Double(t.dropLast()) { return n * 3600 }
            return Double(t)
        default: return nil
        }
    }
}

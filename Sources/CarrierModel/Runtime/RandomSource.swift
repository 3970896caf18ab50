import Synchronization

/// Where Carrier's random choices come from (a weighted route's draw, backoff jitter, a round
/// robin's first account): the system's generator, or a seeded one that repeats its draws in tests.
public final class RandomSource: Sendable {
    /// SplitMix64's state when seeded; nil for the system's generator.
    private let seeded: Mutex<UInt64?>

    /// The system's generator.
    public init() { seeded = Mutex(nil) }

    /// A generator that makes the same draws for the same seed.
    public init(seed: UInt64) { seeded = Mutex(seed) }

    /// A random 64-bit number.
    public func next() -> UInt64 {
        seeded.withLock { state in
            guard var z = state else {
                var system = SystemRandomNumberGenerator()
                return system.next()
            }
            z &+= 0x9E37_79B9_7F4A_7C15
            state = z
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A number in 0..<`bound` (bound at least 1).
    public func int(below bound: Int) -> Int {
        Int(next() % UInt64(max(1, bound)))
    }

    /// A number in 0...1.
    public func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}

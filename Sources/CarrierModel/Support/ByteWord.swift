/// Eight bytes read as one word, and what the writers ask of all eight at once, with the word
/// tricks of "Bit Twiddling Hacks": `(v - 0x01…) & ~v & 0x80…` is non-zero exactly when a byte of
/// `v` is zero (with `n` in place of `0x01`, when one is under `n`), and `((v + (127 - n)…) | v) & 0x80…`
/// when one is over `n`. Text bodies and JSON strings are mostly bytes that need nothing done, so
/// skipping them eight at a time is much of what writing them costs.
struct ByteWord {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The bytes in memory order: the first in the lowest bits.
    let value: UInt64

    /// The eight bytes at `pointer`, which need not be aligned.
    init(_ pointer: UnsafePointer<UInt8>) {
        value = UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self))
    }

    /// Whether one of the bytes is `byte`.
    func contains(_ byte: UInt8) -> Bool { matches(byte) != 0 }

    /// Whether one of the bytes is under `limit` (at most 128).
    func contains(below limit: UInt8) -> Bool { matches(below: limit) != 0 }

    /// The high bit of each byte that is `byte`. A borrow can mark a byte above a match too, never
    /// one below the first: the lowest bit set is exact (``firstMatch(_:)``).
    func matches(_ byte: UInt8) -> UInt64 {
        let difference = value ^ (Self.ones &* UInt64(byte))
        return (difference &- Self.ones) & ~difference & Self.highs
    }

    /// The high bit of each byte under `limit` (at most 128); the lowest bit set is exact.
    func matches(below limit: UInt8) -> UInt64 {
        (value &- Self.ones &* UInt64(limit)) & ~value & Self.highs
    }

    /// The high bit of each byte over `limit` (at most 127); the lowest bit set is exact (a carry
    /// goes up, never down).
    func matches(above limit: UInt8) -> UInt64 {
        ((value &+ Self.ones &* UInt64(127 - limit)) | value) & Self.highs
    }

    /// The index (0-7) of the first byte a non-zero mask of ``matches(_:)`` marks.
    static func firstMatch(_ mask: UInt64) -> Int { mask.trailingZeroBitCount >> 3 }

    /// Whether one of the bytes is over `limit` (at most 127).
    func contains(above limit: UInt8) -> Bool { matches(above: limit) != 0 }

    /// The eighth byte.
    var last: UInt8 { UInt8(truncatingIfNeeded: value >> 56) }

    /// Writes the eight bytes to `pointer`, which need not be aligned.
    func store(to pointer: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value.littleEndian, as: UInt64.self)
    }
}

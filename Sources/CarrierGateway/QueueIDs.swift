import Carrier

/// Queue ids: 26 characters of time-ordered base32 (a ULID), so they sort by arrival.
public enum QueueIDs {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new id for a message accepted at `now`.
    public static func make(now: Double, random: RandomSource) -> String {
        var bytes: [UInt8] = []
        var milliseconds = UInt64(max(0, now) * 1000)
        for _ in 0..<10 {
            bytes.insert(alphabet[Int(milliseconds & 31)], at: 0)
            milliseconds >>= 5
        }
        // 80 random bits, 5 to a character: two draws, not sixteen.
        var bits = [random.next(), random.next()]
        for index in 0..<16 {
            bytes.append(alphabet[Int(bits[index / 8] & 31)])
            bits[index / 8] >>= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether a string could be an id (what a URL or a file name may name).
    public static func isValid(_ id: String) -> Bool {
        id.utf8.count == 26 && id.utf8.allSatisfy { alphabet.contains($0) }
    }
}

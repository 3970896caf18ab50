import Foundation

/// Finds where bytes stop being valid UTF-8, so input is refused with a place instead of
/// having bad bytes silently replaced by U+FFFD.
package enum UTF8Check {
    /// The offset of the first byte that does not start or continue a valid UTF-8 sequence.
    package static func firstInvalidOffset(in data: Data) -> Int? {
        data.withUnsafeBytes { firstInvalidOffset(in: $0.bindMemory(to: UInt8.self)) }
    }

    static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        while i < bytes.count {
            // ASCII, most of any text, eight bytes at a time.
            if let base = bytes.baseAddress {
                while i + 8 <= bytes.count, !ByteWord(base + i).contains(above: 0x7F) { i += 8 }
                guard i < bytes.count else { break }
            }
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00...0x7F: i += 1; continue
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return i
            }
            guard i + length <= bytes.count else { return i }
            for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { return i + k }
            // Overlong forms, surrogates and code points past U+10FFFF.
            let second = bytes[i + 1]
            if (b == 0xE0 && second < 0xA0) || (b == 0xED && second > 0x9F) || (b == 0xF0 && second < 0x90) || (b == 0xF4 && second > 0x8F) {
                return i
            }
            i += length
        }
        return nil
    }
}

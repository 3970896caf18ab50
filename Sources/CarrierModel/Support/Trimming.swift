import Foundation

extension Substring {
    /// The text without the spaces and tabs around it (any Unicode space, as Foundation's
    /// `.whitespaces`). Said from the bytes when the ends are ASCII, as nearly always: Foundation
    /// trims through an `NSString`, some ten thousand instructions a call, which showed on
    /// every webhook (its authorization header, its timestamp) and every address.
    package func trimmingWhitespace() -> String {
        let bytes = utf8
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start = bytes.index(after: start) }
        while start < end, case let last = bytes[bytes.index(before: end)], last == 0x20 || last == 0x09 { end = bytes.index(before: end) }
        // A non-ASCII byte at either end may be the start or end of a Unicode space.
        if start < end, bytes[start] >= 0x80 || bytes[bytes.index(before: end)] >= 0x80 {
            return trimmingCharacters(in: .whitespaces)
        }
        return start == bytes.startIndex && end == bytes.endIndex ? String(self) : String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

extension String {
    /// The text without the spaces and tabs around it; see ``Substring/trimmingWhitespace()``.
    package func trimmingWhitespace() -> String { self[...].trimmingWhitespace() }

    /// The text without any of the ASCII characters `characters` at either end (`"<> "` for an
    /// id written in brackets), without building a `CharacterSet`.
    package func trimming(ascii characters: StaticString) -> String {
        let set = UnsafeBufferPointer(start: characters.utf8Start, count: characters.utf8CodeUnitCount)
        let bytes = utf8
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, set.contains(bytes[start]) { start = bytes.index(after: start) }
        while start < end, set.contains(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return String(self[start..<end])
    }
}

import Foundation

extension Substring {
    /// The text without the spaces and tabs around it (any Unicode space, as Foundation's
    /// `.whitespaces`). Said from the bytes when the ends are ASCII, as nearly always: Foundation
    /// trims through an `NSString`, some ten thousand instructions a call, which showed on
    /// every webhook (its authorization header, its timestamp) and every address.
    package func trimmingWhitespace() -> String {
        let kept = bounds { $0 == 0x20 || $0 == 0x09 }
        // A non-ASCII byte at either end may be the start or end of a Unicode space.
        if !kept.isEmpty, utf8[kept.lowerBound] >= 0x80 || utf8[utf8.index(before: kept.upperBound)] >= 0x80 {
            return trimmingCharacters(in: .whitespaces)
        }
        return String(self[kept])
    }

    /// The text without any of the ASCII characters `characters` at either end (`"<> "` for an
    /// id written in brackets), without building a `CharacterSet`.
    package func trimming(ascii characters: StaticString) -> String {
        let set = UnsafeBufferPointer(start: characters.utf8Start, count: characters.utf8CodeUnitCount)
        return String(self[bounds(trimming: set.contains)])
    }

    /// What is left between the bytes `trimmed` takes from either end (ASCII ones: the bounds
    /// fall between characters).
    private func bounds(trimming trimmed: (UInt8) -> Bool) -> Range<Index> {
        var start = utf8.startIndex, end = utf8.endIndex
        while start < end, trimmed(utf8[start]) { start = utf8.index(after: start) }
        while start < end, trimmed(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        return start..<end
    }
}

extension String {
    /// The text without the spaces and tabs around it; see ``Substring/trimmingWhitespace()``.
    package func trimmingWhitespace() -> String { self[...].trimmingWhitespace() }

    /// The text without any of the ASCII characters `characters` at either end; see ``Substring/trimming(ascii:)``.
    package func trimming(ascii characters: StaticString) -> String { self[...].trimming(ascii: characters) }
}

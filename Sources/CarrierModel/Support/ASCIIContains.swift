extension StringProtocol {
    /// Whether the text holds `needle` (ASCII), found among its UTF-8 bytes in place. With
    /// Foundation imported, `contains("@")` is Foundation's string search through `NSString`:
    /// thousands of instructions a call, made per address, header line and webhook. A search
    /// over `UTF8View`'s indices is no better called from another module, where it runs
    /// unspecialised: hundreds of instructions a byte.
    package func contains(ascii needle: StaticString) -> Bool {
        needle.withUTF8Buffer { needle -> Bool in
            let search = { (bytes: UnsafeBufferPointer<UInt8>) -> Bool in Self.find(needle, in: bytes) }
            return utf8.withContiguousStorageIfAvailable(search) ?? Array(utf8).withUnsafeBufferPointer(search)
        }
    }

    private static func find(_ needle: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first else { return true }
        guard bytes.count >= needle.count else { return false }
        var start = 0
        while start <= bytes.count - needle.count {
            if bytes[start] == first, UnsafeBufferPointer(rebasing: bytes[start..<(start + needle.count)]).elementsEqual(needle) { return true }
            start += 1
        }
        return false
    }
}

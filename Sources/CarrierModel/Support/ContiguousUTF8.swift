extension String {
    /// Calls `body` with the string's UTF-8 bytes: its own storage when it has one (native
    /// strings do), else a copy. Checks on every header go through here: walking a `UTF8View`
    /// byte by byte costs several times more than walking a buffer.
    package func withContiguousUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(utf8).withUnsafeBufferPointer(body)
    }
}

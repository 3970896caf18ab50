extension StringProtocol {
    /// Whether the text holds `needle` (ASCII), found among its UTF-8 bytes. With Foundation
    /// imported, `contains("@")` is Foundation's string search through `NSString`: thousands of
    /// instructions a call, made per address, header line and webhook.
    package func contains(ascii needle: StaticString) -> Bool {
        needle.withUTF8Buffer { needle -> Bool in
            guard let first = needle.first else { return true }
            let bytes = utf8
            var index = bytes.startIndex
            while let found = bytes[index...].firstIndex(of: first) {
                if bytes[found...].starts(with: needle) { return true }
                index = bytes.index(after: found)
            }
            return false
        }
    }
}

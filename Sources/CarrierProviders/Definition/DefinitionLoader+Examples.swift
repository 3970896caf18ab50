extension DefinitionLoader {
    /// `text` with its top-level `examples:` block blanked — its lines left empty, so each line
    /// and column after it stays where it was — or nil
    /// when there is none. The block runs from a line that starts with `examples:` to the next
    /// line that starts in the first column with anything but a space, a tab, a comment or a
    /// list item (`- `).
    package static func blankingExamples(_ text: String) -> String? {
        var bytes = Array(text.utf8)
        let key = Array("examples:".utf8)
        var blockStart: Int?
        var lineStart = 0
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
            let first = lineStart < lineEnd ? bytes[lineStart] : 0x0A
            if blockStart != nil {
                // A list may stand at the key's own indentation (`- name: …` in the first column).
                let second = lineStart + 1 < lineEnd ? bytes[lineStart + 1] : 0x0A
                let listItem = first == UInt8(ascii: "-") && (second == 0x20 || second == 0x09 || second == 0x0D || second == 0x0A)
                if !listItem && first != 0x20 && first != 0x09 && first != 0x23 && first != 0x0D && first != 0x0A { break }
            } else if bytes[lineStart..<lineEnd].starts(with: key) {
                let after = lineStart + key.count < lineEnd ? bytes[lineStart + key.count] : 0x0A
                if after == 0x20 || after == 0x09 || after == 0x0D || after == 0x0A || after == 0x23 { blockStart = lineStart }
            }
            lineStart = lineEnd + 1
        }
        guard let start = blockStart else { return nil }
        let end = min(lineStart, bytes.count)
        // Empty lines, not lines of spaces: spaces would be content to a block scalar just before.
        bytes.replaceSubrange(start..<end, with: repeatElement(UInt8(0x0A), count: bytes[start..<end].count { $0 == 0x0A }))
        return String(decoding: bytes, as: UTF8.self)
    }
}

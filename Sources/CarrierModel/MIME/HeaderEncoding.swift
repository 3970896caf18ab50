/// RFC 2047 encoded-words, RFC 2231 parameters and header folding.
package enum HeaderEncoding {
    /// Whether text can stand in a header as it is.
    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// Unstructured text (Subject): as is when it can stand as written, else UTF-8 `B`
    /// encoded-words of at most 75 characters each, split between characters, never inside one.
    package static func unstructured(_ text: String) -> String {
        canStandAsWritten(text) ? text : encodedWords(text)
    }

    /// Printable ASCII that a reader takes back as it is: nothing that looks like an encoded-word
    /// (`=?…?=` would be decoded), and nothing too long to fold within SMTP's 998-octet lines
    /// (``fold(_:)`` breaks only before a word, so a word with the spaces before it must fit).
    static func canStandAsWritten(_ text: String) -> Bool {
        var unbreakable = 0
        var inWord = false
        var previous: UInt8 = 0
        for byte in text.utf8 {
            guard byte >= 0x20 && byte < 0x7F, !(previous == UInt8(ascii: "=") && byte == UInt8(ascii: "?")) else { return false }
            if byte == 0x20 && inWord { unbreakable = 0 }
            inWord = byte != 0x20
            unbreakable += 1
            if unbreakable > 900 { return false }
            previous = byte
        }
        return true
    }

    static func encodedWords(_ text: String) -> String {
        // 75 - len("=?utf-8?b?") - len("?=") = 63 base64 characters → 45 bytes of UTF-8 per word.
        var words: [String] = []
        var chunk: [UInt8] = []
        chunk.reserveCapacity(48)
        for character in text {
            let bytes = character.utf8
            if chunk.count + bytes.count > 45 {
                words.append(word(chunk))
                chunk.removeAll(keepingCapacity: true)
            }
            chunk.append(contentsOf: bytes)
        }
        if !chunk.isEmpty { words.append(word(chunk)) }
        return words.joined(separator: " ")
    }

    private static func word(_ bytes: [UInt8]) -> String {
        "=?utf-8?b?" + Base64.standard(bytes) + "?="
    }

    /// A display name in an address header: as is, quoted, or encoded-words.
    package static func displayName(_ name: String) -> String {
        guard canStandAsWritten(name) else { return encodedWords(name) }
        // Plain ASCII by now, so its bytes are its characters.
        if name.utf8.allSatisfy({ HeaderRules.isAtextByte($0) || $0 == 0x20 }) { return name }
        return quoted(name)
    }

    /// `"text"`, its `\` and `"` escaped (an RFC 5322 quoted-string), for ASCII text. Byte by
    /// byte: Foundation's `replacingOccurrences` (twice) cost 40,000 instructions a name.
    static func quoted(_ text: String) -> String {
        var out: [UInt8] = [0x22]
        out.reserveCapacity(text.utf8.count + 4)
        for byte in text.utf8 {
            if byte == 0x5C || byte == 0x22 { out.append(0x5C) }
            out.append(byte)
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }

    /// `Name <email>` for a MIME header.
    static func address(_ address: Address) -> String {
        guard let name = address.name else { return address.email }
        return displayName(name) + " <" + address.email + ">"
    }

    /// A parameter such as `filename="a.pdf"`, or RFC 2231 `filename*=utf-8''%C3%A9.pdf` when not ASCII.
    package static func parameter(_ name: String, _ value: String) -> String {
        if isPlainASCII(value) { return name + "=" + quoted(value) }
        var encoded: [UInt8] = []
        encoded.reserveCapacity(value.utf8.count * 3)
        for byte in value.utf8 {
            let isAttributeChar = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            if isAttributeChar { encoded.append(byte) } else { PercentEncoding.append(byte, to: &encoded) }
        }
        return name + "*=utf-8''" + String(decoding: encoded, as: UTF8.self)
    }

    /// Writes `name: value` and its CRLF into `out`, folded as ``fold(_:)`` folds it.
    static func writeFolded(_ name: String, _ value: String, into out: ByteSink) {
        if name.utf8.count + 2 + value.utf8.count <= 78 {
            out.append(name)
            out.append(": ")
            out.append(value)
        } else {
            out.append(fold(name + ": " + value))
        }
        out.append("\r\n")
    }

    /// Folds a header line at white space so lines stay under 78 characters where possible;
    /// only before a word, so no line is white space alone (RFC 5322 §3.2.2).
    package static func fold(_ line: String) -> String {
        guard line.utf8.count > 78 else { return line }
        return line.withContiguousUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + bytes.count / 32 * 2 + 2)
            var lineStart = 0  // where the line being written starts in `out`
            var pieceStart = 0
            var piece = 0  // the pieces between single spaces, counted from the field name's
            while pieceStart <= bytes.count {
                let pieceEnd = bytes[pieceStart...].firstIndex(of: 0x20) ?? bytes.count
                let length = pieceEnd - pieceStart
                // Never fold between the field name and its first word, nor before an empty piece.
                if piece > 1 && length > 0 && out.count - lineStart + 1 + length > 76 {
                    out.append(0x0D)
                    out.append(0x0A)
                    lineStart = out.count
                }
                if piece > 0 { out.append(0x20) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[pieceStart..<pieceEnd]))
                piece += 1
                pieceStart = pieceEnd + 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

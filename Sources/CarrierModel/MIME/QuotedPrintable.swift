/// Quoted-printable (RFC 2045 §6.7) for text bodies, with CRLF line ends and soft breaks at 76.
/// Works on UTF-8 bytes: text bodies are the hot path of every SMTP message.
enum QuotedPrintable {
    /// Writes `text` quoted-printable into `out`, every line end (CRLF, LF or CR) as CRLF.
    static func encode(_ text: UnsafeBufferPointer<UInt8>, into out: ByteSink) {
        guard let input = text.baseAddress else { return }
        let n = text.count
        // Room for the worst case (every byte `=XX`, a soft break every 25 bytes in), so the loop
        // stores bytes with no checks for room.
        out.write(upTo: n * 3 + (n / 25 + 1) * 3) { output in
            var w = 0, lineLength = 0, i = 0
            while i < n {
                // Eight bytes that stand for themselves and fit on the line go in one store; so do
                // those before the first that needs encoding (HTML has an `=` every few words).
                if i + 8 <= n && lineLength + 8 <= 75 {
                    let word = ByteWord(input + i)
                    let encoded = word.matches(below: 0x20) | word.matches(above: 0x7E) | word.matches(UInt8(ascii: "="))
                    var literal = encoded == 0 ? 8 : ByteWord.firstMatch(encoded)
                    // A space may end its line (then it is encoded): the byte loop decides the last one.
                    if literal > 0 && input[i + literal - 1] == 0x20 { literal -= 1 }
                    if literal > 0 {
                        word.store(to: output + w)  // all eight: what follows the literal ones is written over
                        w += literal
                        i += literal
                        lineLength += literal
                        continue
                    }
                }
                let byte = input[i]
                if byte == 0x0A || byte == 0x0D {
                    i = TextTransferEncoding.writeLineEnd(input, at: i, count: n, to: output + w)
                    w += 2
                    lineLength = 0
                    continue
                }
                let literal: Bool
                if byte &- 33 < 94 {  // printable ASCII, 33...126, but "="
                    literal = byte != UInt8(ascii: "=")
                } else if byte == 0x20 || byte == 0x09 {  // white space, but not at a line's end
                    literal = i + 1 < n && input[i + 1] != 0x0A && input[i + 1] != 0x0D
                } else {
                    literal = false
                }
                let width = literal ? 1 : 3
                if lineLength + width > 75 {
                    output[w] = UInt8(ascii: "="); output[w + 1] = 0x0D; output[w + 2] = 0x0A
                    w += 3
                    lineLength = 0
                }
                if literal {
                    output[w] = byte
                } else {
                    output[w] = UInt8(ascii: "="); output[w + 1] = HexDigit.upper(byte >> 4); output[w + 2] = HexDigit.upper(byte & 0x0F)
                }
                w += width
                lineLength += width
                i += 1
            }
            return w
        }
    }

    /// Quoted-printable bytes decoded: `=XX` is the byte, `=` at a line's end joins it to the next,
    /// white space before a line break goes (RFC 2045 §6.7); a malformed `=` stays as written.
    static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        // Decoded text is never longer than its encoding: written straight into the result.
        bytes.withUnsafeBufferPointer { input in
            [UInt8](unsafeUninitializedCapacity: input.count) { output, written in
                written = output.baseAddress.map { decode(input, into: $0) } ?? 0
            }
        }
    }

    private static func decode(_ b: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let end = b.count
        var i = 0, n = 0
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        while i < end {
            // Bytes with nothing to undo (no `=`, space or tab) are copied eight at a time.
            if let base = b.baseAddress {
                while i + 8 <= end {
                    let word = ByteWord(base + i)
                    let mask = word.matches(UInt8(ascii: "=")) | word.matches(0x20) | word.matches(0x09)
                    guard mask == 0 else {
                        let plain = ByteWord.firstMatch(mask)
                        (out + n).update(from: base + i, count: plain)
                        n += plain
                        i += plain
                        break
                    }
                    word.store(to: out + n)
                    n += 8
                    i += 8
                }
                guard i < end else { break }
            }
            let byte = b[i]
            if byte == UInt8(ascii: "=") {
                var j = i + 1
                while j < end && isBlank(b[j]) { j += 1 }
                if j < end && b[j] == 0x0D && j + 1 < end && b[j + 1] == 0x0A { i = j + 2; continue }
                if j < end && b[j] == 0x0A { i = j + 1; continue }
                if j == end { i = j; continue }  // a soft break at the very end
                if i + 2 < end, let high = HeaderDecoding.hexValue(b[i + 1]), let low = HeaderDecoding.hexValue(b[i + 2]) {
                    out[n] = high << 4 | low
                    n += 1
                    i += 3
                    continue
                }
            } else if isBlank(byte) {
                // Trailing white space before a line break was added in transit.
                var j = i
                while j < end && isBlank(b[j]) { j += 1 }
                if j == end || b[j] == 0x0A || (b[j] == 0x0D && j + 1 < end && b[j + 1] == 0x0A) {
                    i = j
                    continue
                }
                while i < j { out[n] = b[i]; n += 1; i += 1 }
                continue
            }
            out[n] = byte
            n += 1
            i += 1
        }
        return n
    }
}

/// Quoted-printable (RFC 2045 §6.7) for text bodies, with CRLF line ends and soft breaks at 76.
/// Works on UTF-8 bytes: text bodies are the hot path of every SMTP message.
enum QuotedPrintable {
    private static let hex = Array("0123456789ABCDEF".utf8)

    static func encode(_ text: String) -> String {
        String(decoding: encode(lines: lines(text)), as: UTF8.self)
    }

    static func encode(lines: [ArraySlice<UInt8>]) -> [UInt8] {
        // Written into room for the worst case (every byte `=XX`, a soft break every 73 bytes out,
        // CRLF between lines), so the loop stores bytes with no growth or uniqueness checks.
        let capacity = lines.reduce(0) { $0 + $1.count } * 4 + lines.count * 5 + 16
        return [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
            var o = 0
            for (index, line) in lines.enumerated() {
                line.withUnsafeBufferPointer { bytes in
                    var lineLength = 0
                    for i in bytes.indices {
                        let byte = bytes[i]
                        let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && i != bytes.count - 1)
                        let width = literal ? 1 : 3
                        if lineLength + width > 75 {
                            out[o] = UInt8(ascii: "="); out[o + 1] = 0x0D; out[o + 2] = 0x0A
                            o += 3
                            lineLength = 0
                        }
                        if literal {
                            out[o] = byte
                        } else {
                            out[o] = UInt8(ascii: "="); out[o + 1] = hex[Int(byte >> 4)]; out[o + 2] = hex[Int(byte & 0x0F)]
                        }
                        o += width
                        lineLength += width
                    }
                }
                if index < lines.count - 1 {
                    out[o] = 0x0D; out[o + 1] = 0x0A
                    o += 2
                }
            }
            count = o
        }
    }

    /// The lines of a text as UTF-8 bytes, whatever its line ends were (CRLF, LF or CR).
    static func lines(_ text: String) -> [ArraySlice<UInt8>] {
        let bytes = Array(text.utf8)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0A || bytes[i] == 0x0D {
                lines.append(bytes[start..<i])
                if bytes[i] == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A { i += 1 }
                start = i + 1
            }
            i += 1
        }
        lines.append(bytes[start..<bytes.count])
        return lines
    }

    /// Quoted-printable bytes decoded: `=XX` is the byte, `=` at a line's end joins it to the next,
    /// white space before a line break goes (RFC 2045 §6.7); a malformed `=` stays as written.
    static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "=") {
                var j = i + 1
                while j < bytes.endIndex && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
                if j < bytes.endIndex && bytes[j] == 0x0D && j + 1 < bytes.endIndex && bytes[j + 1] == 0x0A { i = j + 2; continue }
                if j < bytes.endIndex && bytes[j] == 0x0A { i = j + 1; continue }
                if j == bytes.endIndex { i = j; continue }  // a soft break at the very end
                if i + 2 < bytes.endIndex, let high = HeaderDecoding.hexValue(bytes[i + 1]), let low = HeaderDecoding.hexValue(bytes[i + 2]) {
                    out.append(high << 4 | low)
                    i += 3
                    continue
                }
                out.append(byte)
                i += 1
                continue
            }
            if byte == 0x20 || byte == 0x09 {
                // Trailing white space before a line break was added in transit.
                var j = i
                while j < bytes.endIndex && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
                if j == bytes.endIndex || bytes[j] == 0x0A || (bytes[j] == 0x0D && j + 1 < bytes.endIndex && bytes[j + 1] == 0x0A) {
                    i = j
                    continue
                }
                out += bytes[i..<j]
                i = j
                continue
            }
            out.append(byte)
            i += 1
        }
        return out
    }
}

import Foundation

/// How a text part travels (RFC 2045 §6): as it is (`7bit`) when every line is short ASCII that
/// no reader changes, quoted-printable otherwise, base64 when it holds a NUL (which may appear in
/// neither, §2.7). Decided and written on the text's UTF-8 bytes.
enum TextTransferEncoding: String {
    case sevenBit = "7bit"
    case quotedPrintable = "quoted-printable"
    case base64

    /// The encoding `text` needs. Lines (ended by CRLF, LF or CR) longer than 76 octets, lines
    /// starting `--` (a boundary's look) or `From ` (which mailbox files rewrite) and non-ASCII
    /// take quoted-printable.
    init(for text: UnsafeBufferPointer<UInt8>) {
        guard let input = text.baseAddress else { self = .sevenBit; return }
        let n = text.count
        if memchr(input, 0, n) != nil { self = .base64; return }
        var lineLength = 0
        var i = 0
        while i < n {
            // Inside a line, eight bytes of ASCII with no line end (nor any byte under 0x0E) at once.
            if lineLength > 0 && i + 8 <= n {
                let word = ByteWord(input + i)
                if !word.contains(above: 0x7F) && !word.contains(below: 0x0E) {
                    lineLength += 8
                    i += 8
                    if lineLength > 76 { self = .quotedPrintable; return }
                    continue
                }
            }
            let byte = input[i]
            if byte == 0x0A || byte == 0x0D {
                lineLength = 0
            } else {
                lineLength += 1
                if byte >= 0x80 || lineLength > 76 { self = .quotedPrintable; return }
                if lineLength == 1 && (Self.starts(text, at: i, with: "--") || Self.starts(text, at: i, with: "From ")) {
                    self = .quotedPrintable
                    return
                }
            }
            i += 1
        }
        self = .sevenBit
    }

    /// Writes `text` in this encoding into `out`, every line end as CRLF (base64 keeps the bytes as they are).
    func write(_ text: UnsafeBufferPointer<UInt8>, into out: ByteSink) {
        switch self {
        case .base64:
            out.append(Base64.mimeWrapped(Data(text)))
        case .quotedPrintable:
            QuotedPrintable.encode(text, into: out)
        case .sevenBit:
            guard let input = text.baseAddress else { return }
            let n = text.count
            out.write(upTo: n * 2) { output in
                var w = 0, i = 0
                while i < n {
                    if i + 8 <= n {
                        let word = ByteWord(input + i)
                        if !word.contains(0x0A) && !word.contains(0x0D) {
                            word.store(to: output + w)
                            w += 8
                            i += 8
                            continue
                        }
                    }
                    let byte = input[i]
                    if byte == 0x0A || byte == 0x0D {
                        i = Self.writeLineEnd(input, at: i, count: n, to: output + w)
                        w += 2
                    } else {
                        output[w] = byte
                        w += 1
                        i += 1
                    }
                }
                return w
            }
        }
    }

    /// Writes CRLF for the line end at `input[i]` (CR, LF or CRLF) and returns where the next line starts.
    static func writeLineEnd(_ input: UnsafePointer<UInt8>, at i: Int, count n: Int, to output: UnsafeMutablePointer<UInt8>) -> Int {
        output[0] = 0x0D
        output[1] = 0x0A
        return input[i] == 0x0D && i + 1 < n && input[i + 1] == 0x0A ? i + 2 : i + 1
    }

    private static func starts(_ text: UnsafeBufferPointer<UInt8>, at index: Int, with prefix: StaticString) -> Bool {
        guard index + prefix.utf8CodeUnitCount <= text.count else { return false }
        for k in 0..<prefix.utf8CodeUnitCount where text[index + k] != prefix.utf8Start[k] { return false }
        return true
    }
}

import Foundation

/// Base64 variants Foundation does not write itself.
package enum Base64 {
    /// Base64 text with its `=` padding restored (some secrets come without it).
    package static func padded(_ text: String) -> String {
        text + String(repeating: "=", count: (4 - text.count % 4) % 4)
    }

    /// The standard alphabet, padded (encoded words, `b` encoding).
    static func standard(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// URL-safe alphabet (RFC 4648 §5), with padding kept.
    package static func url(_ data: Data) -> String {
        urlAlphabet(data, keepingPadding: true)
    }

    /// URL-safe base64 without padding, as JWTs use it.
    package static func urlUnpadded(_ data: Data) -> String {
        urlAlphabet(data, keepingPadding: false)
    }

    /// Foundation's base64 with `+` and `/` swapped byte by byte (Foundation's string
    /// replacement costs a hundred thousand instructions a call).
    private static func urlAlphabet(_ data: Data, keepingPadding: Bool) -> String {
        var bytes = Array(data.base64EncodedString().utf8)
        if !keepingPadding { while bytes.last == UInt8(ascii: "=") { bytes.removeLast() } }
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "+"): bytes[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): bytes[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Base64 wrapped at 76 characters per line with CRLF, as MIME bodies need.
    static func mimeWrapped(_ data: Data) -> String {
        data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
    }

    /// Strict decoding: only the base64 alphabet, optional padding, white space ignored.
    package static func decode(_ text: String) -> Data? {
        let compact = text.filter { !$0.isWhitespace }
        guard compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=") }) else { return nil }
        var padded = compact
        while padded.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded)
    }
}

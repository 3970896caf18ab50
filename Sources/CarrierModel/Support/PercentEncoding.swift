/// RFC 3986 percent-encoding on UTF-8 bytes: unreserved characters (letters, digits, `-._~`) stay,
/// everything else becomes `%XX`. Used by form bodies, `url_escape` and request signatures.
package enum PercentEncoding {
    /// - Parameter keepingSlash: leave `/` as is (a path rather than one segment or value).
    package static func encode(_ text: some StringProtocol, keepingSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E || (keepingSlash && byte == 0x2F)
            if unreserved { out.append(byte) } else { append(byte, to: &out) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `%XX` for one byte, upper-case hex.
    static func append(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(0x25)
        out.append(HexDigit.upper(byte >> 4))
        out.append(HexDigit.upper(byte & 0x0F))
    }
}

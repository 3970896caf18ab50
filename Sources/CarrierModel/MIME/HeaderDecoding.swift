import Foundation

/// Reads header values as mail clients write them: folded lines, RFC 2047 encoded-words, quoted
/// display names and RFC 2231 parameters. The reverse of ``HeaderEncoding``, and what a message
/// received as MIME is read with.
package enum HeaderDecoding {
    /// Unfolds a header value: a line break followed by white space is the white space alone.
    package static func unfold(_ text: String) -> String {
        guard text.contains(ascii: "\n") else { return text }
        var out = ""
        var scalars = text.unicodeScalars[...]
        while let scalar = scalars.popFirst() {
            if scalar == "\r", scalars.first == "\n" { continue }
            if scalar == "\n", let next = scalars.first, next == " " || next == "\t" { continue }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    /// Unstructured text (Subject, a display name's words) with its encoded-words decoded. White
    /// space between two adjacent encoded-words is dropped (RFC 2047 §6.2); a word that is not a
    /// well-formed encoded-word in a known charset stays as written.
    package static func unstructured(_ text: String) -> String {
        var out = ""
        var space = ""
        var afterEncodedWord = false
        for (isSpace, token) in tokens(text) {
            if isSpace { space = token; continue }
            if let decoded = decodeWord(token) {
                out += (afterEncodedWord ? "" : space) + decoded
                afterEncodedWord = true
            } else {
                out += space + token
                afterEncodedWord = false
            }
            space = ""
        }
        return out + space
    }

    /// A display name as written in an address header: quoted (with backslash escapes), plain, or
    /// encoded-words.
    package static func displayName(_ text: String) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return unstructured(text) }
        return unquote(text.dropFirst().dropLast())
    }

    /// A parameter's value from its written form: `"quoted"`, a bare token, or RFC 2231's
    /// `utf-8''%C3%A9` (when `extended`, the parameter's name ended in `*`).
    package static func parameterValue(_ text: String, extended: Bool) -> String {
        if extended {
            let parts = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let bytes = percentDecoded(parts[2]) else { return text }
            return decode(bytes, charset: String(parts[0])) ?? text
        }
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text }
        return unquote(text.dropFirst().dropLast())
    }

    /// Text inside double quotes with its backslash escapes removed.
    static func unquote(_ quoted: Substring) -> String {
        var out = ""
        var escaped = false
        for character in quoted {
            if !escaped && character == "\\" { escaped = true; continue }
            out.append(character)
            escaped = false
        }
        return out
    }

    /// Runs of white space and of anything else, in order.
    private static func tokens(_ text: String) -> [(isSpace: Bool, text: String)] {
        var result: [(Bool, String)] = []
        for scalar in text.unicodeScalars {
            let isSpace = scalar == " " || scalar == "\t"
            if let last = result.last, last.0 == isSpace {
                result[result.count - 1].1.unicodeScalars.append(scalar)
            } else {
                result.append((isSpace, String(scalar)))
            }
        }
        return result
    }

    /// `=?charset?B|Q?text?=` decoded, or nil when the token is not one.
    static func decodeWord(_ token: String) -> String? {
        guard token.hasPrefix("=?"), token.hasSuffix("?="), token.utf8.count >= 8 else { return nil }
        let inner = token.utf8.dropFirst(2).dropLast(2)
        let parts = inner.split(separator: UInt8(ascii: "?"), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count == 1 else { return nil }
        // A language after `*` (RFC 2231 §5) does not change the bytes.
        let charset = String(decoding: parts[0].prefix { $0 != UInt8(ascii: "*") }, as: UTF8.self)
        let bytes: [UInt8]?
        switch parts[1].first! | 0x20 {
        case UInt8(ascii: "b"): bytes = base64Decoded(parts[2])
        case UInt8(ascii: "q"): bytes = qDecoded(parts[2])
        default: bytes = nil
        }
        return bytes.flatMap { decode($0, charset: charset) }
    }

    /// Bytes in a charset as text: UTF-8 (and its ASCII subset) strictly, Latin-1 and Windows-1252;
    /// nil for anything else, or for bytes the charset cannot hold.
    package static func decode(_ bytes: [UInt8], charset: String) -> String? {
        switch charset.lowercased() {
        case "utf-8", "utf8", "us-ascii", "ascii":
            return String(validating: bytes, as: UTF8.self)
        case "iso-8859-1", "latin1", "iso_8859-1", "l1":
            return String(bytes: bytes, encoding: .isoLatin1)
        case "windows-1252", "cp1252":
            return String(bytes: bytes, encoding: .windowsCP1252)
        default:
            return nil
        }
    }

    private static func base64Decoded(_ text: Substring.UTF8View.SubSequence) -> [UInt8]? {
        var padded = String(decoding: text, as: UTF8.self)
        while padded.utf8.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded).map { [UInt8]($0) }
    }

    private static func qDecoded(_ text: Substring.UTF8View.SubSequence) -> [UInt8]? {
        var out: [UInt8] = []
        var bytes = text[...]
        while let byte = bytes.popFirst() {
            switch byte {
            case UInt8(ascii: "_"): out.append(0x20)
            case UInt8(ascii: "="):
                guard let high = bytes.popFirst().flatMap(hexValue), let low = bytes.popFirst().flatMap(hexValue) else { return nil }
                out.append(high << 4 | low)
            default: out.append(byte)
            }
        }
        return out
    }

    static func percentDecoded(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        var bytes = text.utf8[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else { out.append(byte); continue }
            guard let high = bytes.popFirst().flatMap(hexValue), let low = bytes.popFirst().flatMap(hexValue) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    package static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

import Foundation

/// The grammar every header Carrier writes must follow, checked where values enter (the message)
/// and again where headers are written (MIME, HTTP), so no source can inject a line.
public enum HeaderRules {
    /// An RFC 5322 field name / RFC 9110 token: visible ASCII without `:` (and without the
    /// separators HTTP forbids), at least one character.
    public static func isFieldName(_ name: String) -> Bool {
        !name.isEmpty && name.withContiguousUTF8 { $0.allSatisfy(isTokenByte) }
    }

    /// Whether two field names are the same header: compared in any case, as HTTP and RFC 5322
    /// compare them. Field names are ASCII, so a byte comparison that folds letters does
    /// (Foundation's case-insensitive compare was a cost on every request's lookups).
    public static func sameFieldName(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return a.withContiguousUTF8 { x in
            b.withContiguousUTF8 { y in
                for index in x.indices where x[index] != y[index] {
                    guard x[index] | 0x20 == y[index] | 0x20, (0x61...0x7A).contains(x[index] | 0x20) else { return false }
                }
                return true
            }
        }
    }

    /// Whether text holds a control character (C0 but tab, or DEL) that no header may carry,
    /// encoded or not: a NUL or an escape in a display name reaches the provider as it is.
    public static func hasControlCharacters(_ value: String) -> Bool {
        value.withContiguousUTF8 { $0.contains(where: isControlByte) }
    }

    /// A C0 control character but tab, or DEL (in UTF-8 these bytes are never part of another character).
    static func isControlByte(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != 0x09) || byte == 0x7F }

    /// A value that can stand on one header line: no CR, LF or NUL.
    public static func isOneLine(_ value: String) -> Bool {
        value.withContiguousUTF8 { bytes in
            var i = 0
            if let base = bytes.baseAddress {
                while i + 8 <= bytes.count {
                    let word = ByteWord(base + i)
                    if word.contains(below: 0x0E) && (word.contains(0x0D) || word.contains(0x0A) || word.contains(0x00)) { return false }
                    i += 8
                }
            }
            return !bytes[i...].contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
        }
    }

    /// An RFC 5322 msg-id without its angle brackets: `dot-atom-text "@" (dot-atom-text / "[" dtext "]")`.
    public static func isMessageID(_ id: String) -> Bool {
        id.withContiguousUTF8 { bytes in
            guard let at = bytes.firstIndex(of: UInt8(ascii: "@")) else { return false }
            let left = bytes[..<at], right = bytes[(at + 1)...]
            guard !right.contains(UInt8(ascii: "@")), isDotAtom(bytes: left) else { return false }
            if right.first == UInt8(ascii: "["), right.last == UInt8(ascii: "]"), right.count >= 2 {
                return right.dropFirst().dropLast().allSatisfy { $0 >= 33 && $0 <= 126 && $0 != 0x5B && $0 != 0x5D && $0 != 0x5C }
            }
            return isDotAtom(bytes: right)
        }
    }

    /// A Content-ID without angle brackets: a msg-id, or its left side alone (`logo123`), which
    /// every ESP's inline-image API accepts.
    public static func isContentID(_ id: String) -> Bool {
        isMessageID(id) || isDotAtom(Substring(id))
    }

    /// An RFC 2045 media type: `type "/" subtype`, each a token, with optional `; name=value`
    /// parameters whose values are tokens or quoted strings on one line.
    public static func isMediaType(_ text: String) -> Bool {
        // The common case, `type/subtype` alone, read from the string's bytes without splitting.
        let simple = text.withContiguousUTF8 { bytes -> Bool? in
            guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")), !bytes.contains(UInt8(ascii: ";")) else { return nil }
            return slash > 0 && slash < bytes.count - 1
                && bytes[..<slash].allSatisfy(isMIMETokenByte) && bytes[(slash + 1)...].allSatisfy(isMIMETokenByte)
        }
        if let simple { return simple }
        let pieces = text.split(separator: ";", omittingEmptySubsequences: false)
        let type = pieces[0].split(separator: "/", omittingEmptySubsequences: false)
        guard type.count == 2, type.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isMIMETokenByte) }) else { return false }
        for parameter in pieces.dropFirst() {
            let pair = parameter.trimmingWhitespace().split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, !pair[0].isEmpty, pair[0].utf8.allSatisfy(isMIMETokenByte) else { return false }
            let value = pair[1]
            let quoted = value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"")
                && value.dropFirst().dropLast().utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 }
            guard quoted || (!value.isEmpty && value.utf8.allSatisfy(isMIMETokenByte)) else { return false }
        }
        return true
    }

    /// RFC 5322 dot-atom-text: atext runs separated by single dots, ASCII only.
    package static func isDotAtom(_ text: Substring) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { isDotAtom(bytes: $0) } ?? isDotAtom(bytes: text.utf8)
    }

    private static func isDotAtom<Bytes: Sequence<UInt8>>(bytes: Bytes) -> Bool {
        var previous: UInt8 = 0x2E  // a leading dot counts as following one
        for byte in bytes {
            if byte == 0x2E {
                if previous == 0x2E { return false }
            } else if !isAtextByte(byte) {
                return false
            }
            previous = byte
        }
        return previous != 0x2E  // not empty, no trailing dot
    }

    /// RFC 5322 atext: letters, digits and ``atextPunctuation``.
    static func isAtextByte(_ byte: UInt8) -> Bool { inSet(byte, low: 0xA3FF_ACFA_0000_0000, high: 0x7FFF_FFFF_C7FF_FFFE) }

    /// RFC 9110 tchar, which is also a valid RFC 5322 field-name character: letters, digits and ``tcharPunctuation``.
    static func isTokenByte(_ byte: UInt8) -> Bool { inSet(byte, low: 0x03FF_6CFA_0000_0000, high: 0x57FF_FFFF_C7FF_FFFE) }

    /// RFC 2045 token: visible ASCII except ``tspecials``.
    static func isMIMETokenByte(_ byte: UInt8) -> Bool { inSet(byte, low: 0x03FF_6CFA_0000_0000, high: 0x7FFF_FFFF_C7FF_FFFE) }

    static let atextPunctuation = "!#$%&'*+-/=?^_`{|}~"
    static let tcharPunctuation = "!#$%&'*+-.^_`|~"
    static let tspecials = "()<>@,;:\\\"/[]?="

    /// Whether an ASCII byte's bit is set in a 128-bit set (`low` holds bytes 0-63, `high` 64-127).
    /// Constants rather than lookup tables: a table is a global whose every read checks that it
    /// is made, which cost more than the check itself on every byte of every header checked.
    /// `HeaderRulesTests.byteSets` compares them with the definitions above for all 256 bytes.
    @inline(__always)
    private static func inSet(_ byte: UInt8, low: UInt64, high: UInt64) -> Bool {
        byte < 64 ? (low >> UInt64(byte)) & 1 == 1 : byte < 128 && (high >> UInt64(byte &- 64)) & 1 == 1
    }
}

/// A header the engine was about to write that would break the header block.
public struct HeaderInjectionError: Error, Sendable, CustomStringConvertible {
    /// Where the header was going (`MIME`, `HTTP request`, `MIME part`).
    public var place: String
    public var name: String
    public var problem: String

    package init(place: String, name: String, problem: String) {
        self.place = place
        self.name = name
        self.problem = problem
    }

    public var description: String { "refused to write the \(place) header '\(name.prefix(60))': \(problem)" }

    /// Throws when `name` is not a field name or `value` spans more than one line.
    package static func check(_ name: String, _ value: String, place: String) throws(HeaderInjectionError) {
        guard HeaderRules.isFieldName(name) else {
            throw HeaderInjectionError(place: place, name: name, problem: "the name is not a header field name (visible ASCII, no ':' or spaces)")
        }
        guard HeaderRules.isOneLine(value) else {
            throw HeaderInjectionError(place: place, name: name, problem: "the value contains a line break or NUL")
        }
    }
}

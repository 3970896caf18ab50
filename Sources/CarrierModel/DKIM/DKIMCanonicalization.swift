/// How a header or body is made canonical before it is hashed (RFC 6376 section 3.4): `simple`
/// keeps it as written, `relaxed` tolerates the whitespace and header-name case changes relays make.
public enum DKIMCanonicalization: String, Sendable, CaseIterable {
    case simple
    case relaxed

    /// One header field (`Name: value`, possibly folded, without its final CRLF) as it is hashed,
    /// with its CRLF.
    func header(_ field: String) -> [UInt8] {
        switch self {
        case .simple:
            return Array(field.utf8) + [0x0D, 0x0A]
        case .relaxed:
            let bytes = Array(field.utf8)
            let colon = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
            var out = bytes[..<colon].map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
            while let last = out.last, Self.isSpace(last) { out.removeLast() }
            out.append(UInt8(ascii: ":"))
            // Unfold, then every run of whitespace is one space, none at either end.
            var value: [UInt8] = []
            var pendingSpace = false
            for byte in bytes.dropFirst(colon + 1) where byte != 0x0D && byte != 0x0A {
                if Self.isSpace(byte) { pendingSpace = true; continue }
                if pendingSpace && !value.isEmpty { value.append(0x20) }
                pendingSpace = false
                value.append(byte)
            }
            return out + value + [0x0D, 0x0A]
        }
    }

    /// The body (after the blank line) as it is hashed.
    func body(_ body: [UInt8]) -> [UInt8] {
        var lines = Self.lines(body)
        if self == .relaxed {
            lines = lines.map { line in
                var out: [UInt8] = []
                var pendingSpace = false
                for byte in line {
                    if Self.isSpace(byte) { pendingSpace = true; continue }
                    if pendingSpace { out.append(0x20) }
                    pendingSpace = false
                    out.append(byte)
                }
                return out  // whitespace at the end of a line is dropped
            }
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        if lines.isEmpty { return self == .simple ? [0x0D, 0x0A] : [] }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 2)
        for line in lines { out += line; out += [0x0D, 0x0A] }
        return out
    }

    /// The body's lines without their CRLFs (a last line without one counts as a line).
    private static func lines(_ body: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0, i = 0
        while i < body.count {
            if body[i] == 0x0D, i + 1 < body.count, body[i + 1] == 0x0A {
                lines.append(Array(body[start..<i]))
                i += 2
                start = i
            } else {
                i += 1
            }
        }
        if start < body.count { lines.append(Array(body[start...])) }
        return lines
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
}

/// Writes ``Value`` as JSON text, keeping object key order. Works on UTF-8 bytes.
public enum JSONWriter {
    /// Compact JSON (no spaces), as request bodies are sent.
    public static func string(_ value: Value) -> String {
        let out = ByteSink(capacity: 256)
        write(value, into: out, indent: nil, level: 0)
        return out.string
    }

    /// Compact JSON as UTF-8 bytes.
    public static func bytes(_ value: Value) -> [UInt8] {
        let out = ByteSink(capacity: 256)
        write(value, into: out, indent: nil, level: 0)
        return out.bytes
    }

    /// Compact JSON appended to `out` (a body written in parts: ``Mapping``'s direct render).
    package static func write(_ value: Value, into out: ByteSink) {
        write(value, into: out, indent: nil, level: 0)
    }

    /// Indented JSON for people to read.
    public static func pretty(_ value: Value) -> String {
        let out = ByteSink(capacity: 256)
        write(value, into: out, indent: Array("  ".utf8), level: 0)
        return out.string
    }

    static func format(_ d: Double) -> String {
        if d.isNaN || d.isInfinite { return "null" }
        if d == d.rounded() && abs(d) < 1e15 { return String(Int(d)) }
        return String(d)
    }

    private static func write(_ value: Value, into out: ByteSink, indent: [UInt8]?, level: Int) {
        switch value {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.append(String(i))
        case .double(let d): out.append(format(d))
        case .string(let s): writeString(s, into: out)
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            out.append(0x5B)
            for i in items.indices {
                if i > 0 { out.append(0x2C) }
                newline(out, indent, level + 1)
                write(items[i], into: out, indent: indent, level: level + 1)
            }
            newline(out, indent, level)
            out.append(0x5D)
        case .object(let object):
            if object.isEmpty { out.append("{}"); return }
            out.append(0x7B)
            let entries = object.entries
            for i in entries.indices {
                if i > 0 { out.append(0x2C) }
                newline(out, indent, level + 1)
                writeString(entries[i].key, into: out)
                out.append(0x3A)
                if indent != nil { out.append(0x20) }
                write(entries[i].value, into: out, indent: indent, level: level + 1)
            }
            newline(out, indent, level)
            out.append(0x7D)
        }
    }

    private static func newline(_ out: ByteSink, _ indent: [UInt8]?, _ level: Int) {
        guard let indent else { return }
        out.append(0x0A)
        for _ in 0..<level { indent.withUnsafeBufferPointer { out.append($0) } }
    }

    /// A string as JSON: quoted, escaped where it must be.
    package static func writeString(_ s: String, into out: ByteSink) {
        out.append(0x22)
        // A string's own storage when it has one (no copy of the string value to retain and
        // release); one of up to 15 bytes is held inline and read through a stack copy.
        if s.utf8.withContiguousStorageIfAvailable({ writeContents($0, into: out) }) == nil {
            var s = s
            s.withUTF8 { writeContents($0, into: out) }
        }
        out.append(0x22)
    }

    /// Most strings need no escape: copied whole.
    @inline(__always)
    private static func writeContents(_ bytes: UnsafeBufferPointer<UInt8>, into out: ByteSink) {
        let first = firstEscape(in: bytes, from: 0)
        if first == bytes.count { out.append(bytes) } else { writeEscaped(bytes, from: first, into: out) }
    }

    /// Copies the runs that need no escape whole and escapes the bytes between them, from the
    /// first byte to escape on (an HTML part has a quote every few dozen bytes).
    @inline(never)
    private static func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, from first: Int, into out: ByteSink) {
        var runStart = 0
        var i = first
        while true {
            out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
            guard i < bytes.count else { return }
            let byte = bytes[i]
            switch byte {
            case 0x22, 0x5C: out.append(0x5C); out.append(byte)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            default:
                out.append(0x5C); out.append(0x75); out.append(0x30); out.append(0x30)
                out.append(HexDigit.lower(byte >> 4)); out.append(HexDigit.lower(byte & 0x0F))
            }
            runStart = i + 1
            i = firstEscape(in: bytes, from: runStart)
        }
    }

    /// Whether any byte is a control character, `"` or `\\`.
    static func needsEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        firstEscape(in: bytes, from: 0) < bytes.count
    }

    /// The index of the first control character, `"` or `\\` from `start` on (the count when
    /// none): eight bytes at a time (``ByteWord``; a word with one says where), the last few one
    /// by one. Bodies are mostly strings, so this scan is much of writing JSON.
    @inline(__always)
    static func firstEscape(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start
        if let base = bytes.baseAddress {
            while i + 8 <= bytes.count {
                let word = ByteWord(base + i)
                let mask = word.matches(below: 0x20) | word.matches(0x22) | word.matches(0x5C)
                if mask != 0 { return i + ByteWord.firstMatch(mask) }
                i += 8
            }
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C { return i }
            i += 1
        }
        return i
    }
}

/// A JSON syntax error with its byte offset, line and column.
public struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var problem: String
    public var description: String { "\(line):\(column): \(problem)" }
}

/// Parses JSON text into ``Value``, keeping object key order.
public struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private var duplicateKeys = DuplicateKeys.lastWins
    private var maximumDepth = 512

    /// What to do with an object key written twice.
    public enum DuplicateKeys: Sendable {
        /// Keep the last value, as most JSON readers do (answers from servers).
        case lastWins
        /// A syntax error at the second key (input people write: messages).
        case refuse
    }

    /// Parses one JSON document; trailing non-space text is an error.
    public static func parse(_ text: String) throws(JSONSyntaxError) -> Value {
        try parse(Array(text.utf8))
    }

    /// - Parameter maximumDepth: how deep arrays and objects may nest (512 unless said).
    public static func parse(_ bytes: [UInt8], duplicateKeys: DuplicateKeys = .lastWins, maximumDepth: Int = 512) throws(JSONSyntaxError) -> Value {
        var parser = JSONParser(bytes: bytes)
        parser.duplicateKeys = duplicateKeys
        parser.maximumDepth = maximumDepth
        parser.skipSpace()
        let value = try parser.parseValue(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ problem: String) -> JSONSyntaxError {
        var line = 1, column = 1
        for b in bytes[..<min(index, bytes.count)] {
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return JSONSyntaxError(line: line, column: column, problem: problem)
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// `true`, `false` or `null`, compared in place (no copies: every answer has one or two).
    private mutating func expect(_ literal: StaticString, _ value: Value) throws(JSONSyntaxError) -> Value {
        let count = literal.utf8CodeUnitCount
        let matches = bytes.count - index >= count && literal.withUTF8Buffer { word in
            (0..<count).allSatisfy { bytes[index + $0] == word[$0] }
        }
        guard matches else { throw error("unexpected character") }
        index += count
        return value
    }

    private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> Value {
        guard depth < maximumDepth else { throw error("nesting deeper than \(maximumDepth) levels") }
        guard index < bytes.count else { throw error("unexpected end of JSON") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var object = OrderedObject()
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let keyStart = index
                let key = try parseString()
                if duplicateKeys == .refuse, object[key] != nil {
                    index = keyStart
                    throw error("duplicate key \"\(key)\"; a key may appear once")
                }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                index += 1
                skipSpace()
                object[key] = try parseValue(depth: depth + 1)
                skipSpace()
                guard index < bytes.count else { throw error("unexpected end of JSON") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [Value] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw error("unexpected end of JSON") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        default: return try parseNumber()
        }
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> Value {
        let start = index
        var isInteger = true
        while index < bytes.count {
            let b = bytes[index]
            if (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") {
                index += 1
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                isInteger = false
                index += 1
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let i = Int(text) { return .int(i) }
        guard !text.isEmpty, let d = Double(text) else { throw error("unexpected character") }
        return .double(d)
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1  // opening quote
        // Most strings have no escape: made from the bytes at once.
        let start = index
        index = plainRunEnd(from: index)
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            index += 1
            return String(decoding: bytes[start..<index - 1], as: UTF8.self)
        }
        // With escapes: the plain runs between them are copied whole into a byte buffer.
        let out = ByteSink(capacity: 2 * (index - start) + 16)
        append(start..<index, to: out)
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            switch b {
            case UInt8(ascii: "\""): return out.string
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw error("unterminated string") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        let next = index
                        index += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            // Not a pair (found by fuzzing: `low - 0xDC00` trapped): the lone high
                            // surrogate becomes U+FFFD, and the next escape is read on its own.
                            index = next
                        }
                    }
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    out.append(String(scalar))
                default: out.append(e)
                }
            default:
                if b < 0x20 { throw error("control character in string") }
                // The plain run this byte starts is copied at once (an HTML part is long runs
                // between quotes and line breaks).
                let runStart = index - 1
                index = plainRunEnd(from: index)
                append(runStart..<index, to: out)
            }
        }
        throw error("unterminated string")
    }

    /// Where the plain run from `start` ends: at a quote, a backslash or a control character (the
    /// bytes a writer must escape, found eight at a time), or at the end of the text.
    private func plainRunEnd(from start: Int) -> Int {
        bytes.withUnsafeBufferPointer { JSONWriter.firstEscape(in: $0, from: start) }
    }

    private func append(_ range: Range<Int>, to out: ByteSink) {
        bytes.withUnsafeBufferPointer { out.append(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count,
              let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
        else { throw error("bad \\u escape") }
        index += 4
        return code
    }
}

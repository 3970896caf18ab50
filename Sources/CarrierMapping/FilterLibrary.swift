import Foundation
import Synchronization

struct FilterError: Error {
    var message: String
}

/// The closed set of named filters that expressions can apply with `value | name(args)`.
///
/// Each entry documents itself; `docs/provider-format.md` lists the same table.
package enum FilterLibrary {
    struct Filter: Sendable {
        var arguments: ClosedRange<Int>
        var summary: String
        var apply: @Sendable (Value, [Value]) throws(FilterError) -> Value
    }

    static let all: [String: Filter] = [
        "address": Filter(arguments: 0...0, summary: "an address object → \"Name <email>\"") { v, _ throws(FilterError) in
            try formatAddress(v)
        },
        "addresses": Filter(arguments: 0...0, summary: "a list of addresses → a list of \"Name <email>\" strings") { v, _ throws(FilterError) in
            .array(try list(v).map { a throws(FilterError) in try formatAddress(a) })
        },
        "join": Filter(arguments: 0...1, summary: "a list → one string, joined by the argument (default \", \")") { v, args in
            guard case .array(let items) = v else { return v }
            let separator = args.first?.text ?? ", "
            return .string(items.filter { !$0.isEmpty }.map(\.text).joined(separator: separator))
        },
        "json": Filter(arguments: 0...0, summary: "any value → its JSON text") { v, _ in .string(JSONWriter.string(v)) },
        "parse_json": Filter(arguments: 0...0, summary: "JSON text → the value (null if it is not JSON)") { v, _ in
            guard case .string(let s) = v else { return v }
            return (try? JSONParser.parse(s)) ?? .null
        },
        "base64": Filter(arguments: 0...0, summary: "text → base64") { v, _ in
            .string(Data(v.text.utf8).base64EncodedString())
        },
        "hex": Filter(arguments: 0...0, summary: "text → the hexadecimal of its UTF-8 bytes (binary values travel as hex)") { v, _ in
            .string(Digest.hex(Array(v.text.utf8)))
        },
        "hmac_sha256": Filter(arguments: 1...1, summary: "text → HMAC-SHA256 in hex, keyed with the hex bytes of the argument (chains derive keys)") { v, args throws(FilterError) in
            guard let key = Self.bytes(hex: args[0].text) else { throw FilterError(message: "the key of hmac_sha256 must be hexadecimal") }
            return .string(Digest.hex(Digest.hmacSHA256(key: key, Array(v.text.utf8))))
        },
        "base64_hex": Filter(arguments: 0...0, summary: "hexadecimal bytes → base64") { v, _ throws(FilterError) in
            guard let bytes = Self.bytes(hex: v.text) else { throw FilterError(message: "the value is not hexadecimal") }
            return .string(Data(bytes).base64EncodedString())
        },
        "base64url": Filter(arguments: 0...0, summary: "text → URL-safe base64 (RFC 4648 §5), padded") { v, _ in
            .string(Base64.url(Data(v.text.utf8)))
        },
        "pluck": Filter(arguments: 1...1, summary: "a list of objects → the list of their values at a key") { v, args throws(FilterError) in
            .array(try list(v).map { $0[args[0].text] }.filter { !$0.isNull })
        },
        "where": Filter(arguments: 2...2, summary: "a list of objects → those whose key equals the value") { v, args throws(FilterError) in
            .array(try list(v).filter { MappingExpression.looselyEqual($0[args[0].text], args[1]) })
        },
        "reject": Filter(arguments: 2...2, summary: "a list of objects → those whose key does not equal the value") { v, args throws(FilterError) in
            .array(try list(v).filter { !MappingExpression.looselyEqual($0[args[0].text], args[1]) })
        },
        "first": Filter(arguments: 0...0, summary: "the first item of a list") { v, _ in v[0] },
        "last": Filter(arguments: 0...0, summary: "the last item of a list") { v, _ in v[-1] },
        "count": Filter(arguments: 0...0, summary: "the number of items, entries or characters") { v, _ in
            switch v {
            case .array(let a): return .int(a.count)
            case .object(let o): return .int(o.count)
            case .string(let s): return .int(s.count)
            case .null: return .int(0)
            default: return .int(1)
            }
        },
        "lookup": Filter(arguments: 1...2, summary: "a name → its value in the mapping argument, else the second argument (default null)") { v, args throws(FilterError) in
            guard let table = args[0].objectValue else { throw FilterError(message: "needs a mapping such as {delivery: 'delivered'}") }
            return table[v.text] ?? (args.count > 1 ? args[1] : .null)
        },
        "replace": Filter(arguments: 2...2, summary: "text → the same with every occurrence of the first argument replaced by the second") { v, args in
            guard !v.isNull else { return .null }
            let old = args[0].text
            return old.isEmpty ? .string(v.text) : .string(v.text.replacingOccurrences(of: old, with: args[1].text))
        },
        "after": Filter(arguments: 1...1, summary: "text (or each text of a list) → what follows the first occurrence of the argument") { v, args in
            func after(_ text: String) -> Value {
                guard let range = text.range(of: args[0].text) else { return .string(text) }
                return .string(String(text[range.upperBound...]))
            }
            if case .array(let items) = v { return .array(items.map { after($0.text) }) }
            return v.isNull ? .null : after(v.text)
        },
        "default": Filter(arguments: 1...1, summary: "the argument when the value is empty") { v, args in v.isEmpty ? args[0] : v },
        "keys": Filter(arguments: 0...0, summary: "an object's keys") { v, _ in .array((v.objectValue?.keys ?? []).map(Value.string)) },
        "values": Filter(arguments: 0...0, summary: "an object's values") { v, _ in .array(v.objectValue?.entries.map(\.value) ?? []) },
        "entries": Filter(arguments: 0...0, summary: "an object → a list of {key, value}") { v, _ in
            .array(v.objectValue?.entries.map { .object(["key": .string($0.key), "value": $0.value]) } ?? [])
        },
        "pairs": Filter(arguments: 0...1, summary: "an object → [key, value, key, value, …], sorted by key with 'sorted' (a signature over form fields)") { v, args throws(FilterError) in
            guard let object = v.objectValue else { return .array([]) }
            guard args.isEmpty || args[0].text == "sorted" else { throw FilterError(message: "takes no argument, or 'sorted'") }
            let entries = args.isEmpty ? object.entries : object.entries.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            return .array(entries.flatMap { [Value.string($0.key), $0.value] })
        },
        "prefix_keys": Filter(arguments: 1...1, summary: "an object → the same object with each key prefixed") { v, args in
            guard let object = v.objectValue else { return v }
            return .object(OrderedObject(object.entries.map { (args[0].text + $0.key, $0.value) }))
        },
        "rename": Filter(arguments: 1...1, summary: "an object, or each object of a list → keys renamed by the mapping; other keys dropped") { v, args throws(FilterError) in
            guard let mapping = args[0].objectValue else { throw FilterError(message: "needs an object such as {email: 'Email'}") }
            func rename(_ item: Value) -> Value {
                var out = OrderedObject()
                for entry in mapping where !item[entry.key].isEmpty { out[entry.value.text] = item[entry.key] }
                return .object(out)
            }
            if case .array(let items) = v { return .array(items.map(rename)) }
            return v.isNull ? .null : rename(v)
        },
        "contains": Filter(arguments: 1...1, summary: "a list → whether an item equals the argument (text compared case-insensitively); text → whether it contains it") { v, args in
            let wanted = args[0]
            if case .array(let items) = v {
                return .bool(items.contains { item in
                    if case .string(let a) = item, case .string(let b) = wanted { return a.caseInsensitiveCompare(b) == .orderedSame }
                    return MappingExpression.looselyEqual(item, wanted)
                })
            }
            guard case .string(let text) = v else { return .bool(false) }
            return .bool(text.localizedCaseInsensitiveContains(wanted.text))
        },
        "omit": Filter(arguments: 1...1, summary: "an object, or each object of a list → without the keys named (a name or a list of names); the rest kept") { v, args in
            let names = Set((args[0].arrayValue ?? [args[0]]).map(\.text))
            func omit(_ item: Value) -> Value {
                guard let object = item.objectValue else { return item }
                return .object(OrderedObject(object.entries.filter { !names.contains($0.key) }.map { ($0.key, $0.value) }))
            }
            if case .array(let items) = v { return .array(items.map(omit)) }
            return omit(v)
        },
        "from_entries": Filter(arguments: 0...2, summary: "a list of [key, value] pairs, or of objects with a key and a value field (names default 'key' and 'value') → an object") { v, args throws(FilterError) in
            let keyName = args.count > 0 ? args[0].text : "key", valueName = args.count > 1 ? args[1].text : "value"
            var out = OrderedObject()
            for entry in try list(v) {
                if let pair = entry.arrayValue, pair.count == 2 { out[pair[0].text] = pair[1]; continue }
                let key = entry[keyName]
                guard !key.isEmpty else { throw FilterError(message: "an entry has no '\(keyName)'") }
                out[key.text] = entry[valueName]
            }
            return .object(out)
        },
        "string_values": Filter(arguments: 0...0, summary: "an object → the same object with every value as text") { v, _ in
            guard let object = v.objectValue else { return v }
            return .object(OrderedObject(object.entries.map { ($0.key, .string($0.value.text)) }))
        },
        "lower": Filter(arguments: 0...0, summary: "text in lower case") { v, _ in .string(v.text.lowercased()) },
        "upper": Filter(arguments: 0...0, summary: "text in upper case") { v, _ in .string(v.text.uppercased()) },
        "string": Filter(arguments: 0...0, summary: "any value as text") { v, _ in v.isNull ? .null : .string(v.text) },
        "int": Filter(arguments: 0...0, summary: "a number or numeric text → a whole number") { v, _ throws(FilterError) in
            if v.isNull { return .null }
            guard let i = v.intValue else { throw FilterError(message: "'\(v.text)' is not a whole number") }
            return .int(i)
        },
        "split": Filter(arguments: 0...1, summary: "text → a list, split on the argument (default \",\") and trimmed") { v, args in
            guard case .string(let s) = v else { return v }
            let separator = args.first?.text ?? ","
            return .array(s.components(separatedBy: separator).map { .string($0.trimmingWhitespace()) })
        },
        "trim": Filter(arguments: 0...0, summary: "text without surrounding white space") { v, _ in
            .string(v.text.trimmingCharacters(in: .whitespacesAndNewlines))
        },
        "domain": Filter(arguments: 0...0, summary: "an address or e-mail → its domain") { v, _ in
            let email = v["email"].stringValue ?? v.text
            return email.split(separator: "@").last.map { .string(String($0)) } ?? .null
        },
        "compact": Filter(arguments: 0...0, summary: "a list without its empty items, or an object without its empty values") { v, _ in
            switch v {
            case .array(let items): return .array(items.filter { !$0.isEmpty })
            case .object(let object): return .object(OrderedObject(object.entries.filter { !$0.value.isEmpty }.map { ($0.key, $0.value) }))
            default: return v
            }
        },
        "match": Filter(arguments: 1...1, summary: "text → the first capture group of a regular expression (or the whole match), null if none") { v, args throws(FilterError) in
            guard case .string = v else { return .null }
            return firstMatch(of: try Preparation(pattern: args[0].text).regularExpression(), in: v)
        },
        "url_escape": Filter(arguments: 0...0, summary: "text → percent-encoded for a URL path segment or query value") { v, _ in
            v.isNull ? .null : .string(PercentEncoding.encode(v.text))
        },
        "flatten": Filter(arguments: 0...0, summary: "a list of lists → one list") { v, _ in
            guard case .array(let items) = v else { return v }
            return .array(items.flatMap { $0.arrayValue ?? [$0] })
        },
        "unix": Filter(arguments: 0...0, summary: "a time (unix seconds or ISO 8601) → unix seconds") { v, _ throws(FilterError) in
            if v.isNull { return .null }
            return .int(try epochSeconds(v))
        },
        "rfc2822": Filter(arguments: 0...0, summary: "a time → an RFC 2822 date such as \"Fri, 14 Oct 2011 12:00:00 +0000\"") { v, _ throws(FilterError) in
            if v.isNull { return .null }
            return .string(RFC2822Date.format(epochSeconds: try epochSeconds(v)))
        },
        "iso8601": Filter(arguments: 0...0, summary: "a time → ISO 8601 in UTC, such as \"2011-10-14T12:00:00Z\"") { v, _ throws(FilterError) in
            if v.isNull { return .null }
            return .string(ISO8601.format(epochSeconds: try epochSeconds(v)))
        },
    ]

    /// Checks filter names and argument counts once, when a definition is loaded.
    static func check(_ expression: MappingExpression) throws(ExpressionError) {
        switch expression {
        case .literal, .variable: return
        case .member(let base, _, _): try check(base)
        case .index(let a, let b, _): try check(a); try check(b)
        case .list(let items): for item in items { try check(item) }
        case .object(let pairs): for (_, e) in pairs { try check(e) }
        case .unary(_, let e): try check(e)
        case .binary(_, let a, let b, _): try check(a); try check(b)
        case .conditional(let a, let b, let c): try check(a); try check(b); try check(c)
        case .filter(let base, let name, let args, let offset, _):
            try check(base)
            for arg in args { try check(arg) }
            guard let filter = all[name] else {
                throw ExpressionError(offset: offset, message: "unknown filter '\(name)'",
                                      hint: Suggest.hint(for: name, in: all.keys.sorted()))
            }
            guard filter.arguments.contains(args.count) else {
                let expected = filter.arguments.lowerBound == filter.arguments.upperBound
                    ? "\(filter.arguments.lowerBound)" : "\(filter.arguments.lowerBound) to \(filter.arguments.upperBound)"
                throw ExpressionError(offset: offset, message: "filter '\(name)' takes \(expected) argument(s), not \(args.count)")
            }
        }
    }

    static func apply(_ name: String, to value: Value, arguments: [Value], prepared: Preparation? = nil) throws(FilterError) -> Value {
        if let prepared {
            guard case .string = value else { return .null }
            return firstMatch(of: try prepared.regularExpression(), in: value)
        }
        guard let filter = all[name] else { throw FilterError(message: "unknown filter") }
        return try filter.apply(value, arguments)
    }

    /// What a filter keeps from literal arguments in the expression that uses them: `match`'s
    /// regular expression, compiled the first time it is used and then kept (not at load: ICU's
    /// first compile would cost every `carrier render` 8M instructions). Compiled per value, it
    /// ran ICU's compiler for every delivery event, and Foundation on Linux leaks the UTF-16 copy
    /// of a pattern over 256 characters at every compile (found by the `expression` fuzz target).
    package final class Preparation: Sendable {
        let pattern: String
        private let compiled = Mutex<Compiled?>(nil)

        /// NSRegularExpression is immutable once made, and safe to use from any thread.
        private struct Compiled: @unchecked Sendable { let expression: NSRegularExpression? }

        init(pattern: String) { self.pattern = pattern }

        func regularExpression() throws(FilterError) -> NSRegularExpression {
            let made = compiled.withLock { compiled in
                if let compiled { return compiled }
                let made = Compiled(expression: try? NSRegularExpression(pattern: pattern))
                compiled = made
                return made
            }
            guard let expression = made.expression else { throw FilterError(message: "'\(pattern)' is not a regular expression") }
            return expression
        }
    }

    /// The preparation for `name` with these arguments, when they allow one: `match` with a
    /// pattern written in the template (a pattern computed at run time is compiled per value).
    static func prepare(_ name: String, arguments: [MappingExpression]) -> Preparation? {
        guard name == "match", arguments.count == 1, case .literal(.string(let pattern)) = arguments[0] else { return nil }
        return Preparation(pattern: pattern)
    }

    /// The first capture group of `regex` in `value` (or the whole match); null if none or not text.
    private static func firstMatch(of regex: NSRegularExpression, in value: Value) -> Value {
        guard case .string(let text) = value else { return .null }
        guard let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return .null }
        let group = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
        return Range(group, in: text).map { .string(String(text[$0])) } ?? .null
    }

    private static func list(_ v: Value) throws(FilterError) -> [Value] {
        switch v {
        case .array(let items): return items
        case .null: return []
        default: throw FilterError(message: "needs a list, not \(v.typeName)")
        }
    }

    private static func formatAddress(_ v: Value) throws(FilterError) -> Value {
        switch v {
        case .null: return .null
        case .string: return v
        case .object:
            guard let email = v["email"].stringValue else { throw FilterError(message: "needs an address with an 'email'") }
            return .string(Address(email: email, name: v["name"].stringValue).formatted)
        default: throw FilterError(message: "needs an address, not \(v.typeName)")
        }
    }

    private static func epochSeconds(_ v: Value) throws(FilterError) -> Int {
        if let i = v.intValue, CivilTime.supported.contains(i) { return i }
        if case .string(let s) = v, let seconds = ISO8601.parse(s) { return seconds }
        throw FilterError(message: "'\(v.text)' is not a time (unix seconds or ISO 8601, between the years 1 and 9999)")
    }

    /// The bytes of a hexadecimal string, or nil when it is not one.
    package static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ d: UInt8) -> UInt8? {
            switch d {
            case 0x30...0x39: return d - 0x30
            case 0x61...0x66: return d - 0x61 + 10
            case 0x41...0x46: return d - 0x41 + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }
}

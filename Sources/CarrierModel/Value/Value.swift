/// A JSON-shaped value: what messages, provider templates, requests and responses are made of.
///
/// Objects keep the order their keys were written in, so rendered request bodies follow the
/// provider file; equality of objects ignores order, as JSON's does.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([Value])
    case object(OrderedObject)

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// True for null, "", [] and {}: the values a template leaves out.
    public var isEmpty: Bool {
        switch self {
        case .null: return true
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        default: return false
        }
    }

    /// Truthiness in conditions: empty values and `false` and `0` are false.
    public var isTruthy: Bool {
        switch self {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        default: return !isEmpty
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var arrayValue: [Value]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: OrderedObject? { if case .object(let o) = self { return o } else { return nil } }
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        case .string(let s): return Int(s)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    /// The value as text, the way it reads inside a template string.
    public var text: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSONWriter.format(d)
        case .string(let s): return s
        case .array, .object: return JSONWriter.string(self)
        }
    }

    /// A word for the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "list"
        case .object: return "object"
        }
    }

    /// `self[key]` for objects, null otherwise.
    public subscript(key: String) -> Value {
        objectValue?[key] ?? .null
    }

    /// `self[index]` for arrays (negative counts from the end), null when out of range.
    public subscript(index: Int) -> Value {
        guard case .array(let items) = self else { return .null }
        let i = index < 0 ? items.count + index : index
        return items.indices.contains(i) ? items[i] : .null
    }
}

/// A string-keyed map that remembers insertion order.
public struct OrderedObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: Value
    }
    public private(set) var entries: [Entry] = []

    public init() {}
    public init(_ entries: [(String, Value)]) {
        self.entries.reserveCapacity(entries.count)
        for (key, value) in entries { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, Value)...) {
        // Room for all at once: a scope or an answer's object is a literal of four or five, which
        // grown one by one would be copied three times.
        entries.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }
    public var keys: [String] { entries.map(\.key) }

    public subscript(key: String) -> Value? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append(Entry(key: key, value: newValue))
            }
        }
    }

    /// Header fields by lower-case name, the last value of each: how templates read a webhook's
    /// or an answer's `headers`.
    package init(headers: [(name: String, value: String)]) {
        for header in headers { self[header.name.lowercased()] = .string(header.value) }
    }

    package mutating func reserveCapacity(_ count: Int) { entries.reserveCapacity(count) }

    /// Adds an entry whose key the caller knows is not there yet, without looking for it.
    package mutating func appendNew(_ key: String, _ value: Value) {
        entries.append(Entry(key: key, value: value))
    }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    public static func == (lhs: OrderedObject, rhs: OrderedObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.entries.allSatisfy { rhs[$0.key] == $0.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries.sorted(by: { $0.key < $1.key }) {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
}

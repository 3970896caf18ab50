/// Replaces secrets with `***` in anything Carrier prints, logs or raises.
///
/// Built from an account's secret credentials (and tokens obtained at run time); values shorter
/// than four characters are not treated as secrets, or every `a` would vanish from output.
/// Matching works on UTF-8 bytes: it runs over every string of every rendered request.
public struct Redactor: Sendable {
    public private(set) var secrets: [String] = []
    private var patterns: [[UInt8]] = []

    public init(secrets: [String] = []) {
        for s in secrets { add(s) }
    }

    public mutating func add(_ secret: String) {
        guard secret.count >= 4, !secrets.contains(secret) else { return }
        secrets.append(secret)
        secrets.sort { $0.utf8.count > $1.utf8.count }  // longest first, so a secret inside another is not half-masked
        patterns = secrets.map { Array($0.utf8) }
    }

    public func redact(_ text: String) -> String {
        guard !patterns.isEmpty else { return text }
        var bytes = Array(text.utf8)
        var changed = false
        for pattern in patterns where Self.occurs(pattern, in: bytes) {
            bytes = Self.replace(pattern, in: bytes)
            changed = true
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    public func redact(_ value: Value) -> Value {
        guard !patterns.isEmpty, containsSecret(value) else { return value }
        switch value {
        case .string(let s): return .string(redact(s))
        case .array(let items): return .array(items.map(redact))
        case .object(let object): return .object(OrderedObject(object.entries.map { ($0.key, redact($0.value)) }))
        default: return value
        }
    }

    /// Whether any string inside the value holds a secret (checked without copying the value).
    private func containsSecret(_ value: Value) -> Bool {
        switch value {
        case .string(let s):
            let bytes = Array(s.utf8)
            return patterns.contains { Self.occurs($0, in: bytes) }
        case .array(let items): return items.contains(where: containsSecret)
        case .object(let object): return object.entries.contains { containsSecret($0.value) }
        default: return false
        }
    }

    private static let mask = Array("***".utf8)

    private static func occurs(_ pattern: [UInt8], in bytes: [UInt8]) -> Bool {
        guard bytes.count >= pattern.count, let first = pattern.first else { return false }
        var i = 0
        while i <= bytes.count - pattern.count {
            if bytes[i] == first && bytes[i..<i + pattern.count].elementsEqual(pattern) { return true }
            i += 1
        }
        return false
    }

    private static func replace(_ pattern: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i <= bytes.count - pattern.count && bytes[i] == pattern[0] && bytes[i..<i + pattern.count].elementsEqual(pattern) {
                out += mask
                i += pattern.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}

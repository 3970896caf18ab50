/// Replaces secrets with `***` in anything Carrier prints, logs or raises.
///
/// Built from an account's secret credentials (and tokens obtained at run time); values shorter
/// than four characters are not treated as secrets, or every `a` would vanish from output.
public struct Redactor: Sendable {
    public private(set) var secrets: [String] = []

    public init(secrets: [String] = []) {
        for s in secrets { add(s) }
    }

    public mutating func add(_ secret: String) {
        guard secret.count >= 4, !secrets.contains(secret) else { return }
        secrets.append(secret)
        secrets.sort { $0.count > $1.count }
    }

    public func redact(_ text: String) -> String {
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: "***")
        }
        return out
    }

    public func redact(_ value: Value) -> Value {
        switch value {
        case .string(let s): return .string(redact(s))
        case .array(let items): return .array(items.map(redact))
        case .object(let object): return .object(OrderedObject(object.entries.map { ($0.key, redact($0.value)) }))
        default: return value
        }
    }
}

import CarrierYAML

extension Value {
    /// Converts a YAML node into a value, resolving plain scalars by the YAML 1.2 core schema
    /// (`null`/`~`/empty, `true`/`false`, integers, floats); quoted scalars stay strings.
    public init(yaml node: YAMLNode) {
        switch node.kind {
        case .scalar(let text, let plain):
            self = plain ? Value.resolvePlainScalar(text) : .string(text)
        case .sequence(let items):
            self = .array(items.map(Value.init(yaml:)))
        case .mapping(let pairs):
            var object = OrderedObject()
            for pair in pairs { object[pair.key.scalar ?? Value(yaml: pair.key).text] = Value(yaml: pair.value) }
            self = .object(object)
        }
    }

    static func resolvePlainScalar(_ text: String) -> Value {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let first = text.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || (first >= 0x30 && first <= 0x39) {
            if let i = Int(text) { return .int(i) }
            if text.hasPrefix("0x"), let i = Int(text.dropFirst(2), radix: 16) { return .int(i) }
            if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let d = Double(text) { return .double(d) }
        }
        return .string(text)
    }
}

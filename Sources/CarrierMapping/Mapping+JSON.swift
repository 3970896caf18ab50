extension Mapping {
    /// What ``writeJSON(in:into:)`` wrote: nothing (the value was null), an empty value (`""`,
    /// `[]`, `{}`), or a value. An object leaves out both of the first two; a list only the first.
    package enum Written: Sendable {
        case null, empty, value
    }

    /// Renders the template straight into JSON: the bytes `JSONWriter` writes for
    /// ``render(in:)``'s value, without building that value (a request body's objects and lists
    /// are written as they are rendered; what an expression returns is written as it is).
    ///
    /// A member or element left out is written and then dropped (``ByteSink/truncate(to:)``);
    /// an object with `$merge` is rendered whole first, as a merged key takes the place of the
    /// field it replaces. A null value writes nothing: the caller writes `null` if it must.
    package func writeJSON(in scope: Scope, into out: ByteSink) throws(MappingError) -> Written {
        switch self {
        case .literal(let value):
            return Self.write(value, into: out)
        case .expression(let e):
            // A message field written whole (`{{ to }}`) is written from the message itself.
            if case .variable(let name, _, let slot?) = e.expression, let written = scope.writeMessageField(name, slot: slot, into: out) {
                return written
            }
            return Self.write(try e.evaluate(in: scope), into: out)
        case .interpolation:
            return Self.write(try render(in: scope), into: out)
        case .object(let entries) where entries.contains(where: \.isMerge):
            return Self.write(try render(in: scope), into: out)
        case .object(let entries):
            out.append(0x7B)
            var members = 0
            for case .field(_, let template, let keyJSON) in entries {
                let mark = out.count
                if members > 0 { out.append(0x2C) }
                keyJSON.withUnsafeBufferPointer { out.append($0) }
                if try template.writeJSON(in: scope, into: out) == .value { members += 1 } else { out.truncate(to: mark) }
            }
            out.append(0x7D)
            return members == 0 ? .empty : .value
        case .array(let items):
            out.append(0x5B)
            var elements = 0
            for item in items {
                if case .each(let source, let name, let body) = item {
                    // An `$each` in a list adds its items to that list.
                    try Self.writeEach(source, name, body, in: scope, into: out, elements: &elements)
                } else {
                    try item.writeElement(in: scope, into: out, elements: &elements)
                }
            }
            out.append(0x5D)
            return elements == 0 ? .empty : .value
        case .each(let source, let name, let body):
            out.append(0x5B)
            var elements = 0
            try Self.writeEach(source, name, body, in: scope, into: out, elements: &elements)
            out.append(0x5D)
            return elements == 0 ? .empty : .value
        case .conditional(let condition, let then, let otherwise):
            if try condition.evaluate(in: scope).isTruthy { return try then.writeJSON(in: scope, into: out) }
            return try otherwise?.writeJSON(in: scope, into: out) ?? .null
        }
    }

    /// One element of a list, after a comma when it is not the first; a null one is left out.
    private func writeElement(in scope: Scope, into out: ByteSink, elements: inout Int) throws(MappingError) {
        let mark = out.count
        if elements > 0 { out.append(0x2C) }
        if try writeJSON(in: scope, into: out) == .null { out.truncate(to: mark) } else { elements += 1 }
    }

    /// The elements `$each` makes, as ``render(in:)`` makes its list: one per item of a list,
    /// one per member of an object (`{key, value}`), none for null, the value itself otherwise.
    private static func writeEach(_ source: CompiledExpression, _ name: String, _ body: Mapping, in scope: Scope,
                                  into out: ByteSink, elements: inout Int) throws(MappingError) {
        let input = try source.evaluate(in: scope)
        switch input {
        case .array(let items):
            for item in items { try body.writeElement(in: scope.with(name, item), into: out, elements: &elements) }
        case .null:
            break
        case .object(let object):
            for entry in object.entries {
                let item = Value.object(["key": .string(entry.key), "value": entry.value])
                try body.writeElement(in: scope.with(name, item), into: out, elements: &elements)
            }
        default:
            try body.writeElement(in: scope.with(name, input), into: out, elements: &elements)
        }
    }

    private static func write(_ value: Value, into out: ByteSink) -> Written {
        if value.isNull { return .null }
        JSONWriter.write(value, into: out)
        return value.isEmpty ? .empty : .value
    }
}

extension Mapping.ObjectEntry {
    /// Whether this is a `$merge` entry rather than a named field.
    var isMerge: Bool {
        if case .merge = self { return true }
        return false
    }
}

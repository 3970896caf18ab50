import CarrierYAML

/// Compiles YAML nodes of a provider file into ``Mapping``s, reporting every problem with
/// file:line:col: bad expression syntax, unknown filters, unknown variables, misused `$` keys.
package struct MappingCompiler {
    var file: String
    /// Variables an expression may read at the top level (message fields, settings, …).
    var variables: Set<String>
    var sink: DiagnosticSink

    package init(file: String, variables: Set<String>, sink: DiagnosticSink) {
        self.file = file
        self.variables = variables
        self.sink = sink
    }

    package func compile(_ node: YAMLNode) -> Mapping {
        compile(node, locals: [])
    }

    /// Compiles a scalar that is an expression on its own, with or without `{{ }}`.
    package func compileExpression(_ node: YAMLNode, locals: Set<String> = []) -> CompiledExpression? {
        guard case .scalar(let raw, let plain) = node.kind else {
            sink.add(Diagnostic(file: file, mark: node.mark, message: "expected an expression, not \(node.shapeName)"))
            return nil
        }
        var text = raw
        var offset = plain ? 0 : 1
        let trimmed = raw.trimmingWhitespace()
        if trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}") {
            offset += raw.distance(from: raw.startIndex, to: raw.range(of: "{{")!.upperBound)
            text = String(trimmed.dropFirst(2).dropLast(2))
        }
        let leading = text.prefix { $0 == " " }.count
        let start = SourceMark(line: node.mark.line, column: node.mark.column + offset + leading)
        return parse(text.trimmingWhitespace(), at: start, locals: locals)
    }

    private func compile(_ node: YAMLNode, locals: Set<String>) -> Mapping {
        switch node.kind {
        case .scalar(let text, let plain):
            guard text.contains(ascii: "{{") else { return .literal(Value(yaml: node)) }
            return compileInterpolation(text, node: node, quoted: !plain, locals: locals)
        case .sequence(let items):
            return .array(items.map { compile($0, locals: locals) })
        case .mapping(let pairs):
            let keys = pairs.compactMap { $0.key.scalar }
            if keys.contains("$each") { return compileEach(node, locals: locals) }
            if keys.contains("$if") { return compileConditional(node, locals: locals) }
            var entries: [Mapping.ObjectEntry] = []
            var seen = Set<String>()
            for pair in pairs {
                let key = pair.key.scalar ?? ""
                if !seen.insert(key).inserted {
                    sink.add(Diagnostic(file: file, mark: pair.key.mark, message: "duplicate key '\(key)'",
                                        hint: key == "$merge" ? "list every object to merge under one $merge" : "a key may appear once"))
                    continue
                }
                if key == "$merge" {
                    let items: [YAMLNode]
                    if case .sequence(let list) = pair.value.kind { items = list } else { items = [pair.value] }
                    entries.append(.merge(items.map { compile($0, locals: locals) }))
                } else if key.hasPrefix("$") {
                    sink.add(Diagnostic(file: file, mark: pair.key.mark, message: "unknown template key '\(key)'",
                                        hint: Suggest.hint(for: key, in: ["$each", "$as", "$do", "$if", "$then", "$else", "$merge"])))
                } else {
                    entries.append(.field(key, compile(pair.value, locals: locals)))
                }
            }
            return .object(entries)
        }
    }

    private func compileEach(_ node: YAMLNode, locals: Set<String>) -> Mapping {
        let reader = NodeReader(file: file, node: node, context: "$each", sink: sink)
        let name = reader.string("$as") ?? "item"
        let source = reader.requiredNode("$each").flatMap { compileExpression($0, locals: locals) }
        let body = reader.requiredNode("$do").map { compile($0, locals: locals.union([name])) }
        reader.finish()
        guard let source, let body else { return .literal(.null) }
        return .each(source: source, name: name, body: body)
    }

    private func compileConditional(_ node: YAMLNode, locals: Set<String>) -> Mapping {
        let reader = NodeReader(file: file, node: node, context: "$if", sink: sink)
        let condition = reader.requiredNode("$if").flatMap { compileExpression($0, locals: locals) }
        let then = reader.requiredNode("$then").map { compile($0, locals: locals) }
        let otherwise = reader.node("$else").map { compile($0, locals: locals) }
        reader.finish()
        guard let condition, let then else { return .literal(.null) }
        return .conditional(condition, then: then, otherwise: otherwise)
    }

    private func compileInterpolation(_ text: String, node: YAMLNode, quoted: Bool, locals: Set<String>) -> Mapping {
        // Read on the bytes (`{{` and `}}` are ASCII); columns count Unicode scalars, as libyaml's marks do.
        let bytes = Array(text.utf8)
        var parts: [Mapping.InterpolationPart] = []
        var start = 0
        var consumed = 0
        while let open = Self.find(0x7B, twiceIn: bytes, from: start) {
            let before = String(decoding: bytes[start..<open], as: UTF8.self)
            if !before.isEmpty { parts.append(.text(before)) }
            consumed += before.unicodeScalars.count + 2
            guard let close = Self.find(0x7D, twiceIn: bytes, from: open + 2) else {
                sink.add(Diagnostic(file: file, mark: column(node, quoted, consumed - 2), message: "'{{' without a closing '}}'"))
                return .literal(.null)
            }
            let inner = String(decoding: bytes[(open + 2)..<close], as: UTF8.self)
            let leading = inner.utf8.prefix { $0 == 0x20 }.count
            if let expression = parse(inner.trimmingWhitespace(), at: column(node, quoted, consumed + leading), locals: locals) {
                parts.append(.expression(expression))
            }
            consumed += inner.unicodeScalars.count + 2
            start = close + 2
        }
        if start < bytes.count { parts.append(.text(String(decoding: bytes[start...], as: UTF8.self))) }
        if parts.count == 1, case .expression(let only) = parts[0] { return .expression(only) }
        return .interpolation(parts)
    }

    /// Where `byte` first stands twice in a row at or after `start` (`{{` or `}}`).
    private static func find(_ byte: UInt8, twiceIn bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == byte && bytes[i + 1] == byte { return i }
            i += 1
        }
        return nil
    }

    private func column(_ node: YAMLNode, _ quoted: Bool, _ offset: Int) -> SourceMark {
        SourceMark(line: node.mark.line, column: node.mark.column + (quoted ? 1 : 0) + offset)
    }

    private func parse(_ text: String, at mark: SourceMark, locals: Set<String>) -> CompiledExpression? {
        do {
            let expression = try ExpressionParser.parse(text)
            let compiled = CompiledExpression(expression: expression, source: text, file: file, mark: mark)
            for name in expression.referencedVariables where !variables.contains(name) && !locals.contains(name) {
                sink.add(Diagnostic(file: file, mark: mark, message: "unknown variable '\(name)' in '\(text)'",
                                    hint: Suggest.hint(for: name, in: variables.union(locals).sorted())))
            }
            return compiled
        } catch {
            sink.add(Diagnostic(file: file, mark: SourceMark(line: mark.line, column: mark.column + error.offset),
                                message: "\(error.message) in '\(text)'", hint: error.hint))
            return nil
        }
    }
}

import CarrierYAML

/// Reads a YAML mapping into Swift values while collecting diagnostics: wrong types, missing
/// required keys and unknown keys (with a suggestion) are reported with file:line:col.
///
/// Decoding and validation are one pass: every key a reader asks for is known; whatever else the
/// mapping holds is reported by ``finish()``.
package final class NodeReader {
    package let file: String
    package let node: YAMLNode
    package let context: String
    private(set) var known: [String] = []
    private let sink: DiagnosticSink

    package init(file: String, node: YAMLNode, context: String, sink: DiagnosticSink) {
        self.file = file
        self.node = node
        self.context = context
        self.sink = sink
        if node.mapping == nil {
            sink.add(Diagnostic(file: file, mark: node.mark, message: "\(context) must be a mapping, not \(node.shapeName)"))
        }
    }

    package func error(_ node: YAMLNode, _ message: String, hint: String? = nil) {
        sink.add(Diagnostic(file: file, mark: node.mark, message: message, hint: hint))
    }

    /// The node under `key`, recording the key as known.
    package func node(_ key: String) -> YAMLNode? {
        known.append(key)
        return node[key]
    }

    /// Records `key` as known without reading what is under it: a section passed over.
    package func pass(over key: String) {
        known.append(key)
    }

    package func requiredNode(_ key: String) -> YAMLNode? {
        guard let child = node(key) else {
            if node.mapping != nil { error(node, "\(context) is missing required key '\(key)'") }
            return nil
        }
        return child
    }

    package func string(_ key: String, required: Bool = false) -> String? {
        guard let child = required ? requiredNode(key) : node(key) else { return nil }
        return scalarString(child, name: key)
    }

    package func scalarString(_ child: YAMLNode, name: String) -> String? {
        guard case .scalar(let text, _) = child.kind else {
            error(child, "'\(name)' in \(context) must be a string, not \(child.shapeName)")
            return nil
        }
        return text
    }

    package func bool(_ key: String) -> Bool? {
        guard let child = node(key) else { return nil }
        if case .bool(let b) = Value(yaml: child) { return b }
        error(child, "'\(key)' in \(context) must be true or false")
        return nil
    }

    package func int(_ key: String) -> Int? {
        guard let child = node(key) else { return nil }
        if case .int(let i) = Value(yaml: child) { return i }
        error(child, "'\(key)' in \(context) must be a whole number")
        return nil
    }

    package func oneOf(_ key: String, _ allowed: [String]) -> String? {
        guard let child = node(key), let text = scalarString(child, name: key) else { return nil }
        guard allowed.contains(text) else {
            error(child, "'\(text)' is not a valid \(key) in \(context)", hint: Suggest.hint(for: text, in: allowed))
            return nil
        }
        return text
    }

    /// A nested reader for a mapping under `key`.
    package func mapping(_ key: String, required: Bool = false) -> NodeReader? {
        guard let child = required ? requiredNode(key) : node(key) else { return nil }
        guard child.mapping != nil else {
            error(child, "'\(key)' in \(context) must be a mapping, not \(child.shapeName)")
            return nil
        }
        return NodeReader(file: file, node: child, context: "'\(key)'", sink: sink)
    }

    /// The entries of a mapping under `key`, whose keys are free (names chosen by the author).
    package func entries(_ key: String) -> [(String, YAMLNode)]? {
        guard let child = node(key) else { return nil }
        guard let pairs = child.mapping else {
            error(child, "'\(key)' in \(context) must be a mapping, not \(child.shapeName)")
            return nil
        }
        return pairs.map { ($0.key.scalar ?? "", $0.value) }
    }

    package func list(_ key: String) -> [YAMLNode]? {
        guard let child = node(key) else { return nil }
        guard case .sequence(let items) = child.kind else {
            error(child, "'\(key)' in \(context) must be a list, not \(child.shapeName)")
            return nil
        }
        return items
    }

    /// Reports every key that no accessor asked for, and keys written twice.
    package func finish() {
        guard let pairs = node.mapping else { return }
        var seen = Set<String>()
        for pair in pairs {
            let key = pair.key.scalar ?? ""
            if !seen.insert(key).inserted {
                error(pair.key, "duplicate key '\(key)' in \(context)", hint: "a key may appear once; the first is used")
                continue
            }
            if !known.contains(key) {
                error(pair.key, "unknown key '\(key)' in \(context)", hint: Suggest.hint(for: key, in: known))
            }
        }
    }
}

/// Collects diagnostics from readers and compilers working on one file.
package final class DiagnosticSink {
    package private(set) var diagnostics: [Diagnostic] = []

    package init() {}

    package func add(_ d: Diagnostic) { diagnostics.append(d) }
    func add(contentsOf ds: [Diagnostic]) { diagnostics.append(contentsOf: ds) }
    /// Throws every diagnostic, in the order of the file (line, then column).
    package func check() throws(DiagnosticsError) {
        if !diagnostics.isEmpty {
            throw DiagnosticsError(diagnostics.enumerated().sorted { a, b in
                (a.element.mark.line, a.element.mark.column, a.offset) < (b.element.mark.line, b.element.mark.column, b.offset)
            }.map(\.element))
        }
    }
}

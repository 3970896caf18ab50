import CYAML

/// Parses YAML text with libyaml's document API into a ``YAMLNode`` tree.
///
/// Input is untrusted, so the tree is bounded: at most ``maximumDepth`` levels, and aliases may
/// not expand the document past ``maximumNodes`` nodes or ``maximumScalarBytes`` bytes of text
/// (or twice the document's own size, whichever is larger) — a few hundred bytes of nested
/// aliases cannot exhaust memory. A key written twice in one mapping is an error.
public enum YAMLParser {
    /// Deepest nesting of sequences and mappings.
    public static let maximumDepth = 200
    /// Nodes in the expanded tree (aliases counted at every use).
    public static let maximumNodes = 200_000
    /// Bytes of scalar text in the expanded tree.
    public static let maximumScalarBytes = 16 << 20
    /// The largest YAML text read at all.
    public static let maximumInputBytes = 64 << 20

    /// Parses the first document of `text`. Returns `nil` for an empty stream.
    ///
    /// - Parameter file: the name used in error messages.
    public static func parse(_ text: String, file: String = "<input>") throws(YAMLSyntaxError) -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLSyntaxError(file: file, mark: SourceMark(line: 1, column: 1), problem: "could not initialise libyaml")
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        guard bytes.count <= maximumInputBytes else {
            throw YAMLSyntaxError(file: file, mark: SourceMark(line: 1, column: 1),
                                  problem: "the file is larger than \(maximumInputBytes >> 20) MiB")
        }
        return try bytes.withUnsafeBufferPointer { buffer throws(YAMLSyntaxError) -> YAMLNode? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var document = yaml_document_t()
            guard yaml_parser_load(&parser, &document) == 1 else {
                throw syntaxError(parser, file: file)
            }
            defer { yaml_document_delete(&document) }
            guard let root = yaml_document_get_root_node(&document) else { return nil }
            let distinct = document.nodes.top - document.nodes.start
            var builder = TreeBuilder(document: document, file: file,
                                      nodeBudget: max(maximumNodes, 2 * distinct), byteBudget: max(maximumScalarBytes, 2 * buffer.count))
            return try builder.build(root, depth: 0)
        }
    }

    private static func syntaxError(_ parser: yaml_parser_t, file: String) -> YAMLSyntaxError {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        let context = parser.context.map { String(cString: $0) }
        let mark = SourceMark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        let text = context.map { "\(problem) \($0)" } ?? problem
        return YAMLSyntaxError(file: file, mark: mark, problem: text)
    }
}

/// Walks libyaml's node table (1-based indices) into Swift values.
private struct TreeBuilder {
    let document: yaml_document_t
    let file: String
    /// Anchored nodes may be referenced many times, so what is built is counted against budgets.
    var nodeBudget: Int
    var byteBudget: Int

    mutating func build(_ node: UnsafeMutablePointer<yaml_node_t>, depth: Int) throws(YAMLSyntaxError) -> YAMLNode {
        let mark = SourceMark(line: Int(node.pointee.start_mark.line) + 1, column: Int(node.pointee.start_mark.column) + 1)
        guard depth < YAMLParser.maximumDepth else {
            throw YAMLSyntaxError(file: file, mark: mark, problem: "nesting deeper than \(YAMLParser.maximumDepth) levels (a recursive alias?)")
        }
        nodeBudget -= 1
        guard nodeBudget >= 0 else {
            throw YAMLSyntaxError(file: file, mark: mark, problem: "the document expands to more than \(YAMLParser.maximumNodes) nodes "
                                  + "(aliases are counted at every use); refusing what looks like an alias bomb")
        }
        switch node.pointee.type {
        case YAML_SCALAR_NODE:
            let scalar = node.pointee.data.scalar
            let text = scalar.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: Int(scalar.length)), as: UTF8.self)
            } ?? ""
            byteBudget -= text.utf8.count
            guard byteBudget >= 0 else {
                throw YAMLSyntaxError(file: file, mark: mark, problem: "the document expands to more than \(YAMLParser.maximumScalarBytes >> 20) MiB "
                                      + "of text (aliases are counted at every use); refusing what looks like an alias bomb")
            }
            // libyaml's loader gives every plain scalar the default !!str tag, so an explicit
            // tag cannot be told apart; quoting is how a file keeps `true` or `12` a string.
            let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            return YAMLNode(kind: .scalar(text, plain: plain), mark: mark)
        case YAML_SEQUENCE_NODE:
            var items: [YAMLNode] = []
            var item = node.pointee.data.sequence.items.start
            while let current = item, current != node.pointee.data.sequence.items.top {
                items.append(try build(child(current.pointee), depth: depth + 1))
                item = current + 1
            }
            return YAMLNode(kind: .sequence(items), mark: mark)
        case YAML_MAPPING_NODE:
            var pairs: [YAMLPair] = []
            var seen: [String: SourceMark] = [:]
            var pair = node.pointee.data.mapping.pairs.start
            while let current = pair, current != node.pointee.data.mapping.pairs.top {
                let key = try build(child(current.pointee.key), depth: depth + 1)
                if let name = key.scalar {
                    if let first = seen[name] {
                        throw YAMLSyntaxError(file: file, mark: key.mark,
                                              problem: "duplicate key '\(name)' (first written at \(first)); a key may appear once")
                    }
                    seen[name] = key.mark
                }
                let value = try build(child(current.pointee.value), depth: depth + 1)
                pairs.append(YAMLPair(key: key, value: value))
                pair = current + 1
            }
            return YAMLNode(kind: .mapping(pairs), mark: mark)
        default:
            return YAMLNode(kind: .scalar("", plain: true), mark: mark)
        }
    }

    private func child(_ index: Int32) -> UnsafeMutablePointer<yaml_node_t> {
        // Indices come from libyaml for this document, so they are in range.
        document.nodes.start! + Int(index - 1)
    }
}

/// A position in a source file: 1-based line and column.
public struct SourceMark: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// A YAML node as libyaml's document API produced it, with the mark of where it starts.
///
/// Scalars keep their text and whether they were written plain (unquoted), so the consumer
/// can resolve `true`, `12` or `null` itself and quoted strings always stay strings.
public struct YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }
    public var kind: Kind
    public var mark: SourceMark

    public init(kind: Kind, mark: SourceMark) {
        self.kind = kind
        self.mark = mark
    }

    /// The node's entries when it is a mapping.
    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The scalar's text when it is a scalar.
    public var scalar: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    /// The value for `key` when this node is a mapping with scalar keys.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.key.scalar == key }?.value
    }

    /// A word for the node's shape, for error messages.
    public var shapeName: String {
        switch kind {
        case .scalar: return "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// One `key: value` entry of a YAML mapping.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A YAML syntax error with the place libyaml found it.
public struct YAMLSyntaxError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var mark: SourceMark
    public var problem: String
    public var description: String { "\(file):\(mark): error: \(problem)" }
}

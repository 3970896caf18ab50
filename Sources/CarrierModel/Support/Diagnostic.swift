import CarrierYAML

/// One problem in a file, with where it is and, when known, how to fix it.
///
/// Prints as `file:line:col: error: what — hint`, the form compilers use, so editors can jump to it.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var mark: SourceMark
    public var message: String
    public var hint: String?

    public init(file: String, mark: SourceMark, message: String, hint: String? = nil) {
        self.file = file
        self.mark = mark
        self.message = message
        self.hint = hint
    }

    public var description: String {
        "\(file):\(mark): error: \(message)" + (hint.map { "; \($0)" } ?? "")
    }
}

/// Problems found in a YAML file (provider definition, configuration or message).
public struct DiagnosticsError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

package enum Suggest {
    /// The candidate nearest to `word` by edit distance, when it is near enough to be a typo.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, word.count / 3) ? best.0 : nil
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// "did you mean 'x'?" when a candidate is near, else `otherwise` (default: the allowed words).
    package static func hint(for word: String, in candidates: [String], otherwise: String? = nil) -> String {
        if let near = nearest(word, in: candidates) { return "did you mean '\(near)'?" }
        return otherwise ?? "expected one of: " + candidates.joined(separator: ", ")
    }
}

extension YAMLParser {
    /// Parses a YAML file that must not be empty, turning syntax errors into diagnostics.
    package static func document(_ text: String, file: String, ifEmpty: String, hint: String? = nil) throws(DiagnosticsError) -> YAMLNode {
        let parsed: YAMLNode?
        do {
            parsed = try YAMLParser.parse(text, file: file)
        } catch {
            throw DiagnosticsError([Diagnostic(file: file, mark: error.mark, message: error.problem)])
        }
        guard let node = parsed else {
            throw DiagnosticsError([Diagnostic(file: file, mark: SourceMark(line: 1, column: 1), message: ifEmpty, hint: hint)])
        }
        return node
    }
}

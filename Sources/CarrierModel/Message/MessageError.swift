/// Everything wrong with a message, one problem per field, each with a hint on how to fix it.
public struct MessageError: Error, Sendable, CustomStringConvertible {
    /// One problem, before it is attached to a field.
    public struct Problem: Error, Sendable {
        public var message: String
        public var hint: String?
        public init(_ message: String, hint: String? = nil) {
            self.message = message
            self.hint = hint
        }
    }

    /// A problem at a field path such as `to[1].email` or `attachments[0].content`.
    public struct FieldProblem: Sendable, Hashable, CustomStringConvertible {
        public var field: String
        public var message: String
        public var hint: String?
        public var description: String { "\(field): \(message)" + (hint.map { "; \($0)" } ?? "") }
        public init(field: String, message: String, hint: String? = nil) {
            self.field = field
            self.message = message
            self.hint = hint
        }
    }

    public var source: String?
    public var problems: [FieldProblem]

    public init(source: String?, problems: [FieldProblem]) {
        self.source = source
        self.problems = problems
    }

    public var description: String {
        let prefix = source.map { "\($0): " } ?? ""
        return problems.map { "\(prefix)invalid message: \($0)" }.joined(separator: "\n")
    }
}

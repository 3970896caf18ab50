/// An error told as what went wrong and, when there is one, how to fix it: `message; hint`.
public protocol ExplainedError: Error, Sendable, CustomStringConvertible {
    var message: String { get }
    var hint: String? { get }
}

extension ExplainedError {
    public var description: String { message + (hint.map { "; \($0)" } ?? "") }
}

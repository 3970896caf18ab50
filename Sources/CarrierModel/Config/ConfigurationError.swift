/// A problem in `carrier.yaml` or in an account, said with where it is and how to fix it.
public struct ConfigurationError: ExplainedError {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}

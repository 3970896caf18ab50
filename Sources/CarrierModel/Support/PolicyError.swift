/// A send Carrier refuses to make because it would put a credential at risk — a password over a
/// connection without TLS — or because a credential is not in the form its scheme needs.
public struct PolicyError: ExplainedError {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}

/// A file Carrier keeps could not be read or written — the spool, a bulk journal, the event log,
/// a route's state file — with its path and the system's reason (disk full, permissions).
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// What was being kept: "the spool", "the journal".
    public var store: String
    public var path: String
    /// The system's reason, or what is wrong with the file.
    public var reason: String
    public var hint: String?

    public init(_ store: String, path: String, reason: String, hint: String? = nil) {
        self.store = store
        self.path = path
        self.reason = reason
        self.hint = hint
    }

    public var description: String { "\(store) at \(path) cannot be used: \(reason)" + (hint.map { "; \($0)" } ?? "") }
}

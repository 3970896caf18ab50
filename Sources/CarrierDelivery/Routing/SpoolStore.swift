/// Where the messages no account took are kept: a folder of files (``Spool``, the default) or a
/// table of the shared store (`store:` PostgreSQL), so `carrier outbox retry` on any host sends
/// what a process on another one kept.
///
/// Each entry is written whole or not at all. An entry being sent is held (``hold(_:)``), so two
/// retries at once never send it twice.
public protocol SpoolStore: Sendable {
    /// Where the spool is, for messages: a folder, or the database.
    var location: String { get }
    /// Where one entry is: its file, or its row.
    func place(of id: String) -> String
    /// Throws unless entries can be created and removed: checked before a kept message is sent
    /// again, so nothing is sent whose entry could not be removed afterwards.
    func checkWritable() async throws(SpoolError)
    /// Writes a new entry under a fresh id; `entry.id` is set to it. Returns where it is.
    @discardableResult
    func create(_ entry: inout Spool.Entry) async throws(SpoolError) -> String
    /// Rewrites an existing entry whole. Returns where it is.
    @discardableResult
    func write(_ entry: Spool.Entry) async throws(SpoolError) -> String
    /// Removes an entry; one already gone is not an error.
    func remove(_ id: String) async throws(SpoolError)
    /// Removes a sent message's entry; when that fails, marks it sent where it can (no retry
    /// sends it again) and throws ``SpoolError/notRemoved(path:marked:reason:)``.
    func settleSent(_ entry: Spool.Entry) async throws(SpoolError)
    /// One entry.
    func load(_ id: String) async throws(SpoolError) -> Spool.Entry
    /// Every entry, oldest first, and those that cannot be read (never skipped silently).
    func entries() async throws(SpoolError) -> (entries: [Spool.Entry], unreadable: [Spool.Unreadable])
    /// Holds one entry for this process; `nil` when another process holds it.
    func hold(_ id: String) async throws(SpoolError) -> (any SpoolHold)?
    /// Whether another live process is responsible for an entry that this one holds (a file
    /// spool's batch entries name their writer; a database's holds already say so).
    func heldElsewhere(_ entry: Spool.Entry) -> Bool
}

/// A held spool entry: ``release()`` lets it go.
public protocol SpoolHold: Sendable {
    func release() async
}

extension SpoolLock: SpoolHold {
    public func release() async { release(removeFile: true) }
}

extension Spool: SpoolStore {
    public var location: String { directory }
    public func place(of id: String) -> String { path(id) }
    public func hold(_ id: String) throws(SpoolError) -> (any SpoolHold)? { try lock(id) }
    public func heldElsewhere(_ entry: Entry) -> Bool { entry.isOwnedByAnotherLiveProcess }
}

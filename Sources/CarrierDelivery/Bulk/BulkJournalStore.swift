/// Where a bulk run records each row before and after its send, so running it again resumes:
/// an NDJSON file (``BulkJournal``, the default) or rows of the shared store (`store:`
/// PostgreSQL), so a run stopped on one host resumes on another.
///
/// A journal belongs to one run at a time: opening one that another run holds is refused.
public protocol BulkJournalStore: AnyObject, Sendable {
    /// The journal's name in messages: its file, or its name in the database.
    var name: String { get }
    /// What earlier runs recorded.
    func history() async -> BulkJournal.History
    /// Records one entry: `{"run": …}` once, then `{"line", "email", "state", …}` per row and step.
    func record(_ entry: OrderedObject) async
    /// Makes what was recorded durable (the end of a run).
    func flush() async
    /// The first record that could not be written: the run stops starting sends.
    var writeFailure: String? { get }
}

extension BulkJournal: BulkJournalStore {
    public var name: String { path }
    public func history() async -> History { Self.history(at: path) }
}

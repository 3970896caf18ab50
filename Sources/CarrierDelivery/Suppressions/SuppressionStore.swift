/// Where the suppression list lives: a file (``SuppressionFile``) or the shared store's
/// `carrier_suppressions` (`store:` PostgreSQL), so every process and machine skips the same
/// addresses whichever account a bounce came through.
public protocol SuppressionStore: Sendable {
    /// Where the list is, for messages.
    var location: String { get }
    /// The entries that apply to mail from `domain` to any of `addresses`: global ones and that domain's.
    func matching(_ addresses: [String], domain: String) async throws(StorageError) -> [Suppression]
    /// Adds entries; an address already suppressed in a scope keeps its first entry. Returns how many were new.
    @discardableResult
    func add(_ entries: [Suppression]) async throws(StorageError) -> Int
    /// Counts one soft bounce of an address in a scope; returns its count so far.
    func countSoftBounce(_ address: String, scope: String, at time: Double) async throws(StorageError) -> Int
    /// Removes an address from one scope, or from all when `scope` is nil. Returns how many entries went.
    @discardableResult
    func remove(_ address: String, scope: String?) async throws(StorageError) -> Int
    /// Every entry, oldest first.
    func all() async throws(StorageError) -> [Suppression]
}

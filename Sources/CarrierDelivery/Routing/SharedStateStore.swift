import Foundation

/// Where routes keep what several processes must agree on — a round robin's position, a
/// breaker's circuits, an account's rate-limit buckets — when they run on several machines (the
/// PostgreSQL store of `store:`). Without one, that state lives in memory, or in a route's
/// `state_file` for processes on one machine.
public protocol SharedStateStore: Sendable {
    /// Runs `change` on the value kept under `key` for `route` (`.null` the first time) and keeps
    /// what it leaves there, as one atomic step across every process using the store; gives the
    /// change's result.
    func update<T: Sendable>(route: String, key: String, _ change: @Sendable (inout Value) -> T) async throws(StorageError) -> T
}

import Synchronization

/// Secrets a runtime obtains or derives while it sends — OAuth2 tokens, signed assertions, the
/// values of auth headers — which every redactor of that runtime hides from then on.
///
/// At most ``capacity`` values are kept, the oldest dropped first: a token rotated out that long
/// ago has expired, and the list does not grow for as long as the process lives.
public final class ObtainedSecrets: Sendable {
    private struct State {
        var values: [String] = []
        var redactor: Redactor?
    }
    private let state = Mutex(State())
    public let capacity: Int

    public init(capacity: Int = 256) { self.capacity = max(1, capacity) }

    /// Remembers a value so that no output of this runtime shows it from now on.
    public func remember(_ secret: String) {
        guard !secret.isEmpty else { return }
        state.withLock { state in
            if let known = state.values.firstIndex(of: secret) {
                // Seen again (a cached token in use, an auth header on every send): the newest, so
                // the last to be let go. What is hidden is the same: the redactor stays as it is.
                if known != state.values.count - 1 { state.values.append(state.values.remove(at: known)) }
                return
            }
            state.values.append(secret)
            if state.values.count > capacity { state.values.removeFirst(state.values.count - capacity) }
            state.redactor = Redactor(secrets: state.values)
        }
    }

    /// A redactor for the values remembered so far (nil while there are none).
    var redactor: Redactor? { state.withLock { $0.redactor } }
}

import Synchronization

/// Counts the sends a runtime has under way, so a shutdown can wait for them to finish.
package final class InFlightCounter: Sendable {
    private struct State {
        var count = 0
        var nextWaiter = 0
        // Dictionary(), not [:]: the literal instantiates the type at once, a run-time conformance
        // search (Never: Error) at every start, where most commands never wait.
        var waiting: [Int: CheckedContinuation<Void, Never>] = Dictionary()
    }
    private let state = Mutex(State())

    package func enter() { state.withLock { $0.count += 1 } }

    package func leave() {
        let done = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count -= 1
            guard state.count == 0 else { return [] }
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in done { continuation.resume() }
    }

    /// Returns once no send is under way, or when the waiting task is cancelled.
    func drained() async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let idle = state.withLock { state -> Bool in
                    if state.count == 0 || Task.isCancelled { return true }
                    state.waiting[id] = continuation
                    return false
                }
                if idle { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: id) }?.resume()
        }
    }
}

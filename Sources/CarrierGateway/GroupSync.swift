import Dispatch
import Synchronization

/// Makes writes durable together: a caller writes (no flush of its own), then waits for
/// ``waitForFlush()``; one flush on a thread of its own covers everything written before it
/// started. Under load many messages share one flush — group commit — so the queue takes as many
/// messages a second as the disk takes flushes times the messages waiting.
final class GroupSync: Sendable {
    private struct State {
        /// Tickets handed out; a ticket is covered by the first flush that starts after it.
        var issued: UInt64 = 0
        var covered: UInt64 = 0
        var running = false
        var waiting: [(ticket: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    }
    private let state = Mutex(State())
    /// Makes what was written durable; false when it could not.
    private let flush: @Sendable () -> Bool
    private let thread = DispatchQueue(label: "carrier.queue.sync")

    init(flush: @escaping @Sendable () -> Bool) { self.flush = flush }

    /// Returns once everything written before the call is on disk; false when the flush failed.
    func waitForFlush() async -> Bool {
        await withCheckedContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.issued += 1
                state.waiting.append((state.issued, continuation))
                guard !state.running else { return false }
                state.running = true
                return true
            }
            if start { thread.async { self.flushWhileWanted() } }
        }
    }

    private func flushWhileWanted() {
        while true {
            let target = state.withLock { state -> UInt64? in
                guard state.covered < state.issued else {
                    state.running = false
                    return nil
                }
                return state.issued
            }
            guard let target else { return }
            let ok = flush()
            let done = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
                state.covered = target
                let (ready, rest) = (state.waiting.filter { $0.ticket <= target }, state.waiting.filter { $0.ticket > target })
                state.waiting = rest
                return ready.map(\.continuation)
            }
            for continuation in done { continuation.resume(returning: ok) }
        }
    }
}

import Dispatch
import Foundation
import Synchronization

/// Makes files written to one file system durable together: a caller writes its file (no fsync
/// of its own), then waits for ``sync()``; one `syncfs(2)` on a thread of its own covers every file
/// written before it started. Under load many messages share one flush — group commit — so the
/// queue takes as many messages a second as the disk takes flushes times the messages waiting.
final class GroupSync: Sendable {
    private struct State {
        /// Tickets handed out; a ticket is covered by the first flush that starts after it.
        var issued: UInt64 = 0
        var covered: UInt64 = 0
        var running = false
        var waiting: [(ticket: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    }
    private let state = Mutex(State())
    private let folder: String
    private let thread = DispatchQueue(label: "carrier.queue.sync")

    init(folder: String) { self.folder = folder }

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

    /// Flushes the file system holding the folder: every file's data and every rename in it.
    private func flush() -> Bool {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard let syncfs = Self.syncfs else { sync(); return true }
        return syncfs(fd) == 0
    }

    /// glibc's `syncfs`, which Swift's Glibc module does not declare (it is a GNU extension).
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()
}

import Foundation
import Synchronization

/// A clock that moves only when ``advance(by:)`` is called: sleepers wake when time passes their
/// deadline, so a test of retries, cool-downs or expiry runs at once and never depends on the
/// machine's speed.
///
/// ```swift
/// let clock = ManualClock()
/// let send = Task { try await mailer.send(message) }   // meets a 503 and waits 2 s to retry
/// try await clock.sleepers(1)                           // it is waiting now
/// clock.advance(by: .seconds(2))                        // and retries at once
/// ```
public final class ManualClock: WallClock {
    private struct Sleeper {
        var id: UInt64
        var deadline: WallTime
        var continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var now: WallTime
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
        /// Tasks waiting for a number of sleepers.
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }
    private let state: Mutex<State>

    /// - Parameter now: where the clock starts (default: the real time when it is made).
    public init(now: WallTime = WallTime(Date())) {
        state = Mutex(State(now: now))
    }

    public var now: WallTime { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    public func sleep(until deadline: WallTime, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Now { case due, cancelled, wait }
                let now = state.withLock { state -> Now in
                    if deadline <= state.now { return .due }
                    // Cancelled before it was listed: the cancellation handler found nothing to end.
                    if Task.isCancelled { return .cancelled }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return .wait
                }
                switch now {
                case .due: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: notifyWatchers()
                }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let woken = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// How many tasks are sleeping on this clock now.
    public var sleeping: Int { state.withLock { $0.sleepers.count } }

    /// Returns once at least `count` tasks sleep on this clock: what a test waits for before it
    /// advances the clock past their deadlines. Throws ``NoSleepers`` when they have not come
    /// within `limit` of real time, so a regression fails a test instead of hanging it.
    public func sleepers(_ count: Int, within limit: Duration = .seconds(60)) async throws(NoSleepers) {
        let reached = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForSleepers(count); return true }
            group.addTask { try? await ContinuousClock().sleep(for: limit); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            if !first { self.abandonWatchers() }
            return first
        }
        if !reached { throw NoSleepers(expected: count, sleeping: sleeping) }
    }

    /// Fewer tasks slept on the clock than a test waited for.
    public struct NoSleepers: Error, CustomStringConvertible {
        public var expected: Int
        public var sleeping: Int
        public var description: String { "waited for \(expected) sleeper(s) on the manual clock; \(sleeping) came" }
    }

    private func waitForSleepers(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.sleepers.count >= count { return true }
                state.watchers.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Lets go of every task waiting in ``sleepers(_:within:)`` (after a timeout).
    private func abandonWatchers() {
        let all = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state.watchers = [] }
            return state.watchers.map(\.continuation)
        }
        for continuation in all { continuation.resume() }
    }

    private func notifyWatchers() {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let count = state.sleepers.count
            let due = state.watchers.filter { $0.count <= count }.map(\.continuation)
            state.watchers.removeAll { $0.count <= count }
            return due
        }
        for continuation in ready { continuation.resume() }
    }
}

import CCurl
import Foundation
import Synchronization

/// One libcurl multi handle driven by one thread: every transfer of a ``CurlEngine`` is an easy
/// handle added to it, and the thread waits in `curl_multi_poll` for whichever socket is ready.
/// Thousands of transfers can be in flight with one thread; no transfer blocks a thread of its own.
///
/// Transfers share the multi handle's connection cache (HTTP keep-alive, SMTP sessions, HTTP/2
/// multiplexing where the server offers it) and, through a share handle, DNS answers and TLS
/// sessions. Only the loop thread touches the multi handle; other threads hand it work through
/// ``submit(_:)`` and ``cancel(_:)``, which wake it with `curl_multi_wakeup` when it waits in
/// `curl_multi_poll` (a busy loop finds the work before it waits again: a wakeup is a write and
/// two reads on a socket pair, system calls the C anchor does not make).
///
/// After it handles a transfer the thread polls without waiting a bounded number of times
/// (``spinsAfterWork``, about a quarter of a millisecond) before it sleeps, yielding the processor
/// between polls to any thread that wants it: the next answer or request of a busy sender comes
/// within microseconds, and waking a sleeping thread (on a virtual machine, a halted processor)
/// costs tens of them. An SMTP connection sending one message after another went 0.87× → 1.3× a
/// C libcurl program (docs/performance.md); an idle loop sleeps as before.
final class CurlLoop: @unchecked Sendable {
    /// A transfer handed to the loop: the handle, configured, and what to do when it ends.
    final class Transfer: @unchecked Sendable {
        let handle: CurlHandle
        /// Called once on the loop thread with libcurl's result, after the handle left the multi.
        let complete: (CURLcode) -> Void

        init(handle: CurlHandle, complete: @escaping (CURLcode) -> Void) {
            self.handle = handle
            self.complete = complete
        }
    }

    /// `CURLM *` and `CURLSH *` (void typedefs in curl.h).
    private let multi: UnsafeMutableRawPointer
    private let share: UnsafeMutableRawPointer
    private struct Inbox {
        var added: [Transfer] = []
        var cancelled: [Transfer] = []
        var stopping = false
        /// The loop thread waits in (or is about to enter) `curl_multi_poll`: new work must wake it.
        var polling = false

        var isEmpty: Bool { added.isEmpty && cancelled.isEmpty && !stopping }
    }
    private let inbox = Mutex(Inbox())
    /// The loop thread's id while it runs; nil once it has ended.
    private let runningThread = Mutex<(id: Int32?, ended: Bool, waiting: [CheckedContinuation<Void, Never>])>((nil, false, []))
    /// Transfers on the multi handle, by easy handle; loop thread only.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]

    /// - Parameters:
    ///   - maxConnectionsPerHost: open connections to one host at most (0: no limit).
    ///   - maxConnections: open connections in all (0: no limit).
    init(maxConnectionsPerHost: Int = 0, maxConnections: Int = 0) {
        multi = carrier_curl_multi_init()!
        share = carrier_curl_share_init()!
        carrier_curl_share_set_locking(share)
        _ = carrier_curl_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_DNS.rawValue))
        _ = carrier_curl_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_SSL_SESSION.rawValue))
        _ = carrier_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        _ = carrier_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        _ = carrier_curl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxConnections)
        // The thread keeps the loop alive until it ends, after ``stop()``.
        let thread = Thread { self.run() }
        thread.name = "carrier.curl"
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit {
        // Here, not when the thread ends: a late wakeup (a cancel, a second stop) must find the
        // multi handle still there. The engine's pooled handles, which use the share handle, are gone.
        carrier_curl_multi_cleanup(multi)
        carrier_curl_share_cleanup(share)
    }

    /// Sets the options every transfer of this loop needs (the shared DNS and TLS caches).
    func prepare(_ handle: CurlHandle) {
        _ = carrier_curl_setopt_pointer(handle.raw, CURLOPT_SHARE, share)
    }

    /// Starts a transfer; `complete` runs on the loop thread when it ends (at once, with
    /// `CURLE_FAILED_INIT`, after the loop was stopped).
    func submit(_ transfer: Transfer) {
        let (refused, wake) = inbox.withLock { inbox -> (Bool, Bool) in
            if inbox.stopping { return (true, false) }
            inbox.added.append(transfer)
            defer { inbox.polling = false }  // one wakeup brings the loop to everything added
            return (false, inbox.polling)
        }
        if refused { transfer.complete(CURLE_FAILED_INIT) } else if wake { carrier_curl_multi_wakeup(multi) }
    }

    /// Ends every transfer still in flight (with `CURLE_ABORTED_BY_CALLBACK`), then the thread.
    func stop() {
        inbox.withLock { $0.stopping = true }
        carrier_curl_multi_wakeup(multi)
    }

    /// Returns once the loop thread has ended (after ``stop()``).
    func ended() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = runningThread.withLock { state -> Bool in
                if state.ended { return true }
                state.waiting.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// The operating system's id of the loop thread while it runs (`/proc/self/task/ID`), nil after.
    var threadID: Int32? { runningThread.withLock { $0.id } }

    /// Ends a transfer early (its task was cancelled); `complete` runs with `CURLE_ABORTED_BY_CALLBACK`.
    func cancel(_ transfer: Transfer) {
        inbox.withLock { $0.cancelled.append(transfer) }
        carrier_curl_multi_wakeup(multi)
    }

    /// How many times the loop polls without waiting after it last handled a transfer (each a
    /// `poll(2)` with no timeout, a `sched_yield` and a look at the inbox: about a microsecond).
    /// Measured with `PAIRS=10 bench/latency.sh 50 16`: 64 made no difference, 256 and 1,000 the
    /// same gain. Without the yield, the gateway took HTTP submissions 15% slower while it sent.
    static let spinsAfterWork = 256

    private func run() {
        runningThread.withLock { $0.id = carrier_thread_id() }
        var running: Int32 = 0
        var spins = 0
        while true {
            let work = inbox.withLock { inbox -> Inbox in
                defer { inbox = Inbox(stopping: inbox.stopping) }
                return inbox
            }
            if work.stopping {
                for transfer in work.added { transfer.complete(CURLE_ABORTED_BY_CALLBACK) }
                for easy in Array(active.keys) { finish(easy, CURLE_ABORTED_BY_CALLBACK) }
                break
            }
            for transfer in work.added {
                guard carrier_curl_multi_add_handle(multi, transfer.handle.raw) == CURLM_OK else {
                    transfer.complete(CURLE_FAILED_INIT)
                    continue
                }
                active[transfer.handle.raw] = transfer
            }
            for transfer in work.cancelled where active[transfer.handle.raw] === transfer {
                finish(transfer.handle.raw, CURLE_ABORTED_BY_CALLBACK)
            }
            carrier_curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            var finished = false
            while let message = carrier_curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                finish(easy, carrier_curl_msg_result(message))
                finished = true
            }
            if finished || !work.added.isEmpty { spins = 0 }
            // Right after work the loop looks again without sleeping, a bounded number of times:
            // the next request is usually handed over within microseconds, and a thread woken
            // from `curl_multi_poll` (or one it wakes) takes far longer to run again.
            let spin = spins < Self.spinsAfterWork
            let idle = inbox.withLock { inbox -> Bool in
                inbox.polling = inbox.isEmpty && !spin
                return inbox.isEmpty
            }
            if idle {
                if spin {
                    spins += 1
                    carrier_curl_multi_poll(multi, 0)
                    // Another thread that wants this processor (the server taking requests) gets it.
                    sched_yield()
                } else {
                    carrier_curl_multi_poll(multi, 1000)
                }
            }
        }
        let waiting = runningThread.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.id = nil
            state.ended = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    private func finish(_ easy: UnsafeMutableRawPointer, _ code: CURLcode) {
        guard let transfer = active.removeValue(forKey: easy) else { return }
        carrier_curl_multi_remove_handle(multi, easy)
        transfer.complete(code)
    }
}

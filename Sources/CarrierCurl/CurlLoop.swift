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
/// ``submit(_:)`` and ``cancel(_:)``, which wake it with `curl_multi_wakeup`.
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
    }
    private let inbox = Mutex(Inbox())
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
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "carrier.curl"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Sets the options every transfer of this loop needs (the shared DNS and TLS caches).
    func prepare(_ handle: CurlHandle) {
        _ = carrier_curl_setopt_pointer(handle.raw, CURLOPT_SHARE, share)
    }

    /// Starts a transfer; `complete` runs on the loop thread when it ends.
    func submit(_ transfer: Transfer) {
        inbox.withLock { $0.added.append(transfer) }
        carrier_curl_multi_wakeup(multi)
    }

    /// Ends a transfer early (its task was cancelled); `complete` runs with `CURLE_ABORTED_BY_CALLBACK`.
    func cancel(_ transfer: Transfer) {
        inbox.withLock { $0.cancelled.append(transfer) }
        carrier_curl_multi_wakeup(multi)
    }

    private func run() {
        var running: Int32 = 0
        while true {
            let work = inbox.withLock { inbox -> Inbox in
                defer { inbox = Inbox() }
                return inbox
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
            while let message = carrier_curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                finish(easy, carrier_curl_msg_result(message))
            }
            carrier_curl_multi_poll(multi, 1000)
        }
    }

    private func finish(_ easy: UnsafeMutableRawPointer, _ code: CURLcode) {
        guard let transfer = active.removeValue(forKey: easy) else { return }
        carrier_curl_multi_remove_handle(multi, easy)
        transfer.complete(code)
    }
}

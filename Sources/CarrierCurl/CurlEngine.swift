import CCurl
import CarrierModel
import Dispatch
import Foundation
import Synchronization

/// Runs libcurl transfers for async Swift code, all on one event loop (``CurlLoop``): one
/// libcurl multi handle and one thread, however many transfers are in flight. A transfer's task
/// waits without holding a thread; cancelling the task removes the transfer.
///
/// Easy handles are pooled by key (scheme, host and port, or an SMTP account) so their
/// allocations are reused; connections live in the multi handle's cache and are reused by any
/// transfer to the same server.
///
/// An engine belongs to its owner (a `Mailer`'s runtime): ``shutdown()`` ends the transfers still
/// in flight and the loop thread; an engine that is let go without it stops its thread as well.
public final class CurlEngine: Sendable {
    /// Made on the first transfer, so a process that sends nothing never loads libcurl.
    private let started = Mutex<(loop: CurlLoop?, stopped: Bool)>((nil, false))
    private let limits: (perHost: Int, total: Int)
    private let idle = Mutex<[String: [CurlHandle]]>([:])
    /// What the engine knows of each SMTP server's connection (by pool key).
    let smtpSessions = Mutex<[String: SMTPSession]>([:])
    /// How many idle handles are kept per key.
    private let keepPerKey = 64

    /// - Parameters:
    ///   - maxConnectionsPerHost: open connections to one host at most (0: no limit).
    ///   - maxConnections: open connections in all (0: no limit).
    public init(maxConnectionsPerHost: Int = 0, maxConnections: Int = 0) {
        limits = (maxConnectionsPerHost, maxConnections)
    }

    /// libcurl's global initialisation, once per process and before any handle is made (it is
    /// not thread-safe before libcurl 7.84). A constant: nothing about it changes afterwards.
    private static let globalInit: Void = { carrier_curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    deinit {
        idle.withLock { $0 = [:] }
        started.withLock { $0.loop?.stop() }
    }

    /// The event loop, started with the first transfer; nil once the engine was shut down.
    private var loop: CurlLoop? {
        started.withLock { state in
            if let loop = state.loop { return loop }
            guard !state.stopped else { return nil }
            let made = CurlLoop(maxConnectionsPerHost: limits.perHost, maxConnections: limits.total)
            state.loop = made
            return made
        }
    }

    /// Ends the transfers in flight (each completes as aborted: a request that went out is then
    /// ambiguous) and the loop thread, and returns once the thread has ended. Transfers started
    /// after it fail at once without a thread.
    public func shutdown() async {
        let loop = started.withLock { state -> CurlLoop? in
            state.stopped = true
            return state.loop
        }
        guard let loop else { return }
        loop.stop()  // a second call (a runtime shared by two mailers) only waits for the end
        await loop.ended()
        idle.withLock { $0 = [:] }
    }

    /// Whether ``shutdown()`` was called: transfers fail at once from then on.
    public var isShutDown: Bool { started.withLock { $0.stopped } }

    /// The operating system's id of the loop thread while it runs (`/proc/self/task/ID`), else nil.
    public var threadID: Int32? { started.withLock { $0.loop?.threadID } }

    /// Runs one transfer on a pooled handle. `configure` sets its options (on the caller's
    /// thread); `finish` reads the outcome from the handle when it ends (on the loop thread).
    public func run<T: Sendable>(key: String, configure: @escaping @Sendable (CurlHandle) -> Void,
                                 finish: @escaping @Sendable (CurlHandle, CURLcode) -> T) async -> T {
        _ = Self.globalInit
        let handle = checkOut(key)
        configure(handle)
        guard let loop = self.loop else { return finish(handle, CURLE_FAILED_INIT) }
        loop.prepare(handle)
        let state = Mutex<(transfer: CurlLoop.Transfer?, cancelled: Bool)>((nil, false))
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
                let transfer = CurlLoop.Transfer(handle: handle) { code in
                    let result = finish(handle, code)
                    // A handle whose transfer failed may be in a bad state; drop it.
                    if code == CURLE_OK { self.checkIn(handle, key: key) }
                    continuation.resume(returning: result)
                }
                // Submitted first: a cancel the loop handles is then always for a transfer it has.
                loop.submit(transfer)
                let cancelled = state.withLock { state in
                    state.transfer = transfer
                    return state.cancelled
                }
                if cancelled { loop.cancel(transfer) }
            }
        } onCancel: {
            let transfer = state.withLock { state in
                state.cancelled = true
                return state.transfer
            }
            if let transfer { loop.cancel(transfer) }
        }
    }

    private func checkOut(_ key: String) -> CurlHandle {
        let pooled = idle.withLock { pool in pool[key]?.popLast() }
        if let pooled {
            pooled.reset()
            return pooled
        }
        return CurlHandle()!
    }

    private func checkIn(_ handle: CurlHandle, key: String) {
        idle.withLock { pool in
            if pool[key, default: []].count < keepPerKey { pool[key, default: []].append(handle) }
        }
    }

    /// Sends an HTTP request and returns the answer, whatever its status.
    public func send(_ request: CurlHTTPRequest, options: TransferOptions = TransferOptions()) async throws(TransferError) -> CurlHTTPResponse {
        let key = Self.poolKey(request.url)
        let result: Result<CurlHTTPResponse, TransferError> = await run(key: key, configure: { handle in
            Self.configureHTTP(handle, request, options)
        }, finish: { handle, code in
            let collector = handle.endCollecting()
            if collector.overflowed {
                return .success(CurlHTTPResponse(status: handle.info(CURLINFO_RESPONSE_CODE), headers: collector.headers, body: collector.body,
                                             truncated: true))
            }
            guard code == CURLE_OK else {
                return .failure(Self.transferError(code, handle: handle, errorBuffer: collector.errorText))
            }
            return .success(CurlHTTPResponse(status: handle.info(CURLINFO_RESPONSE_CODE), headers: collector.headers, body: collector.body))
        })
        return try result.get()
    }

    /// `scheme://authority` of a URL: transfers to one server share pooled handles.
    static func poolKey(_ url: String) -> String {
        URLParts(url)?.origin ?? url
    }

    private static func configureHTTP(_ handle: CurlHandle, _ request: CurlHTTPRequest, _ options: TransferOptions) {
        handle.set(CURLOPT_URL, request.url)
        handle.set(CURLOPT_NOSIGNAL, true)
        handle.set(CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
        handle.set(CURLOPT_TIMEOUT_MS, Int(options.totalTimeout * 1000))
        handle.set(CURLOPT_ACCEPT_ENCODING, "")
        handle.set(CURLOPT_PROTOCOLS_STR, "http,https")
        // Over HTTPS, wait for an HTTP/2 connection to multiplex on rather than open one per request.
        if request.url.hasPrefix("https://") { handle.set(CURLOPT_PIPEWAIT, true) }
        if let caFile = options.caFile { handle.set(CURLOPT_CAINFO, caFile) }
        // `Expect:` empty: no 100-continue round trip. The user agent goes as a header line of
        // its own (unless the request has one): set as CURLOPT_USERAGENT, libcurl formats it anew
        // for every request.
        let hasUserAgent = request.headers.contains { HeaderRules.sameFieldName($0.name, "user-agent") }
        handle.set(CURLOPT_HTTPHEADER, headers: request.headers,
                   extra: hasUserAgent ? ["Expect:"] : ["Expect:", "User-Agent: " + options.userAgent])
        switch request.method {
        case "GET": handle.set(CURLOPT_HTTPGET, true)
        default:
            handle.set(CURLOPT_CUSTOMREQUEST, request.method)
            handle.set(CURLOPT_POSTFIELDSIZE_LARGE, request.body.count)
            handle.setBody(request.body)
        }
        let collector = ResponseCollector()
        collector.maximumBodyBytes = options.maximumResponseBytes
        handle.beginCollecting(collector)
    }

    static func transferError(_ code: CURLcode, handle: CurlHandle, errorBuffer: String) -> TransferError {
        let text = errorBuffer.isEmpty ? String(cString: carrier_curl_easy_strerror(code)) : errorBuffer
        let sent = handle.info(CURLINFO_REQUEST_SIZE) > 0
        let kind: TransferError.Kind
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            kind = .connect
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_USE_SSL_FAILED,
             CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER:
            kind = .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT:
            kind = .malformed
        case CURLE_OPERATION_TIMEDOUT:
            kind = sent ? .timeout : .connect
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            kind = sent ? .dropped : .connect
        default:
            kind = .other
        }
        return TransferError(kind: kind, requestSent: sent && kind != .connect && kind != .tls && kind != .malformed, message: text,
                             curlCode: Int(code.rawValue))
    }
}

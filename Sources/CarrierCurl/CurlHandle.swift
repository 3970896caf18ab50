import CCurl
import Foundation

/// One libcurl easy handle: the options and buffers of one transfer at a time (the
/// ``CurlEngine`` pool guarantees that). Connections live in the engine's multi handle.
public final class CurlHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    private var lists: [OpaquePointer] = []
    private var strings: [UnsafeMutablePointer<CChar>] = []
    /// The ResponseCollector of the transfer in progress, retained while it runs.
    var collectorStorage: UnsafeMutableRawPointer?

    init?() {
        guard let handle = carrier_curl_easy_init() else { return nil }
        raw = handle
    }

    deinit {
        freeLists()
        carrier_curl_easy_cleanup(raw)
    }

    /// Clears the options of the previous transfer while keeping its open connections.
    func reset() {
        carrier_curl_easy_reset(raw)
        freeLists()
    }

    private func freeLists() {
        for list in lists { carrier_curl_slist_free_all(UnsafeMutablePointer(list)) }
        lists.removeAll()
        for s in strings { free(s) }
        strings.removeAll()
    }

    public func set(_ option: CURLoption, _ value: Int) {
        _ = carrier_curl_setopt_long(raw, option, value)
    }

    public func set(_ option: CURLoption, _ value: Bool) {
        _ = carrier_curl_setopt_long(raw, option, value ? 1 : 0)
    }

    /// Sets a string option; the copy lives until the next ``reset()``.
    public func set(_ option: CURLoption, _ value: String) {
        let copy = strdup(value)!
        strings.append(copy)
        _ = carrier_curl_setopt_string(raw, option, copy)
    }

    /// Sets a list option (headers, SMTP recipients); the list lives until the next ``reset()``.
    public func set(_ option: CURLoption, list values: [String]) {
        var list: UnsafeMutablePointer<curl_slist>?
        for value in values { list = carrier_curl_slist_append(list, value) }
        if let list { lists.append(OpaquePointer(list)) }
        _ = carrier_curl_setopt_slist(raw, option, list)
    }

    func info(_ info: CURLINFO) -> Int {
        var value = 0
        _ = carrier_curl_getinfo_long(raw, info, &value)
        return value
    }

    func infoDouble(_ info: CURLINFO) -> Double {
        var value = 0.0
        _ = carrier_curl_getinfo_double(raw, info, &value)
        return value
    }
}

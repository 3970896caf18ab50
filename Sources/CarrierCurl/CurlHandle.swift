import CCurl
import Foundation

/// One libcurl easy handle: the options and buffers of one transfer at a time (the
/// ``CurlEngine`` pool guarantees that). Connections live in the engine's multi handle.
public final class CurlHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    private var lists: [OpaquePointer] = []
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
    }

    public func set(_ option: CURLoption, _ value: Int) {
        _ = carrier_curl_setopt_long(raw, option, value)
    }

    public func set(_ option: CURLoption, _ value: Bool) {
        _ = carrier_curl_setopt_long(raw, option, value ? 1 : 0)
    }

    /// Sets a string option. libcurl keeps its own copy of every string option (since 7.17;
    /// the body, set by ``setBody(_:)``, is the exception), so the text is lent for the call only.
    public func set(_ option: CURLoption, _ value: String) {
        _ = value.withCString { carrier_curl_setopt_string(raw, option, $0) }
    }

    /// Sets a list option (headers, SMTP recipients); the list lives until the next ``reset()``.
    public func set(_ option: CURLoption, list values: [String]) {
        var list: UnsafeMutablePointer<curl_slist>?
        for value in values { list = carrier_curl_slist_append(list, value) }
        if let list { lists.append(OpaquePointer(list)) }
        _ = carrier_curl_setopt_slist(raw, option, list)
    }

    /// Sets a list of `Name: value` lines (``CURLOPT_HTTPHEADER``) and then `extra` lines, each
    /// copied into one scratch buffer and handed to libcurl (which copies it), not made a string first.
    func set(_ option: CURLoption, headers: [(name: String, value: String)], extra: [String]) {
        var list: UnsafeMutablePointer<curl_slist>?
        let longest = headers.reduce(0) { max($0, $1.name.utf8.count + $1.value.utf8.count) } + 3
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: longest) { line in
            let base = UnsafeMutableRawPointer(line.baseAddress!)
            for header in headers {
                var name = header.name, value = header.value
                let nameCount = name.withUTF8 { bytes in
                    if let source = bytes.baseAddress { base.copyMemory(from: source, byteCount: bytes.count) }
                    return bytes.count
                }
                base.storeBytes(of: 0x3A, toByteOffset: nameCount, as: UInt8.self)
                base.storeBytes(of: 0x20, toByteOffset: nameCount + 1, as: UInt8.self)
                let valueCount = value.withUTF8 { bytes in
                    if let source = bytes.baseAddress { (base + nameCount + 2).copyMemory(from: source, byteCount: bytes.count) }
                    return bytes.count
                }
                base.storeBytes(of: 0, toByteOffset: nameCount + 2 + valueCount, as: UInt8.self)
                list = carrier_curl_slist_append(list, line.baseAddress)
            }
        }
        for text in extra {
            list = text.withCString { carrier_curl_slist_append(list, $0) }
        }
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

import CCurl
import Foundation

/// Gathers what libcurl hands back during a transfer: header lines, body bytes, the error text.
final class ResponseCollector {
    var headers: [(name: String, value: String)] = []
    var body = Data()
    /// The most body bytes kept; past it the transfer is stopped and `overflowed` set.
    var maximumBodyBytes = Int.max
    var overflowed = false
    /// libcurl writes its detailed error text here; it must outlive the transfer.
    let errorBuffer: UnsafeMutablePointer<CChar> = {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        buffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        return buffer
    }()
    /// The request body being uploaded, and how far the upload got.
    var upload = Data()
    var uploadOffset = 0
    /// The SMTP conversation, for SMTP transfers.
    var transcript: SMTPTranscript?
    /// Asked once before the first byte of the upload; false stops the transfer there.
    var mayUpload: (() -> Bool)?
    /// A `mayUpload` check was set for this transfer.
    var mayUploadWasSet = false
    /// The upload was stopped because `mayUpload` said no.
    var uploadRefused = false

    deinit { errorBuffer.deallocate() }

    var errorText: String { String(cString: errorBuffer) }

    /// One header line as libcurl hands it over (with its CRLF), split on bytes.
    func receiveHeader(_ line: UnsafeRawBufferPointer) {
        let bytes = line.bindMemory(to: UInt8.self)
        if bytes.starts(with: Self.statusPrefix) {
            headers.removeAll()  // a new response (after a redirect or 100 Continue)
            return
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        var nameStart = 0, nameEnd = colon, valueStart = colon + 1, valueEnd = bytes.count
        while nameStart < nameEnd && isSpace(bytes[nameStart]) { nameStart += 1 }
        while nameEnd > nameStart && isSpace(bytes[nameEnd - 1]) { nameEnd -= 1 }
        while valueStart < valueEnd && isSpace(bytes[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart && isSpace(bytes[valueEnd - 1]) { valueEnd -= 1 }
        headers.append((String(decoding: UnsafeBufferPointer(rebasing: bytes[nameStart..<nameEnd]), as: UTF8.self),
                        String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)))
    }

    private static let statusPrefix = Array("HTTP/".utf8)
}

extension CurlHandle {
    /// The collector of the transfer in progress (retained while the transfer runs).
    var collector: UnsafeMutableRawPointer? {
        get { collectorStorage }
        set { collectorStorage = newValue }
    }

    /// Starts collecting a transfer: the collector is retained until ``endCollecting()``.
    func beginCollecting(_ collector: ResponseCollector) {
        self.collector = Unmanaged.passRetained(collector).toOpaque()
        attach(collector: self.collector!)
    }

    /// The transfer's collector, released from the handle.
    func endCollecting() -> ResponseCollector {
        let collector = Unmanaged<ResponseCollector>.fromOpaque(self.collector!).takeRetainedValue()
        self.collector = nil
        return collector
    }

    /// Points libcurl's callbacks at a collector.
    private func attach(collector pointer: UnsafeMutableRawPointer) {
        let collector = Unmanaged<ResponseCollector>.fromOpaque(pointer).takeUnretainedValue()
        _ = carrier_curl_setopt_pointer(raw, CURLOPT_WRITEDATA, pointer)
        _ = carrier_curl_setopt_pointer(raw, CURLOPT_HEADERDATA, pointer)
        _ = carrier_curl_setopt_write_function(raw) { data, size, count, user in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(user!).takeUnretainedValue()
            let length = size * count
            guard collector.body.count + length <= collector.maximumBodyBytes else {
                collector.overflowed = true
                return 0  // libcurl stops the transfer with CURLE_WRITE_ERROR
            }
            if let data { collector.body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length) }
            return length
        }
        _ = carrier_curl_setopt_header_function(raw) { data, size, count, user in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(user!).takeUnretainedValue()
            let length = size * count
            if let data { collector.receiveHeader(UnsafeRawBufferPointer(start: data, count: length)) }
            return length
        }
        _ = carrier_curl_setopt_pointer(raw, CURLOPT_ERRORBUFFER, collector.errorBuffer)
        if !collector.upload.isEmpty {
            _ = carrier_curl_setopt_pointer(raw, CURLOPT_READDATA, pointer)
            _ = carrier_curl_setopt_read_function(raw) { buffer, size, count, user in
                let collector = Unmanaged<ResponseCollector>.fromOpaque(user!).takeUnretainedValue()
                let room = size * count
                if collector.uploadOffset == 0, let gate = collector.mayUpload {
                    collector.mayUpload = nil
                    if !gate() {
                        collector.uploadRefused = true
                        return Int(CURL_READFUNC_ABORT)
                    }
                }
                let remaining = collector.upload.count - collector.uploadOffset
                let n = min(room, remaining)
                if n > 0, let buffer {
                    _ = collector.upload.withUnsafeBytes { bytes in
                        memcpy(buffer, bytes.baseAddress! + collector.uploadOffset, n)
                    }
                    collector.uploadOffset += n
                }
                return n
            }
        }
    }

    /// Sets the request body; it is copied into libcurl (`COPYPOSTFIELDS`).
    func setBody(_ body: Data) {
        body.withUnsafeBytes { bytes in
            if bytes.isEmpty {
                _ = carrier_curl_setopt_string(raw, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                _ = carrier_curl_setopt_pointer(raw, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress!))
            }
        }
    }
}

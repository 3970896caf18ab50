/// Limits and trust for a transfer.
public struct TransferOptions: Sendable {
    public var connectTimeout: Double = 10
    public var totalTimeout: Double = 30
    /// A PEM file of certificate authorities to trust instead of the system store.
    public var caFile: String?
    public var userAgent: String = "carrier/0.1 (+libcurl)"
    /// The most bytes of an answer's body (after gzip or deflate decoding) that are kept; reading
    /// stops past it, so a huge or decompression-bomb answer cannot exhaust memory.
    public var maximumResponseBytes: Int = 4 << 20

    public init(connectTimeout: Double = 10, totalTimeout: Double = 30, caFile: String? = nil) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.caFile = caFile
    }
}

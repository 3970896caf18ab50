import Foundation

/// An HTTP request as it goes on the wire.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// An HTTP answer.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header fields in the order received (names as sent by the server).
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Limits and trust for a transfer.
public struct TransferOptions: Sendable {
    public var connectTimeout: Double = 10
    public var totalTimeout: Double = 30
    /// A PEM file of certificate authorities to trust instead of the system store.
    public var caFile: String?
    public var userAgent: String = "carrier/0.1 (+libcurl)"

    public init(connectTimeout: Double = 10, totalTimeout: Double = 30, caFile: String? = nil) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.caFile = caFile
    }
}

import CarrierModel
import Foundation

/// An HTTP answer.
public struct CurlHTTPResponse: Sendable {
    public var status: Int
    /// Header fields in the order received (names as sent by the server).
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// The answer was longer than ``TransferOptions/maximumResponseBytes``: `body` holds its
    /// first bytes only, and reading stopped there.
    public var truncated: Bool

    public init(status: Int, headers: [(name: String, value: String)], body: Data, truncated: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.truncated = truncated
    }

    /// The body as text (invalid UTF-8 repaired), made each time it is asked for.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The first header with this name, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { HeaderRules.sameFieldName($0.name, name) }?.value
    }
}

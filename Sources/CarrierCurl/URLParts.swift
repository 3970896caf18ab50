/// A URL split the way a request line and a `Host` header see it — scheme, authority, path,
/// query — by plain byte work: no Foundation parser and no copies until a part is asked for,
/// since it runs for every request. Pool keys, endpoint rewrites and request signatures share it.
public struct URLParts: Sendable, Equatable {
    private let url: String
    private let schemeEnd: String.Index
    private let authorityStart: String.Index
    private let pathStart: String.Index
    private let queryStart: String.Index?
    private let end: String.Index

    /// Nil for text without `scheme://`.
    public init?(_ url: String) {
        let bytes = url.utf8
        guard let afterSeparator = Self.afterSchemeSeparator(bytes) else { return nil }
        self.url = url
        schemeEnd = bytes.index(afterSeparator, offsetBy: -3)
        end = bytes[afterSeparator...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        pathStart = bytes[afterSeparator..<end].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? end
        authorityStart = bytes[afterSeparator..<pathStart].lastIndex(of: UInt8(ascii: "@")).map(bytes.index(after:)) ?? afterSeparator
        queryStart = bytes[pathStart..<end].firstIndex(of: UInt8(ascii: "?"))
    }

    /// Where the text after the first `://` starts, found byte by byte.
    private static func afterSchemeSeparator(_ bytes: String.UTF8View) -> String.Index? {
        var index = bytes.startIndex
        while let colon = bytes[index...].firstIndex(of: UInt8(ascii: ":")) {
            let first = bytes.index(after: colon)
            guard first != bytes.endIndex else { return nil }
            let second = bytes.index(after: first)
            if bytes[first] == UInt8(ascii: "/"), second != bytes.endIndex, bytes[second] == UInt8(ascii: "/") {
                return bytes.index(after: second)
            }
            index = first
        }
        return nil
    }

    /// The scheme, lower-cased (`https`).
    public var scheme: String { String(url[..<schemeEnd]).lowercased() }

    /// `host[:port]` as written, without user information.
    public var authority: String { String(url[authorityStart..<pathStart]) }

    /// The path as written (empty when the URL has none).
    public var path: String { String(url[pathStart..<(queryStart ?? end)]) }

    /// The query without its `?`, or nil.
    public var query: String? { queryStart.map { String(url[url.utf8.index(after: $0)..<end]) } }

    /// `scheme://authority` as written.
    public var origin: String { String(url[..<schemeEnd]) + "://" + authority }

    /// The path and query as a request line carries them (`/` for an empty path).
    public var pathAndQuery: String {
        let tail = String(url[pathStart..<end])
        return tail.isEmpty || tail.hasPrefix("?") ? "/" + tail : tail
    }

    /// The path and query as written (possibly empty), for rewriting onto another origin.
    public var restOfURL: String { String(url[pathStart..<end]) }

    /// The `Host` header libcurl sends: lower-cased, without the port when it is the scheme's default.
    public var host: String {
        let lower = authority.lowercased()
        let scheme = self.scheme
        if (scheme == "https" && lower.hasSuffix(":443")) || (scheme == "http" && lower.hasSuffix(":80")) {
            return String(lower[..<lower.lastIndex(of: ":")!])
        }
        return lower
    }

    public static func == (lhs: URLParts, rhs: URLParts) -> Bool { lhs.url == rhs.url }
}

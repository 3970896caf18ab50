/// A URL split the way a request line and a `Host` header see it — scheme, authority, path,
/// query — by plain string work: no Foundation parser on the hot path, and one place that every
/// caller (pool keys, endpoint rewrites, request signatures) shares.
public struct URLParts: Sendable, Equatable {
    /// Lower-cased (`https`).
    public var scheme: String
    /// `host[:port]` as written, without user information.
    public var authority: String
    /// The path as written (empty when the URL has none).
    public var path: String
    /// The query without its `?`, or nil.
    public var query: String?

    /// Nil for text without `scheme://`.
    public init?(_ url: String) {
        guard let schemeEnd = url.utf8.firstRange(of: "://".utf8) else { return nil }
        scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...].prefix { $0 != "#" }
        let pathStart = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<pathStart]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        self.authority = String(authority)
        let tail = rest[pathStart...]
        if let question = tail.firstIndex(of: "?") {
            path = String(tail[..<question])
            query = String(tail[tail.index(after: question)...])
        } else {
            path = String(tail)
            query = nil
        }
    }

    /// `scheme://authority`.
    public var origin: String { scheme + "://" + authority }

    /// The path and query as a request line carries them (`/` for an empty path).
    public var pathAndQuery: String { (path.isEmpty ? "/" : path) + (query.map { "?" + $0 } ?? "") }

    /// The `Host` header libcurl sends: lower-cased, without the port when it is the scheme's default.
    public var host: String {
        let lower = authority.lowercased()
        if (scheme == "https" && lower.hasSuffix(":443")) || (scheme == "http" && lower.hasSuffix(":80")) {
            return String(lower[..<lower.lastIndex(of: ":")!])
        }
        return lower
    }
}

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

    /// Nil for text without `scheme://`. Works on UTF-8 bytes (no grapheme breaking: it runs
    /// for every request).
    public init?(_ url: String) {
        let bytes = url.utf8
        guard let schemeEnd = bytes.firstRange(of: "://".utf8) else { return nil }
        scheme = String(url[..<schemeEnd.lowerBound]).lowercased()
        let end = bytes[schemeEnd.upperBound...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        let rest = bytes[schemeEnd.upperBound..<end]
        let pathStart = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? end
        var authorityStart = schemeEnd.upperBound
        if let at = bytes[schemeEnd.upperBound..<pathStart].lastIndex(of: UInt8(ascii: "@")) { authorityStart = bytes.index(after: at) }
        authority = String(url[authorityStart..<pathStart])
        if let question = bytes[pathStart..<end].firstIndex(of: UInt8(ascii: "?")) {
            path = String(url[pathStart..<question])
            query = String(url[bytes.index(after: question)..<end])
        } else {
            path = String(url[pathStart..<end])
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

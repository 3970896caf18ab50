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
        var text = url
        guard let offsets = text.withUTF8(Self.offsets) else { return nil }
        let bytes = url.utf8
        func index(_ offset: Int) -> String.Index { bytes.index(bytes.startIndex, offsetBy: offset) }
        self.url = url
        schemeEnd = index(offsets.schemeEnd)
        authorityStart = index(offsets.authorityStart)
        pathStart = index(offsets.pathStart)
        queryStart = offsets.queryStart.map(index)
        end = index(offsets.end)
    }

    /// Where each part starts, as byte offsets, found in one pass over the URL's own bytes.
    private static func offsets(_ bytes: UnsafeBufferPointer<UInt8>) -> (schemeEnd: Int, authorityStart: Int, pathStart: Int, queryStart: Int?, end: Int)? {
        // The first `://`.
        var i = 0
        while true {
            guard let colon = bytes[i...].firstIndex(of: UInt8(ascii: ":")) else { return nil }
            if colon + 2 < bytes.count, bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/") { i = colon; break }
            i = colon + 1
        }
        let schemeEnd = i, afterSeparator = i + 3
        var end = bytes.count, pathStart: Int?, queryStart: Int?, lastAt: Int?
        var j = afterSeparator
        while j < end {
            switch bytes[j] {
            case UInt8(ascii: "#"): end = j
            case UInt8(ascii: "?"):
                if pathStart == nil { pathStart = j }
                if queryStart == nil { queryStart = j }
            case UInt8(ascii: "/"): if pathStart == nil { pathStart = j }
            case UInt8(ascii: "@"): if pathStart == nil { lastAt = j }
            default: break
            }
            j += 1
        }
        return (schemeEnd, lastAt.map { $0 + 1 } ?? afterSeparator, pathStart ?? end, queryStart, end)
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
    public var origin: String {
        // Without user information the origin is the URL's start: one copy.
        url.utf8.distance(from: schemeEnd, to: authorityStart) == 3 ? String(url[..<pathStart])
            : String(url[..<schemeEnd]) + "://" + authority
    }

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

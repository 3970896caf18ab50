import CarrierCurl
import Testing

/// URLs split as a request line and a `Host` header see them (pool keys, endpoint rewrites, signatures).
@Suite("URL parts")
struct URLPartsTests {
    @Test("Scheme, authority without user information, path, query; the first :// counts; no scheme, no parts")
    func parts() throws {
        let url = try #require(URLParts("HTTPS://user:pw@API.Example.com:443/v3/send?x=1&y=a://b#frag"))
        #expect(url.scheme == "https" && url.authority == "API.Example.com:443" && url.host == "api.example.com")
        #expect(url.path == "/v3/send" && url.query == "x=1&y=a://b" && url.pathAndQuery == "/v3/send?x=1&y=a://b")
        #expect(url.origin == "HTTPS://API.Example.com:443" && url.restOfURL == "/v3/send?x=1&y=a://b")
        let bare = try #require(URLParts("http://127.0.0.1:8080?q"))
        #expect(bare.path == "" && bare.pathAndQuery == "/?q" && bare.host == "127.0.0.1:8080" && bare.origin == "http://127.0.0.1:8080")
        let plain = try #require(URLParts("https://api.example.com/v1/send#top"))
        #expect(plain.origin == "https://api.example.com" && plain.restOfURL == "/v1/send" && plain.query == nil)
        let colons = try #require(URLParts("a:b:/c://host/p"))
        #expect(colons.scheme == "a:b:/c" && colons.authority == "host" && colons.path == "/p")
        #expect(URLParts("mailto:ann@example.com") == nil && URLParts("http:/x") == nil && URLParts("http:") == nil && URLParts("") == nil)
    }
}

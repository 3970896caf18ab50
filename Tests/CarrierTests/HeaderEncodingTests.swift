import CarrierModel
import Testing

/// Display names and attachment parameters as MIME headers carry them, and percent-encoding:
/// quoted-strings with `\` and `"` escaped (RFC 5322), RFC 2231 for names that are not ASCII,
/// RFC 3986 for URLs and signatures — each checked against the form written out by hand.
@Suite("Header encoding")
struct HeaderEncodingTests {
    @Test("A display name stands as written, quoted with its quotes and backslashes escaped, or as encoded words")
    func displayNames() {
        #expect(HeaderEncoding.displayName("Alice Able") == "Alice Able")
        #expect(HeaderEncoding.displayName("Able, Alice") == #""Able, Alice""#)
        #expect(HeaderEncoding.displayName(#"Al "the" \ Able."#) == #""Al \"the\" \\ Able.""#)
        #expect(HeaderEncoding.displayName("Bob Bäcker").hasPrefix("=?utf-8?b?"))
    }

    @Test("A parameter is a quoted-string when ASCII, RFC 2231 percent-encoded UTF-8 otherwise")
    func parameters() {
        #expect(HeaderEncoding.parameter("filename", "invoice.pdf") == #"filename="invoice.pdf""#)
        #expect(HeaderEncoding.parameter("filename", #"in"v\1.pdf"#) == #"filename="in\"v\\1.pdf""#)
        #expect(HeaderEncoding.parameter("filename", "é 1.pdf") == "filename*=utf-8''%C3%A9%201.pdf")
        #expect(HeaderEncoding.parameter("name", "Über_x-y.txt") == "name*=utf-8''%C3%9Cber_x-y.txt")
    }

    @Test("Percent-encoding keeps the unreserved characters, and the slash when asked")
    func percentEncoding() {
        #expect(PercentEncoding.encode("a b/ü~._-Z9") == "a%20b%2F%C3%BC~._-Z9")
        #expect(PercentEncoding.encode("a b/ü", keepingSlash: true) == "a%20b/%C3%BC")
        #expect(PercentEncoding.encode("") == "")
        #expect(PercentEncoding.encode("\u{7F}\u{00}=&") == "%7F%00%3D%26")
    }
}

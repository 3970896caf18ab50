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

    /// The folding as first written (on `split` and string concatenation), kept as the reference.
    static func referenceFold(_ line: String) -> String {
        guard line.utf8.count > 78 else { return line }
        var out = ""
        var current = ""
        for (i, piece) in line.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            let candidate = i == 0 ? String(piece) : current + " " + piece
            if candidate.utf8.count > 76 && i > 1 && !piece.isEmpty {
                out += current + "\r\n"
                current = " " + piece
            } else {
                current = candidate
            }
        }
        return out + current
    }

    @Test("Folding gives the reference's lines for 2,000 header lines: long and short words, double and trailing spaces, non-ASCII")
    func foldingMatchesTheReference() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz<>@.,\"é✓")
        for _ in 0..<2_000 {
            var line = ["To:", "Subject:", "X-Long-Header-Name:"].randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 0...40, using: &generator) {
                let spaces = [1, 1, 1, 1, 2, 3].randomElement(using: &generator)!
                let word = String((0..<Int.random(in: 0...(Bool.random(using: &generator) ? 12 : 90), using: &generator))
                    .map { _ in alphabet.randomElement(using: &generator)! })
                line += String(repeating: " ", count: spaces) + word
            }
            if Bool.random(using: &generator) { line += " " }
            #expect(HeaderEncoding.fold(line) == Self.referenceFold(line), "\(line)")
        }
        #expect(HeaderEncoding.fold("To: " + String(repeating: "a ", count: 60)).contains("\r\n "))
    }
}

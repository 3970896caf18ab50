import CarrierModel
import Testing

/// `contains(ascii:)`, the byte search behind the checks for `@`, `{{`, `${` and media types,
/// compared with a search written out here over the same bytes: in strings and in substrings
/// that start and end inside them, with the needle at every position and cut short at the end.
@Suite("ASCII search")
struct ASCIIContainsTests {
    static func reference(_ text: some StringProtocol, _ needle: String) -> Bool {
        let bytes = Array(text.utf8), wanted = Array(needle.utf8)
        guard !wanted.isEmpty else { return true }
        guard bytes.count >= wanted.count else { return false }
        return (0...(bytes.count - wanted.count)).contains { Array(bytes[$0..<($0 + wanted.count)]) == wanted }
    }

    @Test("Found wherever the needle stands, in a string and in a substring; not found when cut short or outside the substring")
    func everyPosition() {
        for position in 0..<12 {
            let text = String(repeating: "é", count: position) + "{{" + String(repeating: "a", count: 11 - position)
            #expect(text.contains(ascii: "{{"), "\(text)")
            #expect(text.contains(ascii: "{{") == Self.reference(text, "{{"))
            #expect(!text.contains(ascii: "${"))
            let inner = text.dropFirst().dropLast()
            #expect(inner.contains(ascii: "{{") == Self.reference(inner, "{{"), "\(inner)")
            let cut = String(repeating: "a", count: position) + "{"
            #expect(!cut.contains(ascii: "{{"), "\(cut)")
        }
        let outside = "a@b"
        #expect(!outside.dropLast(2).contains(ascii: "@"))
        #expect("".contains(ascii: ""))
        #expect(!"".contains(ascii: "@"))
        #expect("@".contains(ascii: "@"))
        #expect("application/vnd.api+json".contains(ascii: "+json"))
    }
}

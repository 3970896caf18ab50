import Carrier
import Foundation
import Testing

/// `trimmingWhitespace()` answers from the bytes when a text's ends are ASCII; Foundation's
/// `trimmingCharacters(in: .whitespaces)`, which it replaces on hot paths, is the oracle.
@Suite("Trimming white space")
struct TrimmingTests {
    @Test("Spaces and tabs leave both ends as Foundation's .whitespaces trims them, Unicode spaces included; line breaks and the middle stay")
    func sameAsFoundation() {
        let ends = ["", " ", "\t", "  \t ", "\u{A0}", "\u{3000}", "\u{2003} ", " \u{A0}", "\n", "\r\n", "x", "é", "\u{301}"]
        let middles = ["", "a", "a b", "é", "日本", " ", "\t"]
        for left in ends {
            for middle in middles {
                for right in ends {
                    let text = left + middle + right
                    #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
                    #expect(text[...].trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
                }
            }
        }
    }
}

import Carrier
import Foundation
import Testing

/// The JSON writer, checked by Python's json module: what Carrier writes into request bodies,
/// spool files and answers must read back as the same strings in another implementation.
@Suite("JSON writer")
struct JSONWriterTests {
    @Test("Every control character, quote and backslash is escaped wherever it stands in a string (the 8-byte scan and the tail), alone or several with plain runs between; other characters pass as they are; the parser reads them back")
    func escapes() throws {
        let specials = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) } + ["\"", "\\", "/", "\u{7F}", "é", "\u{A0}", "\u{2028}", "😀", "a"]
        let single = specials.flatMap { special in (0..<17).map { String(repeating: "a", count: $0) + special + String(repeating: "a", count: 16 - $0) } }
        // Several in one string: runs to copy whole between escapes, and escapes back to back.
        let several = (0..<0x23).flatMap { c in
            (0..<10).map { gap in String(repeating: "\"b\n" + String(repeating: "a", count: gap) + String(UnicodeScalar(UInt8(c))), count: 3) + "<p class=\"x\">" }
        }
        let strings = single + several
        let written = JSONWriter.bytes(.array(strings.map(Value.string)))
        let result = try Fixtures.python("check_json_strings.py", input: Data(written))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "ok \(strings.count)")
        // The parser reads back both Python's escapes and its own writer's output.
        #expect(try JSONParser.parse(String(lines.dropFirst().first ?? "")) == .array(strings.map(Value.string)))
        #expect(try JSONParser.parse(String(decoding: written, as: UTF8.self)) == .array(strings.map(Value.string)))
    }
}

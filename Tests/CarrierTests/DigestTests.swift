import CarrierModel
import Foundation
import Testing

/// SHA-256 (through the algorithm OpenSSL looks up once) and its hex, against Python's hashlib
/// on the same bytes: empty, short, a block's edge, and longer than a block.
@Suite("Digests")
struct DigestTests {
    @Test("SHA-256 and its hex are hashlib's for inputs around the 64-byte block")
    func sha256MatchesPython() throws {
        let inputs: [[UInt8]] = [[], Array("abc".utf8)] + [55, 56, 63, 64, 65, 250, 1000].map { n in (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }
        let result = try Fixtures.python("sha256_hex.py", input: Data(JSONWriter.bytes(.array(inputs.map { .array($0.map { .int(Int($0)) }) }))))
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try #require(try JSONParser.parse(result.stdout).arrayValue).map(\.text)
        #expect(expected.count == inputs.count)
        for (bytes, theirs) in zip(inputs, expected) {
            #expect(Digest.hex(Digest.sha256(bytes)) == theirs, "\(bytes.count) bytes")
            #expect(Digest.hex(Digest.sha256(Data(bytes))) == theirs)
        }
        #expect(Digest.hex([0x00, 0x09, 0x0A, 0xF0, 0xFF]) == "00090af0ff")
        #expect(Digest.hex([UInt8]()) == "")
    }
}

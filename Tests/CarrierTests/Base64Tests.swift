import CarrierModel
import Foundation
import Testing

/// The URL-safe base64 of JWTs, unsubscribe tokens and the `base64url` filter, against the
/// RFC 4648 §5 definition applied to Foundation's standard base64: `+` → `-`, `/` → `_`, and
/// without padding for the unpadded form.
@Suite("Base64 variants")
struct Base64Tests {
    @Test("URL-safe base64 of every length 0-40 and of bytes that give + and / is the standard one with the alphabet swapped")
    func urlAlphabet() {
        var generator = SystemRandomNumberGenerator()
        let inputs = (0...40).map { length in Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
            + [Data([0xFB, 0xFF, 0xBF]), Data([0xFF, 0xFF]), Data([0xF8])]
        for data in inputs {
            let standard = data.base64EncodedString()
            let expected = String(standard.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
            #expect(Base64.url(data) == expected, "\(Array(data))")
            #expect(Base64.urlUnpadded(data) == String(expected.prefix { $0 != "=" }), "\(Array(data))")
        }
        #expect(Base64.urlUnpadded(Data([0xFB, 0xFF, 0xBF])) == "-_-_")
    }
}

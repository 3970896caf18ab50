@testable import CarrierModel
import Testing

@Suite("Header rules")
struct HeaderRulesTests {
    @Test("The byte sets behind every header check (atext, tchar, MIME token) are their RFC definitions, for all 256 bytes")
    func byteSets() {
        func alphanumeric(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
        for byte in UInt8.min...UInt8.max {
            #expect(HeaderRules.isAtextByte(byte) == (alphanumeric(byte) || HeaderRules.atextPunctuation.utf8.contains(byte)), "atext \(byte)")
            #expect(HeaderRules.isTokenByte(byte) == (alphanumeric(byte) || HeaderRules.tcharPunctuation.utf8.contains(byte)), "tchar \(byte)")
            #expect(HeaderRules.isMIMETokenByte(byte) == (byte > 0x20 && byte < 0x7F && !HeaderRules.tspecials.utf8.contains(byte)), "token \(byte)")
        }
        #expect(HeaderRules.atextPunctuation.utf8.count == 19 && HeaderRules.tcharPunctuation.utf8.count == 15 && HeaderRules.tspecials.utf8.count == 15)
    }
}

import CarrierModel
import Foundation
import Testing

/// The UTF-8 check that refuses a message or webhook body with the offset of its first bad byte.
/// It skips ASCII eight bytes at a time, so every bad sequence is tried at every position around
/// those words, and its verdict is compared with the standard library's own validation.
@Suite("UTF-8 check")
struct UTF8CheckTests {
    /// Bad sequences, each with the offset inside it of the byte the check names.
    static let bad: [(bytes: [UInt8], offset: Int)] = [
        ([0x80], 0), ([0xBF], 0), ([0xC0, 0x80], 0), ([0xC1, 0xBF], 0), ([0xF5, 0x80, 0x80, 0x80], 0), ([0xFF], 0),
        ([0xC3, 0x41], 1), ([0xE2, 0x82, 0x41], 2), ([0xF0, 0x9F, 0x98, 0x41], 3), ([0xE2, 0x41, 0x41], 1),
        ([0xE0, 0x80, 0x80], 0), ([0xED, 0xA0, 0x80], 0), ([0xF0, 0x80, 0x80, 0x80], 0), ([0xF4, 0x90, 0x80, 0x80], 0),
    ]
    static let good: [[UInt8]] = [Array("é".utf8), Array("€".utf8), Array("😀".utf8), Array("\u{10FFFF}".utf8), [0x7F], [0x00]]

    @Test("A bad sequence is found wherever it stands, inside or after ASCII words, and after other text; good text passes")
    func everyPosition() {
        for prefix in [[], Array("ü".utf8)] as [[UInt8]] {
            for position in 0..<20 {
                let head = prefix + [UInt8](repeating: 0x61, count: position)
                for (bytes, offset) in Self.bad {
                    let data = Data(head + bytes + [UInt8](repeating: 0x62, count: 19 - position))
                    #expect(UTF8Check.firstInvalidOffset(in: data) == head.count + offset, "\(bytes) after \(head.count) bytes")
                    #expect(String(validating: data, as: UTF8.self) == nil)
                    // Cut short at the end: still refused, at the sequence or before.
                    let cut = Data(head + bytes.dropLast())
                    if !cut.isEmpty, String(validating: cut, as: UTF8.self) == nil {
                        #expect(UTF8Check.firstInvalidOffset(in: cut) != nil, "\(bytes.dropLast()) at the end after \(head.count) bytes")
                    }
                }
                for bytes in Self.good {
                    let data = Data(head + bytes + [UInt8](repeating: 0x62, count: 19 - position))
                    #expect(UTF8Check.firstInvalidOffset(in: data) == nil, "\(bytes) after \(head.count) bytes")
                    #expect(String(validating: data, as: UTF8.self) != nil)
                }
            }
        }
    }
}

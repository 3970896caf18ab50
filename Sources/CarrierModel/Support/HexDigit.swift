/// One hex digit for a nibble (0-15) as an ASCII byte: digests and UUIDs write lower case,
/// percent-encoding and quoted-printable upper case.
enum HexDigit {
    static func lower(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
    static func upper(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x37 + nibble }
}

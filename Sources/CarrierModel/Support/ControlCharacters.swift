extension StringProtocol {
    /// The text with control characters written as `\u{1B}`-style escapes (tab and, when
    /// `keepingNewlines`, line feeds stay), so a server's reply or a message's subject cannot
    /// move the cursor, clear the screen or hide text on a terminal.
    public func escapingControlCharacters(keepingNewlines: Bool = false) -> String {
        // Nearly every text has none: said from its bytes.
        let clean = utf8.withContiguousStorageIfAvailable { !ControlCharacters.mayAppear(in: $0, keepingNewlines: keepingNewlines) }
        if clean == true { return String(self) }
        guard unicodeScalars.contains(where: { Self.isControl($0, keepingNewlines: keepingNewlines) }) else { return String(self) }
        var out = ""
        for scalar in unicodeScalars {
            if Self.isControl(scalar, keepingNewlines: keepingNewlines) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar, keepingNewlines: Bool) -> Bool {
        switch scalar.value {
        case 0x09: return false
        case 0x0A: return !keepingNewlines
        case 0x00...0x1F, 0x7F...0x9F: return true
        default: return false
        }
    }
}

/// The byte-level test behind ``StringProtocol/escapingControlCharacters(keepingNewlines:)``.
package enum ControlCharacters {
    /// Whether UTF-8 text may hold a control character: a C0 byte but tab (and line feed when
    /// `keepingNewlines`), DEL, or 0xC2, which starts a C1 control (0xC2 0x80–0x9F) — and also
    /// Latin-1 letters, so `true` means "look closer", `false` means none.
    package static func mayAppear(in bytes: UnsafeBufferPointer<UInt8>, keepingNewlines: Bool = false) -> Bool {
        bytes.contains { $0 < 0x20 && $0 != 0x09 && !(keepingNewlines && $0 == 0x0A) || $0 == 0x7F || $0 == 0xC2 }
    }
}

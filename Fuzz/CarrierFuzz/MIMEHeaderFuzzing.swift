import Carrier
import Foundation

/// Text through the header writer and back through the reader. Properties: what is read back is
/// what was written; no written line is longer than SMTP's 998 octets or only white space;
/// decoding arbitrary input never traps.
enum MIMEHeaderFuzzing {
    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = HeaderDecoding.unstructured(HeaderDecoding.unfold(text))
        _ = HeaderDecoding.parameterValue(text, extended: true)
        // Header values never hold line breaks or other control characters (the message reader refuses them).
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return }

        let subject = HeaderEncoding.fold("Subject: " + HeaderEncoding.unstructured(text))
        checkLines(subject, of: "Subject")
        let readSubject = HeaderDecoding.unstructured(String(HeaderDecoding.unfold(subject).dropFirst("Subject: ".count)))
        require(readSubject == text, "Subject \(text.debugDescription) read back as \(readSubject.debugDescription)")

        let name = HeaderEncoding.displayName(text)
        let readName = HeaderDecoding.displayName(name)
        require(readName == text, "display name \(text.debugDescription) written \(name.debugDescription), read back as \(readName.debugDescription)")

        let parameter = HeaderEncoding.parameter("filename", text)
        let extended = parameter.hasPrefix("filename*=")
        let readValue = HeaderDecoding.parameterValue(String(parameter.drop { $0 != "=" }.dropFirst()), extended: extended)
        require(readValue == text, "parameter \(text.debugDescription) written \(parameter.debugDescription), read back as \(readValue.debugDescription)")
    }

    static func checkLines(_ header: String, of name: String) {
        for line in header.components(separatedBy: "\r\n") {
            require(line.utf8.count <= 998, "\(name) line of \(line.utf8.count) octets")
            require(!line.allSatisfy { $0 == " " || $0 == "\t" }, "\(name) folded into a line of white space only")
        }
    }
}

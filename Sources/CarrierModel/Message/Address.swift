/// An e-mail address with an optional display name.
///
/// Decodes from `{"email": "...", "name": "..."}` or from the string `Name <email>`.
public struct Address: Sendable, Hashable, CustomStringConvertible {
    public var email: String
    public var name: String?

    public init(email: String, name: String? = nil) {
        self.email = email
        self.name = (name?.isEmpty ?? true) ? nil : name
    }

    /// Parses `email`, `Name <email>` or `"Quoted, Name" <email>`.
    public init(parsing text: String) throws(MessageError.Problem) {
        let trimmed = text.trimmingWhitespace()
        let utf8 = trimmed.utf8
        // `<` and `>` are ASCII: their UTF-8 positions are character boundaries of the text.
        if utf8.last == UInt8(ascii: ">"), let open = utf8.lastIndex(of: UInt8(ascii: "<")) {
            var name = trimmed[..<open].trimmingWhitespace()
            if name.utf8.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            let email = String(trimmed[utf8.index(after: open)..<utf8.index(before: utf8.endIndex)])
            self.init(email: email, name: name)
        } else {
            self.init(email: trimmed)
        }
        try validate()
    }

    /// A byte an address cannot have: a control character, or one of ` <>(),;:\"[]`.
    private static func isForbidden(_ byte: UInt8) -> Bool {
        switch byte {
        case 0..<0x20, 0x7F, UInt8(ascii: " "), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "["),
             UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }

    /// Checks the address the way an ESP would before accepting it.
    public func validate() throws(MessageError.Problem) {
        let utf8 = email.utf8
        var at: String.UTF8View.Index?
        var ats = 0
        for index in utf8.indices where utf8[index] == UInt8(ascii: "@") {
            ats += 1
            at = index
        }
        guard ats == 1, let at, at != utf8.startIndex, utf8.index(after: at) != utf8.endIndex else {
            throw .init("'\(email)' is not an e-mail address", hint: "write it as user@example.com or \"Name <user@example.com>\"")
        }
        guard !utf8.contains(where: Self.isForbidden) else {
            throw .init("'\(email)' contains characters an address cannot have", hint: "remove spaces, brackets and commas")
        }
        let domain = utf8[utf8.index(after: at)...]
        guard domain.first != UInt8(ascii: "."), domain.last != UInt8(ascii: "."),
              !zip(domain, domain.dropFirst()).contains(where: { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }) else {
            throw .init("'\(email)' has a malformed domain")
        }
        if let name, name.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
            throw .init("the name of '\(email)' contains a line break")
        }
    }

    /// `Name <email>` with the name quoted when it needs to be (UTF-8 as is, for HTTP APIs).
    public var formatted: String {
        guard let name else { return email }
        let specials: Set<Character> = ["(", ")", "<", ">", "[", "]", ":", ";", "@", "\\", ",", ".", "\""]
        if name.contains(where: { specials.contains($0) }) {
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\" <\(email)>"
        }
        return "\(name) <\(email)>"
    }

    public var description: String { formatted }

    /// The value templates see: `{email, name}`.
    package var value: Value {
        var object = OrderedObject()
        object.reserveCapacity(2)
        object.appendNew("email", .string(email))
        if let name { object.appendNew("name", .string(name)) }
        return .object(object)
    }

    /// The part after the `@`.
    public var domain: String {
        if let at = email.utf8.lastIndex(of: UInt8(ascii: "@")), email.utf8.index(after: at) != email.utf8.endIndex {
            return String(email[email.utf8.index(after: at)...])
        }
        return String(email.split(separator: "@").last ?? "")
    }

    /// An address in lower case, as two spellings of one mailbox compare; itself (no copy) when
    /// it has no capital letter, as nearly every address.
    package static func caseFolded(_ email: String) -> String {
        email.withContiguousUTF8 { $0.contains { $0 >= 0x80 || (0x41...0x5A).contains($0) } } ? email.lowercased() : email
    }
}

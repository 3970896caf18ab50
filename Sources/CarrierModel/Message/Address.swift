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
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            let email = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            self.init(email: email, name: name)
        } else {
            self.init(email: trimmed)
        }
        try validate()
    }

    /// Checks the address the way an ESP would before accepting it.
    public func validate() throws(MessageError.Problem) {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .init("'\(email)' is not an e-mail address", hint: "write it as user@example.com or \"Name <user@example.com>\"")
        }
        let forbidden: Set<Character> = [" ", "<", ">", "(", ")", ",", ";", ":", "\\", "\"", "[", "]"]
        guard !email.contains(where: { forbidden.contains($0) || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false }) else {
            throw .init("'\(email)' contains characters an address cannot have", hint: "remove spaces, brackets and commas")
        }
        let domain = parts[1]
        guard !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else {
            throw .init("'\(email)' has a malformed domain")
        }
        if let name, name.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
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
        object["email"] = .string(email)
        if let name { object["name"] = .string(name) }
        return .object(object)
    }

    /// The part after the `@`.
    public var domain: String { String(email.split(separator: "@").last ?? "") }
}

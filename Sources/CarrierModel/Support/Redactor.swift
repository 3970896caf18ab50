import Foundation

/// Replaces secrets with `***` in anything Carrier prints, logs, raises or keeps.
///
/// Built from an account's secret credentials. Every form of a secret the engine itself can
/// produce is matched too: URL-escaped (`url_escape`, form bodies), JSON-escaped, base64 and
/// base64url (for secrets of 8 bytes or more). Values the engine obtains or derives at run time — OAuth2 access and refresh
/// tokens, the `Basic base64(user:key)` and `Bearer …` values of auth headers — are kept by the
/// runtime's ``ObtainedSecrets``, and every redactor made with it hides them as well.
/// Secrets of any length are hidden: a short one may mask more text than it should, which is
/// better than showing it.
/// Matching works on UTF-8 bytes: it runs over every string of every rendered request.
public struct Redactor: Sendable {
    public private(set) var secrets: [String] = []
    private var patterns: [[UInt8]] = []
    /// Whether JSON writes every secret unchanged (none has `"`, `\` or a control character).
    private var patternsAreJSONPlain = true
    /// Values obtained at run time by the runtime this redactor belongs to.
    public var obtained: ObtainedSecrets?

    public init(secrets: [String] = [], obtained: ObtainedSecrets? = nil) {
        self.obtained = obtained
        for s in secrets { add(s) }
    }

    /// Adds a secret and the forms the engine may write it in.
    public mutating func add(_ secret: String) {
        for form in Self.forms(of: secret) where !secrets.contains(form) {
            secrets.append(form)
        }
        secrets.sort { $0.utf8.count > $1.utf8.count }  // longest first, so a secret inside another is not half-masked
        patterns = secrets.map { Array($0.utf8) }
        patternsAreJSONPlain = !patterns.contains { $0.withUnsafeBufferPointer(JSONWriter.needsEscape) }
    }

    /// A secret as written raw, URL-escaped, JSON-escaped and (from 8 bytes on) in base64.
    static func forms(of secret: String) -> [String] {
        guard !secret.isEmpty else { return [] }
        var forms = [secret, PercentEncoding.encode(secret), Self.jsonEscaped(secret)]
        // Base64 of a short secret would match inside unrelated base64 (attachments).
        if secret.utf8.count >= 8 {
            let bytes = Data(secret.utf8)
            let base64 = bytes.base64EncodedString()
            forms += [base64, String(base64.prefix { $0 != "=" }), Base64.urlUnpadded(bytes)]
        }
        var unique: [String] = []
        for form in forms where !form.isEmpty && !unique.contains(form) { unique.append(form) }
        return unique
    }

    private static func jsonEscaped(_ text: String) -> String {
        let quoted = JSONWriter.string(.string(text))
        return String(quoted.dropFirst().dropLast())
    }

    /// Hides the secrets the runtime obtained, then this redactor's own. Obtained values are
    /// derived from the own ones (`Basic base64(user:key)` holds the base64 of the user), so
    /// they go first: masking a part of one first would leave the rest of it readable.
    public func redact(_ text: String) -> String {
        guard let obtained = obtained?.redactor else { return redactOwn(text) }
        return redactOwn(obtained.redactOwn(text))
    }

    public func redact(_ value: Value) -> Value {
        guard let obtained = obtained?.redactor else { return redactOwn(value) }
        return redactOwn(obtained.redactOwn(value))
    }

    /// `value` redacted, where `json` is the value written by ``JSONWriter``: when none of the
    /// secrets occurs in those bytes, none is inside the value — JSON escapes only `"`, `\` and
    /// control characters, so a secret without them is written unchanged — and the value is
    /// given back without walking it (a rendered request body is checked in one pass).
    public func redact(_ value: Value, json: Data) -> Value {
        let clean = json.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            return absent(in: bytes) && (obtained?.redactor.map { $0.absent(in: bytes) } ?? true)
        }
        return clean ? value : redact(value)
    }

    /// Whether every secret is written unchanged in JSON and none occurs in `bytes`.
    private func absent(in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        patternsAreJSONPlain && !patterns.contains { Self.occurs($0, in: bytes) }
    }

    private func redactOwn(_ text: String) -> String {
        guard !patterns.isEmpty, holdsSecret(text) else { return text }
        var bytes = Array(text.utf8)
        for pattern in patterns where bytes.withUnsafeBufferPointer({ Self.occurs(pattern, in: $0) }) {
            bytes = Self.replace(pattern, in: bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func redactOwn(_ value: Value) -> Value {
        guard !patterns.isEmpty, containsSecret(value) else { return value }
        switch value {
        case .string(let s): return .string(redactOwn(s))
        case .array(let items): return .array(items.map(redactOwn))
        case .object(let object): return .object(OrderedObject(object.entries.map { ($0.key, redactOwn($0.value)) }))
        default: return value
        }
    }

    /// Whether any string inside the value holds a secret (checked without copying the value).
    private func containsSecret(_ value: Value) -> Bool {
        switch value {
        case .string(let s): return holdsSecret(s)
        case .array(let items): return items.contains(where: containsSecret)
        case .object(let object): return object.entries.contains { containsSecret($0.value) }
        default: return false
        }
    }

    private func holdsSecret(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in patterns.contains { Self.occurs($0, in: bytes) } }
    }

    private static let mask = Array("***".utf8)

    private static func occurs(_ pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count >= pattern.count, let first = pattern.first, let base = bytes.baseAddress else { return false }
        return pattern.withUnsafeBufferPointer { needle in
            // memchr finds each candidate start (vectorised); memcmp checks it.
            var start = 0
            let last = bytes.count - pattern.count
            while start <= last, let found = memchr(base + start, Int32(first), last - start + 1) {
                let at = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self))
                if memcmp(at, needle.baseAddress!, pattern.count) == 0 { return true }
                start = at - base + 1
            }
            return false
        }
    }

    private static func replace(_ pattern: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i <= bytes.count - pattern.count && bytes[i] == pattern[0] && bytes[i..<i + pattern.count].elementsEqual(pattern) {
                out += mask
                i += pattern.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}

import Foundation

/// Signs messages with DKIM (RFC 6376; Ed25519 per RFC 8463): one `DKIM-Signature` header per
/// key whose domain covers the message's From domain, so an RSA and an Ed25519 key sign side by
/// side. The body length tag (`l=`) is never written: a signature then covers the whole body, and
/// nothing appended later can pass as signed.
///
/// Signing happens on the finished MIME text, as the last step before it leaves Carrier.
public struct DKIMSigner: Sendable {
    public var keys: [DKIMKey]
    /// Header and body canonicalization; relaxed/relaxed by default.
    public var headerCanonicalization: DKIMCanonicalization
    public var bodyCanonicalization: DKIMCanonicalization
    /// The header fields signed where the message has them, in this order. `From` is signed
    /// once more than it appears (oversigned), so no second From can be added to a signed message.
    public var headers: [String]

    public static let defaultHeaders = [
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To", "References", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Feedback-ID",
    ]

    public init(keys: [DKIMKey], headers: [String] = DKIMSigner.defaultHeaders,
                header: DKIMCanonicalization = .relaxed, body: DKIMCanonicalization = .relaxed) {
        self.keys = keys
        self.headers = headers
        self.headerCanonicalization = header
        self.bodyCanonicalization = body
    }

    /// The keys that sign mail from this address's domain; an error names the domains there are keys for.
    public func keys(for fromDomain: String) throws(DKIMError) -> [DKIMKey] {
        let matching = keys.filter { $0.covers(fromDomain) }
        guard matching.isEmpty else { return matching }
        let domains = Set(keys.map(\.domain)).sorted().joined(separator: ", ")
        throw DKIMError("no DKIM key signs for \(fromDomain) (the keys are for \(domains)); "
                        + "add a key with domain: \(fromDomain), or send from one of those domains")
    }

    /// The message with its `DKIM-Signature` headers added at the top.
    public func sign(_ mime: String, fromDomain: String) throws(DKIMError) -> String {
        let keys = try keys(for: fromDomain)
        let bytes = Array(mime.utf8)
        let (fields, bodyStart) = Self.split(bytes)
        let bodyHash = Digest.sha256(bodyCanonicalization.body(Array(bytes[bodyStart...])))
        var signatures = ""
        for key in keys {
            signatures += try signature(key, fields: fields, bodyHash: bodyHash) + "\r\n"
        }
        return signatures + mime
    }

    /// One `DKIM-Signature` field (without its CRLF).
    func signature(_ key: DKIMKey, fields: [String], bodyHash: [UInt8]) throws(DKIMError) -> String {
        // Instances are taken from the bottom up (RFC 6376 section 5.4.2).
        var remaining: [String: [String]] = [:]
        for field in fields {
            let name = Self.name(of: field)
            remaining[name, default: []].insert(field, at: 0)
        }
        var signedNames: [String] = []
        var hashed: [UInt8] = []
        for header in headers {
            let name = header.lowercased()
            guard var instances = remaining[name], !instances.isEmpty else { continue }
            hashed += headerCanonicalization.header(instances.removeFirst())
            remaining[name] = instances
            signedNames.append(name)
        }
        if headers.contains(where: { HeaderRules.sameFieldName($0, "from") }) { signedNames.append("from") }  // oversigned
        let tags = [
            "v=1", "a=\(key.algorithm.rawValue)", "c=\(headerCanonicalization.rawValue)/\(bodyCanonicalization.rawValue)",
            "d=\(key.domain)", "s=\(key.selector)", "h=" + signedNames.joined(separator: ":"),
            "bh=" + Data(bodyHash).base64EncodedString(), "b=",
        ]
        let unsigned = Self.fold(tags)
        let canonical = headerCanonicalization.header(unsigned).dropLast(2)  // hashed without its CRLF
        let signature = try key.privateKey.sign(hashed + canonical)
        return unsigned + Self.wrap(Data(signature).base64EncodedString(), first: Self.lastLineLength(unsigned))
    }

    /// `DKIM-Signature: tag; tag; …` folded before a tag where a line would pass 76 characters.
    static func fold(_ tags: [String]) -> String {
        var out = "DKIM-Signature:"
        var line = out.count
        for (i, tag) in tags.enumerated() {
            let piece = tag + (i < tags.count - 1 ? ";" : "")
            if line + 1 + piece.count > 76 {
                out += "\r\n\t" + piece
                line = 1 + piece.count
            } else {
                out += " " + piece
                line += 1 + piece.count
            }
        }
        return out
    }

    /// Base64 split across folded lines (verifiers drop the white space inside `b=`).
    static func wrap(_ text: String, first: Int) -> String {
        var out = "", rest = Substring(text)
        var room = max(8, 76 - first)
        while !rest.isEmpty {
            out += rest.prefix(room)
            rest = rest.dropFirst(room)
            if !rest.isEmpty { out += "\r\n\t" }
            room = 72
        }
        return out
    }

    static func lastLineLength(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        return bytes.count - ((bytes.lastIndex(of: 0x0A)).map { $0 + 1 } ?? 0)
    }

    /// A header field's name, lowercased.
    static func name(of field: String) -> String {
        String(field.prefix { $0 != ":" }).trimmingWhitespace().lowercased()
    }

    /// The header fields (each unfolded into one string, CRLFs of its folds kept, without its
    /// final CRLF) and where the body starts.
    static func split(_ bytes: [UInt8]) -> (fields: [String], bodyStart: Int) {
        var fields: [String] = []
        var start = 0, i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == 0x0D, bytes[i + 1] == 0x0A else { i += 1; continue }
            if i == start {  // the blank line
                return (fields, i + 2)
            }
            let next = i + 2 < bytes.count ? bytes[i + 2] : 0
            if next == 0x20 || next == 0x09 { i += 2; continue }  // a fold
            fields.append(String(decoding: bytes[start..<i], as: UTF8.self))
            i += 2
            start = i
        }
        return (fields, bytes.count)
    }
}

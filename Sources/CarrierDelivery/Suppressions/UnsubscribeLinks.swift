import Foundation

/// One-click unsubscribe links (RFC 8058, RFC 2369) for bulk mail: each recipient's message gets
/// `List-Unsubscribe: <URL/TOKEN>, <mailto:…>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`,
/// TOKEN naming the recipient and the list, signed with HMAC-SHA256 under `unsubscribe.key`. The
/// HTTP server (`carrier serve`, `carrier events serve`) answers `POST /unsubscribe/TOKEN` by
/// adding the recipient to the suppression list.
///
/// ```yaml
/// unsubscribe:
///   url: https://mail.shop.example.com/unsubscribe   # where the server's /unsubscribe/ is reachable
///   key: "${CARRIER_UNSUBSCRIBE_KEY}"                 # 32 random bytes or more; a secret like a credential
///   mailto: unsubscribe@shop.example.com              # optional, for clients without one-click
/// ```
public struct UnsubscribeLinks: Sendable {
    /// The links' base URL, without a final `/`.
    public var url: String
    public var mailto: String?
    private let key: [UInt8]

    /// What a token names.
    public struct Subscriber: Sendable, Equatable {
        public var email: String
        public var list: String
    }

    public init(url: String, key: String, mailto: String? = nil) throws(ConfigurationError) {
        guard let parsed = URLComponents(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil,
              parsed.query == nil, parsed.fragment == nil else {
            throw ConfigurationError("unsubscribe.url '\(url)' is not an http(s) URL without a query",
                                     hint: "write the public URL of the server's /unsubscribe, such as https://mail.example.com/unsubscribe")
        }
        guard key.utf8.count >= 16 else {
            throw ConfigurationError("unsubscribe.key is shorter than 16 bytes", hint: "use 32 random bytes or more, such as: openssl rand -hex 32")
        }
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.key = Array(key.utf8)
        self.mailto = mailto
    }

    /// `base64url(JSON {e, l}) . base64url(HMAC-SHA256)`.
    public func token(email: String, list: String) -> String {
        let payload = Base64.urlUnpadded(Data(JSONWriter.bytes(.object(["e": .string(email.lowercased()), "l": .string(list)]))))
        return payload + "." + Base64.urlUnpadded(Data(Digest.hmacSHA256(key: key, Array(payload.utf8))))
    }

    /// Who a token names, when this key signed it; nil otherwise.
    public func subscriber(_ token: String) -> Subscriber? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let signature = Self.decode(String(parts[1])),
              ConstantTime.equal(signature, Digest.hmacSHA256(key: key, Array(parts[0].utf8))),
              let payload = Self.decode(String(parts[0])), let value = try? JSONParser.parse(payload),
              let email = value["e"].stringValue, let list = value["l"].stringValue else { return nil }
        return Subscriber(email: email, list: list)
    }

    /// The two header fields for one recipient of one list.
    public func headers(email: String, list: String) -> [(name: String, value: String)] {
        var links = ["<\(url)/\(token(email: email, list: list))>"]
        if let mailto { links.append("<mailto:\(mailto)?subject=unsubscribe>") }
        return [("List-Unsubscribe", links.joined(separator: ", ")), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    }

    private static func decode(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}

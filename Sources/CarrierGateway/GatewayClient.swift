import Carrier
import CarrierYAML
import Foundation

/// An application allowed to hand mail to the gateway: how it proves who it is (an API key, an
/// SMTP login — kept only as SHA-256 hashes), the route its mail takes, the `from` domains it may
/// use and its rate.
public struct GatewayClient: Sendable {
    public var name: String
    /// SHA-256 of the client's API key (`Authorization: Bearer KEY`).
    var apiKeyHash: [UInt8]?
    /// The SMTP login: a user name and the SHA-256 of its password.
    public var smtpUsername: String?
    var smtpPasswordHash: [UInt8]?
    /// The route its messages take; nil: the configuration's default.
    public var route: String?
    /// Domains its `from` may use (lower case); empty: any.
    public var fromDomains: [String]
    /// Messages a second at most; nil: no limit.
    public var perSecond: Double?

    public init(name: String, apiKey: String? = nil, smtpUsername: String? = nil, smtpPassword: String? = nil, route: String? = nil,
                fromDomains: [String] = [], perSecond: Double? = nil) {
        self.name = name
        self.apiKeyHash = apiKey.map { Digest.sha256(Array($0.utf8)) }
        self.smtpUsername = smtpUsername
        self.smtpPasswordHash = smtpPassword.map { Digest.sha256(Array($0.utf8)) }
        self.route = route
        self.fromDomains = fromDomains.map { $0.lowercased() }
        self.perSecond = perSecond
    }

    /// Whether a presented API key is this client's (compared as hashes, in constant time).
    public func accepts(apiKey: String) -> Bool {
        guard let apiKeyHash else { return false }
        return ConstantTime.equal(Digest.sha256(Array(apiKey.utf8)), apiKeyHash)
    }

    /// Whether a presented SMTP password is this client's.
    public func accepts(password: String) -> Bool {
        guard let smtpPasswordHash else { return false }
        return ConstantTime.equal(Digest.sha256(Array(password.utf8)), smtpPasswordHash)
    }

    /// Whether the client may send from this address.
    public func mayUse(from address: String) -> Bool {
        guard !fromDomains.isEmpty else { return true }
        guard let at = address.lastIndex(of: "@") else { return false }
        let domain = address[address.index(after: at)...].lowercased()
        return fromDomains.contains(domain)
    }

    /// A new API key (32 random bytes, base64url) and the line for carrier.yaml with its hash.
    public static func newKey(random: RandomSource = RandomSource()) -> (key: String, sha256: String) {
        var bytes: [UInt8] = []
        for _ in 0..<4 { withUnsafeBytes(of: random.next()) { bytes += $0 } }
        let key = "ck_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return (key, Digest.hex(Digest.sha256(Array(key.utf8))))
    }

    static func read(_ name: String, _ node: YAMLNode, file: String, sink: DiagnosticSink, configuration: Configuration) -> GatewayClient? {
        let r = NodeReader(file: file, node: node, context: "client '\(name)'", sink: sink)
        defer { r.finish() }
        var client = GatewayClient(name: name)
        func hash(_ key: String, in r: NodeReader) -> [UInt8]? {
            guard let node = r.node(key) else { return nil }
            guard let text = r.scalarString(node, name: key), text.utf8.count == 64, let bytes = Self.hexBytes(text) else {
                r.error(node, "'\(key)' must be 64 hexadecimal digits (a SHA-256)", hint: "`carrier clients add \(name)` prints one")
                return nil
            }
            return bytes
        }
        func secret(_ key: String) -> String? {
            guard let node = r.node(key) else { return nil }
            do {
                let value = try configuration.resolveSecret(Value(yaml: node), place: "clients.\(name).\(key)")
                guard let text = value.stringValue, !text.isEmpty else {
                    r.error(node, "'\(key)' is empty")
                    return nil
                }
                return text
            } catch {
                r.error(node, error.message, hint: error.hint)
                return nil
            }
        }
        client.apiKeyHash = hash("api_key_sha256", in: r) ?? secret("api_key").map { Digest.sha256(Array($0.utf8)) }
        if let s = r.mapping("smtp") {
            client.smtpUsername = s.string("username", required: true)
            if s.node("password_sha256") != nil {
                client.smtpPasswordHash = hash("password_sha256", in: s)
            } else if let node = s.node("password") {
                do {
                    let value = try configuration.resolveSecret(Value(yaml: node), place: "clients.\(name).smtp.password")
                    client.smtpPasswordHash = value.stringValue.map { Digest.sha256(Array($0.utf8)) }
                } catch {
                    s.error(node, error.message, hint: error.hint)
                }
            } else {
                s.error(s.node, "client '\(name)' has an SMTP username but no password_sha256 or password")
            }
            s.finish()
        }
        if client.apiKeyHash == nil && client.smtpPasswordHash == nil {
            r.error(node, "client '\(name)' has no api_key_sha256 (or api_key) and no smtp login: it could not submit anything",
                    hint: "`carrier clients add \(name)` prints a key and its line")
        }
        if let routeNode = r.node("route") {
            client.route = r.scalarString(routeNode, name: "route")
            if let route = client.route, !configuration.routes.keys.contains(route), !configuration.accountNames.contains(route) {
                r.error(routeNode, "client '\(name)' takes route '\(route)', which the configuration does not define",
                        hint: Suggest.hint(for: route, in: Array(configuration.routes.keys) + configuration.accountNames))
            }
        }
        client.fromDomains = (r.list("from_domains") ?? []).compactMap { r.scalarString($0, name: "from_domains")?.lowercased() }
        if let l = r.mapping("limits") {
            if let node = l.node("per_second") {
                if let rate = Value(yaml: node).doubleValue, rate > 0 { client.perSecond = rate } else {
                    l.error(node, "'per_second' must be a number above 0")
                }
            }
            l.finish()
        }
        return client
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = text.utf8.map(HeaderDecoding.hexValue)
        guard digits.count % 2 == 0, !digits.contains(nil) else { return nil }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0]! << 4 | digits[$0 + 1]! }
    }
}

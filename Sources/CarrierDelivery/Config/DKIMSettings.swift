import CarrierYAML

/// `dkim:` of an account or route as written; its keys are read when the account is resolved
/// (a `private_key` is a secret like a credential: `{file: …}` or `${NAME}`).
///
/// ```yaml
/// dkim: {domain: example.com, selector: s2026, private_key: {file: /etc/carrier/dkim/s2026.pem}}
/// dkim:                                   # dual signing: RSA and Ed25519 side by side
///   keys:
///     - {domain: example.com, selector: rsa2026, private_key: {file: rsa.pem}}
///     - {domain: example.com, selector: ed2026, private_key: {file: ed.pem}}
///   canonicalization: relaxed/relaxed     # or simple/simple, relaxed/simple, …
///   headers: [From, To, Subject, Date, Message-ID]   # default: DKIMSigner.defaultHeaders
/// ```
struct DKIMSettings: Sendable, Equatable {
    struct Key: Sendable, Equatable {
        var domain: String
        var selector: String
        var privateKey: Value
    }

    var keys: [Key]
    var header: DKIMCanonicalization = .relaxed
    var body: DKIMCanonicalization = .relaxed
    var headers: [String] = DKIMSigner.defaultHeaders

    /// Reads `dkim:` under `context` (`account 'x'`, `route 'y'`); problems go to the sink.
    static func read(_ node: YAMLNode, file: String, context: String, sink: DiagnosticSink) -> DKIMSettings? {
        let place = "'dkim' in \(context)"
        if case .sequence(let items) = node.kind {
            return DKIMSettings(keys: items.compactMap { readKey($0, file: file, context: place, sink: sink) })
        }
        let r = NodeReader(file: file, node: node, context: place, sink: sink)
        defer { r.finish() }
        var settings = DKIMSettings(keys: [])
        if let list = r.list("keys") {
            settings.keys = list.compactMap { readKey($0, file: file, context: place, sink: sink) }
            if list.isEmpty, let n = r.node("keys") { r.error(n, "\(place) has no keys") }
        } else {
            // One key written inline.
            let domain = r.string("domain", required: true), selector = r.string("selector", required: true)
            let key = r.requiredNode("private_key").map(Value.init(yaml:))
            if let domain, let selector, let key { settings.keys = [Key(domain: domain, selector: selector, privateKey: key)] }
        }
        if let text = r.string("canonicalization") {
            let parts = text.split(separator: "/").map { DKIMCanonicalization(rawValue: String($0)) }
            if let n = r.node("canonicalization"), parts.count != 2 || parts.contains(nil) {
                r.error(n, "canonicalization '\(text)' is not HEADER/BODY", hint: "write relaxed/relaxed (the default), simple/simple, relaxed/simple or simple/relaxed")
            } else if parts.count == 2, let header = parts[0], let body = parts[1] {
                settings.header = header
                settings.body = body
            }
        }
        if let list = r.list("headers") {
            settings.headers = list.compactMap { r.scalarString($0, name: "headers") }
            if !settings.headers.contains(where: { HeaderRules.sameFieldName($0, "from") }), let n = r.node("headers") {
                r.error(n, "the signed headers must include From (RFC 6376 requires it)")
            }
        }
        return settings
    }

    private static func readKey(_ node: YAMLNode, file: String, context: String, sink: DiagnosticSink) -> Key? {
        let r = NodeReader(file: file, node: node, context: "a key of \(context)", sink: sink)
        defer { r.finish() }
        let domain = r.string("domain", required: true), selector = r.string("selector", required: true)
        let key = r.requiredNode("private_key").map(Value.init(yaml:))
        guard let domain, let selector, let key else { return nil }
        return Key(domain: domain, selector: selector, privateKey: key)
    }

    /// The signer, its keys read through `secrets`; `place` names the setting in errors.
    func signer(secrets: SecretSource, place: String) throws(ConfigurationError) -> DKIMSigner {
        var keys: [DKIMKey] = []
        for (i, key) in self.keys.enumerated() {
            let where_ = "\(place).dkim.keys[\(i)]"
            let pem = try secrets.resolve(key.privateKey, place: "\(where_).private_key").text
            do { keys.append(try DKIMKey(domain: key.domain, selector: key.selector, privateKeyPEM: pem)) } catch {
                throw ConfigurationError("\(where_): \(error.description)", hint: "make a key with: carrier dkim keygen --domain \(key.domain) --selector \(key.selector)")
            }
        }
        return DKIMSigner(keys: keys, headers: headers, header: header, body: body)
    }
}

import CarrierYAML
import Foundation

/// Loads `providers/*.yaml` files into ``ProviderDefinition``s, reporting every problem as
/// `file:line:col: error: …` with a suggestion for unknown keys.
public enum DefinitionLoader {
    /// Variables a request template may read: the message's fields, plus `settings`,
    /// `credentials`, `account` and `mime` (the rendered MIME message).
    static let requestVariables: Set<String> = Set(Message.fieldNames).subtracting(["category", "custom_variables", "template_uuid", "template_variables"])
        .union(["settings", "credentials", "mime", "message"])
    /// Variables a response rule may read.
    static let responseVariables: Set<String> = ["status", "headers", "body", "text", "settings"]

    public static func load(file path: String) throws(DiagnosticsError) -> ProviderDefinition {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticsError([Diagnostic(file: path, mark: SourceMark(line: 1, column: 1), message: "cannot read the file",
                                               hint: "check the path and its permissions")])
        }
        return try load(text: String(decoding: data, as: UTF8.self), file: path)
    }

    public static func load(text: String, file: String) throws(DiagnosticsError) -> ProviderDefinition {
        let root = try YAMLParser.document(text, file: file, ifEmpty: "the file is empty")
        let sink = DiagnosticSink()
        let definition = Builder(file: file, sink: sink).build(root)
        try sink.check()
        return definition!
    }
}

/// Reads each section of a provider file.
private struct Builder {
    let file: String
    let sink: DiagnosticSink

    func build(_ root: YAMLNode) -> ProviderDefinition? {
        let top = NodeReader(file: file, node: root, context: "the provider file", sink: sink)
        if let schema = top.int("schema"), schema != 1, let node = root["schema"] {
            top.error(node, "schema \(schema) is not supported", hint: "this version of Carrier reads schema 1")
        }
        let id = top.string("id", required: true) ?? ""
        if !id.isEmpty, !id.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_" }), let node = root["id"] {
            top.error(node, "id '\(id)' must be lower-case letters, digits, '-' or '_'")
        }
        let name = top.string("name") ?? id
        let docs = top.string("docs")
        _ = top.string("description")
        let credentials = top.entries("credentials").map(readCredentials) ?? []
        let settings = top.entries("settings").map(readSettings) ?? []
        let capabilities = top.mapping("capabilities").map { readCapabilities($0, base: .all) } ?? .all
        let api = top.mapping("api").flatMap(readAPI)
        let smtp = top.mapping("smtp").flatMap { readSMTP($0, base: capabilities) }
        let examples = top.list("examples").map(readExamples) ?? []
        top.finish()
        if api == nil && smtp == nil && root.mapping != nil {
            top.error(root, "the provider has no channel", hint: "add an 'api' or an 'smtp' section")
        }
        return ProviderDefinition(id: id, name: name, docs: docs, file: file, credentials: credentials, settings: settings,
                                  capabilities: capabilities, api: api, smtp: smtp, examples: examples)
    }

    private func compiler(_ variables: Set<String>) -> TemplateCompiler {
        TemplateCompiler(file: file, variables: variables, sink: sink)
    }

    private func template(_ reader: NodeReader, _ key: String, required: Bool = false,
                          variables: Set<String> = DefinitionLoader.requestVariables) -> Template? {
        guard let node = required ? reader.requiredNode(key) : reader.node(key) else { return nil }
        return compiler(variables).compile(node)
    }

    private func readCredentials(_ entries: [(String, YAMLNode)]) -> [CredentialSpec] {
        entries.map { name, node in
            let r = NodeReader(file: file, node: node, context: "credential '\(name)'", sink: sink)
            let spec = CredentialSpec(name: name, secret: r.bool("secret") ?? true, required: r.bool("required") ?? true,
                                      description: r.string("description"))
            r.finish()
            return spec
        }
    }

    private func readSettings(_ entries: [(String, YAMLNode)]) -> [SettingSpec] {
        entries.map { name, node in
            let r = NodeReader(file: file, node: node, context: "setting '\(name)'", sink: sink)
            let defaultValue = r.node("default").map(Value.init(yaml:))
            let allowed = r.list("values")?.compactMap { r.scalarString($0, name: "values") }
            if let allowed, let d = defaultValue, !d.isNull, !allowed.contains(d.text), let node = node["default"] {
                r.error(node, "default '\(d.text)' is not one of the allowed values", hint: "expected one of: " + allowed.joined(separator: ", "))
            }
            let spec = SettingSpec(name: name, defaultValue: defaultValue, allowed: allowed,
                                   required: r.bool("required") ?? false, description: r.string("description"))
            r.finish()
            return spec
        }
    }

    /// Capabilities written over `base` (the provider's, for a channel's own `capabilities`).
    private func readCapabilities(_ r: NodeReader, base: Capabilities) -> Capabilities {
        func limit(_ key: String) -> (supported: Bool, max: Int?)? {
            guard let node = r.node(key) else { return nil }
            switch Value(yaml: node) {
            case .bool(let b): return (b, nil)
            case .int(let n): return (true, n)
            case .object:
                let inner = NodeReader(file: file, node: node, context: "capability '\(key)'", sink: sink)
                let max = inner.int("max")
                inner.finish()
                return (true, max)
            default:
                r.error(node, "capability '\(key)' must be true, false, a number or {max: N}")
                return nil
            }
        }
        var c = base
        if let t = limit("tags") { c.tags = t.supported ? (t.max ?? .max) : nil }
        if let m = limit("metadata") { c.metadata = m.supported }
        if let t = limit("templates") { c.templates = t.supported }
        if let s = limit("send_at") { c.sendAt = s.supported }
        if let a = limit("attachments") { c.attachments = a.supported; c.maxAttachments = a.max }
        if let i = limit("inline_images") { c.inlineImages = i.supported }
        if let t = limit("text") { c.text = t.supported }
        if let h = limit("headers") { c.customHeaders = h.supported }
        if let l = limit("recipients") { c.maxRecipients = l.max }
        if let l = limit("reply_to") { c.maxReplyTo = l.max }
        if let l = limit("attachment_bytes") { c.maxAttachmentBytes = l.max }
        r.finish()
        return c
    }

    private func readAPI(_ r: NodeReader) -> APISpec? {
        let method = r.oneOf("method", ["POST", "PUT", "PATCH", "GET"]) ?? "POST"
        let url = template(r, "url", required: true)
        let headers = template(r, "headers")
        let auth = r.mapping("auth").map(readAuth) ?? AuthSpec.none
        let body = r.mapping("body", required: true).flatMap(readBody)
        var mimeIncludesBcc = false
        var mimeHeaders: Template?
        if let mime = r.mapping("mime") {
            mimeIncludesBcc = mime.bool("bcc") ?? false
            mimeHeaders = template(mime, "headers")
            mime.finish()
        }
        let response = r.mapping("response").map(readResponse)
            ?? ResponseSpec(success: nil, messageIDs: nil, error: nil, retryAfter: nil, classify: [], classifyWhen: [])
        let idempotency = r.string("idempotency_header")
        r.finish()
        guard let url, let body else { return nil }
        return APISpec(method: method, url: url, headers: headers, auth: auth, body: body, mimeIncludesBcc: mimeIncludesBcc,
                       mimeHeaders: mimeHeaders, response: response, idempotencyHeader: idempotency)
    }

    private func readAuth(_ r: NodeReader) -> AuthSpec {
        defer { r.finish() }
        guard let pairs = r.node.mapping, pairs.count == 1, let scheme = pairs[0].key.scalar else {
            r.error(r.node, "auth must name exactly one scheme", hint: "one of: " + AuthSpec.schemeNames.joined(separator: ", "))
            return .none
        }
        guard AuthSpec.schemeNames.contains(scheme) else {
            _ = r.node(scheme)
            r.error(pairs[0].key, "unknown auth scheme '\(scheme)'", hint: Suggest.hint(for: scheme, in: AuthSpec.schemeNames))
            return .none
        }
        let compile = compiler(DefinitionLoader.requestVariables)
        switch scheme {
        case "bearer":
            guard let node = r.node("bearer") else { return .none }
            return .bearer(token: compile.compile(node))
        case "basic":
            guard let b = r.mapping("basic") else { return .none }
            let username = template(b, "username", required: true)
            let password = template(b, "password", required: true)
            b.finish()
            guard let username, let password else { return .none }
            return .basic(username: username, password: password)
        case "header":
            guard let h = r.mapping("header") else { return .none }
            let name = h.string("name", required: true)
            let value = template(h, "value", required: true)
            h.finish()
            guard let name, let value else { return .none }
            return .header(name: name, value: value)
        case "oauth2":
            guard let o = r.mapping("oauth2") else { return .none }
            return readOAuth2(o).map(AuthSpec.oauth2) ?? .none
        default:
            _ = r.node("none")
            return .none
        }
    }

    private func readOAuth2(_ o: NodeReader) -> OAuth2Spec? {
        let tokenURL = template(o, "token_url", required: true)
        var spec = OAuth2Spec(tokenURL: tokenURL ?? .literal(.null))
        if let g = o.mapping("refresh_token") {
            if let id = template(g, "client_id", required: true), let secret = template(g, "client_secret", required: true),
               let token = template(g, "refresh_token", required: true) {
                spec.refreshToken = (id, secret, token)
            }
            g.finish()
        }
        if let s = o.mapping("service_account") {
            if let email = template(s, "client_email", required: true), let key = template(s, "private_key", required: true),
               let scope = template(s, "scope", required: true) {
                spec.serviceAccount = (email, key, scope, template(s, "subject"))
            }
            s.finish()
        }
        if spec.refreshToken == nil && spec.serviceAccount == nil {
            o.error(o.node, "oauth2 needs a 'refresh_token' or a 'service_account' grant")
        }
        o.finish()
        return tokenURL == nil ? nil : spec
    }

    private func readBody(_ r: NodeReader) -> BodySpec? {
        defer { r.finish() }
        let names = BodyEncoding.allCases.map(\.rawValue)
        let present = (r.node.mapping ?? []).compactMap { $0.key.scalar }.filter { names.contains($0) }
        guard present.count == 1, let encoding = BodyEncoding(rawValue: present[0]) else {
            r.error(r.node, "body must have exactly one encoding", hint: "one of: " + names.joined(separator: ", "))
            return nil
        }
        guard let node = r.node(encoding.rawValue) else { return nil }
        if encoding == .raw {
            let raw = NodeReader(file: file, node: node, context: "'raw'", sink: sink)
            let contentType = raw.string("content_type", required: true)
            let content = template(raw, "content", required: true)
            raw.finish()
            guard let content else { return nil }
            return BodySpec(encoding: .raw, template: content, contentType: contentType)
        }
        if encoding != .json && node.mapping == nil {
            r.error(node, "a \(encoding.rawValue) body must be a mapping of field names to values")
        }
        return BodySpec(encoding: encoding, template: compiler(DefinitionLoader.requestVariables).compile(node), contentType: nil)
    }

    private func readResponse(_ r: NodeReader) -> ResponseSpec {
        let variables = DefinitionLoader.responseVariables
        var spec = ResponseSpec(success: nil, messageIDs: nil, error: nil, retryAfter: nil, classify: [], classifyWhen: [])
        if let node = r.node("success") {
            if case .sequence(let items) = node.kind {
                let statuses = items.compactMap { Value(yaml: $0).intValue }
                spec.success = .literal(.array(statuses.map(Value.int)))
            } else {
                spec.success = compiler(variables).compile(node)
            }
        }
        spec.messageIDs = template(r, "message_ids", variables: variables)
        spec.error = template(r, "error", variables: variables)
        spec.retryAfter = template(r, "retry_after", variables: variables)
        let classNames = ErrorClass.allCases.map(\.rawValue)
        for (pattern, node) in r.entries("classify") ?? [] {
            guard let range = StatusRule.parse(pattern) else {
                r.error(node, "'\(pattern)' is not a status pattern", hint: "write 429, 500-599 or 5xx")
                continue
            }
            guard let name = node.scalar, let errorClass = ErrorClass(rawValue: name) else {
                r.error(node, "'\(node.scalar ?? "")' is not a failure class", hint: Suggest.hint(for: node.scalar ?? "", in: classNames))
                continue
            }
            spec.classify.append(StatusRule(range: range, errorClass: errorClass))
        }
        for item in r.list("classify_when") ?? [] {
            let rule = NodeReader(file: file, node: item, context: "a classify_when rule", sink: sink)
            let condition = rule.requiredNode("when").flatMap { compiler(variables).compileExpression($0) }
            let errorClass = rule.oneOf("class", classNames).flatMap(ErrorClass.init(rawValue:))
            if rule.node.mapping != nil, errorClass == nil, rule.node["class"] == nil { rule.error(item, "a classify_when rule needs a 'class'") }
            rule.finish()
            if let condition, let errorClass { spec.classifyWhen.append((condition, errorClass)) }
        }
        r.finish()
        return spec
    }

    private func readSMTP(_ r: NodeReader, base: Capabilities) -> SMTPSpec? {
        let host = template(r, "host", required: true)
        var ports: [SMTPPort] = []
        for item in r.list("ports") ?? [] {
            let p = NodeReader(file: file, node: item, context: "an smtp port", sink: sink)
            let number = p.int("port")
            let tls = p.oneOf("tls", TLSMode.allCases.map(\.rawValue)).flatMap(TLSMode.init(rawValue:))
            if item.mapping != nil && (number == nil || tls == nil) && (item["port"] == nil || item["tls"] == nil) {
                p.error(item, "an smtp port needs 'port' and 'tls'")
            }
            p.finish()
            if let number, let tls { ports.append(SMTPPort(port: number, tls: tls)) }
        }
        if ports.isEmpty, r.node.mapping != nil { r.error(r.node, "smtp needs at least one entry in 'ports'") }
        let username = template(r, "username", required: true)
        let password = template(r, "password")
        let oauth2 = r.bool("oauth2") ?? false
        let mechanism = r.oneOf("auth_mechanism", ["PLAIN", "LOGIN", "XOAUTH2"])
        let headers = template(r, "headers")
        let perConnection = r.int("max_messages_per_connection")
        let capabilities = r.mapping("capabilities").map { readCapabilities($0, base: base) }
        r.finish()
        guard let host, let username else { return nil }
        return SMTPSpec(host: host, ports: ports, username: username, password: password, oauth2: oauth2,
                        authMechanism: mechanism, headers: headers, maxMessagesPerConnection: perConnection,
                        capabilities: capabilities)
    }

    private func readExamples(_ items: [YAMLNode]) -> [ProviderExample] {
        items.enumerated().compactMap { index, node in
            let r = NodeReader(file: file, node: node, context: "example \(index + 1)", sink: sink)
            let name = r.string("name") ?? "example \(index + 1)"
            let channel = r.oneOf("channel", ["api", "smtp"]).flatMap(ChannelKind.init(rawValue:)) ?? .api
            let message = r.requiredNode("message").map(Value.init(yaml:))
            let credentials = r.node("credentials").map(Value.init(yaml:)) ?? .object(OrderedObject())
            let settings = r.node("settings").map(Value.init(yaml:)) ?? .object(OrderedObject())
            let request = r.node("request").map(Value.init(yaml:))
            let response = r.node("response").map(Value.init(yaml:))
            let expect = r.node("expect").map(Value.init(yaml:))
            r.finish()
            guard let message else { return nil }
            return ProviderExample(name: name, mark: node.mark, channel: channel, message: message, credentials: credentials,
                                   settings: settings, request: request, response: response, expect: expect)
        }
    }
}

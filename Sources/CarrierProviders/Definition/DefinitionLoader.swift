import CarrierYAML
import Foundation

/// Loads `providers/*.yaml` files into ``ProviderDefinition``s, reporting every problem as
/// `file:line:col: error: …` with a suggestion for unknown keys.
public enum DefinitionLoader {
    /// Variables a request template may read: the message's fields, plus `settings`,
    /// `credentials`, `account` and `mime` (the rendered MIME message).
    static let requestVariables: Set<String> = Set(Message.fieldNames).subtracting(["category", "custom_variables", "template_uuid", "template_variables"])
        .union(["settings", "credentials", "mime", "message", "now", "channel"])
    /// Variables a response rule may read.
    package static let responseVariables: Set<String> = ["status", "headers", "body", "text", "settings", "message"]

    package static func load(file path: String, format: ProviderFormat, reading parts: ProviderParts = .all) throws(DiagnosticsError) -> ProviderDefinition {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticsError([Diagnostic(file: path, mark: SourceMark(line: 1, column: 1), message: "cannot read the file",
                                               hint: "check the path and its permissions")])
        }
        return try load(text: String(decoding: data, as: UTF8.self), file: path, format: format, reading: parts)
    }

    /// - Parameter parts: what is read besides the sending sections. Without `.examples` the
    ///   file's top-level `examples:` block is not even parsed (``blankingExamples(_:)``); without
    ///   `.events` the events section is not compiled. The definition then has none.
    package static func load(text: String, file: String, format: ProviderFormat, reading parts: ProviderParts = .all) throws(DiagnosticsError) -> ProviderDefinition {
        // A file whose YAML does not parse without its examples is parsed whole, for its own diagnostics.
        let lean = parts.contains(.examples) ? nil : blankingExamples(text).flatMap { try? YAMLParser.document($0, file: file, ifEmpty: "the file is empty") }
        let root: YAMLNode
        if let lean { root = lean } else { root = try YAMLParser.document(text, file: file, ifEmpty: "the file is empty") }
        let sink = DiagnosticSink()
        let definition = ProviderFileReader(file: file, sink: sink, format: format, parts: parts).build(root)
        try sink.check()
        return definition!
    }
}

/// Reads each section of a provider file; channels read their own sections through it.
package struct ProviderFileReader {
    package let file: String
    package let sink: DiagnosticSink
    /// The channels and verifiers the file may name.
    package let format: ProviderFormat
    /// What is read besides the sending sections (an unread section is passed over unchecked).
    package var parts: ProviderParts = .all

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
        let limits = top.mapping("limits").map(RateLimits.read) ?? RateLimits()
        var sections: [ChannelKind: any Sendable] = [:]
        var channels: [ChannelKind] = []
        var sectionsWritten = false
        for channel in format.channels {
            guard let key = channel.section, root[key] != nil else { continue }
            sectionsWritten = true
            if let r = top.mapping(key), let section = channel.readSection(r, in: self, capabilities: capabilities) {
                sections[channel.kind] = section
                channels.append(channel.kind)
            }
        }
        var events: EventsSpec?
        var examples: [ProviderExample] = []
        if parts.contains(.events) { events = top.mapping("events").flatMap(readEvents) } else { top.pass(over: "events") }
        if parts.contains(.examples) { examples = top.list("examples").map(readExamples) ?? [] } else { top.pass(over: "examples") }
        top.finish()
        // A section that is present but broken has its own diagnostics; "no channel" would only repeat them.
        if !sectionsWritten && root.mapping != nil {
            let keys = format.channels.compactMap { $0.section }.map { "'\($0)'" }
            top.error(root, "the provider has no channel", hint: "add one of these sections: " + keys.joined(separator: ", "))
        }
        var definition = ProviderDefinition(id: id, name: name, docs: docs, file: file, origin: .file(file), credentials: credentials,
                                            settings: settings, capabilities: capabilities, sections: sections, examples: examples)
        definition.limits = limits
        definition.channels = channels
        definition.events = events
        return definition
    }

    package func compiler(_ variables: Set<String>) -> MappingCompiler {
        MappingCompiler(file: file, variables: variables, sink: sink)
    }

    package func template(_ reader: NodeReader, _ key: String, required: Bool = false,
                          variables: Set<String> = DefinitionLoader.requestVariables) -> Mapping? {
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
    package func readCapabilities(_ r: NodeReader, base: Capabilities) -> Capabilities {
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
        if r.node("templates")?.scalar == "required" {
            c.templates = true
            c.templatesRequired = true
        } else if let t = limit("templates") { c.templates = t.supported }
        if let s = limit("send_at") { c.sendAt = s.supported }
        if let a = limit("attachments") { c.attachments = a.supported; c.maxAttachments = a.max }
        if let i = limit("inline_images") { c.inlineImages = i.supported }
        if let t = limit("text") { c.text = t.supported }
        if let t = limit("text_and_html") { c.textAndHTML = t.supported }
        if let h = limit("headers") { c.customHeaders = h.supported }
        if let l = limit("cc") { c.cc = l.supported }
        if let l = limit("bcc") { c.bcc = l.supported }
        if let l = limit("recipients") { c.maxRecipients = l.max }
        if let l = limit("reply_to") { c.maxReplyTo = l.max }
        if let l = limit("attachment_bytes") { c.maxAttachmentBytes = l.max }
        r.finish()
        return c
    }

    /// A whole number of at least 1, or nil when absent.
    package func positive(_ r: NodeReader, _ key: String) -> Int? {
        guard let value = r.int(key) else { return nil }
        if value < 1, let node = r.node(key) {
            r.error(node, "'\(key)' must be at least 1")
            return nil
        }
        return value
    }

    /// The section's `auth:` scheme, or no authentication when it names none.
    package func auth(in section: NodeReader) -> any AuthScheme {
        section.mapping("auth").flatMap(readAuth) ?? NoAuth()
    }

    /// `body: {ENCODING: template}` of a section, read by ``BodyEncodings/all``.
    package func body(in section: NodeReader) -> (any BodyEncoding)? {
        section.mapping("body", required: true).flatMap(readBody)
    }

    /// `auth: {SCHEME: value}`: exactly one scheme of ``AuthSchemes/all``.
    private func readAuth(_ r: NodeReader) -> (any AuthScheme)? {
        defer { r.finish() }
        guard let pairs = r.node.mapping, pairs.count == 1, let name = pairs[0].key.scalar else {
            r.error(r.node, "auth must name exactly one scheme", hint: "one of: " + AuthSchemes.names.joined(separator: ", "))
            return nil
        }
        guard let scheme = AuthSchemes.all.first(where: { $0.name == name }) else {
            _ = r.node(name)
            r.error(pairs[0].key, "unknown auth scheme '\(name)'", hint: Suggest.hint(for: name, in: AuthSchemes.names))
            return nil
        }
        guard let value = r.node(name) else { return nil }
        return scheme.read(value, in: self)
    }

    /// `body: {ENCODING: template}`: exactly one encoding of ``BodyEncodings/all``.
    private func readBody(_ r: NodeReader) -> (any BodyEncoding)? {
        defer { r.finish() }
        let names = BodyEncodings.names
        let present = (r.node.mapping ?? []).compactMap { $0.key.scalar }.filter { names.contains($0) }
        guard present.count == 1, let encoding = BodyEncodings.all.first(where: { $0.name == present[0] }) else {
            for key in (r.node.mapping ?? []).compactMap({ $0.key.scalar }) { _ = r.node(key) }  // one error, not one per key
            r.error(r.node, "body must have exactly one encoding", hint: "one of: " + names.joined(separator: ", "))
            return nil
        }
        guard let node = r.node(encoding.name) else { return nil }
        return encoding.read(node, in: self)
    }

    /// A reader for a mapping inside the file, reporting to the same diagnostics.
    package func reader(_ node: YAMLNode, context: String) -> NodeReader {
        NodeReader(file: file, node: node, context: context, sink: sink)
    }

    /// Compiles any node into a request template.
    func compile(_ node: YAMLNode) -> Mapping {
        compiler(DefinitionLoader.requestVariables).compile(node)
    }

    private func readExamples(_ items: [YAMLNode]) -> [ProviderExample] {
        items.enumerated().compactMap { index, node in
            let r = NodeReader(file: file, node: node, context: "example \(index + 1)", sink: sink)
            let name = r.string("name") ?? "example \(index + 1)"
            let channel = r.oneOf("channel", format.channels.filter { $0.section != nil }.map { $0.kind.rawValue })
                .map(ChannelKind.init(rawValue:)) ?? ChannelKind(rawValue: "api")
            let message = r.requiredNode("message").map(Value.init(yaml:))
            let credentials = r.node("credentials").map(Value.init(yaml:)) ?? .object(OrderedObject())
            let settings = r.node("settings").map(Value.init(yaml:)) ?? .object(OrderedObject())
            let request = r.node("request").map(Value.init(yaml:))
            let response = r.node("response").map(Value.init(yaml:))
            let expect = r.node("expect").map(Value.init(yaml:))
            let event = r.node("event").map(Value.init(yaml:))
            r.finish()
            guard let message else { return nil }
            return ProviderExample(name: name, mark: node.mark, channel: channel, message: message, credentials: credentials,
                                   settings: settings, request: request, response: response, expect: expect, event: event)
        }
    }
}

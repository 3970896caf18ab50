/// The capability table of a set of providers: one row per provider, one column per thing a
/// message can use. `carrier providers matrix` prints it; docs/providers.md is its output.
public struct CapabilityMatrix: Sendable {
    public var definitions: [ProviderDefinition]

    public init(_ definitions: [ProviderDefinition]) {
        self.definitions = definitions.sorted { $0.id < $1.id }
    }

    static let columns = ["provider", "channels", "auth", "tags", "metadata", "templates", "send_at", "attachments", "inline images",
                          "text only", "text + HTML", "custom headers", "cc", "bcc", "reply-to", "recipients", "attachment bytes"]

    /// One row as values: booleans, limits (a number) or text.
    func row(_ d: ProviderDefinition) -> [Value] {
        let c = d.capabilities
        func limit(_ n: Int?) -> Value { n.map(Value.int) ?? "no limit" }
        let auth = d.api.map { type(of: $0.auth).name } ?? (d.smtp != nil ? "smtp login" : "none")
        return [.string("\(d.name) (`\(d.id)`)"), .string(d.channels.map(\.rawValue).joined(separator: ", ")), .string(auth),
                c.tags.map { $0 == .max ? .bool(true) : .int($0) } ?? .bool(false), .bool(c.metadata), .bool(c.templates), .bool(c.sendAt),
                c.attachments ? (c.maxAttachments.map(Value.int) ?? .bool(true)) : .bool(false),
                .bool(c.inlineImages), .bool(c.text), .bool(c.textAndHTML && c.text), .bool(c.customHeaders), .bool(c.cc), .bool(c.bcc),
                c.maxReplyTo.map(Value.int) ?? .bool(true), limit(c.maxRecipients), limit(c.maxAttachmentBytes)]
    }

    /// The table as JSON: one object per provider.
    public var json: Value {
        .array(definitions.map { d in
            var object = OrderedObject()
            object["id"] = .string(d.id)
            for (name, value) in zip(Self.columns.dropFirst(), row(d).dropFirst()) { object[name] = value }
            return .object(object)
        })
    }

    /// The table as Markdown, with a line saying how to regenerate it.
    public var markdown: String {
        func cell(_ v: Value) -> String {
            switch v {
            case .bool(let b): return b ? "yes" : "—"
            case .int(let n): return n >= 1_000_000 ? "\(n / 1_000_000) MB" : (n >= 10_000 ? "\(n / 1000)k" : "\(n)")
            default: return v.text
            }
        }
        var lines = ["# Providers", "",
                     "What each built-in provider can carry (`carrier providers matrix`; this file is its output and a test",
                     "fails when it is stale). A number is a limit; `—` means the provider cannot carry it, and Carrier",
                     "refuses (or, with `ignore_unsupported`, drops and reports) what a message uses beyond it.", "",
                     "| " + Self.columns.joined(separator: " | ") + " |",
                     "|" + String(repeating: "---|", count: Self.columns.count)]
        for d in definitions { lines.append("| " + row(d).map(cell).joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension ProviderDefinition {
    /// What `carrier providers show` prints.
    public var summary: Value {
        var object = OrderedObject()
        object["id"] = .string(id)
        object["name"] = .string(name)
        object["docs"] = docs.map(Value.string) ?? .null
        object["file"] = .string(file)
        object["channels"] = .array(channels.map { .string($0.rawValue) })
        object["credentials"] = .object(OrderedObject(credentials.map { c in
            (c.name, .object(["secret": .bool(c.secret), "required": .bool(c.required), "description": c.description.map(Value.string) ?? .null]))
        }))
        object["settings"] = .object(OrderedObject(settings.map { s in
            (s.name, .object(["default": s.defaultValue ?? .null, "values": s.allowed.map { .array($0.map(Value.string)) } ?? .null,
                              "description": s.description.map(Value.string) ?? .null]))
        }))
        let c = capabilities
        object["capabilities"] = .object([
            "tags": c.tags.map { $0 == .max ? .bool(true) : .object(["max": .int($0)]) } ?? .bool(false),
            "metadata": .bool(c.metadata), "templates": .bool(c.templates), "send_at": .bool(c.sendAt),
            "attachments": .bool(c.attachments), "inline_images": .bool(c.inlineImages), "headers": .bool(c.customHeaders),
            "recipients": c.maxRecipients.map { .object(["max": .int($0)]) } ?? .null,
        ])
        if let smtp {
            object["smtp"] = .object(["ports": .array(smtp.ports.map { .object(["port": .int($0.port), "tls": .string($0.tls.rawValue)]) })])
        }
        object["examples"] = .int(examples.count)
        return .object(object)
    }
}

/// Every channel and verifier Carrier has: the format the public loaders read provider files in.
/// It lives here, in the lowest layer that sees both the channels and the verifiers.
extension ProviderFormat {
    // Each channel type upcast on its own: the array converted whole is a runtime cast per element,
    // and each looks its conformance up in every record of the binary (a start-up cost).
    package static let standard = ProviderFormat(channels: Channels.all.map { $0 as any ChannelDescriptor.Type },
                                                 verifiers: WebhookVerifiers.all)
}

extension ProviderRegistry {
    /// An empty registry; ``standard(extraDirectories:searchPath:reading:)`` is the usual one.
    /// - Parameter parts: what is read of each file besides its sending sections; a process that
    ///   only sends passes `[]` (the examples are half of each file's parse).
    public convenience init(reading parts: ProviderParts = .all) { self.init(format: .standard, reading: parts) }

    /// The configuration's folders, then the search path (the CLI passes `$CARRIER_PROVIDERS`,
    /// colon-separated; the library reads no environment variable itself), then the built-in providers.
    public static func standard(extraDirectories: [String] = [], searchPath: String? = nil, reading parts: ProviderParts = .all) -> ProviderRegistry {
        let registry = ProviderRegistry(reading: parts)
        for directory in extraDirectories { registry.addDirectory(directory, namedIn: "providers: in the configuration") }
        for directory in (searchPath ?? "").split(separator: ":") { registry.addDirectory(String(directory), namedIn: "$CARRIER_PROVIDERS") }
        registry.addBuiltIns()
        return registry
    }
}

extension DefinitionLoader {
    /// Loads one provider file.
    public static func load(file path: String) throws(DiagnosticsError) -> ProviderDefinition {
        try load(file: path, format: .standard)
    }

    /// Loads a provider file's text; `file` names it in diagnostics.
    public static func load(text: String, file: String) throws(DiagnosticsError) -> ProviderDefinition {
        try load(text: text, file: file, format: .standard)
    }
}

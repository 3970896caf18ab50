import Foundation

/// The provider definitions Carrier knows, loaded from folders of `*.yaml` files.
///
/// Search order: the configuration's `providers` folders, `$CARRIER_PROVIDERS` (colon-separated),
/// `./providers`, then a `providers` folder beside or above the executable (the repository's
/// own, for a build in `.build/`), then `/usr/local/share/carrier/providers`. A file found
/// earlier wins over a later one with the same id.
public struct ProviderRegistry: Sendable {
    public private(set) var definitions: [String: ProviderDefinition] = [:]
    /// Files that failed to load; reported when their provider is asked for.
    public private(set) var failures: [String: DiagnosticsError] = [:]

    public init() {}

    /// Loads every provider file of the default search path plus `extraDirectories`.
    public static func standard(extraDirectories: [String] = []) -> ProviderRegistry {
        var registry = ProviderRegistry()
        for directory in extraDirectories + defaultDirectories() {
            registry.loadDirectory(directory)
        }
        return registry
    }

    static func defaultDirectories() -> [String] {
        var directories: [String] = []
        if let env = ProcessInfo.processInfo.environment["CARRIER_PROVIDERS"] {
            directories += env.split(separator: ":").map(String.init)
        }
        directories.append("providers")
        var folder = (CommandLine.arguments.first.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().deletingLastPathComponent() })
        for _ in 0..<5 {
            guard let current = folder else { break }
            directories.append(current.appendingPathComponent("providers").path)
            directories.append(current.appendingPathComponent("share/carrier/providers").path)
            folder = current.deletingLastPathComponent()
        }
        directories.append("/usr/local/share/carrier/providers")
        return directories
    }

    /// Loads the `*.yaml` files of a folder; ids already known are kept.
    public mutating func loadDirectory(_ directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let id = String(name.split(separator: ".").first ?? "")
            guard definitions[id] == nil, failures[id] == nil else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            do {
                let definition = try DefinitionLoader.load(file: path)
                if definitions[definition.id] == nil { definitions[definition.id] = definition }
            } catch {
                failures[id] = error
            }
        }
    }

    /// Adds one definition, replacing any with the same id.
    public mutating func add(_ definition: ProviderDefinition) {
        definitions[definition.id] = definition
    }

    /// The definition for an id, or an error that says why there is none.
    public func definition(_ id: String) throws(CarrierError) -> ProviderDefinition {
        if let definition = definitions[id] { return definition }
        if let failure = failures[id] { throw .definition(failure) }
        let known = definitions.keys.sorted()
        throw .configuration(ConfigurationError("no provider named '\(id)'",
            hint: (Suggest.nearest(id, in: known).map { "did you mean '\($0)'? " } ?? "")
                + "known providers: \(known.joined(separator: ", ")); add a folder with providers: [DIR] in carrier.yaml"))
    }
}

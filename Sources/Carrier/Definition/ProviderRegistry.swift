import Foundation
import Synchronization

/// The provider definitions Carrier knows: folders of `ID.yaml` files, each loaded the first time
/// its provider is asked for (a command that uses one provider parses one file).
///
/// Search order: the configuration's `providers` folders, `$CARRIER_PROVIDERS` (colon-separated),
/// `./providers`, then a `providers` folder beside or above the executable (the repository's
/// own, for a build in `.build/`), then `/usr/local/share/carrier/providers`. A file found
/// earlier wins over a later one with the same name.
public final class ProviderRegistry: Sendable {
    /// Provider id (the file name without `.yaml`) → path.
    private let files = Mutex<[String: String]>([:])
    private let loaded = Mutex<[String: Result<ProviderDefinition, DiagnosticsError>]>([:])

    public init() {}

    /// The default search path plus `extraDirectories` (searched first).
    public static func standard(extraDirectories: [String] = []) -> ProviderRegistry {
        let registry = ProviderRegistry()
        for directory in extraDirectories + defaultDirectories() {
            registry.loadDirectory(directory)
        }
        return registry
    }

    static func defaultDirectories() -> [String] {
        var directories: [String] = []
        if let env = getenv("CARRIER_PROVIDERS").map({ String(cString: $0) }) {
            directories += env.split(separator: ":").map(String.init)
        }
        directories.append("providers")
        var folder = CommandLine.arguments.first.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().deletingLastPathComponent() }
        for _ in 0..<5 {
            guard let current = folder else { break }
            directories.append(current.appendingPathComponent("providers").path)
            directories.append(current.appendingPathComponent("share/carrier/providers").path)
            folder = current.deletingLastPathComponent()
        }
        directories.append("/usr/local/share/carrier/providers")
        return directories
    }

    /// Adds the `*.yaml` files of a folder; names already known keep their earlier file.
    public func loadDirectory(_ directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        files.withLock { files in
            for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                let id = String(name.prefix { $0 != "." })
                if files[id] == nil { files[id] = (directory as NSString).appendingPathComponent(name) }
            }
        }
    }

    /// Every provider id found, loaded or not.
    public var ids: [String] { files.withLock { $0.keys.sorted() } }

    /// Every definition that loads (loading all of them).
    public var definitions: [String: ProviderDefinition] {
        var out: [String: ProviderDefinition] = [:]
        for id in ids { if case .success(let d)? = load(id) { out[id] = d } }
        return out
    }

    /// Every file that does not load, with its diagnostics (loading all of them).
    public var failures: [String: DiagnosticsError] {
        var out: [String: DiagnosticsError] = [:]
        for id in ids { if case .failure(let e)? = load(id) { out[id] = e } }
        return out
    }

    /// The definition for an id, or an error that says why there is none.
    public func definition(_ id: String) throws(CarrierError) -> ProviderDefinition {
        switch load(id) {
        case .success(let definition)?: return definition
        case .failure(let failure)?: throw .definition(failure)
        case nil:
            let known = ids
            throw .configuration(ConfigurationError("no provider named '\(id)'",
                hint: (Suggest.nearest(id, in: known).map { "did you mean '\($0)'? " } ?? "")
                    + "known providers: \(known.joined(separator: ", ")); add a folder with providers: [DIR] in carrier.yaml"))
        }
    }

    private func load(_ id: String) -> Result<ProviderDefinition, DiagnosticsError>? {
        if let done = loaded.withLock({ $0[id] }) { return done }
        guard let path = files.withLock({ $0[id] }) else { return nil }
        var result = Result { () throws(DiagnosticsError) in try DefinitionLoader.load(file: path) }
        if case .success(let definition) = result, definition.id != id {
            result = .failure(DiagnosticsError([Diagnostic(file: path, mark: .init(line: 1, column: 1),
                message: "the id '\(definition.id)' does not match the file name",
                hint: "rename the file to \(definition.id).yaml or set id: \(id)")]))
        }
        loaded.withLock { $0[id] = result }
        return result
    }
}

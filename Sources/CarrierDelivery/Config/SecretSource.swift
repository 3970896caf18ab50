import Foundation

/// Resolves configuration values that refer to the environment or to files:
/// `${NAME}` (or `${NAME:-default}`) inside any string, and `{file: /path}` for a secret kept in a file.
struct SecretSource: Sendable {
    var environment: [String: String]
    var baseDirectory: String

    /// - Parameter environment: what `${NAME}` reads: the environment `Configuration.load` was given.
    init(environment: [String: String], baseDirectory: String = ".") {
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    /// Resolves a value; `place` names where it was written, for errors (`accounts.sendgrid.credentials.api_key`).
    func resolve(_ value: Value, place: String) throws(ConfigurationError) -> Value {
        switch value {
        case .string(let s):
            return .string(try expand(s, place: place))
        case .object(let object):
            if object.count == 1, let path = object["file"]?.stringValue {
                return .string(try readFile(path, place: place))
            }
            var out = OrderedObject()
            for entry in object { out[entry.key] = try resolve(entry.value, place: "\(place).\(entry.key)") }
            return .object(out)
        case .array(let items):
            var out: [Value] = []
            for (i, item) in items.enumerated() { out.append(try resolve(item, place: "\(place)[\(i)]")) }
            return .array(out)
        default:
            return value
        }
    }

    func expand(_ text: String, place: String) throws(ConfigurationError) -> String {
        guard text.contains(ascii: "${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw ConfigurationError("\(place): '${' without a closing '}'")
            }
            let reference = String(rest[open.upperBound..<close])
            let parts = reference.components(separatedBy: ":-")
            let name = parts[0]
            if let value = environment[name], !value.isEmpty {
                out += value
            } else if parts.count > 1 {
                out += parts.dropFirst().joined(separator: ":-")
            } else {
                throw ConfigurationError("\(place) refers to the environment variable \(name), which is not set",
                                         hint: "export \(name)=… before running carrier, or write the value in the config")
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// The `{file: …}` secrets under a value whose files group or others may read.
    func exposedFiles(in value: Value) -> [String] {
        switch value {
        case .object(let object):
            if object.count == 1, let path = object["file"]?.stringValue {
                guard let expanded = try? expand(path, place: ""), let resolved = Optional(absolute(expanded)) else { return [] }
                var info = stat()
                guard stat(resolved, &info) == 0, info.st_mode & 0o077 != 0 else { return [] }
                return [resolved]
            }
            return object.entries.flatMap { exposedFiles(in: $0.value) }
        case .array(let items): return items.flatMap(exposedFiles)
        default: return []
        }
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)"
    }

    private func readFile(_ path: String, place: String) throws(ConfigurationError) -> String {
        let expanded = try expand(path, place: place)
        let resolved = absolute(expanded)
        guard let data = FileManager.default.contents(atPath: resolved) else {
            throw ConfigurationError("\(place): cannot read the secret file \(resolved)", hint: "check the path and its permissions")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

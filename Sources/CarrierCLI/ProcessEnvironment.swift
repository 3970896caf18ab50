import Foundation

/// The process's environment, read from `environ` directly: `ProcessInfo.processInfo` sets up
/// Foundation's process state on first use, a cost every command paid at start.
enum ProcessEnvironment {
    /// Every variable (the first of a name given twice, as `getenv` does).
    static var variables: [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if result[name] == nil { result[name] = String(text[text.index(after: equals)...]) }
            }
            entry += 1
        }
        return result
    }

    /// One variable, or nil when unset.
    static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

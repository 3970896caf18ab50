import Foundation

/// The process's environment, read from `environ` directly: `ProcessInfo.processInfo` sets up
/// Foundation's process state on first use, a cost every command paid at start.
enum ProcessEnvironment {
    /// Every variable (the first of a name given twice, as `getenv` does).
    static var variables: [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))
            if let equals = text.firstIndex(of: UInt8(ascii: "=")) {
                let name = String(decoding: text[..<equals], as: UTF8.self)
                if result[name] == nil { result[name] = String(decoding: text[(equals + 1)...], as: UTF8.self) }
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

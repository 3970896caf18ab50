import Foundation

/// One input surface under the fuzzer: a name, what it covers, and the function each input is
/// run through. A target crashes (and so reports) only on a real defect: a trap, a sanitizer
/// finding, or a property it states with `require` that does not hold.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    /// Builds what every input shares (provider definitions, bound accounts) before the first
    /// input, so LeakSanitizer does not count it against one.
    var prepare: @Sendable () -> Void = {}
    /// Whether LeakSanitizer's reports mean anything here. Not for targets that hold provider
    /// definitions for the whole run: LeakSanitizer does not see pointers that Swift stores with
    /// an enum's tag in their spare bits, and reports everything those hold as leaked.
    var checksLeaks = true
    let run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        .message, .providerFile, .expression, .template, .configuration, .recipients, .webhook, .response, .smtpReply, .mimeHeader, .mimeMessage,
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// The target libFuzzer's callback runs (set once, before fuzzing starts).
    nonisolated(unsafe) static var selected: FuzzTarget?

    /// The files at a path: the file itself, or every file under a folder, sorted.
    static func inputs(at path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return [path] }
        let names = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
        return names.map { path + "/" + $0 }.filter {
            var isSubfolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isSubfolder) && !isSubfolder.boolValue
        }
    }
}

/// A property of the code under test: when it does not hold, the input is a finding.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("property violated: " + message()) }
}

extension Array where Element == UInt8 {
    /// The first line (up to a line feed) and the rest.
    func splitFirstLine() -> (line: String, rest: ArraySlice<UInt8>) {
        guard let newline = firstIndex(of: 0x0A) else { return ("", self[...]) }
        return (String(decoding: self[..<newline], as: UTF8.self), self[(newline + 1)...])
    }
}

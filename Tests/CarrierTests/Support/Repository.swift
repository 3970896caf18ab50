import Foundation

/// Paths of the repository the tests run in.
enum Repository {
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var providers: String { root.appendingPathComponent("providers").path }
    static var support: String { root.appendingPathComponent("Tests/Support").path }
    static func example(_ name: String) -> String { root.appendingPathComponent("examples/messages/\(name)").path }
    /// The official API specs vendored under `Tests/Specs` (sources and licences in its README).
    static func spec(_ name: String) -> String { root.appendingPathComponent("Tests/Specs/\(name)").path }
    /// The `carrier` binary `make test` built.
    static var binary: String {
        for configuration in ["debug", "release"] {
            let path = root.appendingPathComponent(".build/\(configuration)/carrier").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/debug/carrier").path
    }
    static let python = "/usr/bin/python3"
    /// The Python of `.build/test-venv` (Debian's packages plus the PyPI peers `make test-deps` installs).
    static var venvPython: String { root.appendingPathComponent(".build/test-venv/bin/python").path }
}

/// A finished child process.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion, with standard input, within a time bound.
func run(_ executable: String, _ arguments: [String], input: Data = Data(), environment: [String: String]? = nil,
         directory: String? = nil, timeout: TimeInterval = 60) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    // Output goes to files, so a chatty child never blocks on a full pipe.
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-run-\(UUID().uuidString)").path
    FileManager.default.createFile(atPath: base + ".out", contents: nil)
    FileManager.default.createFile(atPath: base + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: base + ".out")
        try? FileManager.default.removeItem(atPath: base + ".err")
    }
    let stdin = Pipe()
    process.standardInput = stdin
    process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
    process.standardError = FileHandle(forWritingAtPath: base + ".err")
    try process.run()
    stdin.fileHandleForWriting.write(input)
    try stdin.fileHandleForWriting.close()
    if !exits(process, within: timeout) { process.terminate() }
    process.waitUntilExit()
    let out = FileManager.default.contents(atPath: base + ".out") ?? Data()
    let err = FileManager.default.contents(atPath: base + ".err") ?? Data()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                         stderr: String(decoding: err, as: UTF8.self))
}

/// Runs the `carrier` command line.
func carrier(_ arguments: [String], input: Data = Data(), environment: [String: String] = [:], directory: String? = nil) throws -> ProcessResult {
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    return try run(Repository.binary, arguments, input: input, environment: env, directory: directory)
}

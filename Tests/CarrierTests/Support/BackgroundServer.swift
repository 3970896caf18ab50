import Foundation

/// A server program started by a test on 127.0.0.1 that prints `READY <port> …` when it listens.
/// The test that starts it stops it (``stop()``); the program also ends by itself after its lifetime.
final class BackgroundServer: @unchecked Sendable {
    let process = Process()
    let port: Int
    /// The words after READY (extra ports, file paths).
    let readyWords: [String]
    private let output: Pipe

    /// - Parameter python: the interpreter (the test venv's for peers installed from PyPI, such as moto).
    init(script: String, arguments: [String] = [], python: String = Repository.python) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Repository.support + "/" + script] + arguments
        output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        let handle = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ").map(String.init)
        guard words.first == "READY", words.count >= 2, let port = Int(words[1]) else {
            process.terminate()
            throw TestFailure("\(script) did not start: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
        self.readyWords = Array(words.dropFirst(2))
    }

    /// Stops the server: SIGTERM, then SIGKILL if it has not ended within two seconds.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        if !exits(process, within: 2) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Waits until `condition` holds, checking every 20 ms for at most `seconds`: for a server or a
/// process to reach a state, never to outlast a timer.
func poll(_ what: String, seconds: Double = 60, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("gave up waiting for \(what) after \(seconds) s")
}

/// Whether the process ends within `seconds`: a wait on its exit (no polling), bounded so a
/// process that ignores its signal can then be killed.
func exits(_ process: Process, within seconds: Double) -> Bool {
    let ended = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        process.waitUntilExit()
        ended.signal()
    }
    return ended.wait(timeout: .now() + seconds) == .success
}

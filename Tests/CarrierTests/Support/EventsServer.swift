import Foundation

/// `carrier events serve` started by a test on 127.0.0.1 (port 0: the port is read from the line
/// it prints). The test that starts it stops it; its standard error is drained and kept.
final class EventsServer: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let lock = NSLock()
    private var errorText = ""

    init(config: String, output: String, arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: Repository.binary)
        process.arguments = ["events", "serve", "--config", config, "--listen", "127.0.0.1:0", "--output", output] + arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let handle = pipe.fileHandleForReading
        var found: Int?
        var line = Data()
        let deadline = Date().addingTimeInterval(30)
        while found == nil && Date() < deadline {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty { break }
            if byte != Data("\n".utf8) { line.append(byte); continue }
            let text = String(decoding: line, as: UTF8.self)
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                found = Int(text[range.upperBound...].prefix { $0.isNumber })
            }
            line = Data()
        }
        guard let found else {
            process.terminate()
            throw TestFailure("carrier events serve did not start")
        }
        port = found
        // Keep reading, so a full pipe never blocks the server.
        Thread.detachNewThread { [weak self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                self?.lock.withLock { self?.errorText += String(decoding: data, as: UTF8.self) }
            }
        }
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var stderr: String { lock.withLock { errorText } }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        if !exits(process, within: 5) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

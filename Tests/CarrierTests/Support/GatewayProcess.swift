import Foundation

/// `carrier serve` started by a test in a folder with its carrier.yaml (ports 0: the ports are
/// read from the lines it prints). The test that starts it stops it; its standard error is kept.
final class GatewayProcess: @unchecked Sendable {
    let process = Process()
    private(set) var httpPort = 0
    private(set) var smtpPorts: [Int] = []
    private let lock = NSLock()
    private var errorText = ""

    /// - Parameter smtpListeners: how many `SMTP on …` lines to wait for.
    init(folder: String, smtpListeners: Int = 0, http: Bool = true) throws {
        process.executableURL = URL(fileURLWithPath: Repository.binary)
        process.arguments = ["serve", "--config", folder + "/carrier.yaml"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let handle = pipe.fileHandleForReading
        var line = Data()
        let deadline = Date().addingTimeInterval(30)
        while (http && httpPort == 0 || smtpPorts.count < smtpListeners) && Date() < deadline {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty { break }
            if byte != Data("\n".utf8) { line.append(byte); continue }
            let text = String(decoding: line, as: UTF8.self)
            errorText += text + "\n"
            if let range = text.range(of: "HTTP on http://127.0.0.1:") { httpPort = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0 }
            if let range = text.range(of: "SMTP on 127.0.0.1:") { smtpPorts.append(Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0) }
            line = Data()
        }
        guard (!http || httpPort > 0) && smtpPorts.count >= smtpListeners else {
            process.terminate()
            throw TestFailure("carrier serve did not start: \(errorText)")
        }
        Thread.detachNewThread { [weak self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                self?.lock.withLock { self?.errorText += String(decoding: data, as: UTF8.self) }
            }
        }
    }

    var url: String { "http://127.0.0.1:\(httpPort)" }
    var stderr: String { lock.withLock { errorText } }

    /// Sends a signal and waits (bounded) for the exit.
    func signal(_ signal: Int32, within seconds: Double = 30) -> Bool {
        kill(process.processIdentifier, signal)
        return exits(process, within: seconds)
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        if !exits(process, within: 35) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// `curl` as the HTTP client an app would be: status, headers and body of one request.
func curl(_ arguments: [String], input: Data = Data()) throws -> (status: Int, body: String) {
    let result = try run("/usr/bin/curl", ["-s", "-o", "-", "-w", "\n%{http_code}"] + arguments, input: input)
    let text = result.stdout
    guard let newline = text.lastIndex(of: "\n") else { return (0, text) }
    return (Int(text[text.index(after: newline)...]) ?? 0, String(text[..<newline]))
}

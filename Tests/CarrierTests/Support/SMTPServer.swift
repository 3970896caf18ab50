import Carrier
import Foundation

/// The aiosmtpd test server (Tests/Support/smtp_server.py): records what it receives to a folder.
final class SMTPServer: @unchecked Sendable {
    let server: BackgroundServer
    let directory: String
    var port: Int { server.port }

    struct Received {
        var mailFrom: String
        var recipients: [String]
        var data: Data
        var tls: Bool
        var connection: Int
        var helo: String
    }

    init(_ options: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-smtp-\(UUID().uuidString)").path
        server = try BackgroundServer(script: "smtp_server.py", arguments: [directory] + options)
    }

    func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private var idleCloses = 0

    /// Closes every open connection as the server's idle timeout would (421, then close), and
    /// returns once the server says it has (polled).
    func closeIdleConnections() async throws {
        idleCloses += 1
        kill(server.process.processIdentifier, SIGUSR1)
        let marker = directory + "/idle-closed-\(idleCloses)"
        try await poll("the SMTP server to close its connections") { FileManager.default.fileExists(atPath: marker) }
    }

    func received() throws -> [Received] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let value = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))))
            return Received(mailFrom: value["mail_from"].text, recipients: (value["rcpt_tos"].arrayValue ?? []).map(\.text),
                            data: Data(base64Encoded: value["data_b64"].text) ?? Data(), tls: value["tls"] == true,
                            connection: value["connection"].intValue ?? 0, helo: value["helo"].text)
        }
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, made with openssl when a test asks.
struct TestCertificate {
    let directory: String
    var certificate: String { directory + "/cert.pem" }
    var key: String { directory + "/key.pem" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-cert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/key.pem",
                                                  "-out", directory + "/cert.pem", "-days", "1", "-subj", "/CN=localhost",
                                                  "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        guard result.status == 0 else { throw TestFailure("openssl req failed: \(result.stderr)") }
    }

    var serverOptions: [String] { ["--cert", certificate, "--key", key] }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then closed).
func closedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

import Foundation
import Synchronization

/// A throwaway PostgreSQL server from Debian's packages, started by a test on 127.0.0.1 and a
/// free port, in its own temporary folder (as the `postgres` user when the tests run as root:
/// PostgreSQL refuses to run as root). The cluster is made once per test run (`initdb`) and
/// copied for each server, so a server starts in well under a second. The test that starts one
/// stops it (``stop()``), which also removes its folder.
final class PostgresServer: @unchecked Sendable {
    let folder: String
    let port: Int
    /// The URL a `store:` names (the database `postgres`, user `carrier`, no password on loopback).
    var url: String { "postgres://carrier@127.0.0.1:\(port)/postgres?sslmode=disable" }

    /// Debian's server programs (`/usr/lib/postgresql/VERSION/bin`), if installed.
    static let binaries: String? = {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { "\(base)/\($0)/bin" }.flatMap { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") ? $0 : nil }
    }()
    static var available: Bool { binaries != nil }

    private static let template = Mutex<String?>(nil)

    /// Its certificate (`tls`): self-signed for 127.0.0.1, so it is also the CA a client trusts.
    var certificate: String { folder + "/server.crt" }
    private let options: String

    /// - Parameter tls: serve TLS with a certificate made now with `openssl` (``certificate``).
    init(tls: Bool = false) throws {
        guard let binaries = Self.binaries else { throw TestFailure("PostgreSQL is not installed (apt-get install postgresql)") }
        let template = try Self.makeTemplate(binaries)
        folder = try temporaryDirectory()
        try Self.run("/bin/cp", ["-a", template, folder + "/data"])
        var options = "-c listen_addresses=127.0.0.1"
        if tls {
            try Self.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder + "/server.key", "-out", folder + "/server.crt",
                                              "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
            chmod(folder + "/server.key", 0o600)
            options += " -c ssl=on -c ssl_cert_file=\(folder)/server.crt -c ssl_key_file=\(folder)/server.key"
        }
        self.options = options
        try Self.own(folder)
        chmod(folder, 0o755)  // the certificate is read by the client too
        port = closedPort()
        try start()
    }

    /// Stops the server at once (no checkpoint) and removes its folder.
    func stop() {
        guard let binaries = Self.binaries, FileManager.default.fileExists(atPath: folder + "/data/postmaster.pid") else {
            try? FileManager.default.removeItem(atPath: folder)
            return
        }
        _ = try? Self.run(binaries + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"], asPostgres: true)
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Stops the server but keeps its data, for ``start()`` (a database that goes away and comes back).
    func pause() throws {
        try Self.run(Self.binaries! + "/pg_ctl", ["-D", folder + "/data", "-m", "fast", "-w", "stop"], asPostgres: true)
    }

    /// Starts a paused server again on the same port.
    func start() throws {
        try Self.run(Self.binaries! + "/pg_ctl", ["-D", folder + "/data", "-l", folder + "/log", "-w", "-t", "30", "-o",
                                                  "-p \(port) -k \(folder) \(options)", "start"], asPostgres: true)
    }

    /// `psql` on this server; its output.
    @discardableResult
    func psql(_ sql: String) throws -> String {
        try Self.run(Self.binaries! + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql,
                                                "host=127.0.0.1 port=\(port) user=carrier dbname=postgres sslmode=disable"])
    }

    /// `initdb` once per machine (user `carrier` trusted on loopback, no fsync while it is made),
    /// kept in the temporary folder and copied for each server; made under another name and
    /// renamed, so concurrent test runs never copy a half-made one.
    private static func makeTemplate(_ binaries: String) throws -> String {
        try template.withLock { made in
            if let made { return made }
            let version = (binaries as NSString).deletingLastPathComponent
            let path = NSTemporaryDirectory() + "carrier-test-postgres-template-\((version as NSString).lastPathComponent)"
            if !FileManager.default.fileExists(atPath: path + "/PG_VERSION") {
                let folder = try temporaryDirectory()
                try own(folder)
                try run(binaries + "/initdb", ["-D", folder + "/data", "-U", "carrier", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
                        asPostgres: true)
                if rename(folder + "/data", path) != 0 { try? FileManager.default.removeItem(atPath: folder) }  // another run made it first
                try? FileManager.default.removeItem(atPath: folder)
            }
            made = path
            return path
        }
    }

    private static var asRoot: Bool { getuid() == 0 }

    /// Makes a folder the `postgres` user's when running as root.
    private static func own(_ folder: String) throws {
        guard asRoot else { return }
        try run("/bin/chown", ["-R", "postgres:postgres", folder])
    }

    /// Runs a program to its end; its standard output, or an error with its standard error.
    /// posix_spawn and waitpid, not Foundation's `Process`: `Process` learns of an exit from a socket
    /// the child inherits, and the server `pg_ctl start` leaves running would hold it open forever.
    @discardableResult
    private static func run(_ program: String, _ arguments: [String], asPostgres: Bool = false) throws -> String {
        let argv = asPostgres && asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments : [program] + arguments
        let outputs = try temporaryDirectory()
        chmod(outputs, 0o777)  // written by `runuser`'s child, the postgres user
        defer { try? FileManager.default.removeItem(atPath: outputs) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputs + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, outputs + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw TestFailure("cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let out = FileManager.default.contents(atPath: outputs + "/out") ?? Data()
        let err = FileManager.default.contents(atPath: outputs + "/err") ?? Data()
        guard status == 0 else {
            throw TestFailure("\((program as NSString).lastPathComponent) failed (status \(status)): \(String(decoding: err + out, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }
}

import Carrier
import Foundation
import Testing

/// The outbox: the spool under faults (names, duplicate ids, unwritable and broken entries, locks).
@Suite("Outbox and spool", .serialized)
struct OutboxTests {
    /// A folder with a carrier.yaml whose one account is a Mailtrap API at `endpoint`, and a spool.
    static func project(endpoint: String, extra: String = "") throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try """
            spool: ./spool
            accounts:
              mt: {provider: mailtrap, endpoint: "\(endpoint)", credentials: {api_token: tok-123456}}
            \(extra)
            """.write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        return folder
    }

    /// Writes a message file with this subject and message_id.
    static func message(_ folder: TemporaryFolder, _ name: String, subject: String, id: String? = nil) throws -> String {
        let idField = id.map { #", "message_id": "\#($0)""# } ?? ""
        let text = #"{"from": "a@example.com", "to": ["b@example.com"], "subject": "\#(subject)", "text": "t"\#(idField)}"#
        try text.write(toFile: folder.path + "/" + name, atomically: true, encoding: .utf8)
        return name
    }

    static func spoolFiles(_ folder: TemporaryFolder) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path + "/spool")) ?? []).sorted()
    }

    /// Runs carrier as an unprivileged user when the tests run as root (CI), so permissions
    /// apply; the binary is copied where that user can run it.
    static func carrierUnprivileged(_ arguments: [String], in folder: TemporaryFolder) throws -> ProcessResult {
        guard geteuid() == 0 else { return try carrier(arguments, directory: folder.path) }
        let binary = folder.path + "/carrier-bin"
        if !FileManager.default.fileExists(atPath: binary) {
            try FileManager.default.copyItem(atPath: Repository.binary, toPath: binary)
        }
        chmod(folder.path, 0o755)
        chmod(binary, 0o755)
        return try run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", binary] + arguments,
                       environment: ["PATH": "/usr/bin:/bin", "HOME": "/tmp"], directory: folder.path)
    }

    /// Gives a path (recursively) to the unprivileged user when running as root.
    static func giveAway(_ path: String) throws {
        guard geteuid() == 0 else { return }
        let result = try run("/bin/chown", ["-R", "65534:65534", path])
        guard result.status == 0 else { throw TestFailure("chown failed: \(result.stderr)") }
    }

    // MARK: High 4 — spool names

    @Test("Ids that once mapped to one spool file are kept apart; every unsent message is reported")
    func spoolNamesNeverCollide() throws {
        let folder = try Self.project(endpoint: "http://127.0.0.1:\(closedPort())")
        defer { folder.remove() }
        let files = try [("x+1@y.example", "one"), ("x=1@y.example", "two"), ("x_1@y.example", "three"), (nil, "four")].enumerated().map {
            try Self.message(folder, "m\($0.offset).json", subject: $0.element.1, id: $0.element.0)
        }
        let result = try carrier(["send"] + files, directory: folder.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("4 of 4 messages were not sent"), "\(result.stderr)")
        for file in files { #expect(result.stderr.contains("carrier: \(file):")) }
        let listed = try carrier(["outbox", "list", "--json"], directory: folder.path)
        let subjects = Set((try JSONParser.parse(listed.stdout).arrayValue ?? []).map { $0["subject"].text })
        #expect(subjects == ["one", "two", "three", "four"])
    }

    @Test("A duplicate message_id is refused: the library's batch before anything is sent, the streaming command line before the duplicate is")
    func duplicateIDsInABatchAreRefused() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try Self.project(endpoint: server.url)
        defer { folder.remove() }
        let a = try Self.message(folder, "a.json", subject: "a", id: "same@y.example")
        let b = try Self.message(folder, "b.json", subject: "b", id: "same@y.example")
        let config = try Configuration.load(path: folder.path + "/carrier.yaml")
        let mailer = Mailer(configuration: config, registry: Fixtures.registry())
        let messages = try [a, b].map { try Message.parse(String(contentsOfFile: folder.path + "/" + $0, encoding: .utf8)) }
        do {
            _ = try await mailer.send(batch: messages)
            Issue.record("the batch was sent")
        } catch {
            #expect(error.description.contains("message 2 has the message_id of message 1"), "\(error)")
        }
        #expect(try await server.requests().isEmpty)
        #expect(Self.spoolFiles(folder).isEmpty)

        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["m-1"]]))]])
        let result = try carrier(["send", a, b], directory: folder.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("carrier: b.json:") && result.stderr.contains("an earlier message of this run has the message_id"),
                "\(result.stderr)")
        #expect(try await server.requests().map { $0.json["subject"].text } == ["a"])
    }

    // MARK: Medium 12 — spool errors

    @Test("A spool that cannot be written sends nothing and says why; an unreadable one is not 'empty'")
    func unusableSpoolIsAnError() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try Self.project(endpoint: "http://127.0.0.1:\(closedPort())")
        defer { folder.remove() }
        _ = try carrier(["send", try Self.message(folder, "m.json", subject: "kept")], directory: folder.path)
        #expect(Self.spoolFiles(folder).count == 1)
        try String(contentsOfFile: folder.path + "/carrier.yaml", encoding: .utf8)
            .replacingOccurrences(of: #"endpoint: "http://127.0.0.1:[0-9]+""#, with: "endpoint: \"\(server.url)\"", options: .regularExpression)
            .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        try Self.giveAway(folder.path + "/spool")
        chmod(folder.path + "/spool", 0o500)
        let retried = try Self.carrierUnprivileged(["outbox", "retry"], in: folder)
        #expect(retried.status != 0)
        #expect(retried.stderr.contains("spool") && retried.stderr.contains("cannot write"), "\(retried.stdout)\(retried.stderr)")
        #expect(try await server.requests().isEmpty, "nothing is sent while the entry could not be removed")

        chmod(folder.path + "/spool", 0o000)
        let listed = try Self.carrierUnprivileged(["outbox", "list"], in: folder)
        #expect(listed.status != 0)
        #expect(!listed.stdout.contains("empty"))
        #expect(listed.stderr.contains("cannot read"), "\(listed.stderr)")
        chmod(folder.path + "/spool", 0o700)
    }

    @Test("An entry marked sent is never sent again; a truncated entry is an error, not 'gone'; purge removes a corrupt one")
    func brokenEntries() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["m-1"]]))]])
        let folder = try Self.project(endpoint: "http://127.0.0.1:\(closedPort())")
        defer { folder.remove() }
        for i in 0..<2 { _ = try carrier(["send", try Self.message(folder, "m\(i).json", subject: "s\(i)")], directory: folder.path) }
        let entries = Self.spoolFiles(folder)
        #expect(entries.count == 2)
        let sentPath = folder.path + "/spool/" + entries[0]
        try String(contentsOfFile: sentPath, encoding: .utf8).replacingOccurrences(of: #""state":"failed""#, with: #""state":"sent""#)
            .write(toFile: sentPath, atomically: true, encoding: .utf8)
        let truncatedID = String(entries[1].dropLast(5))
        let truncatedPath = folder.path + "/spool/" + entries[1]
        let whole = try Data(contentsOf: URL(fileURLWithPath: truncatedPath))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncatedPath))
        try String(contentsOfFile: folder.path + "/carrier.yaml", encoding: .utf8)
            .replacingOccurrences(of: #"endpoint: "http://127.0.0.1:[0-9]+""#, with: "endpoint: \"\(server.url)\"", options: .regularExpression)
            .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)

        let one = try carrier(["outbox", "retry", truncatedID], directory: folder.path)
        #expect(one.status == 1)
        #expect(one.stdout.contains(truncatedPath) && !one.stdout.contains(": gone"), "\(one.stdout)")
        let all = try carrier(["outbox", "retry"], directory: folder.path)
        #expect(all.status == 1)
        #expect(try await server.requests().isEmpty, "the entry marked sent went out again")
        #expect(!FileManager.default.fileExists(atPath: sentPath), "the sent entry is removed")

        let purged = try carrier(["outbox", "purge", truncatedID], directory: folder.path)
        #expect(purged.status == 0)
        #expect(purged.stdout.contains("could not be read"), "\(purged.stdout)")
        #expect(Self.spoolFiles(folder).isEmpty)
    }

    @Test("Retrying many kept entries leaves no .lock files behind")
    func noLockFilesLeft() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try Self.project(endpoint: server.url)
        defer { folder.remove() }
        let files = try (0..<12).map { try Self.message(folder, "m\($0).json", subject: "s\($0)") }
        try await server.script(["*": [Answer.json(503, .object(["errors": ["down"]]))]])
        _ = try carrier(["send"] + files, directory: folder.path)
        #expect(Self.spoolFiles(folder).count == 12)
        _ = try carrier(["outbox", "retry"], directory: folder.path)  // still down: kept
        #expect(Self.spoolFiles(folder).allSatisfy { $0.hasSuffix(".json") }, "\(Self.spoolFiles(folder))")
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["m"]]))]])
        let retried = try carrier(["outbox", "retry"], directory: folder.path)
        #expect(retried.status == 0, "\(retried.stdout)")
        #expect(Self.spoolFiles(folder).isEmpty, "\(Self.spoolFiles(folder))")
    }
}

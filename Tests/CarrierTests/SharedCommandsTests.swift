import Carrier
import CarrierPostgres
import Foundation
import Logging
import Testing

/// `send`, `bulk`, `outbox` and `events serve` on a shared PostgreSQL store, as users run them from
/// several hosts (here: folders with their own carrier.yaml naming one database), and the spool's
/// contract kept by the folder and the database alike.
@Suite("Commands on PostgreSQL", .serialized, .enabled(if: PostgresServer.available))
struct SharedCommandsTests {
    /// A host's folder: carrier.yaml with one Mailtrap account at `endpoint` and the store.
    static func host(_ parent: TemporaryFolder, _ name: String, database: PostgresServer, endpoint: String, extra: String = "") throws -> String {
        let folder = parent.path + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
            accounts:
              mt: {provider: mailtrap, endpoint: "\(endpoint)", credentials: {api_token: tok-123456}}
            routes:
              default: {accounts: [mt], retry: {attempts: 1}}
            store: {url: "\(database.url)", lease: 30s, timeout: 10s}
            \(extra)
            """.write(toFile: folder + "/carrier.yaml", atomically: true, encoding: .utf8)
        return folder
    }

    static func count(_ database: PostgresServer, _ query: String) throws -> Int {
        Int(try database.psql(query).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test("The spool's contract, in a folder and in the database: whole entries, one holder at a time, missing ids said")
    func spoolContract() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await contract(Spool(directory: folder.path + "/spool"), Spool(directory: folder.path + "/spool"))
        let database = try PostgresServer()
        defer { database.stop() }
        try await withPostgresStores(database, count: 2) { stores in
            try await stores[0].migrate()
            try await contract(PostgresSpool(store: stores[0]), PostgresSpool(store: stores[1]))
        }
    }

    /// `first` and `second` are two processes' views of one spool.
    func contract(_ first: any SpoolStore, _ second: any SpoolStore) async throws {
        var message = Message(from: Address(email: "a@example.com"), to: [Address(email: "b@example.com")], subject: "Kept — ünïcode", text: "t")
        message.messageID = "kept-1@example.com"
        var entry = Spool.Entry(message: message, route: "default", created: 1_000, state: .failed, lastError: "HTTP 503")
        try await first.create(&entry)
        #expect(!entry.id.isEmpty)
        let listed = try await second.entries()
        #expect(listed.entries.map(\.id) == [entry.id] && listed.unreadable.isEmpty)
        let loaded = try await second.load(entry.id)
        #expect(loaded.message.subject == "Kept — ünïcode" && loaded.lastError == "HTTP 503" && loaded.state == .failed && loaded.route == "default")

        let held = try #require(try await first.hold(entry.id))
        #expect(try await second.hold(entry.id) == nil, "held by the first")
        await held.release()
        let taken = try #require(try await second.hold(entry.id), "free once let go")
        var changed = loaded
        changed.state = .inFlight
        try await second.write(changed)
        #expect(try await first.load(entry.id).state == .inFlight)
        try await second.settleSent(changed)
        await taken.release()
        #expect(try await first.entries().entries.isEmpty)
        await #expect(throws: SpoolError.self) { try await first.load(entry.id) }
        do { _ = try await first.hold(entry.id) } catch {
            guard case .missing = error else { Issue.record("not missing: \(error)"); return }
        }
    }

    @Test("A holder that died lets go when its lease runs out; what it left in flight is unknown, not sent again")
    func leaseRunsOut() async throws {
        let database = try PostgresServer()
        defer { database.stop() }
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        try await withPostgresStores(database, count: 2, lease: 60) { stores in
            try await stores[0].migrate()
            let clock = ManualClock()
            let dead = PostgresSpool(store: stores[0], clock: clock), alive = PostgresSpool(store: stores[1], clock: clock)
            var message = Message(from: Address(email: "a@example.com"), to: [Address(email: "b@example.com")], subject: "Mid-send", text: "t")
            message.messageID = "mid-send@example.com"
            var entry = Spool.Entry(message: message, route: nil, created: clock.seconds, state: .inFlight)
            _ = try await dead.create(&entry)  // written ahead and held by a process that then died
            let configuration = try Configuration.parse("""
                accounts:
                  mt: {provider: mailtrap, endpoint: "\(capture.url)", credentials: {api_token: tok-123456}}
                """, file: "carrier.yaml")
            let mailer = Mailer(configuration: configuration, runtime: CarrierRuntime(clock: clock), logger: .silent, spool: alive)
            let early = try await mailer.retrySpooled()
            #expect(early.map(\.disposition) == [.skipped("another process is sending it")], "within the lease: \(early.map(\.note))")
            clock.advance(by: .seconds(61))
            let late = try await mailer.retrySpooled()
            #expect(late.map(\.disposition) == [.unknown], "\(late.map(\.note))")
            #expect(try await capture.requests().isEmpty, "nothing sent twice")
            let resent = try await mailer.retrySpooled(resendUnknown: true)
            #expect(resent.map(\.disposition) == [.sent], "\(resent.map(\.note))")
            #expect(try await capture.requests().count == 1)
            #expect(try await alive.entries().entries.isEmpty)
        }
    }

    @Test("carrier send keeps what no account took in the database; outbox lists it on another host and retry sends it there")
    func spoolAcrossHosts() async throws {
        let database = try PostgresServer()
        defer { database.stop() }
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let down = try Self.host(folder, "a", database: database, endpoint: "http://127.0.0.1:\(closedPort())")
        let up = try Self.host(folder, "b", database: database, endpoint: capture.url)
        #expect(try carrier(["db", "migrate", "--config", down + "/carrier.yaml"]).status == 0)
        try #"{"from": "a@example.com", "to": ["b@example.com"], "subject": "Kept in the database", "text": "t"}"#
            .write(toFile: down + "/m.json", atomically: true, encoding: .utf8)

        let sent = try carrier(["send", "--config", down + "/carrier.yaml", down + "/m.json"])
        #expect(sent.status != 0 && sent.stderr.contains("carrier_spool"), "kept, and said where: \(sent.stderr)")
        #expect(try Self.count(database, "SELECT count(*) FROM carrier_spool WHERE state = 'failed'") == 1)
        #expect(!FileManager.default.fileExists(atPath: down + "/spool"), "no local spool")

        let list = try carrier(["outbox", "list", "--json", "--config", up + "/carrier.yaml"])
        let listed = try JSONParser.parse(list.stdout)
        #expect(listed[0]["subject"] == "Kept in the database", "\(list.stdout) \(list.stderr)")
        let retried = try carrier(["outbox", "retry", "--config", up + "/carrier.yaml"])
        #expect(retried.status == 0 && retried.stdout.contains("sent via mt"), "\(retried.stdout) \(retried.stderr)")
        let requests = try await capture.requests()
        #expect(requests.count == 1 && String(decoding: requests.first?.body ?? Data(), as: UTF8.self).contains("Kept in the database"))
        #expect(try Self.count(database, "SELECT count(*) FROM carrier_spool") == 0)
    }

    @Test("carrier bulk journals in the database: another host resumes the run; a held journal is refused; started rows are unknown")
    func bulkAcrossHosts() async throws {
        let database = try PostgresServer()
        defer { database.stop() }
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let a = try Self.host(folder, "a", database: database, endpoint: capture.url)
        let b = try Self.host(folder, "b", database: database, endpoint: capture.url)
        #expect(try carrier(["db", "migrate", "--config", a + "/carrier.yaml"]).status == 0)
        for host in [a, b] {
            try #"{"from": "news@example.com", "subject": "Hello {{ recipient.name }}", "text": "Hi {{ recipient.name }}"}"#
                .write(toFile: host + "/news.json", atomically: true, encoding: .utf8)
        }
        try "email,name\nann@example.com,Ann\nbob@example.com,Bob\n".write(toFile: a + "/list.csv", atomically: true, encoding: .utf8)
        try "email,name\nann@example.com,Ann\nbob@example.com,Bob\ncy@example.com,Cy\ndee@example.com,Dee\n"
            .write(toFile: b + "/list.csv", atomically: true, encoding: .utf8)

        let first = try carrier(["bulk", "--no-batch", "--config", a + "/carrier.yaml", "--journal", "spring-news", a + "/news.json", a + "/list.csv"])
        #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
        #expect(try Self.count(database, "SELECT count(*) FROM carrier_bulk_rows WHERE journal = 'spring-news' AND state = 'sent'") == 2)
        #expect(!FileManager.default.fileExists(atPath: a + "/list.csv.journal.ndjson"), "no local journal")

        // Another host: a started row (its send may have gone out) is unknown; the two sent are skipped.
        try database.psql("""
            INSERT INTO carrier_bulk_rows VALUES ('spring-news', 4, 'cy@example.com', 'started', 0, '{}')
            """)
        let second = try carrier(["bulk", "--no-batch", "--json", "--config", b + "/carrier.yaml", "--journal", "spring-news", b + "/news.json", b + "/list.csv"])
        let summary = try JSONParser.parse(second.stdout)
        #expect(summary["sent"] == 1 && summary["already_done"] == 2 && summary["unknown"].arrayValue?.count == 1,
                "\(second.stdout) \(second.stderr)")
        let names = try await capture.requests().map { String(decoding: $0.body, as: UTF8.self) }
        #expect(names.count == 3 && names.filter { $0.contains("Hello Ann") }.count == 1 && names.last?.contains("Hello Dee") == true)

        try database.psql("UPDATE carrier_bulk_journals SET holder = 'elsewhere/1', locked_until = extract(epoch from now()) + 600")
        let held = try carrier(["bulk", "--no-batch", "--config", b + "/carrier.yaml", "--journal", "spring-news", b + "/news.json", b + "/list.csv"])
        #expect(held.status == 2 && held.stderr.contains("another run holds it: elsewhere/1"), "\(held.stderr)")
        #expect(try await capture.requests().count == 3, "nothing sent by the refused run")
    }

    @Test("carrier events serve with store: keeps each event once in carrier_events, shared by every server naming the store")
    func eventsInTheDatabase() async throws {
        let database = try PostgresServer()
        defer { database.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let config = folder.path + "/carrier.yaml"
        try """
            accounts:
              mg: {provider: mailgun, webhook_secret: "\(EventServerTests.secret)", settings: {domain: mg.example.com}}
            store: "\(database.url)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try carrier(["db", "migrate", "--config", config]).status == 0)
        let first = try EventsServer(config: config, output: folder.path + "/unused.ndjson")
        defer { first.stop() }
        let second = try EventsServer(config: config, output: folder.path + "/unused.ndjson")
        defer { second.stop() }
        #expect(try EventServerTests().post(first, ["--id", "evt-db-1"]).body["written"] == 1)
        #expect(try EventServerTests().post(second, ["--id", "evt-db-1"]).body["repeated"] == 1, "a repeat, though posted to the other server")
        #expect(try Self.count(database, "SELECT count(*) FROM carrier_events WHERE account = 'mg' AND event_id = 'evt-db-1'") == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/unused.ndjson"))
    }
}

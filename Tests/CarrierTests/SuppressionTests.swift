import Carrier
import CarrierPostgres
import Foundation
import Testing

/// The suppression list across providers: bounces, complaints and unsubscribes from webhooks
/// (signed in Python) stop the next send and bulk run on every account of the route, reported per
/// recipient; a route may ignore a reason; the list kept in a file or in PostgreSQL alike.
@Suite("Suppressions", .serialized)
struct SuppressionTests {
    /// A project whose default route fails over between a Mailgun and a Mailtrap account (both at
    /// the capture server), with a transactional route that ignores unsubscribes.
    static func project(_ capture: CaptureServer) throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try """
            suppressions: {file: ./suppressions.ndjson, soft_bounce_limit: 2}
            accounts:
              mg: {provider: mailgun, endpoint: "\(capture.url)", credentials: {api_key: key-1234}, settings: {domain: mg.example.com},
                   webhook_secret: "\(EventServerTests.secret)"}
              mt: {provider: mailtrap, endpoint: "\(capture.url)", credentials: {api_token: tok-123456}}
            routes:
              default: {accounts: [mg, mt], retry: {attempts: 1}}
              transactional: {accounts: [mt], retry: {attempts: 1}, suppressions: {ignore: [unsubscribed]}}
            """.write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        try #"{"from": "shop@shop.example.com", "to": ["ann@example.com"], "subject": "Hello", "text": "t"}"#
            .write(toFile: folder.path + "/ann.json", atomically: true, encoding: .utf8)
        try #"{"from": "shop@shop.example.com", "to": ["ann@example.com", "bob@example.com"], "subject": "Both", "text": "t"}"#
            .write(toFile: folder.path + "/both.json", atomically: true, encoding: .utf8)
        try #"{"from": "news@shop.example.com", "subject": "News for {{ recipient.name }}", "text": "t"}"#
            .write(toFile: folder.path + "/news.json", atomically: true, encoding: .utf8)
        try "email,name\nann@example.com,Ann\nbob@example.com,Bob\n".write(toFile: folder.path + "/list.csv", atomically: true, encoding: .utf8)
        return folder
    }

    static func post(_ server: EventsServer, _ arguments: [String]) throws -> Int {
        let result = try Fixtures.python("post_events.py", ["one", server.url + "/events/mg", EventServerTests.secret] + arguments, input: Data())
        return try JSONParser.parse(result.stdout)["status"].intValue ?? 0
    }

    static func bodies(_ capture: CaptureServer) async throws -> [String] {
        try await capture.requests().map { String(decoding: $0.body, as: UTF8.self) }
    }

    @Test("A hard bounce received by the events server stops the next send and bulk run to that address through every account; others still get theirs")
    func bounceStopsTheNextSends() async throws {
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script(["*": [Answer.json(200, .object(["id": "<m1@mg.example.com>", "success": true, "message_ids": ["mt-1"]]))]])
        let folder = try Self.project(capture)
        defer { folder.remove() }
        let server = try EventsServer(config: folder.path + "/carrier.yaml", output: folder.path + "/events.ndjson")
        defer { server.stop() }
        #expect(try Self.post(server, ["--id", "evt-b1", "--event", "failed", "--severity", "permanent", "--recipient", "Ann@Example.com"]) == 200)

        let alone = try carrier(["send", "--json", "--config", folder.path + "/carrier.yaml", folder.path + "/ann.json"])
        #expect(alone.status == 1 && alone.stderr.contains("every recipient is on the suppression list: ann@example.com (bounced"),
                "\(alone.stderr)")
        let both = try carrier(["send", "--json", "--config", folder.path + "/carrier.yaml", folder.path + "/both.json"])
        #expect(both.status == 0, "\(both.stderr)")
        let receipt = try JSONParser.parse(both.stdout)
        #expect(receipt["suppressed"][0]["email"] == "ann@example.com" && receipt["suppressed"][0]["reason"] == "bounced", "\(both.stdout)")
        let bulk = try carrier(["bulk", "--no-batch", "--json", "--config", folder.path + "/carrier.yaml", folder.path + "/news.json", folder.path + "/list.csv"])
        let summary = try JSONParser.parse(bulk.stdout)
        #expect(summary["sent"] == 1 && summary["failed"]["suppressed"] == 1, "\(bulk.stdout) \(bulk.stderr)")

        let sent = try await Self.bodies(capture)
        #expect(sent.count == 2 && sent.allSatisfy { !$0.contains("ann@example.com") }, "nothing went to ann: \(sent)")
        #expect(sent.filter { $0.contains("bob@example.com") }.count == 2)
    }

    @Test("Soft bounces count to the limit; an unsubscribe does not stop the transactional route that ignores it; the CLI lists, removes, exports and imports")
    func softBouncesRoutesAndCLI() async throws {
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        let folder = try Self.project(capture)
        defer { folder.remove() }
        let config = folder.path + "/carrier.yaml"
        let server = try EventsServer(config: config, output: folder.path + "/events.ndjson")
        defer { server.stop() }
        #expect(try Self.post(server, ["--id", "evt-s1", "--event", "failed", "--severity", "temporary", "--recipient", "bob@example.com"]) == 200)
        #expect(try carrier(["suppressions", "list", "--config", config]).stdout.contains("empty"), "one soft bounce is not enough")
        #expect(try Self.post(server, ["--id", "evt-s2", "--event", "failed", "--severity", "temporary", "--recipient", "bob@example.com"]) == 200)
        #expect(try Self.post(server, ["--id", "evt-u1", "--event", "unsubscribed", "--recipient", "ann@example.com"]) == 200)
        let listed = try JSONParser.parse(try carrier(["suppressions", "list", "--json", "--config", config]).stdout)
        #expect(listed.arrayValue?.map { "\($0["address"].text):\($0["reason"].text):\($0["source"].text)" }.sorted()
                == ["ann@example.com:unsubscribed:mg", "bob@example.com:bounced:mg"], "\(listed)")

        let newsletter = try carrier(["send", "--config", config, folder.path + "/ann.json"])
        #expect(newsletter.status == 1 && newsletter.stderr.contains("unsubscribed"))
        let reset = try carrier(["send", "--route", "transactional", "--config", config, folder.path + "/ann.json"])
        #expect(reset.status == 0, "a transactional route ignores unsubscribes: \(reset.stderr)")

        let exported = try carrier(["suppressions", "export", "--config", config])
        #expect(exported.stdout.hasPrefix("email,scope,reason,created,source\n") && exported.stdout.contains("bob@example.com,*,bounced,"))
        try exported.stdout.write(toFile: folder.path + "/export.csv", atomically: true, encoding: .utf8)
        #expect(try carrier(["suppressions", "remove", "--config", config, "bob@example.com"]).stdout.contains("removed 1 entry"))
        let again = try carrier(["send", "--config", config, folder.path + "/both.json"])
        #expect(again.status == 1 && !again.stderr.contains("bob@example.com (bounced"), "bob may be mailed again: \(again.stderr)")
        let imported = try carrier(["suppressions", "import", "--config", config, folder.path + "/export.csv"])
        #expect(imported.stdout.contains("imported 1; 1 already on the list"), "\(imported.stdout) \(imported.stderr)")
        let added = try carrier(["suppressions", "add", "--domain", "other.example", "--config", config, "cy@example.com"])
        #expect(added.status == 0)
        let domains = try JSONParser.parse(try carrier(["suppressions", "list", "--json", "--config", config]).stdout)
        #expect(domains.arrayValue?.contains { $0["address"] == "cy@example.com" && $0["scope"] == "other.example" } == true)
    }

    @Test("scope: sending_domain — a bounce of a message the gateway sent from one domain suppresses the address for that domain only")
    func perSendingDomain() async throws {
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script(["*": [Answer.json(200, .object(["id": "<gw-1@mg.example.com>", "message": "Queued. Thank you."]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try """
            suppressions: {file: ./suppressions.ndjson, scope: sending_domain}
            accounts:
              mg: {provider: mailgun, endpoint: "\(capture.url)", credentials: {api_key: key-1234}, settings: {domain: mg.example.com},
                   webhook_secret: "\(EventServerTests.secret)"}
            routes:
              default: {accounts: [mg], retry: {attempts: 1}}
            serve:
              http: {listen: 127.0.0.1:0}
              queue: {path: queue}
            clients:
              shop: {api_key: key-shop}
            """.write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        let gateway = try GatewayProcess(folder: folder.path)
        defer { gateway.stop() }
        let submitted = try curl(["-X", "POST", "-H", "Authorization: Bearer key-shop", "-H", "Content-Type: application/json", "--data-binary",
                                  #"{"from": "orders@shop.example.com", "to": ["ann@example.com"], "subject": "Order", "text": "t"}"#,
                                  gateway.url + "/v1/messages"])
        let id = try #require(try JSONParser.parse(Array(submitted.body.utf8))["id"].stringValue, "\(submitted)")
        try await poll("sent") {
            try JSONParser.parse(Array(try curl(["-H", "Authorization: Bearer key-shop", gateway.url + "/v1/messages/" + id]).body.utf8))["status"] == "sent"
        }
        // Mailgun reports the bounce of that message (its Message-ID without brackets, as Mailgun's events carry it).
        let result = try Fixtures.python("post_events.py", ["one", gateway.url + "/events/mg", EventServerTests.secret, "--id", "gw-1",
                                                            "--event", "failed", "--severity", "permanent", "--recipient", "ann@example.com"], input: Data())
        #expect(try JSONParser.parse(result.stdout)["status"] == 200, "\(result.stdout) \(result.stderr)")
        let listed = try JSONParser.parse(try carrier(["suppressions", "list", "--json", "--config", folder.path + "/carrier.yaml"]).stdout)
        #expect(listed.arrayValue?.map { "\($0["address"].text) \($0["scope"].text)" } == ["ann@example.com shop.example.com"], "\(listed)")
    }

    @Test("The list's contract, in a file and in PostgreSQL: per-domain and global entries, first entry kept, soft bounces counted, removal",
          .enabled(if: PostgresServer.available))
    func storeContract() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await contract(SuppressionFile(path: folder.path + "/list.ndjson"), SuppressionFile(path: folder.path + "/list.ndjson"))
        let database = try PostgresServer()
        defer { database.stop() }
        try await withPostgresStores(database, count: 2) { stores in
            try await stores[0].migrate()
            try await contract(PostgresSuppressions(store: stores[0]), PostgresSuppressions(store: stores[1]))
        }
    }

    /// `first` and `second` are two processes' views of one list.
    func contract(_ first: any SuppressionStore, _ second: any SuppressionStore) async throws {
        let added = try await first.add([
            Suppression(address: "Ann@Example.com", reason: .bounced, source: "mg", event: .object(["event": "bounced"]), created: 1_000),
            Suppression(address: "bob@example.com", reason: .manual, scope: "shop.example.com", created: 1_001),
        ])
        #expect(added == 2)
        #expect(try await second.add([Suppression(address: "ann@example.com", reason: .complained, created: 2_000)]) == 0, "the first entry stays")
        let forShop = try await second.matching(["ann@example.com", "bob@example.com", "cy@example.com"], domain: "Shop.Example.com")
        #expect(Set(forShop.map(\.address)) == ["ann@example.com", "bob@example.com"])
        #expect(forShop.first { $0.address == "ann@example.com" }?.reason == .bounced)
        #expect(forShop.first { $0.address == "ann@example.com" }?.event?["event"] == "bounced")
        #expect(try await second.matching(["bob@example.com"], domain: "other.example").isEmpty, "bob only for shop.example.com")
        #expect(try await first.countSoftBounce("dee@example.com", scope: "*", at: 1) == 1)
        #expect(try await second.countSoftBounce("DEE@example.com", scope: "*", at: 2) == 2)
        #expect(try await second.remove("ann@example.com", scope: nil) == 1)
        #expect(try await first.matching(["ann@example.com"], domain: "shop.example.com").isEmpty)
        #expect(try await first.all().map(\.address) == ["bob@example.com"])
    }
}

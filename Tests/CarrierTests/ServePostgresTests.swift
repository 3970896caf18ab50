import Carrier
import CarrierGateway
import CarrierPostgres
import Foundation
import Testing

/// `carrier serve` on a shared PostgreSQL store, as users run it: `carrier db migrate` first, two
/// nodes naming one database, an app posting to one and asking the other, the database going away.
@Suite("carrier serve on PostgreSQL", .serialized, .enabled(if: PostgresServer.available))
struct ServePostgresTests {
    static func node(_ parent: String, _ name: String, database: PostgresServer, capture: CaptureServer) throws -> String {
        let folder = parent + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
            accounts:
              mt: {provider: mailtrap, endpoint: "\(capture.url)", credentials: {api_token: tok-123456}}
            routes:
              default: {accounts: [mt], retry: {attempts: 1}}
            store: {url: "\(database.url)", lease: 30s, timeout: 2s}
            serve:
              http: {listen: 127.0.0.1:0}
            clients:
              shop: {api_key: key-shop}
            """.write(toFile: folder + "/carrier.yaml", atomically: true, encoding: .utf8)
        return folder
    }

    static let message = #"{"from": "orders@shop.example.com", "to": ["ann@example.com"], "subject": "Order 7", "text": "On its way."}"#

    static func post(_ node: GatewayProcess) throws -> (status: Int, body: String) {
        try curl(["-X", "POST", "-H", "Authorization: Bearer key-shop", "-H", "Content-Type: application/json", "--data-binary", "@-",
                  node.url + "/v1/messages"], input: Data(message.utf8))
    }

    static func status(_ node: GatewayProcess, _ id: String) throws -> String? {
        let answer = try curl(["-H", "Authorization: Bearer key-shop", node.url + "/v1/messages/" + id])
        return try? JSONParser.parse(Array(answer.body.utf8))["status"].stringValue
    }

    @Test("Two nodes share a queue: posted to one, sent once, its status read from the other; the database down: 503, then accepted again")
    func twoNodes() async throws {
        let database = try PostgresServer()
        defer { database.stop() }
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let first = try Self.node(folder.path, "a", database: database, capture: capture)
        let second = try Self.node(folder.path, "b", database: database, capture: capture)

        let behind = try carrier(["db", "status", "--config", first + "/carrier.yaml"])
        #expect(behind.status == 1 && behind.stdout.contains("version 0") && behind.stdout.contains("carrier db migrate"), "\(behind.stdout)")
        let refused = try carrier(["serve", "--config", first + "/carrier.yaml"])
        #expect(refused.status == 2 && refused.stderr.contains("carrier db migrate"), "serve refuses a store without the schema: \(refused.stderr)")
        let migrated = try carrier(["db", "migrate", "--config", first + "/carrier.yaml"])
        #expect(migrated.status == 0 && migrated.stdout.contains("applied migrations 1, 2, 3"), "\(migrated.stdout + migrated.stderr)")
        #expect(!(migrated.stdout + migrated.stderr).contains("PostgresNIO"), "no library noise: \(migrated.stderr)")

        let a = try GatewayProcess(folder: first)
        defer { a.stop() }
        let b = try GatewayProcess(folder: second)
        defer { b.stop() }
        let accepted = try Self.post(a)
        #expect(accepted.status == 202, "\(accepted)")
        let id = try #require(try JSONParser.parse(Array(accepted.body.utf8))["id"].stringValue)
        try await poll("sent, as node b sees it") { try Self.status(b, id) == "sent" }

        try database.pause()
        let down = try Self.post(a)
        #expect(down.status == 503 && down.body.contains("could not be stored"), "\(down)")
        let ready = try curl([a.url + "/ready"])
        #expect(ready.status == 503, "\(ready)")
        try database.start()
        var again: (status: Int, body: String) = (0, "")
        try await poll("accepted once the database is back") {
            again = try Self.post(a)
            return again.status == 202
        }
        let secondID = try #require(try JSONParser.parse(Array(again.body.utf8))["id"].stringValue)
        try await poll("the second message sent") { try Self.status(b, secondID) == "sent" }
        let sends = try await capture.requests().filter { $0.method == "POST" }
        #expect(sends.count == 2, "each accepted message sent once by one of the nodes: \(sends.count)")
        let counts = try carrier(["db", "status", "--config", second + "/carrier.yaml"])
        #expect(counts.stdout.contains("sent 2"), "\(counts.stdout)")
        #expect(!(a.stderr + b.stderr).contains("s3cret"))
    }

    @Test("carrier queue retry: an unknown message is sent again only with --resend-unknown; a missing id exits 1")
    func operatorRetry() async throws {
        let database = try PostgresServer()
        defer { database.stop() }
        let capture = try CaptureServer()
        defer { capture.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let node = try Self.node(folder.path, "a", database: database, capture: capture)
        let config = node + "/carrier.yaml"
        #expect(try carrier(["db", "migrate", "--config", config]).status == 0)
        let record = QueueContractTests.record(1, created: Date().timeIntervalSince1970)
        try await withPostgresStores(database, count: 1) { stores in
            let queue = PostgresQueue(store: stores[0])
            try await queue.enqueue(record)
            var unknown = try #require(try await queue.claimDue(now: Date().timeIntervalSince1970, limit: 1).first)
            unknown.status = .unknown
            try await queue.update(unknown)
        }
        let refused = try carrier(["queue", "retry", "--config", config, record.id])
        #expect(refused.status == 1 && refused.stdout.contains("--resend-unknown"), "\(refused.stdout)")
        let missing = try carrier(["queue", "retry", "--config", config, "01MCC5RM0016Q4G4JX73VXRJ5M"])
        #expect(missing.status == 1 && missing.stdout.contains("no such message"), "\(missing.stdout)")
        let resent = try carrier(["queue", "retry", "--resend-unknown", "--config", config, record.id])
        #expect(resent.status == 0 && resent.stdout.contains("due now"), "\(resent.stdout)\(resent.stderr)")
        try await capture.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        let gateway = try GatewayProcess(folder: node)
        defer { gateway.stop() }
        try await poll("sent after the operator's retry") { try await capture.requests().count == 1 }
        try await poll("its status sent") { try database.psql("SELECT status FROM carrier_messages").trimmingCharacters(in: .whitespacesAndNewlines) == "sent" }
    }
}

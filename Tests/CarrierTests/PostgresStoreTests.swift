import Carrier
import CarrierGateway
import CarrierPostgres
import Foundation
import Logging
import Testing

/// What only a shared store does: nodes claiming side by side, leases that run out, the schema's
/// versions, and a gateway that takes over a stopped node's messages without sending one twice.
@Suite("PostgreSQL store", .serialized, .enabled(if: PostgresServer.available))
struct PostgresStoreTests {
    @Test("Three nodes claiming at once take each message exactly once (FOR UPDATE SKIP LOCKED)")
    func concurrentClaims() async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try await withPostgresStores(server, count: 3) { stores in
            try await stores[0].migrate()
            let queues = stores.map(PostgresQueue.init(store:))
            let records = (0..<300).map { QueueContractTests.record($0, created: 1_000 + Double($0) / 1_000) }
            try await queues[0].enqueue(batch: records)
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for queue in queues {
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            let batch = try await queue.claimDue(now: 2_000, limit: 7)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            let all = claimed.flatMap { $0 }
            #expect(all.count == 300 && Set(all) == Set(records.map(\.id)), "each once: \(all.count) claims of \(Set(all).count) messages")
            #expect(claimed.filter { !$0.isEmpty }.count >= 2, "more than one node took a share: \(claimed.map(\.count))")
            let nodes = try server.psql("SELECT count(DISTINCT node) FROM carrier_messages WHERE status = 'sending'")
            #expect(Int(nodes.trimmingCharacters(in: .whitespacesAndNewlines)) == claimed.filter { !$0.isEmpty }.count)
        }
    }

    @Test("Migrating is idempotent; a newer schema is refused with what to do; a store behind says to migrate")
    func migrations() async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try await withPostgresStores(server, count: 1) { stores in
            let store = stores[0]
            #expect(try await store.schemaVersion() == 0)
            await #expect(throws: StorageError.self) { try await store.checkSchema() }
            #expect(try await store.migrate() == Array(1...PostgresStore.schemaVersion))
            #expect(try await store.migrate().isEmpty, "nothing to do the second time")
            try await store.checkSchema()
            let tables = try server.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename LIKE 'carrier_%'")
            #expect(tables.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "carrier_bulk_journals,carrier_bulk_rows,carrier_events,carrier_messages,carrier_provider_ids,carrier_rate_buckets,"
                    + "carrier_route_state,carrier_schema,carrier_soft_bounces,carrier_spool,carrier_suppressions")
            try server.psql("INSERT INTO carrier_schema VALUES (99, 0)")
            do {
                try await store.migrate()
                Issue.record("a newer schema was migrated")
            } catch let error as StorageError {
                #expect(error.reason.contains("version 99, newer than this Carrier's") && error.hint?.contains("upgrade Carrier") == true, "\(error)")
            }
        }
    }

    @Test("A store URL's password never shows; a bad URL says what is wrong")
    func urls() throws {
        let url = try PostgresURL("postgres://carrier:s3cret%40pw@db.internal:6543/mail?sslmode=verify-full")
        #expect(url.host == "db.internal" && url.port == 6543 && url.username == "carrier" && url.database == "mail" && url.tls == .verifyFull)
        #expect(!url.description.contains("s3cret") && url.description.contains(":***@"))
        #expect(throws: ConfigurationError.self) { try PostgresURL("mysql://carrier:s3cret@db/mail") }
        do { _ = try PostgresURL("postgres://carrier:s3cret@db/mail?sslmode=sometimes") } catch {
            #expect(error.message.contains("sslmode 'sometimes'") && !error.message.contains("s3cret"))
        }
        do { _ = try PostgresURL("mysql://carrier:s3cret@db/mail") } catch { #expect(!error.message.contains("s3cret"), "\(error.message)") }
    }

    /// A gateway on node-1 whose one account posts to the capture server with `provider`.
    static func gateway(_ queue: PostgresQueue, provider: String, server: CaptureServer, clock: ManualClock) throws -> Gateway {
        let credentials = provider == "resend" ? "{api_key: re_123456}" : "{api_token: tok-123456}"
        let yaml = """
            accounts:
              esp: {provider: \(provider), endpoint: "\(server.url)", credentials: \(credentials)}
            routes:
              default: {accounts: [esp], retry: {attempts: 1}}
            serve:
              http: {listen: 127.0.0.1:0}
            clients:
              shop: {api_key: key-shop}
            """
        let configuration = try Configuration.parse(yaml, file: "/tmp/carrier.yaml", environment: [:])
        return try Gateway(configuration: configuration, settings: try GatewayConfiguration(configuration), queue: queue, registry: Fixtures.registry(),
                           runtime: CarrierRuntime(clock: clock), logger: .silent)
    }

    @Test("A node stops mid-send: after its lease another node resends where the provider drops duplicates, else marks it unknown",
          arguments: [("resend", QueuedMessage.Status.sent), ("mailtrap", QueuedMessage.Status.unknown)])
    func takeOverAfterLease(_ provider: String, _ expected: QueuedMessage.Status) async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let capture = try CaptureServer()
        defer { capture.stop() }
        let ok = provider == "resend" ? Answer.json(200, .object(["id": "re-1"])) : Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))
        try await capture.script(["*": [ok]])
        try await withPostgresStores(server, count: 2, lease: 60) { stores in
            try await stores[0].migrate()
            let first = PostgresQueue(store: stores[0]), second = PostgresQueue(store: stores[1])
            let record = QueueContractTests.record(1, created: 1_800_000_000)
            try await first.enqueue(record)
            #expect(try await first.claimDue(now: 1_800_000_000, limit: 1).count == 1)  // node-0 claims, then is killed
            let clock = ManualClock(now: WallTime(secondsSince1970: 1_800_000_061))
            let gateway = try Self.gateway(second, provider: provider, server: capture, clock: clock)
            let running = Task { try await gateway.run() }
            defer { running.cancel() }
            try await poll("the message \(expected.rawValue)", seconds: 30) { try await second.record(record.id)?.status == expected }
            let shown = try #require(try await second.record(record.id))
            let requests = try await capture.requests()
            if expected == .sent {
                #expect(requests.count == 1 && requests.first?.header("Idempotency-Key") == "m1@shop.example.com",
                        "sent again with the key its provider drops duplicates by")
                #expect(shown.lastError == nil || shown.lastError?.contains("drops duplicates") == true)
            } else {
                #expect(requests.isEmpty, "never sent twice without an idempotency key")
                #expect(shown.lastError?.contains("--resend-unknown") == true, "\(shown.lastError ?? "")")
                #expect(try await second.claimDue(now: 1_800_009_999, limit: 10).isEmpty, "an unknown message waits for an operator")
            }
        }
    }

    @Test("Three processes' mailers share a round robin and a rate limit (one bucket for every route) through the store, as one would")
    func sharedRouteStateAndLimits() async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let yaml = """
            accounts:
              a: {provider: file, directory: ./a}
              b: {provider: file, directory: ./b}
              c: {provider: file, directory: ./c}
              capped: {provider: file, directory: ./capped, limits: {per_hour: 4}}
            routes:
              default: {strategy: round_robin, accounts: [a, b, c]}
              capped: {accounts: [capped], retry: {attempts: 1}}
              also_capped: {accounts: [capped], retry: {attempts: 1}}
            """
        let configuration = try Configuration.parse(yaml, file: folder.path + "/carrier.yaml", environment: [:])
        try await withPostgresStores(server, count: 3) { stores in
            try await stores[0].migrate()
            let mailers = stores.map { store in
                Mailer(configuration: configuration, runtime: CarrierRuntime(sharedState: PostgresSharedState(store: store)), logger: .silent)
            }
            for n in 0..<30 {
                var message = QueueContractTests.record(n, created: 1_000).message
                message.messageID = nil
                _ = try await mailers[n % 3].send(message)
            }
            var refused = 0
            for n in 0..<6 {
                // Two routes naming one account share its bucket.
                let route = n % 2 == 0 ? "capped" : "also_capped"
                do { _ = try await mailers[n % 3].send(QueueContractTests.record(100 + n, created: 1_000).message, route: route) } catch {
                    refused += 1
                }
            }
            for mailer in mailers { await mailer.runtime.shutdown() }
            func count(_ name: String) -> Int {
                ((try? FileManager.default.contentsOfDirectory(atPath: folder.path + "/" + name)) ?? []).filter { $0.hasSuffix(".eml") }.count
            }
            #expect(["a", "b", "c"].map(count) == [10, 10, 10], "one round robin across three mailers")
            #expect(count("capped") == 4 && refused == 2, "a limit of 4 an hour holds across the three and both routes: \(count("capped")) sent, \(refused) refused")
        }
    }

    @Test("sslmode=verify-full with the server's CA connects over TLS; another CA, or require against a server without TLS, is refused")
    func tls() async throws {
        let server = try PostgresServer(tls: true)
        defer { server.stop() }
        let plain = try PostgresServer()
        defer { plain.stop() }
        let other = try TemporaryFolder()
        defer { other.remove() }
        _ = try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", other.path + "/k.pem", "-out", other.path + "/ca.pem",
                                         "-days", "1", "-subj", "/CN=127.0.0.1"])
        func store(_ url: String) throws -> PostgresStore {
            var settings = StoreSettings(url: try PostgresURL(url), connections: 2, node: "tls")
            settings.timeout = 2
            return try PostgresStore(settings: settings, logger: .silent)
        }
        let trusted = try store("postgres://carrier@127.0.0.1:\(server.port)/postgres?sslmode=verify-full&sslrootcert=\(server.certificate)")
        try await trusted.withRunning { store in
            #expect(try await store.migrate() == Array(1...PostgresStore.schemaVersion))
            let encrypted = try server.psql("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.usename = 'carrier'")
            #expect((Int(encrypted.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 1, "the store's connection uses TLS")
        }
        let wrongCA = try store("postgres://carrier@127.0.0.1:\(server.port)/postgres?sslmode=verify-full&sslrootcert=\(other.path)/ca.pem")
        await #expect(throws: StorageError.self) { try await wrongCA.withRunning { store in try await store.schemaVersion() } }
        let noTLS = try store("postgres://carrier@127.0.0.1:\(plain.port)/postgres?sslmode=require")
        await #expect(throws: StorageError.self) { try await noTLS.withRunning { store in try await store.schemaVersion() } }
    }
}

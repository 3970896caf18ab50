import Carrier
import CarrierCurl
import Foundation
import Testing

/// `carrier events serve` and SES's events through SNS, against real peers: webhooks signed in
/// Python, a certificate made by openssl and served on loopback.
@Suite("Events server", .serialized)
struct EventServerTests {
    static let secret = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"

    func configuration(_ folder: TemporaryFolder) throws -> String {
        let path = folder.path + "/carrier.yaml"
        try """
            accounts:
              mg: {provider: mailgun, webhook_secret: "\(Self.secret)", settings: {domain: mg.example.com}}
              mg2: {provider: mailgun, webhook_secret: "\(Self.secret)", settings: {domain: mg2.example.com}}
              broken: {provider: mailgun, webhook_secret: "\(Self.secret)", credentials: {api_key: "${CARRIER_TEST_UNSET_VARIABLE}"}}
              az: {provider: azure, webhook_secret: "grid-5e2a9c"}
              ee: {provider: elasticemail, webhook_secret: "tok-5f1e"}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func post(_ server: EventsServer, account: String = "mg", _ arguments: [String], secret: String = Self.secret) throws -> (status: Int, body: Value) {
        let result = try Fixtures.python("post_events.py", ["one", server.url + "/events/" + account, secret] + arguments, input: Data())
        let answer = try JSONParser.parse(result.stdout)
        return (answer["status"].intValue ?? 0, (try? JSONParser.parse(answer["body"].text)) ?? answer["body"])
    }

    func lines(_ path: String) -> [Value] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    @Test("The same event id at two accounts is two events: de-duplication is per account, across restarts too")
    func deduplicationIsPerAccount() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let output = folder.path + "/events.ndjson"
        let config = try configuration(folder)
        do {
            let server = try EventsServer(config: config, output: output)
            defer { server.stop() }
            #expect(try post(server, account: "mg", ["--id", "evt-777"]).body["written"] == 1)
            let other = try post(server, account: "mg2", ["--id", "evt-777"])
            #expect(other.body["written"] == 1, "another account's event with the same id is not a repeat: \(other.body)")
            #expect(try post(server, account: "mg2", ["--id", "evt-777"]).body["repeated"] == 1)
        }
        let restarted = try EventsServer(config: config, output: output)
        defer { restarted.stop() }
        #expect(try post(restarted, account: "mg", ["--id", "evt-777"]).body["repeated"] == 1, "read back per account")
        #expect(lines(output).map { $0["account"].text }.sorted() == ["mg", "mg2"])
    }

    @Test("Mailgun's legacy form-encoded webhooks (signature in form fields) are verified and read, not refused")
    func mailgunLegacyForms() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let output = folder.path + "/events.ndjson"
        let server = try EventsServer(config: try configuration(folder), output: output)
        defer { server.stop() }
        let answer = try post(server, ["--id", "legacy-1", "--legacy", "--event", "bounced", "--recipient", "gone@example.com"])
        #expect(answer.status == 200 && answer.body["written"] == 1, "\(answer)")
        let event = try #require(lines(output).first)
        #expect(event["event"] == "bounced" && event["bounce"] == "hard" && event["recipient"] == "gone@example.com", "\(event)")
        #expect(event["message_id"] == "<legacy-1@mg.example.com>" && event["tags"] == ["welcome"], "\(event)")
        #expect(event["reason"].text.contains("does not exist"), "\(event)")
        let forged = try post(server, ["--id", "legacy-2", "--legacy"], secret: "key-not-the-one")
        #expect(forged.status == 401, "a wrong signature in the form fields: \(forged)")
    }

    @Test("A second events server on the same --output refuses to start, naming the holder")
    func outputIsLocked() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let output = folder.path + "/events.ndjson"
        let config = try configuration(folder)
        let first = try EventsServer(config: config, output: output)
        defer { first.stop() }
        let second = try carrier(["events", "serve", "--config", config, "--listen", "127.0.0.1:0", "--output", output])
        #expect(second.status == 2, "\(second.stderr)")
        #expect(second.stderr.contains("in use by another run (pid \(first.process.processIdentifier)"), "\(second.stderr)")
    }

    @Test("Slow clients are cut: half-sent requests close after --idle-timeout, connections past --max-connections at once, and /health answers")
    func slowClientsAreCut() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let server = try EventsServer(config: try configuration(folder), output: folder.path + "/events.ndjson",
                                      arguments: ["--idle-timeout", "3", "--max-connections", "20"])
        defer { server.stop() }
        // 25 connections send headers with a Content-Length and no body. Python reports how many the
        // server closed at once, whether all were closed by the idle timeout (polled, at most 20 s),
        // and what /health answers then.
        let script = """
            import json, socket, sys, time, urllib.request
            port = int(sys.argv[1])
            conns = []
            for _ in range(25):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"POST /events/mg HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\n")
                conns.append(s)
            def closed(s, wait):
                s.settimeout(wait)
                try:
                    return s.recv(1) == b""
                except socket.timeout:
                    return False
                except OSError:
                    return True
            # The cap's closes come at once; the idle timeout's only after 3 s. Wait (on the sockets,
            # at most 2 s) for the first five closes, then see that no more came with them.
            first = [False] * len(conns)
            until = time.time() + 2
            while sum(first) < 5 and time.time() < until:
                first = [c or closed(s, 0.01) for s, c in zip(conns, first)]
            first = [c or closed(s, 0.01) for s, c in zip(conns, first)]
            at_once = sum(first)
            deadline = time.time() + 20
            open_ = [s for s, c in zip(conns, first) if not c]
            while open_ and time.time() < deadline:
                open_ = [s for s in open_ if not closed(s, 0.1)]
            health = urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=5).status
            print(json.dumps({"at_once": at_once, "still_open": len(open_), "health": health}))
            """
        let result = try run(Repository.python, ["-c", script, String(server.port)], timeout: 60)
        let answer = try JSONParser.parse(result.stdout)
        #expect(answer["at_once"] == 5, "the five past the cap are closed at once: \(result.stdout)\(result.stderr)")
        #expect(answer["still_open"] == 0, "half-sent requests are cut by the idle timeout")
        #expect(answer["health"] == 200)
    }

    @Test("Verified events are written once; bad signature 401, stale 401, unknown account 404, oversized body 413, none written")
    func answersAndWrites() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let output = folder.path + "/events.ndjson"
        let server = try EventsServer(config: try configuration(folder), output: output, arguments: ["--max-body", "4000"])
        defer { server.stop() }

        let health = try await testEngine.send(CurlHTTPRequest(method: "GET", url: server.url + "/health"))
        #expect(health.status == 200 && String(decoding: health.body, as: UTF8.self) == "ok")
        // The activation check some ESPs make: 200 for an account that receives events, 404 otherwise.
        #expect(try await testEngine.send(CurlHTTPRequest(method: "GET", url: server.url + "/events/mg")).status == 200)
        #expect(try await testEngine.send(CurlHTTPRequest(method: "GET", url: server.url + "/events/nobody")).status == 404)
        let first = try post(server, ["--id", "evt-a"])
        #expect(first.status == 200 && first.body["written"] == 1, "\(first.body) \(server.stderr)")
        #expect(lines(output).count == 1, "the event is on disk when the 2xx comes")
        let again = try post(server, ["--id", "evt-a"])
        #expect(again.status == 200 && again.body["written"] == 0 && again.body["repeated"] == 1, "a replayed event id is not written again")
        #expect(try post(server, ["--id", "evt-b", "--bad-signature"]).status == 401)
        #expect(try post(server, ["--id", "evt-c", "--stale"]).status == 401)
        // Mailgun signs timestamp and token, not the events: the same signature with other events is a replay.
        let stamp = String(Int(Date().timeIntervalSince1970)), token = "tok" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        #expect(try post(server, ["--id", "evt-r1", "--token", token, "--stamp", stamp]).status == 200)
        #expect(try post(server, ["--id", "evt-r2", "--token", token, "--stamp", stamp]).status == 401)
        #expect(try post(server, ["--id", "evt-r1", "--token", token, "--stamp", stamp]).body["repeated"] == 1, "the ESP's own retry is taken")
        #expect(try post(server, account: "nobody", ["--id", "evt-d"]).status == 404)
        #expect(try post(server, ["--id", "evt-e", "--pad", "5000"]).status == 413)
        // A broken account is not a missing one: 500, so the ESP retries.
        #expect(try post(server, account: "broken", ["--id", "evt-g"]).status == 500)
        // Form bodies with empty names are read, not a crash, before any signature is checked.
        for body in ["=", "&&=", "a=&=b"] {
            let answer = try await testEngine.send(CurlHTTPRequest(method: "POST", url: server.url + "/events/mg",
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(body.utf8)))
            #expect(answer.status == 401, "\(body) → \(answer.status)")
        }
        #expect(try await testEngine.send(CurlHTTPRequest(method: "GET", url: server.url + "/health")).status == 200)
        // Event Grid's validation (Azure) is answered with its code, and writes nothing.
        let validation = #"[{"id":"v-1","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"512d38b6"}}]"#
        let answered = try await testEngine.send(CurlHTTPRequest(method: "POST", url: server.url + "/events/az?secret=grid-5e2a9c",
            headers: [("Content-Type", "application/json"), ("aeg-event-type", "SubscriptionValidation")], body: Data(validation.utf8)))
        let answer = try JSONParser.parse(Array(answered.body))
        #expect(answered.status == 200 && answer["validationResponse"] == "512d38b6", "\(answer)")
        #expect(try await testEngine.send(CurlHTTPRequest(method: "POST", url: server.url + "/events/az?secret=wrong",
            headers: [("Content-Type", "application/json")], body: Data(validation.utf8))).status == 401)
        // A GET with the account's token in its query and no body (an activation check) writes nothing.
        let activated = try await testEngine.send(CurlHTTPRequest(method: "GET", url: server.url + "/events/az?secret=grid-5e2a9c"))
        let activation = try JSONParser.parse(Array(activated.body))
        #expect(activated.status == 200 && activation["written"] == 0, "\(activated.status) \(activation)")
        // CloudEvents' validation (Event Grid with the CloudEvents schema): the origin is echoed for a known account.
        let options = try await testEngine.send(CurlHTTPRequest(method: "OPTIONS", url: server.url + "/events/az",
            headers: [("WebHook-Request-Origin", "eventgrid.azure.net")]))
        #expect(options.status == 200 && options.headers.first { $0.name.lowercased() == "webhook-allowed-origin" }?.value == "eventgrid.azure.net",
                "\(options.status) \(options.headers)")
        #expect(options.headers.contains { $0.name.lowercased() == "webhook-allowed-rate" && $0.value == "*" })
        #expect(try await testEngine.send(CurlHTTPRequest(method: "OPTIONS", url: server.url + "/events/nobody",
            headers: [("WebHook-Request-Origin", "eventgrid.azure.net")])).status == 404)
        // Elastic Email: a GET with the event in its query, and the account's token.
        let query = "status=Opened&to=alice%40example.com&messageid=ee-1&date=2026-11-27T12%3A00%3A00Z"
        let notified = try await testEngine.send(CurlHTTPRequest(method: "GET", url: server.url + "/events/ee?token=tok-5f1e&" + query))
        let notice = try JSONParser.parse(Array(notified.body))
        #expect(notified.status == 200 && notice["written"] == 1, "\(notice)")
        #expect(try await testEngine.send(CurlHTTPRequest(method: "GET", url: server.url + "/events/ee?token=wrong&" + query)).status == 401)
        #expect(lines(output).last?["message_id"] == "ee-1" && lines(output).last?["event"] == "opened")
        let written = lines(output).filter { $0["provider"] == "mailgun" }
        #expect(written.map { $0["event_id"].text } == ["evt-a", "evt-r1"])
        #expect(written.first?["message_id"] == "<evt-a@mg.example.com>" && written.first?["event"] == "delivered")
        #expect(!((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains(Self.secret))
        #expect(!server.stderr.contains(Self.secret), "no secret in the server's output")
        server.stop()

        // A new server on the same file knows what is there already.
        let second = try EventsServer(config: try configuration(folder), output: output)
        defer { second.stop() }
        #expect(try post(second, ["--id", "evt-a"]).body["written"] == 0)
        #expect(try post(second, ["--id", "evt-f"]).body["written"] == 1)
        #expect(lines(output).filter { $0["provider"] == "mailgun" }.map { $0["event_id"].text } == ["evt-a", "evt-r1", "evt-f"])
    }

    @Test("A burst of 10,000 events from 8 clients at once, with 1,000 sent twice: each written exactly once")
    func burstFromEightClients() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let output = folder.path + "/events.ndjson"
        let server = try EventsServer(config: try configuration(folder), output: output)
        defer { server.stop() }
        let result = try Fixtures.python("post_events.py", ["burst", server.url + "/events/mg", Self.secret, "--clients", "8",
                                                            "--events", "10000", "--repeats", "1000"], input: Data())
        let summary = try JSONParser.parse(result.stdout)
        #expect(summary["statuses"] == .object(["200": 11000]), "\(result.stdout)\(result.stderr)")
        let ids = lines(output).map { $0["event_id"].text }
        #expect(ids.count == 10000)
        #expect(Set(ids) == Set((0..<10000).map { "evt-\($0)" }))
    }

    // SES's event types, its subscription confirmation, SignatureVersion 1 and 2, tampered messages and
    // certificates off SNS's hosts: Tests/Fixtures/events/ses.json, through EventsTests.
    @Test("SES through SNS: only the account's topic is taken, and an account without one takes nothing")
    func sesTopic() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let key = folder.path + "/sns.key", cert = folder.path + "/sns.pem"
        let made = try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                                                 "-subj", "/CN=sns.amazonaws.com"])
        #expect(made.status == 0, "\(made.stderr)")
        let aws = try CaptureServer()
        defer { aws.stop() }
        try await aws.script(["/SimpleNotificationService-test.pem": [Answer.text(200, try String(contentsOfFile: cert, encoding: .utf8))]])
        let topic = "arn:aws:sns:us-east-1:123456789012:ses-events"
        let config = folder.path + "/carrier.yaml"
        try """
            accounts:
              ses: {provider: ses, endpoint: "\(aws.url)", settings: {sns_topic_arn: "\(topic)"}}
              open: {provider: ses, endpoint: "\(aws.url)"}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        func sns(topic: String) throws -> String {
            let delivery = #"{"notificationType":"Delivery","mail":{"messageId":"m-1","destination":["a@example.com"]},"delivery":{"recipients":["a@example.com"]}}"#
            let made = try Fixtures.python("sns_message.py", [key, "Notification", "--cert-url", "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem",
                                                             "--message", delivery, "--topic", topic], input: Data())
            guard made.status == 0 else { throw TestFailure(made.stderr) }
            let path = folder.path + "/sns-\(UUID().uuidString).json"
            try made.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let taken = try carrier(["events", "parse", "--config", config, "--account", "ses", try sns(topic: topic)])
        #expect(taken.status == 0 && taken.stdout.contains(#""event":"delivered""#), "\(taken.stderr)")
        // SNS signs every topic's messages, an attacker's too.
        let other = try carrier(["events", "parse", "--config", config, "--account", "ses", try sns(topic: "arn:aws:sns:us-east-1:123456789012:other")])
        #expect(other.status == 1 && other.stderr.contains("not \(topic)"), "\(other.stderr)")
        let anyTopic = try carrier(["events", "parse", "--config", config, "--account", "open", try sns(topic: topic)])
        #expect(anyTopic.status == 2 && anyTopic.stderr.contains("sns_topic_arn"), "\(anyTopic.stderr)")
    }
}

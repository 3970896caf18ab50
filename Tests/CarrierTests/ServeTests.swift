import Carrier
import Foundation
import Testing

/// `carrier serve` from outside, with the clients apps have: curl on the HTTP API (answers
/// validated against docs/openapi.json), Python's smtplib and swaks over SMTP with STARTTLS,
/// implicit TLS and AUTH, Prometheus' own parser on /metrics. Messages go on to a capture server
/// standing in for the ESP's API.
@Suite("carrier serve", .serialized)
struct ServeTests {
    /// A folder with a certificate and a carrier.yaml whose account posts to the capture server.
    static func project(_ server: CaptureServer, extra: String = "", smtp: String? = nil) throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        let made = try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder.path + "/key.pem",
                                                "-out", folder.path + "/cert.pem", "-days", "1", "-subj", "/CN=localhost"])
        guard made.status == 0 else { throw TestFailure("openssl: \(made.stderr)") }
        let yaml = """
            accounts:
              mt: {provider: mailtrap, endpoint: "\(server.url)", credentials: {api_token: tok-123456}, webhook_secret: whsec-test}
            routes:
              default: {accounts: [mt], retry: {attempts: 1}}
            serve:
              http: {listen: 127.0.0.1:0}
              smtp:
            \(smtp ?? """
                listen: [127.0.0.1:0, {address: 127.0.0.1:0, tls: implicit}]
                tls: {certificate: cert.pem, key: key.pem}
            """)
              queue: {path: queue, max_age: 1h}
            clients:
              shop:
                api_key_sha256: "\(Digest.hex(Digest.sha256(Array("key-shop".utf8))))"
                smtp: {username: shop, password: "pw-shop"}
                from_domains: [shop.example.com]
              blog: {api_key: key-blog}
            \(extra)
            """
        try yaml.write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        return folder
    }

    static func peer(_ arguments: [String], input: Data = Data()) throws -> Value {
        let result = try Fixtures.python("gateway_peer.py", arguments, input: input)
        guard result.status == 0 else { throw TestFailure("gateway_peer.py \(arguments.first ?? ""): \(result.stderr)") }
        return try JSONParser.parse(result.stdout)
    }

    static func openAPIErrors(_ schema: String, _ body: String) throws -> [Value] {
        let checked = try peer(["check-openapi", schema], input: Data(body.utf8))
        #expect(checked["checked"].intValue ?? 0 > 0)
        return checked["errors"].arrayValue ?? []
    }

    static let message = #"{"from": "Shop <orders@shop.example.com>", "to": "ann@example.com", "subject": "Order 1234", "text": "On its way."}"#

    @Test("HTTP: 202 once durable, status and cancel by the owner only, 401 for a wrong key; every answer fits the OpenAPI document")
    func httpAPI() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-77"]]))]])
        let folder = try Self.project(server)
        defer { folder.remove() }
        let gateway = try GatewayProcess(folder: folder.path, smtpListeners: 2)
        defer { gateway.stop() }

        let accepted = try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer key-shop",
                                 "-H", "Content-Type: application/json", "--data-binary", Self.message])
        #expect(accepted.status == 202, "\(accepted.body)")
        #expect(try Self.openAPIErrors("Accepted", accepted.body) == [])
        let id = try JSONParser.parse(accepted.body)["id"].text
        // Durable before the answer: the record is in the queue's log on disk.
        let segments = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/queue").filter { $0.hasSuffix(".log") }
        #expect(try segments.contains { try String(contentsOfFile: folder.path + "/queue/" + $0, encoding: .utf8).contains(#""id":"\#(id)""#) })
        try await poll("the ESP gets the message") { try await server.requests().count == 1 }
        let request = try #require(try await server.requests().first)
        #expect(request.json["subject"] == "Order 1234" && request.json["from"]["email"] == "orders@shop.example.com")
        try await poll("sent") { try curl([gateway.url + "/v1/messages/\(id)", "-H", "Authorization: Bearer key-shop"]).body.contains(#""status":"sent""#) }
        let shown = try curl([gateway.url + "/v1/messages/\(id)", "-H", "Authorization: Bearer key-shop"])
        #expect(shown.status == 200)
        #expect(try Self.openAPIErrors("Record", shown.body) == [])
        let record = try JSONParser.parse(shown.body)
        #expect(record["account"] == "mt" && record["provider_ids"] == ["mt-77"] && record["intake"] == "http")

        // The ESP's delivery webhook, to the same process: the event is kept with the message.
        let webhook = #"{"events": [{"event": "delivery", "timestamp": 1796600000, "message_id": "mt-77", "email": "ann@example.com", "event_id": "ev-1"}]}"#
        let signature = Digest.hex(Digest.hmacSHA256(key: Array("whsec-test".utf8), Data(webhook.utf8)))
        let posted = try curl(["-X", "POST", gateway.url + "/events/mt", "-H", "Mailtrap-Signature: \(signature)", "-H", "Content-Type: application/json",
                               "--data-binary", webhook])
        #expect(posted.status == 200, "\(posted.body)")
        let withEvent = try JSONParser.parse(try curl([gateway.url + "/v1/messages/\(id)", "-H", "Authorization: Bearer key-shop"]).body)
        #expect(withEvent["events"].arrayValue?.count == 1 && withEvent["events"][0]["event"] == "delivered", "\(withEvent["events"])")
        let forged = try curl(["-X", "POST", gateway.url + "/events/mt", "-H", "Mailtrap-Signature: 00", "--data-binary", webhook])
        #expect(forged.status == 401)

        #expect(try curl([gateway.url + "/v1/messages/\(id)", "-H", "Authorization: Bearer key-blog"]).status == 404, "another client's message")
        let conflict = try curl(["-X", "DELETE", gateway.url + "/v1/messages/\(id)", "-H", "Authorization: Bearer key-shop"])
        #expect(conflict.status == 409)
        #expect(try Self.openAPIErrors("Conflict", conflict.body) == [])
        let wrong = try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer nope", "--data-binary", Self.message])
        #expect(wrong.status == 401)
        #expect(try Self.openAPIErrors("Error", wrong.body) == [])
        let foreign = try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer key-shop",
                                "--data-binary", #"{"from": "x@elsewhere.example", "to": "a@example.com", "subject": "s", "text": "t"}"#])
        #expect(foreign.status == 403)
        let byPath = try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer key-shop", "--data-binary",
                               #"{"from": "orders@shop.example.com", "to": "a@example.com", "subject": "s", "text": "t", "attachments": [{"path": "/etc/passwd"}]}"#])
        #expect(byPath.status == 422 && byPath.body.contains("not by path"), "\(byPath.body)")
        // One-click unsubscribe asked for without unsubscribe: configured: refused now, not failed after the 202.
        let unsubscribe = try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer key-shop", "--data-binary",
                                    #"{"from": "orders@shop.example.com", "to": "a@example.com", "subject": "s", "text": "t", "headers": {"Carrier-Unsubscribe": "news"}}"#])
        #expect(unsubscribe.status == 422 && unsubscribe.body.contains("no unsubscribe:"), "\(unsubscribe.body)")

        // Raw MIME, and a batch with one bad line among good ones.
        let mime = "From: Shop <orders@shop.example.com>\r\nTo: bob@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nHello Bob\r\n"
        let raw = try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer key-shop",
                            "-H", "Content-Type: message/rfc822", "--data-binary", mime])
        #expect(raw.status == 202, "\(raw.body)")
        let batch = [Self.message, "{not json", Self.message].joined(separator: "\n")
        let lines = try curl(["-X", "POST", gateway.url + "/v1/messages/batch", "-H", "Authorization: Bearer key-shop",
                              "-H", "Content-Type: application/x-ndjson", "--data-binary", batch])
        #expect(lines.status == 200)
        #expect(try Self.openAPIErrors("BatchLine", lines.body) == [])
        let answers = lines.body.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        #expect(answers.map { $0["status"].text } == ["queued", "refused", "queued"] && answers[1]["line"] == 2)
        try await poll("every accepted message reaches the ESP") { try await server.requests().count == 4 }
        let subjects = try await server.requests().map { $0.json["subject"].text }
        #expect(subjects.contains("Grüße"))

        let ready = try curl([gateway.url + "/ready"])
        let readyErrors = try Self.openAPIErrors("Readiness", ready.body)
        #expect(ready.status == 200 && readyErrors == [])
        let document = try curl([gateway.url + "/v1/openapi.json"])
        let shipped = try String(contentsOfFile: Repository.root.appendingPathComponent("docs/openapi.json").path, encoding: .utf8)
        #expect(try JSONParser.parse(document.body) == JSONParser.parse(shipped), "the served document is the shipped one")

        let metrics = try Self.peer(["prometheus"], input: Data(try curl([gateway.url + "/metrics"]).body.utf8))
        #expect(metrics[#"carrier_gateway_accepted_total{"client": "shop", "intake": "http"}"#].doubleValue == 4)
        #expect(metrics[#"carrier_gateway_sent_total{"account": "mt"}"#].doubleValue == 4)
        #expect(metrics[#"carrier_gateway_queue_depth{}"#].doubleValue == 0)
        #expect(metrics.objectValue?.keys.contains { $0.hasPrefix("carrier_gateway_send_seconds") } == true, "the send latency histogram")
    }

    @Test("SMTP: STARTTLS then AUTH, implicit TLS, swaks; no AUTH in clear; 535, 550 5.7.1, 552, 452 — the message reaches the ESP whole",
          .enabled(if: Peers.swaks, "needs swaks (make test installs it)"))
    func smtpSubmission() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        let folder = try Self.project(server, smtp: """
                listen: [127.0.0.1:0, {address: 127.0.0.1:0, tls: implicit}]
                tls: {certificate: cert.pem, key: key.pem}
                max_message_bytes: 200000
                max_recipients: 3
            """)
        defer { folder.remove() }
        let gateway = try GatewayProcess(folder: folder.path, smtpListeners: 2)
        defer { gateway.stop() }
        let starttls = String(gateway.smtpPorts[0]), implicit = String(gateway.smtpPorts[1]), ca = folder.path + "/cert.pem"

        let clear = try Self.peer(["send", starttls, "--user", "shop", "--password", "pw-shop"])
        #expect(clear["auth"] == "not offered", "AUTH is not offered before TLS: \(clear)")
        #expect(clear["mail"] == 530)

        let sent = try Self.peer(["send", starttls, "--tls", "starttls", "--cafile", ca, "--user", "shop", "--password", "pw-shop",
                                  "--to", "ann@example.com,hidden@example.com"])
        #expect(sent["starttls"] == 220 && sent["auth"] == 235 && sent["data"] == 250, "\(sent)")
        for extension_ in ["size", "8bitmime", "smtputf8", "pipelining", "enhancedstatuscodes", "starttls"] {
            #expect(sent["extensions"].arrayValue?.contains(.string(extension_)) == true, "\(extension_)")
        }
        #expect(sent["extensions_tls"].arrayValue?.contains(.string("auth")) == true)
        #expect(sent["data_reply"].text.hasPrefix("2.0.0 Ok: queued as "))
        try await poll("the ESP gets it") { try await server.requests().count == 1 }
        let request = try #require(try await server.requests().first).json
        #expect(request["subject"] == "Grüße ✓ order 1234")
        #expect(request["to"][0]["email"] == "ann@example.com" && request["to"][0]["name"] == "Ann" && request["to"].arrayValue?.count == 1)
        #expect(request["bcc"][0]["email"] == "hidden@example.com", "an envelope recipient outside the headers is a Bcc: \(request["bcc"])")
        #expect(request["text"].text.contains("on its way") && request["html"].text.contains("<p>"))
        #expect(request["attachments"][0]["filename"] == "Rechnung März.pdf")
        #expect(Data(base64Encoded: request["attachments"][0]["content"].text) == Data("%PDF-1.4 fake".utf8))
        #expect(request["headers"]["X-Order"] == "1234")

        let overTLS = try Self.peer(["send", implicit, "--tls", "implicit", "--cafile", ca, "--user", "shop", "--password", "pw-shop"])
        #expect(overTLS["data"] == 250, "\(overTLS)")
        let wrong = try Self.peer(["send", implicit, "--tls", "implicit", "--cafile", ca, "--user", "shop", "--password", "nope"])
        #expect(wrong["auth"] == 535)
        let foreign = try Self.peer(["send", implicit, "--tls", "implicit", "--cafile", ca, "--user", "shop", "--password", "pw-shop",
                                     "--from", "ceo@elsewhere.example"])
        #expect(foreign["mail"] == 550 && foreign["mail_reply"].text.hasPrefix("5.7.1"), "\(foreign)")
        let big = try Self.peer(["send", implicit, "--tls", "implicit", "--cafile", ca, "--user", "shop", "--password", "pw-shop",
                                 "--size", "300000"])
        #expect(big["mail"] == 552 || big["data"] == 552 || big["error"] == 552, "\(big)")
        let long = try Self.peer(["send", implicit, "--tls", "implicit", "--cafile", ca, "--user", "shop", "--password", "pw-shop",
                                  "--long-line", "1200"])
        #expect(long["data"] == 554 && long["data_reply"].text.contains("998"), "\(long)")
        let many = try Self.peer(["send", implicit, "--tls", "implicit", "--cafile", ca, "--user", "shop", "--password", "pw-shop",
                                  "--to", "a@example.com,b@example.com,c@example.com,d@example.com"])
        #expect(many["rcpt"] == [250, 250, 250, 452], "\(many)")

        let swaks = try run("/usr/bin/swaks", ["--server", "127.0.0.1", "--port", starttls, "--tls", "--auth", "LOGIN",
                                               "--auth-user", "shop", "--auth-password", "pw-shop", "--from", "news@shop.example.com",
                                               "--to", "zoe@example.com", "--header", "Subject: from swaks", "--body", "hello from swaks"])
        #expect(swaks.status == 0, "\(swaks.stdout)\(swaks.stderr)")
        try await poll("all four messages reach the ESP") { try await server.requests().count == 4 }
        #expect(try await server.requests().contains { $0.json["subject"] == "from swaks" })
        let metrics = try Self.peer(["prometheus"], input: Data(try curl([gateway.url + "/metrics"]).body.utf8))
        #expect(metrics[#"carrier_gateway_accepted_total{"client": "shop", "intake": "smtp"}"#].doubleValue == 4)
    }

    @Test("SIGKILL after 250, then a restart: the message is delivered once; SIGTERM: 421 and 503 for new work, the queue kept")
    func crashAndShutdown() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        // The ESP is down at first: the message waits in the queue, deferred.
        try await server.script(["*": [Answer.json(503, .object(["errors": ["down"]]))]])
        let folder = try Self.project(server, extra: "", smtp: """
                listen: 127.0.0.1:0
                allow_plain_auth: true
            """)
        defer { folder.remove() }
        try (try String(contentsOfFile: folder.path + "/carrier.yaml", encoding: .utf8))
            .replacingOccurrences(of: "max_age: 1h", with: "max_age: 1h, first_retry: 1s")
            .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        var gateway = try GatewayProcess(folder: folder.path, smtpListeners: 1)
        let sent = try Self.peer(["send", String(gateway.smtpPorts[0]), "--user", "shop", "--password", "pw-shop"])
        #expect(sent["data"] == 250, "\(sent)")
        try await poll("the first try") { try await server.requests().count >= 1 }
        #expect(gateway.signal(SIGKILL, within: 10))
        let tries = try await server.requests().count

        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-9"]]))]])
        gateway = try GatewayProcess(folder: folder.path, smtpListeners: 1)
        defer { gateway.stop() }
        try await poll("delivered after the restart") {
            try await server.requests().count > tries && curl([gateway.url + "/metrics"]).body.contains("carrier_gateway_sent_total")
        }
        #expect(try await server.requests().count == tries + 1, "delivered exactly once")

        // SIGTERM while a send is under way (the ESP holds its answer): new work is refused — SMTP
        // 421, HTTP 503 — while the gateway drains; the send finishes and the process exits 0.
        var held = Answer.json(200, .object(["success": true, "message_ids": ["mt-10"]])).objectValue!
        held["hold"] = 1000
        try await server.script(["*": [.object(held)]])
        let draining = try Self.peer(["send", String(gateway.smtpPorts[0]), "--user", "shop", "--password", "pw-shop"])
        #expect(draining["data"] == 250)
        try await poll("the send is under way") { try await server.stats().inFlight == 1 }
        kill(gateway.process.processIdentifier, SIGTERM)
        try await poll("new messages are refused") {
            try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer key-shop", "--data-binary", Self.message]).status == 503
        }
        let late = try Self.peer(["send", String(gateway.smtpPorts[0]), "--user", "shop", "--password", "pw-shop"])
        #expect(late["error"] == 421 || late["connection_error"] != .null, "\(late)")
        #expect(gateway.process.isRunning, "still draining")
        try await server.release()
        #expect(exits(gateway.process, within: 30), "stopped once the send finished")
        #expect(gateway.process.terminationStatus == 0, "\(gateway.stderr)")
        #expect(try await server.requests().count == tries + 2)
    }

    @Test("Disk full: HTTP 503, SMTP 451 4.3.0, /ready 503, nothing acknowledged; space again: taken and sent",
          .enabled(if: getuid() == 0, "mounts a small tmpfs for the queue (needs root, as make test has)"))
    func diskFull() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        let folder = try Self.project(server, smtp: """
                listen: 127.0.0.1:0
                allow_plain_auth: true
            """)
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/queue", withIntermediateDirectories: true)
        let mounted = try run("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", folder.path + "/queue"])
        try #require(mounted.status == 0, "\(mounted.stderr)")
        defer { _ = try? run("/bin/umount", ["-l", folder.path + "/queue"]) }
        let gateway = try GatewayProcess(folder: folder.path, smtpListeners: 1)
        defer { gateway.stop() }
        let before = try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer key-shop", "--data-binary", Self.message])
        #expect(before.status == 202)
        try await poll("the first message is sent") { try await server.requests().count == 1 }

        // Fill the queue's file system.
        let filler = folder.path + "/queue/filler"
        _ = try run("/bin/dd", ["if=/dev/zero", "of=" + filler, "bs=4k", "count=1000"])
        // The log's last page may still have room for a message or two (taken: they are stored); then the disk is full.
        var taken = 0
        var refused = try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer key-shop", "--data-binary", Self.message])
        while refused.status == 202 && taken < 8 {
            taken += 1
            refused = try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer key-shop", "--data-binary", Self.message])
        }
        #expect(refused.status == 503 && refused.body.contains("could not be stored"), "\(refused.body)")
        let smtp = try Self.peer(["send", String(gateway.smtpPorts[0]), "--user", "shop", "--password", "pw-shop"])
        #expect(smtp["data"] == 451 && smtp["data_reply"].text.hasPrefix("4.3.0"), "\(smtp)")
        #expect(try curl([gateway.url + "/ready"]).status == 503)
        let log = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/queue").filter { $0.hasSuffix(".log") }
            .map { try String(contentsOfFile: folder.path + "/queue/" + $0, encoding: .utf8) }.joined()
        #expect(log.hasSuffix("\n") && log.split(separator: "\n").allSatisfy { (try? JSONParser.parse(String($0))) != nil },
                "nothing refused was kept half-written")

        try FileManager.default.removeItem(atPath: filler)
        #expect(try curl([gateway.url + "/ready"]).status == 200)
        let after = try curl(["-X", "POST", gateway.url + "/v1/messages", "-H", "Authorization: Bearer key-shop", "--data-binary", Self.message])
        #expect(after.status == 202)
        try await poll("the messages taken, and the one after the disk had room again, are sent") { try await server.requests().count == 2 + taken }
        #expect(try await server.requests().count == 2 + taken, "nothing refused was sent")
    }

    @Test("1,000 idle SMTP sessions do not stop a new client from being served; a loopback session without AUTH is the loopback client")
    func idleSessions() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        let folder = try Self.project(server, smtp: """
                listen: 127.0.0.1:0
                allow_plain_auth: true
                max_connections: 2000
                loopback_client: blog
            """)
        defer { folder.remove() }
        let gateway = try GatewayProcess(folder: folder.path, smtpListeners: 1)
        defer { gateway.stop() }
        let port = String(gateway.smtpPorts[0])
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: Repository.python)
        holder.arguments = [Repository.support + "/gateway_peer.py", "idle", port, "1000"]
        let input = Pipe(), output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        try holder.run()
        defer {
            try? input.fileHandleForWriting.close()
            if !exits(holder, within: 10) { holder.terminate() }
        }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            line += byte
        }
        let ready = String(decoding: line, as: UTF8.self)
        #expect(ready.hasPrefix("READY 1000"), "every idle session was greeted: \(ready)")
        let sent = try Self.peer(["send", port, "--user", "shop", "--password", "pw-shop"])
        #expect(sent["data"] == 250, "\(sent)")
        #expect(try curl([gateway.url + "/health"]).status == 200)
        // A local program that does not log in submits as the loopback client.
        let anonymous = try Self.peer(["send", port])
        #expect(anonymous["data"] == 250, "\(anonymous)")
    }

    @Test("A session silent past the command timeout, or inside DATA past the data timeout, is closed with 421 4.4.2")
    func timeouts() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try Self.project(server, smtp: """
                listen: 127.0.0.1:0
                loopback_client: blog
                command_timeout: 1s
                data_timeout: 2s
            """)
        defer { folder.remove() }
        let gateway = try GatewayProcess(folder: folder.path, smtpListeners: 1)
        defer { gateway.stop() }
        let port = String(gateway.smtpPorts[0])
        let idle = try Self.peer(["silent", port])["lines"].arrayValue?.map(\.text) ?? []
        #expect(idle.first?.hasPrefix("220 ") == true && idle.last?.hasPrefix("421 4.4.2") == true, "\(idle)")
        let inData = try Self.peer(["silent", port, "data"])["lines"].arrayValue?.map(\.text) ?? []
        #expect(inData.contains { $0.hasPrefix("354 ") } && inData.last?.hasPrefix("421 4.4.2") == true && inData.last?.contains("2 s") == true, "\(inData)")
        #expect(try await server.requests().isEmpty, "nothing half-received is queued")
    }

    @Test("carrier serve --check and carrier clients add")
    func checkAndClients() throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let folder = try Self.project(server)
        defer { folder.remove() }
        let check = try carrier(["serve", "--check", "--config", folder.path + "/carrier.yaml"])
        #expect(check.status == 0 && check.stdout.contains("2 clients: blog, shop"), "\(check.stdout)\(check.stderr)")
        try "accounts:\n  mt: {provider: mailtrap, credentials: {api_token: x}}\nserve:\n  smtp: {listen: 0.0.0.0:2525}\nclients:\n  a: {api_key_sha256: abc}\n"
            .write(toFile: folder.path + "/bad.yaml", atomically: true, encoding: .utf8)
        let bad = try carrier(["serve", "--check", "--config", folder.path + "/bad.yaml"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.yaml:4:") && bad.stderr.contains("not on loopback"), "\(bad.stderr)")
        #expect(bad.stderr.contains("bad.yaml:6:") && bad.stderr.contains("64 hexadecimal digits"), "\(bad.stderr)")

        let added = try carrier(["clients", "add", "shop", "--smtp"])
        #expect(added.status == 0)
        let key = try #require(added.stdout.split(separator: "\n").first { $0.hasPrefix("api_key: ") }).dropFirst("api_key: ".count)
        #expect(added.stderr.contains(Digest.hex(Digest.sha256(Array(key.utf8)))), "the line holds the key's hash")
        #expect(!added.stderr.contains(key), "the key itself is printed once, on standard output")
    }
}

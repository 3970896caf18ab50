import Carrier
import Foundation
import Testing

/// Providers whose requests are signed (issue 10): Amazon SES with AWS Signature Version 4,
/// recomputed by botocore; its SMTP password, derived as AWS documents and recomputed with
/// Python's hmac; Azure Communication Services' HMAC-SHA256, recomputed with Python's hmac.
@Suite("Signed requests", .serialized)
struct SigningProviderTests {
    static let accessKey = "AKIAIOSFODNN7EXAMPLE", secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    /// Sends the reference message through one account at the capture server; returns the request.
    static func captured(provider: String, credentials: String, settings: String = "{}", answer: Value) async throws -> (Receipt, CaptureServer.Request, String) {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [answer]])
        let config = try Fixtures.configuration(provider: provider, endpoint: server.url, credentials: credentials, settings: settings)
        let receipt = try await Mailer(configuration: config, registry: Fixtures.registry()).send(Fixtures.referenceMessage())
        return (receipt, try #require(try await server.requests().first), server.url)
    }

    @Test("SES: the SigV4 signature is the one botocore computes for the same request")
    func sesSignatureMatchesBotocore() async throws {
        let (receipt, request, base) = try await Self.captured(
            provider: "ses", credentials: "{access_key_id: \(Self.accessKey), secret_access_key: \(Self.secretKey), session_token: FwoGZXIvYXdzEXAMPLE}",
            settings: "{region: eu-west-1}", answer: Answer.json(200, .object(["MessageId": "0102-ses-id"])))
        #expect(receipt.messageIDs == ["0102-ses-id"])
        #expect(request.path == "/v2/email/outbound-emails")
        #expect(request.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=\(Self.accessKey)/") == true)
        #expect(request.header("Authorization")?.contains("/eu-west-1/ses/aws4_request") == true)
        let check: Value = .object([
            "method": .string(request.method), "url": .string(base + request.path),
            "headers": .array(request.headers.map { .array([.string($0.0), .string($0.1)]) }),
            "body_b64": .string(request.body.base64EncodedString()), "access_key": .string(Self.accessKey),
            "secret_key": .string(Self.secretKey), "session_token": "FwoGZXIvYXdzEXAMPLE", "region": "eu-west-1", "service": "ses",
        ])
        let result = try Fixtures.python("check_sigv4.py", input: Data(JSONWriter.string(check).utf8))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // The raw message is the MIME message Carrier writes, and the body matches SES v2's model.
        let raw = try #require(Data(base64Encoded: request.json["Content"]["Raw"]["Data"].text))
        let parsed = try Fixtures.parseMIME(raw)
        #expect(parsed["headers"]["X-Order-Id"] == "1234")
        #expect(parsed["headers"]["X-Carrier-Tags"] == "order-confirmation")
        #expect(request.json["Destination"]["BccAddresses"] == ["dave@example.com"])
        let model = try Fixtures.python("check_ses_model.py", [Repository.spec("ses-v2-service-2.json"), "SendEmail"], input: request.body)
        #expect(model.status == 0, "\(model.stdout)\(model.stderr)")
    }

    @Test("SES: requests on two days, and to two regions, from one mailer each carry botocore's signature (signing keys are derived once and kept)")
    func sesSigningKeysPerDayAndRegion() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["MessageId": "0102-ses-id"]))]])
        let clock = ManualClock(now: WallTime(secondsSince1970: 1_800_000_000))
        let registry = Fixtures.registry()  // one provider file, so one scheme and its keys, for both regions
        var checked: [String] = []
        for region in ["eu-west-1", "us-east-1"] {
            let config = try Fixtures.configuration(provider: "ses", endpoint: server.url,
                                                    credentials: "{access_key_id: \(Self.accessKey), secret_access_key: \(Self.secretKey)}",
                                                    settings: "{region: \(region)}")
            let mailer = Mailer(configuration: config, registry: registry, runtime: CarrierRuntime(clock: clock))
            for _ in 0..<3 {
                // Twice a day: the second is signed with the key the first derived.
                _ = try await mailer.send(Fixtures.referenceMessage())
                _ = try await mailer.send(Fixtures.referenceMessage())
                clock.advance(by: .seconds(86_400))
            }
            for request in try await server.requests().dropFirst(checked.count) {
                let check: Value = .object([
                    "method": .string(request.method), "url": .string(server.url + request.path),
                    "headers": .array(request.headers.map { .array([.string($0.0), .string($0.1)]) }),
                    "body_b64": .string(request.body.base64EncodedString()), "access_key": .string(Self.accessKey),
                    "secret_key": .string(Self.secretKey), "region": .string(region), "service": "ses",
                ])
                let result = try Fixtures.python("check_sigv4.py", input: Data(JSONWriter.string(check).utf8))
                #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
                checked.append(request.header("X-Amz-Date") ?? "")
            }
        }
        // Twelve requests, two on each of three days in each region.
        #expect(checked.count == 12)
        #expect(Set(checked.map { String($0.prefix(8)) }).count == 6)
    }

    @Test("SES: the SMTP password is derived from the secret key, as AWS's own algorithm gives it")
    func sesSMTPPasswordIsDerived() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "accounts:\n  ses: {provider: ses, channel: smtp, credentials: {access_key_id: \(Self.accessKey), secret_access_key: \(Self.secretKey)}, settings: {region: eu-west-1}}\n"
            .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        let rendered = try carrier(["render", "--show-secrets", Repository.example("order-confirmation.json")], directory: folder.path)
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let shown = try JSONParser.parse(rendered.stdout)
        let script = """
            import base64, hmac, hashlib, sys
            def sign(key, msg): return hmac.new(key, msg.encode(), hashlib.sha256).digest()
            k = sign(("AWS4" + sys.argv[1]).encode(), "11111111")
            for part in [sys.argv[2], "ses", "aws4_request", "SendRawEmail"]: k = sign(k, part)
            print(base64.b64encode(bytes([0x04]) + k).decode())
            """
        let expected = try run(Repository.python, ["-c", script, Self.secretKey, "eu-west-1"])
        #expect(shown["password"].text == expected.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(shown["username"] == .string(Self.accessKey))
        #expect(shown["host"] == "email-smtp.eu-west-1.amazonaws.com")
        let hidden = try carrier(["render", Repository.example("order-confirmation.json")], directory: folder.path)
        #expect(!hidden.stdout.contains(shown["password"].text))
    }

    @Test("Azure: the HMAC-SHA256 signature is the one Python's hmac computes from the request as received")
    func azureSignatureMatchesPython() async throws {
        var message = try Fixtures.referenceWithoutInline()
        message.messageID = nil
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(202, .object(["id": "op-1", "status": "Running"]))]])
        let key = Data("azure-test-access-key".utf8).base64EncodedString()
        let config = try Fixtures.configuration(provider: "azure", endpoint: server.url, credentials: "{access_key: \(key)}",
                                                settings: "{host: contoso.communication.azure.com}")
        let receipt = try await Mailer(configuration: config, registry: Fixtures.registry()).send(message)
        #expect(receipt.messageIDs == ["op-1"])
        #expect(receipt.value["accepted_for_later"] == true)
        let request = try #require(try await server.requests().first)
        let host = String(server.url.dropFirst("http://".count))
        let script = """
            import base64, hashlib, hmac, sys
            key, method, path, date, host, body_b64 = sys.argv[1:7]
            body = base64.b64decode(body_b64)
            content = base64.b64encode(hashlib.sha256(body).digest()).decode()
            to_sign = f"{method}\\n{path}\\n{date};{host};{content}"
            sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
            print(content)
            print(f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={sig}")
            """
        let expected = try run(Repository.python, ["-c", script, key, request.method, request.path, request.header("x-ms-date") ?? "", host,
                                                     request.body.base64EncodedString()])
        let lines = expected.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(expected.stderr)")
        #expect(request.header("x-ms-content-sha256") == lines.first)
        #expect(request.header("Authorization") == lines.last)
        #expect(request.path == "/emails:send?api-version=2025-09-01")
        let spec = try Fixtures.python("check_spec.py", [Repository.spec("azure-communication-email-2025-09-01.json"), "/emails:send", "post"],
                                       input: request.body)
        #expect(spec.status == 0, "\(spec.stdout)\(spec.stderr)")
    }

    @Test("Microsoft Graph: a client-credentials token from the overridden token URL, then sendMail, accepted for later")
    func graphClientCredentials() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script([
            "/tenant-1/oauth2/v2.0/token": [Answer.json(200, .object(["access_token": "eyJ0eXAi.graph-token", "expires_in": 3599, "token_type": "Bearer"]))],
            "*": [Answer.text(202, "")],
        ])
        let config = try Fixtures.configuration(provider: "msgraph", endpoint: server.url,
                                                credentials: "{tenant_id: tenant-1, client_id: app-1, client_secret: app-secret-1}",
                                                settings: "{user: orders@shop.example.com}")
        let receipt = try await Mailer(configuration: config, registry: Fixtures.registry())
            .send(Fixtures.referenceMessage())
        #expect(receipt.status == .sent && receipt.messageIDs.isEmpty)
        #expect(receipt.value["accepted_for_later"] == true)
        #expect(receipt.attempts.last?.dropped == ["text part (msgraph carries one body: the HTML)"])
        let requests = try await server.requests()
        let token = try #require(requests.first { $0.path.hasSuffix("/token") })
        #expect(token.text.contains("grant_type=client_credentials"))
        #expect(token.text.contains("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"))
        #expect(token.text.contains("client_id=app-1"))
        let send = try #require(requests.first { $0.path.hasSuffix("/sendMail") })
        #expect(send.path == "/v1.0/users/orders%40shop.example.com/sendMail")
        #expect(send.header("Authorization") == "Bearer eyJ0eXAi.graph-token")
        #expect(send.json["message"]["attachments"][1]["contentId"] == "logo123")
        #expect(send.json["message"]["internetMessageHeaders"][0] == .object(["name": "X-Order-Id", "value": "1234"]))
    }
}

/// Amazon SES end to end: moto's SES server (the AWS SDK's own mock of the service) accepts
/// Carrier's signed SendEmail, and the raw message it stored parses as MIME.
@Suite("Amazon SES against moto", .serialized,
       .enabled(if: Peers.moto, "needs moto in .build/test-venv: make test-deps installs it"))
struct SESMotoTests {
    @Test("SendEmail reaches moto's SES, which stores the raw message for every recipient")
    func sendThroughMoto() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let moto = try BackgroundServer(script: "moto_ses.py", arguments: [folder.path + "/sent"], python: Repository.venvPython)
        defer { moto.stop() }
        let config = try Fixtures.configuration(provider: "ses", endpoint: "http://127.0.0.1:\(moto.port)",
                                                credentials: "{access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key: testing}",
                                                settings: "{region: us-east-1}")
        let receipt = try await Mailer(configuration: config, registry: Fixtures.registry()).send(Fixtures.referenceMessage())
        #expect(receipt.status == .sent)
        let id = try #require(receipt.messageIDs.first)
        try? await poll("moto to store the message") { FileManager.default.fileExists(atPath: folder.path + "/sent/0001.json") }
        let stored = try JSONParser.parse(Array(FileManager.default.contents(atPath: folder.path + "/sent/0001.json") ?? Data()))
        #expect(stored["id"] == .string(id))
        #expect(stored["source"] == "orders@shop.example.com")
        let destinations = (stored["destinations"].arrayValue ?? []).map(\.text)
        #expect(["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"].allSatisfy(destinations.contains))
        let parsed = try Fixtures.parseMIME(try #require(Data(base64Encoded: stored["raw_b64"].text)))
        #expect(parsed["headers"]["Subject"] == "Your order #1234 — merci ✓")
        #expect(parsed["defects"] == [])
    }
}

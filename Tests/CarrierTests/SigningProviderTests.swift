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
}

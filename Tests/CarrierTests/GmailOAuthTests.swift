import Carrier
import Foundation
import Testing

/// Gmail: the refresh-token exchange goes to the (overridden) token URL, the token is reused while
/// valid, and `raw` decodes to a MIME message Python's parser reads without defects.
@Suite("Gmail API with OAuth2", .serialized)
struct GmailOAuthTests {
    @Test func refreshTokenGrantThenRawMIME() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script([
            "/token": [Answer.json(200, .object(["access_token": "ya29.token-one", "expires_in": 3599, "token_type": "Bearer"]))],
            "/gmail/v1/users/me/messages/send": [Answer.json(200, .object(["id": "18c-1", "threadId": "18c-1", "labelIds": ["SENT"]])),
                                                 Answer.json(200, .object(["id": "18c-2", "threadId": "18c-2", "labelIds": ["SENT"]]))],
        ])
        let configuration = try Fixtures.configuration(provider: "gmail", endpoint: server.url,
            credentials: "{client_id: cid.apps.googleusercontent.com, client_secret: cs-secret-1, refresh_token: 1//rt-secret}")
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry())
        let tokens = mailer.runtime.tokens
        let first = try await mailer.send(Fixtures.referenceMessage())
        let second = try await mailer.send(Fixtures.referenceMessage())
        #expect(first.messageIDs == ["18c-1"])
        #expect(second.messageIDs == ["18c-2"])

        let requests = try await server.requests()
        let tokenRequests = requests.filter { $0.path == "/token" }
        #expect(tokenRequests.count == 1, "the token must be reused while valid")
        #expect(await tokens.exchanges == 1)
        let form = tokenRequests[0].text
        #expect(form.contains("grant_type=refresh_token"))
        #expect(form.contains("refresh_token=1%2F%2Frt-secret"))
        #expect(form.contains("client_id=cid.apps.googleusercontent.com"))

        let sends = requests.filter { $0.path.hasSuffix("/messages/send") }
        #expect(sends.count == 2)
        #expect(sends.allSatisfy { $0.header("Authorization") == "Bearer ya29.token-one" })
        let raw = try #require(sends[0].json["raw"].stringValue)
        #expect(!raw.contains("+") && !raw.contains("/"), "raw must be base64url")
        let mime = try #require(Data(base64Encoded: raw.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")))
        let parsed = try Fixtures.parseMIME(mime)
        #expect(parsed["defects"] == [])
        #expect((parsed["parts"].arrayValue ?? []).allSatisfy { $0["defects"] == [] })
        #expect(parsed["headers"]["Subject"] == "Your order #1234 — merci ✓")
        #expect(parsed["headers"]["Bcc"] == "dave@example.com", "Gmail reads Bcc from the header")
        #expect(parsed["headers"]["X-Carrier-Tags"] == "order-confirmation")
        #expect(parsed["bare_lf"] == false)
    }

    @Test func serviceAccountJWTGrantIsSignedRS256() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-sa-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keyPath = directory + "/key.pem", publicPath = directory + "/pub.pem"
        #expect(try run("/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keyPath]).status == 0)
        #expect(try run("/usr/bin/openssl", ["pkey", "-in", keyPath, "-pubout", "-out", publicPath]).status == 0)
        let pem = try String(contentsOfFile: keyPath, encoding: .utf8)
        let keyFile: Value = .object(["type": "service_account", "client_email": "mailer@project.iam.gserviceaccount.com", "private_key": .string(pem)])
        try JSONWriter.string(keyFile).write(toFile: directory + "/sa.json", atomically: true, encoding: .utf8)

        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script([
            "/token": [Answer.json(200, .object(["access_token": "ya29.sa", "expires_in": 3599]))],
            "*": [Answer.json(200, .object(["id": "18c-sa"]))],
        ])
        let configuration = try Fixtures.configuration(provider: "gmail", endpoint: server.url,
            credentials: "{service_account: {file: \(directory)/sa.json}}", settings: "{user: orders@shop.example.com}")
        let receipt = try await Mailer(configuration: configuration, registry: Fixtures.registry())
            .send(Fixtures.referenceMessage())
        #expect(receipt.messageIDs == ["18c-sa"])
        let requests = try await server.requests()
        #expect(requests.last?.path == "/gmail/v1/users/orders%40shop.example.com/messages/send")
        let form = try #require(requests.first { $0.path == "/token" }).text
        #expect(form.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"))
        let assertion = try #require(form.components(separatedBy: "assertion=").last?.removingPercentEncoding)
        let pieces = assertion.split(separator: ".").map(String.init)
        #expect(pieces.count == 3)
        func decode(_ s: String) -> Data {
            var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while t.count % 4 != 0 { t += "=" }
            return Data(base64Encoded: t) ?? Data()
        }
        let claims = try JSONParser.parse(Array(decode(pieces[1])))
        #expect(claims["iss"] == "mailer@project.iam.gserviceaccount.com")
        #expect(claims["sub"] == "orders@shop.example.com")
        #expect(claims["scope"] == "https://www.googleapis.com/auth/gmail.send")
        // Verify the signature with openssl, independently of our signer.
        try decode(pieces[2]).write(to: URL(fileURLWithPath: directory + "/sig"))
        try Data((pieces[0] + "." + pieces[1]).utf8).write(to: URL(fileURLWithPath: directory + "/input"))
        let verify = try run("/usr/bin/openssl", ["dgst", "-sha256", "-verify", publicPath, "-signature", directory + "/sig", directory + "/input"])
        #expect(verify.stdout.contains("Verified OK"))
    }

    @Test func refusedTokenFailsOverWithoutLeakingTheSecret() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["/token": [Answer.json(400, .object(["error": "invalid_grant", "error_description": "Token has been expired or revoked."]))]])
        let configuration = try Fixtures.configuration(provider: "gmail", endpoint: server.url,
            credentials: "{client_id: cid, client_secret: cs-secret-2, refresh_token: 1//rt-secret-2}")
        do {
            try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(Fixtures.referenceMessage())
            Issue.record("sent without a token")
        } catch CarrierError.notSent(let receipt) {
            let attempt = try #require(receipt.attempts.first)
            #expect(attempt.errorClass == .failover)
            #expect(attempt.error?.contains("invalid_grant") == true)
            #expect(!(attempt.error ?? "").contains("rt-secret-2"))
        }
        #expect(try await server.requests().filter { $0.path.hasSuffix("/send") }.isEmpty)
    }
}

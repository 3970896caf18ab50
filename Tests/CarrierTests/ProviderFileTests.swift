import Carrier
import Foundation
import Logging
import Testing

/// What a new user writing provider files could not express or find: answers that list only the
/// refused recipients, successes without an id, and a file whose id is not its name.
@Suite("Provider files: rules that read the message, lint")
struct ProviderFileTests {
    @Test("SocketLabs' refusals-only Warning: the others were sent, the receipt is partial with the message's own id (exit 1, the refused named)")
    func socketLabsPartial() async throws {
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script(["*": [Answer.json(200, .object([
            "ErrorCode": "Warning", "TransactionReceipt": .null,
            "MessageResults": [.object(["Index": 0, "ErrorCode": "Warning",
                                        "AddressResults": [.object(["EmailAddress": "gone@example.com", "Accepted": false, "ErrorCode": "InvalidAddress"])]])],
        ]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "accounts:\n  sl: {provider: socketlabs, endpoint: \"\(capture.url)\", credentials: {server_id: \"12345\", api_key: sl-key-1234}}\n"
            .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        try #"{"from": "a@shop.example.com", "to": ["ann@example.com", "gone@example.com"], "subject": "Hi", "text": "t", "message_id": "hi-9@shop.example.com"}"#
            .write(toFile: folder.path + "/m.json", atomically: true, encoding: .utf8)
        let result = try carrier(["send", "--json", "--config", folder.path + "/carrier.yaml", folder.path + "/m.json"])
        let receipt = try JSONParser.parse(result.stdout)
        #expect(result.status == 1 && result.stderr.contains("refused for good: gone@example.com (refused: InvalidAddress)"), "\(result.stderr)")
        #expect(receipt["status"] == "partial" && receipt["message_ids"] == ["hi-9@shop.example.com"], "\(result.stdout)")
        #expect(receipt["recipients"] == [.object(["email": "ann@example.com", "status": "sent"]),
                                          .object(["email": "gone@example.com", "status": "refused", "error": "InvalidAddress"])])
        let body = try JSONParser.parse(Array(try #require(try await capture.requests().first).body))
        #expect(body["Messages"][0]["MessageId"] == "hi-9@shop.example.com" && body["ServerId"] == 12345)
    }

    @Test("templates: required (Loops): a message without a template is refused before any request, and the route moves on")
    func templatesRequired() async throws {
        let capture = try CaptureServer()
        defer { capture.stop() }
        try await capture.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-1"]]))]])
        let configuration = try Configuration.parse("""
            accounts:
              loops: {provider: loops, endpoint: "\(capture.url)", credentials: {api_key: loops-key-1234}}
              mt: {provider: mailtrap, endpoint: "\(capture.url)", credentials: {api_token: tok-123456}}
            routes:
              default: {accounts: [loops, mt], retry: {attempts: 1}}
            """, file: "carrier.yaml")
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry(), logger: .silent)
        var plain = Message(from: Address(email: "a@shop.example.com"), to: [Address(email: "ann@example.com")], subject: "Hi", text: "t")
        let receipt = try await mailer.send(plain)
        #expect(receipt.account == "mt" && receipt.attempts.first?.error == "loops sends stored templates only; the message has no template",
                "\(receipt.attempts)")
        plain.template = Message.ProviderTemplate(id: "clfq6dinn000yl70fgwwyp82l", variables: ["name": "Ann"])
        plain.messageID = "t-1@shop.example.com"
        let templated = try await mailer.send(plain)
        #expect(templated.account == "loops" && templated.messageIDs == ["t-1@shop.example.com"], "\(templated.attempts)")
        let bodies = try await capture.requests().map { try JSONParser.parse(Array($0.body)) }
        #expect(bodies.count == 2 && bodies[1]["transactionalId"] == "clfq6dinn000yl70fgwwyp82l" && bodies[1]["email"] == "ann@example.com")
    }

    @Test("lint refuses a file whose id is not its name (it would never load) and says the examples were not run")
    func lintChecksTheID() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let text = try String(contentsOfFile: Repository.providers + "/postmark.yaml", encoding: .utf8)
        try text.write(toFile: folder.path + "/postmark-eu.yaml", atomically: true, encoding: .utf8)
        let wrong = try carrier(["providers", "lint", folder.path + "/postmark-eu.yaml"])
        #expect(wrong.status == 2 && wrong.stderr.contains("the id 'postmark' is not the file's name 'postmark-eu'"), "\(wrong.stderr)")
        let right = try carrier(["providers", "lint", Repository.providers + "/postmark.yaml"])
        #expect(right.status == 0 && right.stdout.contains("not run here: carrier providers test runs them"), "\(right.stdout)")
    }
}

@testable import Carrier
import Foundation
import Testing

/// The eighteen providers of issue 10 over real HTTP: the reference message goes to the capture
/// server through each provider's account, answered with the success the provider file documents;
/// the receipt must carry the ids the file expects, the request must go where the file says, and
/// where an official spec is vendored the body must validate against it.
@Suite("Providers over HTTP: every endpoint and its documented answers", .serialized)
struct ProviderEndpointTests {
    static let providers = ["postmark", "sparkpost", "brevo", "resend", "mailersend", "mandrill", "elasticemail", "smtp2go", "zeptomail",
                            "mailpace", "postal", "scaleway", "infobip", "sweego", "unisender", "ses", "azure", "msgraph"]

    /// Specs and the path of the send operation; Mandrill's published spec closes `additionalProperties`
    /// inside an `allOf`, which no body can pass (Tests/Specs/README.md), so that quirk is named.
    static let specs: [String: (file: String, path: String, quirks: [String])] = [
        "resend": ("resend-openapi.json", "/emails", []),
        "brevo": ("brevo-v3-swagger.yaml", "/smtp/email", []),
        "mandrill": ("mailchimp-transactional-openapi.json", "/messages/send", ["--allof-open"]),
        "elasticemail": ("elasticemail-v4-openapi.yaml", "/emails/transactional", []),
        "azure": ("azure-communication-email-2025-09-01.json", "/emails:send", []),
    ]

    /// The token endpoint (after `endpoint:`) of providers that fetch an OAuth2 token first.
    static let tokenPaths = ["msgraph": "/t1/oauth2/v2.0/token"]

    @Test("The reference message reaches each provider's endpoint and the documented success is read", arguments: providers)
    func referenceMessage(_ id: String) async throws {
        let registry = Fixtures.registry()
        let definition = try registry.definition(id)
        let example = try #require(definition.examples.first { $0.response != nil && $0.channel == .api && $0.expect?["outcome"] == "sent" },
                                   "\(id) documents no successful answer")
        let server = try CaptureServer()
        defer { server.stop() }
        let response = try #require(example.response)
        var answers: [String: [Value]] = ["*": [.object(["status": response["status"], "headers": response["headers"].isNull ? .object([:]) : response["headers"],
                                                         "body": response["body"]])]]
        if let token = Self.tokenPaths[id] {
            answers[token] = [Answer.json(200, .object(["access_token": "test-access-token", "expires_in": 3599, "token_type": "Bearer"]))]
        }
        try await server.script(answers)
        let credentials = JSONWriter.string(example.credentials.isNull ? .object([:]) : example.credentials)
        let settings = JSONWriter.string(example.settings.isNull ? .object([:]) : example.settings)
        let config = try Fixtures.configuration(provider: id, endpoint: server.url, credentials: credentials, settings: settings,
                                                extra: "routes:\n  default: {accounts: [test], ignore_unsupported: true}")
        let mailer = Mailer(configuration: config, registry: registry)
        let receipt = try await mailer.send(Fixtures.referenceMessage())
        #expect(receipt.status == .sent || receipt.status == .partial, "\(id): \(receipt.failureSummary)")
        #expect(receipt.messageIDs == (example.expect?["message_ids"].arrayValue ?? []).map(\.text), "\(id)")
        let sends = try await server.requests().filter { !$0.path.hasSuffix("/token") }
        #expect(sends.count == 1, "\(id)")
        let request = try #require(sends.first)
        let documented = try #require(example.request?["url"].stringValue, "\(id): the example writes down its URL")
        #expect(request.path == Self.pathAndQuery(documented), "\(id) sent to \(request.path), its file says \(documented)")
        #expect(request.method == (example.request?["method"].stringValue ?? "POST"))
        if let spec = Self.specs[id] {
            let result = try Fixtures.python("check_spec.py", [Repository.spec(spec.file), spec.path, "post"] + spec.quirks, input: request.body)
            #expect(result.status == 0, "\(id) body does not match \(spec.file): \(result.stdout) \(result.stderr)")
        }
    }

    @Test("A provider that answers per recipient gives a partial receipt naming who did not get the message")
    func perRecipientResults() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .array([
            .object(["email": "alice@example.com", "status": "sent", "_id": "id-a", "reject_reason": .null]),
            .object(["email": "bob@example.com", "status": "rejected", "_id": "id-b", "reject_reason": "hard-bounce"]),
            .object(["email": "carol@example.com", "status": "queued", "_id": "id-c", "reject_reason": .null]),
            .object(["email": "dave@example.com", "status": "invalid", "reject_reason": .null]),
        ]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "spool: ./spool\naccounts:\n  md: {provider: mandrill, endpoint: \"\(server.url)\", credentials: {api_key: md-key-1}}\n"
            .write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        let result = try carrier(["send", "--json", Repository.example("order-confirmation.json")], directory: folder.path)
        #expect(result.status == 1, "partial is not a full success")
        let receipt = try JSONParser.parse(String(result.stdout))
        #expect(receipt["status"] == "partial")
        #expect(receipt["message_ids"] == ["id-a", "id-c"])
        let recipients = receipt["attempts"][0]["recipients"].arrayValue ?? []
        #expect(recipients.map { "\($0["email"].text) \($0["status"].text)" }
                == ["alice@example.com sent", "bob@example.com rejected", "carol@example.com queued", "dave@example.com invalid"])
        #expect(recipients[1]["error"] == "hard-bounce")
        #expect(result.stderr.contains("refused for good: bob@example.com (rejected: hard-bounce), dave@example.com (invalid)"), "\(result.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder.path + "/spool")) ?? []).isEmpty,
                "refused for good: nothing is kept to send again")
    }

    /// `/path?query` of a URL.
    static func pathAndQuery(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        return rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
    }
}

import Carrier
import Foundation
import Testing

/// Each provider's 400, 401, 429 (with Retry-After) and 500 answers give the right class, and the
/// error quotes the provider's own text.
@Suite("Failure classes per provider", .serialized)
struct ErrorClassificationTests {
    struct Case: Sendable, CustomStringConvertible {
        var provider: String
        var credentials: String
        var settings: String = "{}"
        var status: Int
        var answer: Value
        var expectedClass: ErrorClass
        var quote: String
        var description: String { "\(provider) \(status)" }
    }

    static let mailtrap = "{api_token: mt-token-1}", sendgrid = "{api_key: SG.k1}", mailgun = "{api_key: key-1}"
    static let mailjet = "{api_key: pub1, secret_key: priv1}", netcore = "{api_key: nc-key-1}"

    static let cases: [Case] = [
        Case(provider: "mailtrap", credentials: mailtrap, status: 400, answer: Answer.json(400, .object(["success": false, "errors": ["'subject' is required"]])), expectedClass: .permanent, quote: "'subject' is required"),
        Case(provider: "mailtrap", credentials: mailtrap, status: 401, answer: Answer.json(401, .object(["success": false, "errors": ["Unauthorized"]])), expectedClass: .failover, quote: "Unauthorized"),
        Case(provider: "mailtrap", credentials: mailtrap, status: 429, answer: Answer.json(429, .object(["success": false, "errors": ["Too many requests"]]), headers: ["Retry-After": "3"]), expectedClass: .rateLimited, quote: "Too many requests"),
        Case(provider: "mailtrap", credentials: mailtrap, status: 500, answer: Answer.json(500, .object(["success": false, "errors": ["Internal error, retry later"]])), expectedClass: .retry, quote: "Internal error, retry later"),
        Case(provider: "sendgrid", credentials: sendgrid, status: 400, answer: Answer.json(400, .object(["errors": .array([.object(["message": "Invalid from email", "field": "from.email"])])])), expectedClass: .permanent, quote: "Invalid from email"),
        Case(provider: "sendgrid", credentials: sendgrid, status: 401, answer: Answer.json(401, .object(["errors": .array([.object(["message": "authorization required"])])])), expectedClass: .failover, quote: "authorization required"),
        Case(provider: "sendgrid", credentials: sendgrid, status: 429, answer: Answer.json(429, .object(["errors": .array([.object(["message": "too many requests"])])]), headers: ["Retry-After": "3"]), expectedClass: .rateLimited, quote: "too many requests"),
        Case(provider: "sendgrid", credentials: sendgrid, status: 500, answer: Answer.json(500, .object(["errors": .array([.object(["message": "internal error"])])])), expectedClass: .retry, quote: "internal error"),
        Case(provider: "mailgun", credentials: mailgun, settings: "{domain: shop.example.com}", status: 400, answer: Answer.json(400, .object(["message": "'to' parameter is not a valid address. please check documentation"])), expectedClass: .permanent, quote: "'to' parameter is not a valid address"),
        Case(provider: "mailgun", credentials: mailgun, settings: "{domain: shop.example.com}", status: 401, answer: Answer.text(401, "Forbidden"), expectedClass: .failover, quote: "Forbidden"),
        Case(provider: "mailgun", credentials: mailgun, settings: "{domain: shop.example.com}", status: 429, answer: Answer.json(429, .object(["message": "Domain shop.example.com is not allowed to send: request limit exceeded, try again after 3 seconds"]), headers: ["Retry-After": "3"]), expectedClass: .rateLimited, quote: "request limit exceeded"),
        Case(provider: "mailgun", credentials: mailgun, settings: "{domain: shop.example.com}", status: 500, answer: Answer.text(500, "Internal Server Error"), expectedClass: .retry, quote: "Internal Server Error"),
        Case(provider: "mailjet", credentials: mailjet, status: 400, answer: Answer.json(400, .object(["Messages": .array([.object(["Status": "error", "Errors": .array([.object(["ErrorCode": "mj-0013", "ErrorMessage": "\"x\" is an invalid email address."])])])])])), expectedClass: .permanent, quote: "is an invalid email address"),
        Case(provider: "mailjet", credentials: mailjet, status: 401, answer: Answer.json(401, .object(["ErrorIdentifier": "x", "ErrorCode": "mj-0015", "ErrorMessage": "API key authentication/authorization failure", "StatusCode": 401])), expectedClass: .failover, quote: "API key authentication/authorization failure"),
        Case(provider: "mailjet", credentials: mailjet, status: 429, answer: Answer.text(429, "Rate limit exceeded", headers: ["Retry-After": "3"]), expectedClass: .rateLimited, quote: "Rate limit exceeded"),
        Case(provider: "mailjet", credentials: mailjet, status: 500, answer: Answer.json(500, .object(["ErrorIdentifier": "y", "ErrorMessage": "Internal Server Error", "StatusCode": 500])), expectedClass: .retry, quote: "Internal Server Error"),
        Case(provider: "netcore", credentials: netcore, status: 400, answer: Answer.json(400, .object(["status": "error", "error": .array([.object(["message": "Invalid from address", "field": "from"])])])), expectedClass: .permanent, quote: "Invalid from address"),
        Case(provider: "netcore", credentials: netcore, status: 401, answer: Answer.json(401, .object(["status": "error", "error": .array([.object(["message": "Invalid API key"])])])), expectedClass: .failover, quote: "Invalid API key"),
        Case(provider: "netcore", credentials: netcore, status: 429, answer: Answer.json(429, .object(["status": "error", "message": "API call limit exceeded"]), headers: ["Retry-After": "3"]), expectedClass: .rateLimited, quote: "API call limit exceeded"),
        Case(provider: "netcore", credentials: netcore, status: 500, answer: Answer.text(500, "upstream failure"), expectedClass: .retry, quote: "upstream failure"),
    ]

    @Test(arguments: cases)
    func classifies(_ c: Case) async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [c.answer]])
        let configuration = try Fixtures.configuration(provider: c.provider, endpoint: server.url, credentials: c.credentials, settings: c.settings)
        let message = try Message.parse(#"{"from":"a@shop.example.com","to":["b@example.com"],"subject":"Hi","html":"<p>Hi</p>"}"#)
        do {
            try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(message)
            Issue.record("\(c) was reported as sent")
        } catch CarrierError.notSent(let receipt) {
            let attempt = try #require(receipt.attempts.first)
            #expect(attempt.status == c.status)
            #expect(attempt.errorClass == c.expectedClass)
            #expect(attempt.error?.contains(c.quote) == true, "error '\(attempt.error ?? "")' does not quote '\(c.quote)'")
            if c.status == 429 { #expect(attempt.retryAfter == 3) }
        }
    }

    @Test func connectionRefusedIsRetryAndNothingIsSent() async throws {
        let server = try CaptureServer()
        let url = server.url
        server.stop()  // the port is now closed
        let configuration = try Fixtures.configuration(provider: "sendgrid", endpoint: url, credentials: "{api_key: SG.k1}")
        let message = try Fixtures.referenceMessage()
        await #expect {
            try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(message)
        } throws: { error in
            guard case CarrierError.notSent(let receipt) = error else { return false }
            return receipt.attempts.first?.errorClass == .retry && receipt.attempts.first?.error?.hasPrefix("connect") == true
        }
    }

    @Test func connectionDroppedAfterTheRequestIsAmbiguous() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [.object(["drop": true])]])
        let configuration = try Fixtures.configuration(provider: "sendgrid", endpoint: server.url, credentials: "{api_key: SG.k1}")
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry())
        let receipt = try #require(await notSent { try await mailer.send(try Fixtures.referenceMessage()) })
        #expect(receipt.attempts.first?.errorClass == .ambiguous)
        #expect(receipt.attempts.first?.error?.hasPrefix("dropped") == true)
        #expect(receipt.possibleDuplicate)
        // It reached the server before the server hung up (libcurl may replay it once when the
        // dropped connection was a reused one, which is exactly why the class is ambiguous).
        #expect(try await server.requests().count >= 1)
    }

    @Test func slowAnswerAfterTheRequestIsAmbiguous() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [.object(["status": 202, "delay": 3])]])
        let configuration = try Configuration.parse("""
            accounts:
              test: {provider: sendgrid, endpoint: "\(server.url)", credentials: {api_key: SG.k1}, timeout: {total: 1}}
            """, file: "t.yaml")
        await #expect {
            try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(try Fixtures.referenceMessage())
        } throws: { error in
            guard case CarrierError.notSent(let receipt) = error else { return false }
            return receipt.attempts.first?.errorClass == .ambiguous
        }
    }
}

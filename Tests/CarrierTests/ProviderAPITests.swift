import Carrier
import Foundation
import Testing

/// Each seed provider sends the reference message to a local capture server as that provider
/// documents it, and the receipt carries the id from the provider's answer.
@Suite("Providers over HTTP: requests checked against the official API specs", .serialized)
struct ProviderAPITests {
    func send(_ provider: String, credentials: String, settings: String = "{}", message: Message,
              answer: Value) async throws -> (Receipt, CaptureServer.Request) {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [answer]])
        let configuration = try Fixtures.configuration(provider: provider, endpoint: server.url, credentials: credentials, settings: settings)
        let mailer = Mailer(configuration: configuration, registry: Fixtures.registry())
        let receipt = try await mailer.send(message)
        let requests = try await server.requests()
        #expect(requests.count == 1)
        return (receipt, try #require(requests.first))
    }

    /// Validates a body against an official spec; `quirks` name the spec bugs documented in check_spec.py.
    func specCheck(_ spec: String, path: String, body: Data, quirks: [String] = []) throws {
        let result = try Fixtures.python("check_spec.py", [Repository.spec(spec), path, "post"] + quirks, input: body)
        #expect(result.status == 0, "request body does not match \(spec): \(result.stdout) \(result.stderr)")
    }

    @Test func sendgrid() async throws {
        let (receipt, request) = try await send("sendgrid", credentials: "{api_key: SG.k1}", message: Fixtures.referenceMessage(),
                                                answer: Answer.text(202, "", headers: ["X-Message-Id": "sg-abc123"]))
        #expect(request.method == "POST")
        #expect(request.path == "/v3/mail/send")
        #expect(request.header("Authorization") == "Bearer SG.k1")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("User-Agent")?.hasPrefix("carrier/") == true)
        let body = request.json
        let p = body["personalizations"][0]
        #expect(p["to"] == .array([.object(["email": "alice@example.com", "name": "Alice Able"]),
                                   .object(["email": "bob@example.com", "name": "Bob Bäcker"])]))
        #expect(p["cc"][0]["email"] == "carol@example.com")
        #expect(p["bcc"][0] == .object(["email": "dave@example.com"]))
        #expect(body["reply_to_list"][0]["email"] == "support@shop.example.com")
        #expect(body["subject"] == "Your order #1234 — merci ✓")
        #expect(body["content"][0] == .object(["type": "text/plain", "value": "Thanks for your order."]))
        #expect(body["content"][1]["type"] == "text/html")
        #expect(body["attachments"][0]["filename"] == "invoice.pdf")
        #expect(body["attachments"][1]["content_id"] == "logo123")
        #expect(body["attachments"][1]["disposition"] == "inline")
        #expect(body["headers"]["X-Order-Id"] == "1234")
        #expect(body["categories"] == ["order-confirmation"])
        #expect(body["custom_args"] == .object(["order_id": "1234", "customer_id": "42"]))
        try specCheck("sendgrid-tsg_mail_v3.yaml", path: "/v3/mail/send", body: request.body,
                      quirks: ["--set", #"custom_args={"type":"object","additionalProperties":{"type":"string"}}"#])
        #expect(receipt.status == .sent)
        #expect(receipt.messageIDs == ["sg-abc123"])
        #expect(receipt.provider == "sendgrid")
    }

    @Test func mailtrap() async throws {
        let ids: Value = ["id-1", "id-2", "id-3", "id-4"]
        let (receipt, request) = try await send("mailtrap", credentials: "{api_token: mt-token-1}", message: Fixtures.referenceMessage(),
                                                answer: Answer.json(200, .object(["success": true, "message_ids": ids])))
        #expect(request.path == "/api/send")
        #expect(request.header("Api-Token") == "mt-token-1")
        let body = request.json
        #expect(body["from"] == .object(["email": "orders@shop.example.com", "name": "Example Shop"]))
        #expect(body["to"][1]["name"] == "Bob Bäcker")
        #expect(body["bcc"] == .array([.object(["email": "dave@example.com"])]))
        #expect(body["reply_to"]["email"] == "support@shop.example.com")
        #expect(body["category"] == "order-confirmation")
        #expect(body["custom_variables"]["customer_id"] == "42")
        #expect(body["attachments"][1]["content_id"] == "logo123")
        #expect(body["headers"]["X-Order-Id"] == "1234")
        try specCheck("mailtrap-email-sending-transactional.openapi.yml", path: "/api/send", body: request.body,
                      quirks: ["--oneof-as-anyof"])
        #expect(receipt.messageIDs == ["id-1", "id-2", "id-3", "id-4"])
    }

    @Test func mailtrapBulkAndSandboxStreams() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["x"]]))]])
        for (stream, path) in [("bulk", "/api/send"), ("sandbox", "/api/send/777")] {
            let configuration = try Fixtures.configuration(provider: "mailtrap", endpoint: server.url, credentials: "{api_token: t1234}",
                                                           settings: "{stream: \(stream), sandbox_id: 777}")
            try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(Fixtures.referenceMessage())
            #expect(try await server.requests().last?.path == path)
        }
    }

    @Test func mailgun() async throws {
        let (receipt, request) = try await send("mailgun", credentials: "{api_key: key-1}", settings: "{domain: shop.example.com}",
                                                message: Fixtures.referenceMessage(),
                                                answer: Answer.json(200, .object(["id": "<2011.1@shop.example.com>", "message": "Queued. Thank you."])))
        #expect(request.path == "/v3/shop.example.com/messages")
        #expect(request.header("Authorization") == "Basic " + Data("api:key-1".utf8).base64EncodedString())
        let contentType = try #require(request.header("Content-Type"))
        #expect(contentType.hasPrefix("multipart/form-data; boundary="))
        let names = try MultipartNames.parse(request.body, contentType: contentType)
        #expect(names.filter { $0.name == "to" }.map(\.value) == ["Alice Able <alice@example.com>", "Bob Bäcker <bob@example.com>"])
        #expect(names.first { $0.name == "from" }?.value == "Example Shop <orders@shop.example.com>")
        #expect(names.first { $0.name == "bcc" }?.value == "dave@example.com")
        #expect(names.first { $0.name == "h:Reply-To" }?.value == "Support <support@shop.example.com>")
        #expect(names.first { $0.name == "o:tag" }?.value == "order-confirmation")
        #expect(names.first { $0.name == "v:customer_id" }?.value == "42")
        #expect(names.first { $0.name == "h:X-Order-Id" }?.value == "1234")
        #expect(names.first { $0.name == "subject" }?.value == "Your order #1234 — merci ✓")
        let attachment = try #require(names.first { $0.name == "attachment" })
        #expect(attachment.filename == "invoice.pdf" && attachment.data == Data(base64Encoded: "JVBERi0xLjQK"))
        let inline = try #require(names.first { $0.name == "inline" })
        #expect(inline.filename == "logo123" && inline.contentType == "image/png")
        #expect(receipt.messageIDs == ["<2011.1@shop.example.com>"])
        let spec = try Fixtures.python("check_spec.py", [Repository.spec("mailgun-openapi.yaml"), "/v3/{domain_name}/messages", "post",
                                                          "--multipart", contentType], input: request.body)
        #expect(spec.status == 0, "the multipart body does not match Mailgun's spec: \(spec.stdout) \(spec.stderr)")
    }

    @Test func mailjet() async throws {
        let answer: Value = .object(["Messages": .array([.object([
            "Status": "success",
            "To": .array([.object(["Email": "alice@example.com", "MessageID": 111]), .object(["Email": "bob@example.com", "MessageID": 112])]),
            "Cc": .array([.object(["Email": "carol@example.com", "MessageID": 113])]),
            "Bcc": .array([.object(["Email": "dave@example.com", "MessageID": 114])]),
        ])])])
        let (receipt, request) = try await send("mailjet", credentials: "{api_key: pub1, secret_key: priv1}",
                                                message: Fixtures.referenceMessage(), answer: Answer.json(200, answer))
        #expect(request.path == "/v3.1/send")
        #expect(request.header("Authorization") == "Basic " + Data("pub1:priv1".utf8).base64EncodedString())
        let m = request.json["Messages"][0]
        #expect(m["From"] == .object(["Email": "orders@shop.example.com", "Name": "Example Shop"]))
        #expect(m["To"][1] == .object(["Email": "bob@example.com", "Name": "Bob Bäcker"]))
        #expect(m["Bcc"] == .array([.object(["Email": "dave@example.com"])]))
        #expect(m["ReplyTo"]["Email"] == "support@shop.example.com")
        #expect(m["Attachments"][0]["Filename"] == "invoice.pdf")
        #expect(m["InlinedAttachments"][0]["ContentID"] == "logo123")
        #expect(m["CustomCampaign"] == "order-confirmation")
        #expect(try JSONParser.parse(m["EventPayload"].text) == .object(["order_id": "1234", "customer_id": "42"]))
        #expect(m["Headers"]["X-Order-Id"] == "1234")
        #expect(receipt.messageIDs == ["111", "112", "113", "114"])
    }

    @Test func netcore() async throws {
        let (receipt, request) = try await send("netcore", credentials: "{api_key: nc-key-1}", message: Fixtures.referenceWithoutInline(),
                                                answer: Answer.json(200, .object(["data": .object(["message_id": "nc-77"]), "message": "OK", "status": "success"])))
        #expect(request.path == "/v5.1/mail/send")
        #expect(request.header("api_key") == "nc-key-1")
        let body = request.json
        #expect(body["reply_to"] == "support@shop.example.com")
        #expect(body["content"] == .array([.object(["type": "html", "value": "<p>Thanks for your order.</p>"])]))
        #expect(body["attachments"] == .array([.object(["name": "invoice.pdf", "content": "JVBERi0xLjQK"])]))
        let p = body["personalizations"][0]
        #expect(p["to"][0]["email"] == "alice@example.com")
        #expect(p["bcc"][0]["email"] == "dave@example.com")
        #expect(p["headers"]["X-Order-Id"] == "1234")
        #expect(try JSONParser.parse(p["headers"]["X-APIHEADER"].text)["order_id"] == "1234")
        #expect(body["tags"] == ["order-confirmation"])
        #expect(receipt.messageIDs == ["nc-77"])
        #expect(receipt.attempts[0].dropped == ["text part (netcore carries HTML only)"])
    }

    @Test func anAccountOverridesFromWithItsVerifiedSender() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.text(202, "", headers: ["X-Message-Id": "sg-1"])]])
        let configuration = try Fixtures.configuration(provider: "sendgrid", endpoint: server.url, credentials: "{api_key: SG.k1}",
                                                       extra: "    from: Shop EU <orders@eu.shop.example.com>")
        try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(Fixtures.referenceMessage())
        let body = try #require(try await server.requests().first).json
        #expect(body["from"] == .object(["email": "orders@eu.shop.example.com", "name": "Shop EU"]))
    }

    @Test func netcoreRefusesAnInlineImageInsteadOfDroppingIt() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let configuration = try Fixtures.configuration(provider: "netcore", endpoint: server.url, credentials: "{api_key: nc-key-1}")
        await #expect {
            try await Mailer(configuration: configuration, registry: Fixtures.registry()).send(Fixtures.referenceMessage())
        } throws: { error in
            guard case CarrierError.notSent(let receipt) = error else { return false }
            return receipt.attempts.first?.outcome == .skipped && (receipt.attempts.first?.error ?? "").contains("inline images")
        }
        #expect(try await server.requests().isEmpty)
    }
}

/// Splits a multipart/form-data body into its parts (names, file names, bytes).
enum MultipartNames {
    struct Part {
        var name: String
        var filename: String?
        var contentType: String?
        var data: Data
        var value: String { String(decoding: data, as: UTF8.self) }
    }

    static func parse(_ body: Data, contentType: String) throws -> [Part] {
        guard let boundary = contentType.components(separatedBy: "boundary=").last else { throw TestFailure("no boundary") }
        let delimiter = Data("--\(boundary)".utf8)
        var parts: [Part] = []
        var chunks: [Data] = []
        var rest = body[...]
        while let range = rest.range(of: delimiter) {
            chunks.append(Data(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        for chunk in chunks.dropFirst() {
            guard let split = chunk.range(of: Data("\r\n\r\n".utf8)) else { continue }
            let head = String(decoding: chunk[..<split.lowerBound], as: UTF8.self)
            var data = Data(chunk[split.upperBound...])
            if data.suffix(2) == Data("\r\n".utf8) { data = data.dropLast(2) }
            func parameter(_ key: String) -> String? {
                guard let r = head.range(of: "\(key)=\"") else { return nil }
                return String(head[r.upperBound...].prefix { $0 != "\"" })
            }
            let type = head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("content-type:") }
                .map { String($0.dropFirst(13)).trimmingCharacters(in: .whitespaces) }
            parts.append(Part(name: parameter("name") ?? "", filename: parameter("filename"), contentType: type, data: data))
        }
        return parts
    }
}

import Carrier
import Foundation
import Testing

/// Each body encoding on its own, read back by an independent parser (Python's urllib and email
/// packages, Foundation's JSON) from what the server received.
@Suite("Body encodings", .serialized)
struct BodyEncodingTests {
    static let ok = Answer.json(200, .object(["id": "m-1"]))

    func received(body: String, headers: String? = nil) async throws -> CaptureServer.Request {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Self.ok]])
        let provider = try PluginProvider(body: body, headers: headers, endpoint: server.url)
        defer { provider.remove() }
        var message = try Fixtures.referenceMessage()
        message.subject = "Grüße & more = 100%"
        #expect(try await provider.mailer.send(message).status == .sent)
        return try #require(try await server.requests().first)
    }

    /// Python's reading of a body: `form` (parse_qsl) or `multipart` (the email package).
    func python(_ kind: String, _ request: CaptureServer.Request) throws -> Value {
        let script = """
            import json, sys, urllib.parse, email, email.policy
            data = sys.stdin.buffer.read()
            if sys.argv[1] == "form":
                print(json.dumps(urllib.parse.parse_qsl(data.decode(), keep_blank_values=True, strict_parsing=True)))
            else:
                m = email.message_from_bytes(b"Content-Type: " + sys.argv[2].encode() + b"\\r\\n\\r\\n" + data, policy=email.policy.HTTP)
                print(json.dumps([[p.get_param("name", header="content-disposition"), p.get_filename(), p.get_content_type(),
                                   p.get_payload(decode=True).decode("utf-8")] for p in m.iter_parts()]))
            """
        let result = try run(Repository.python, ["-c", script, kind, request.header("Content-Type") ?? ""], input: request.body)
        guard result.status == 0 else { throw TestFailure("python: \(result.stderr)") }
        return try JSONParser.parse(result.stdout)
    }

    @Test("The user agent is Carrier's unless the provider file sets one: a single User-Agent line either way")
    func userAgent() async throws {
        for (headers, expected) in [(nil, "carrier/"), ("{User-Agent: shop-mailer/2.1}", "shop-mailer/2.1")] {
            let request = try await received(body: #"{json: {subject: "{{ subject }}"}}"#, headers: headers)
            let lines = request.headers.filter { $0.0.lowercased() == "user-agent" }.map(\.1)
            #expect(lines.count == 1 && lines.allSatisfy { $0.hasPrefix(expected) }, "\(lines)")
        }
    }

    @Test("json: the rendered value as application/json")
    func json() async throws {
        let request = try await received(body: #"{json: {subject: "{{ subject }}", to: "{{ to | pluck('email') }}"}}"#)
        #expect(request.header("Content-Type") == "application/json")
        let parsed = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        #expect(parsed["subject"] as? String == "Grüße & more = 100%")
        #expect((parsed["to"] as? [String])?.count == 2)
    }

    @Test("form: fields in order, percent-encoded, a list repeating its field")
    func form() async throws {
        let request = try await received(body: #"{form: {subject: "{{ subject }}", to: "{{ to | pluck('email') }}"}}"#)
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        let fields = try python("form", request).arrayValue ?? []
        #expect(fields.map { $0[0].text } == ["subject", "to", "to"])
        #expect(fields[0][1] == "Grüße & more = 100%")
        #expect(fields[1][1] == "alice@example.com")
    }

    @Test("multipart: text fields and a file part, as RFC 7578 form data")
    func multipart() async throws {
        let request = try await received(body: """
            {multipart: {subject: "{{ subject }}", attachment: {filename: notes.txt, content_type: text/plain, content: "{{ 'hello' | base64 }}"}}}
            """)
        #expect(request.header("Content-Type")?.hasPrefix("multipart/form-data; boundary=") == true)
        let parts = try python("multipart", request).arrayValue ?? []
        #expect(parts.count == 2)
        #expect(parts[0][0] == "subject" && parts[0][3] == "Grüße & more = 100%")
        #expect(parts[1][0] == "attachment" && parts[1][1] == "notes.txt" && parts[1][2] == "text/plain" && parts[1][3] == "hello")
    }

    @Test("raw: the content as given, with its content type")
    func raw() async throws {
        let request = try await received(body: #"{raw: {content_type: text/plain, content: "subject={{ subject }}"}}"#)
        #expect(request.header("Content-Type") == "text/plain")
        #expect(request.text == "subject=Grüße & more = 100%")
    }

    @Test("A batch request's body goes in the section's declared encoding too (form here, not JSON)")
    func batchUsesTheDeclaredEncoding() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["results": .array([.object(["ok": true, "id": "b-1"]), .object(["ok": true, "id": "b-2"])])]))]])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try """
            schema: 1
            id: formbatch
            credentials: {key: {secret: true}}
            api:
              url: https://formbatch.example/send
              body: {form: {to: "{{ to[0].email }}", subject: "{{ subject }}"}}
              response: {success: [200], message_ids: "{{ body.id }}"}
              batch:
                url: https://formbatch.example/batch
                size: 2
                body: {to: "{{ requests | pluck('to') }}", subject: "{{ requests | pluck('subject') }}"}
                results: "{{ body.results }}"
                item_success: "{{ item.ok }}"
                item_message_ids: "{{ item.id }}"
            """.write(toFile: folder.path + "/formbatch.yaml", atomically: true, encoding: .utf8)
        let config = try Configuration.parse("accounts:\n  fb: {provider: formbatch, endpoint: \"\(server.url)\", credentials: {key: k-1}}\n",
                                             file: "carrier.yaml")
        let mailer = Mailer(configuration: config, registry: .standard(extraDirectories: [folder.path]), logger: .silent)
        let template = try BulkTemplate.parse("from: a@example.com\nsubject: \"Hi {{ recipient.name }}\"\ntext: t\n", source: "m.yaml")
        let recipients = AsyncStream<BulkRecipient> { continuation in
            for (i, name) in ["Ann", "Bo"].enumerated() {
                continuation.yield(BulkRecipient(line: i + 1, address: Address(email: "\(name.lowercased())@example.com"),
                                                 fields: ["email": .string("\(name.lowercased())@example.com"), "name": .string(name)]))
            }
            continuation.finish()
        }
        let summary = try await mailer.bulk(template, recipients: recipients, fields: ["email", "name"], journal: nil)
        #expect(summary.sent == 2)
        let requests = try await server.requests()
        #expect(requests.count == 1 && requests[0].path == "/batch")
        let request = try #require(requests.first)
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        let fields = try python("form", request).arrayValue ?? []
        #expect(fields.map { $0[0].text } == ["to", "to", "subject", "subject"])
        #expect(fields.map { $0[1].text } == ["ann@example.com", "bo@example.com", "Hi Ann", "Hi Bo"])
    }
}

import Carrier
import Foundation
import Logging
import Testing

/// Each auth scheme on its own, as the ESP's server receives it. (OAuth2 has its own suite with
/// a token server, AWS SigV4 and Azure's HMAC are recomputed independently in "Signed requests".)
@Suite("Auth schemes", .serialized)
struct AuthSchemeTests {
    static let ok = Answer.json(200, .object(["id": "m-1"]))

    /// The one request the server received from sending through `auth`.
    func received(auth: String, credentials: String = "{key: k-5f2a9c}") async throws -> CaptureServer.Request {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Self.ok]])
        let provider = try PluginProvider(auth: auth, endpoint: server.url, credentials: credentials)
        defer { provider.remove() }
        #expect(try await provider.mailer.send(Fixtures.referenceMessage()).messageIDs == ["m-1"])
        return try #require(try await server.requests().first)
    }

    @Test("bearer: Authorization: Bearer and the rendered token")
    func bearer() async throws {
        let request = try await received(auth: #"{bearer: "{{ credentials.key }}"}"#)
        #expect(request.header("Authorization") == "Bearer k-5f2a9c")
    }

    @Test("basic: Authorization: Basic of user:password, base64 as RFC 7617 has it")
    func basic() async throws {
        let request = try await received(auth: #"{basic: {username: "{{ credentials.user }}", password: "{{ credentials.key }}"}}"#,
                                         credentials: "{user: api, key: k-5f2a9c}")
        let expected = "Basic " + Data("api:k-5f2a9c".utf8).base64EncodedString()
        #expect(request.header("Authorization") == expected)
    }

    @Test("header: the named header carries the rendered value, and nothing else authenticates")
    func header() async throws {
        let request = try await received(auth: #"{header: {name: X-Api-Key, value: "{{ credentials.key }}"}}"#)
        #expect(request.header("X-Api-Key") == "k-5f2a9c")
        #expect(request.header("Authorization") == nil)
    }

    @Test("none: no credential in any header")
    func none() async throws {
        let request = try await received(auth: "{none: {}}")
        #expect(request.header("Authorization") == nil)
        #expect(!request.headers.contains { $0.1.contains("k-5f2a9c") })
    }

    @Test("An unknown scheme is refused at file:line:col with the known ones")
    func unknownScheme() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "schema: 1\nid: odd\napi:\n  url: https://odd.example\n  auth: {bearr: x}\n  body: {json: {}}\n"
            .write(toFile: folder.path + "/odd.yaml", atomically: true, encoding: .utf8)
        do {
            _ = try DefinitionLoader.load(file: folder.path + "/odd.yaml")
            Issue.record("an unknown scheme loaded")
        } catch {
            #expect(error.description.contains("odd.yaml:5:"), "\(error)")
            #expect(error.description.contains("bearer"), "a suggestion: \(error)")
        }
    }
}

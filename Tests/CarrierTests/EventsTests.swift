import Carrier
import CarrierCurl
import Foundation
import Testing

/// Delivery events (issue 12): each ESP's sample webhooks, signed by an independent
/// implementation, map to the normalised event; forged, unsigned and stale ones are refused, by
/// `carrier events parse` and by a real `carrier events serve`.
@Suite("Delivery events")
struct EventsTests {
    static var fixtures: [String] {
        let folder = Repository.root.appendingPathComponent("Tests/Fixtures/events").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            .map { String($0.dropLast(5)) }
    }

    @Test("Every documented event type of the provider maps; tampered, unsigned and stale webhooks are refused; served: a repeat is not written again, unknown account 404, oversized body 413", arguments: fixtures)
    func providerSamples(_ provider: String) throws {
        let fixture = Repository.root.appendingPathComponent("Tests/Fixtures/events/\(provider).json").path
        let result = try Fixtures.python("check_events.py", [fixture, Repository.binary], input: Data())
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(" 0 failures"))
    }

    @Test("Every provider whose file declares events: has signed samples, and every sample set has its provider")
    func everyDeclaringProviderHasSamples() throws {
        let declaring = try FileManager.default.contentsOfDirectory(atPath: Repository.providers).filter { $0.hasSuffix(".yaml") }
            .filter { (try? String(contentsOfFile: Repository.providers + "/" + $0, encoding: .utf8))?.contains("\nevents:") == true }
            .map { String($0.dropLast(5)) }.sorted()
        #expect(declaring.count >= 5)
        #expect(declaring == Self.fixtures, "declaring events: \(declaring); with samples: \(Self.fixtures)")
    }

    @Test("A verified JSON payload that is not JSON — too deep, not UTF-8, a key twice — is 400, not an unknown event")
    func malformedJSONIsRefused() async throws {
        let config = try Configuration.parse("accounts:\n  pm: {provider: postmark, webhook_secret: \"hook:pw-4c1f9a7e\"}\n", file: "carrier.yaml")
        let receiver = WebhookReceiver(configuration: config)
        let auth = "Basic " + Data("hook:pw-4c1f9a7e".utf8).base64EncodedString()
        func answer(_ body: Data) async -> Int {
            let request = WebhookRequest(headers: [("Authorization", auth), ("Content-Type", "application/json")], body: body)
            do { _ = try await receiver.receive(account: "pm", request: request); return 200 } catch { return error.status }
        }
        let fine = #"{"RecordType": "Delivery", "MessageID": "m-1", "Recipient": "a@example.com", "DeliveredAt": "2026-01-01T00:00:00Z"}"#
        #expect(await answer(Data(fine.utf8)) == 200)
        #expect(await answer(Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)) == 400)
        #expect(await answer(Data((String(repeating: "[", count: 65) + String(repeating: "]", count: 65)).utf8)) == 400, "past the 64 levels")
        #expect(await answer(Data(#"{"RecordType": "Delivery", "RecordType": "Bounce"}"#.utf8)) == 400)
        #expect(await answer(Data([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])) == 400)
    }

    @Test("SNS: a certificate URL with a line break is not the ESP's (401); failed fetches are remembered and each host asked at most 10 times a minute")
    func certificateFetchesAreBounded() async throws {
        #expect(!SNSVerifier.isPlain("https://sns.us-east-1.amazonaws.com/cert.pem\nx", query: false))
        #expect(!SNSVerifier.isPlain("https://sns.us-east-1.amazonaws.com/cert.pem\n", query: false))
        #expect(SNSVerifier.isPlain("https://sns.us-east-1.amazonaws.com/cert.pem", query: false))
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.text(404, "no")]])
        let clock = ManualClock()
        let cache = CertificateCache(clock: clock)
        func fetch(_ path: String) async -> WebhookError? {
            do { _ = try await cache.fetch(server.url + path, named: path, engine: testEngine, options: TransferOptions()) { _ in true }; return nil }
            catch { return error }
        }
        #expect(await fetch("/a.pem")?.status == 503)
        #expect(await fetch("/a.pem")?.status == 503)
        #expect(try await server.requests().count == 1, "a failed fetch is remembered")
        clock.advance(by: .seconds(61))
        _ = await fetch("/a.pem")
        #expect(try await server.requests().count == 2, "and asked again after a minute")
        for i in 0..<9 { _ = await fetch("/n\(i).pem") }
        #expect(try await server.requests().count == 11)
        let refused = await fetch("/n9.pem")
        #expect(refused?.status == 503 && refused?.message.contains("too many") == true, "\(String(describing: refused))")
        #expect(try await server.requests().count == 11, "the eleventh in a minute is not fetched")
    }
}

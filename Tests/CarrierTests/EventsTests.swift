import Carrier
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
}

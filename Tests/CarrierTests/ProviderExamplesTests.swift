@testable import Carrier
import CarrierYAML
import Foundation
import Testing

/// Sends read provider files without their `examples:` (half of each file): the rest of every
/// file must read exactly as before, node for node and mark for mark, and errors after the
/// examples must point where they did.
@Suite("Provider files without their examples")
struct ProviderExamplesTests {
    /// Whether two trees are the same: kinds, texts, plainness and marks.
    static func same(_ a: YAMLNode, _ b: YAMLNode) -> Bool {
        guard a.mark == b.mark else { return false }
        switch (a.kind, b.kind) {
        case let (.scalar(x, plain: p), .scalar(y, plain: q)): return x == y && p == q
        case let (.sequence(x), .sequence(y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case let (.mapping(x), .mapping(y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0.key, $1.key) && same($0.value, $1.value) }
        default: return false
        }
    }

    @Test("Every provider file without its examples parses to the same tree less the examples, at the same lines and columns")
    func everyProviderFile() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Repository.providers).filter { $0.hasSuffix(".yaml") }
        #expect(names.count >= 25)
        for name in names {
            let text = try String(contentsOfFile: Repository.providers + "/" + name, encoding: .utf8)
            let blanked = try #require(DefinitionLoader.blankingExamples(text), "\(name) has no examples block")
            let whole = try #require(try YAMLParser.parse(text, file: name))
            let without = try #require(try YAMLParser.parse(blanked, file: name))
            let expected = YAMLNode(kind: .mapping((whole.mapping ?? []).filter { $0.key.scalar != "examples" }), mark: whole.mark)
            #expect(Self.same(without, expected), "\(name)")
            #expect(blanked.split(separator: "\n", omittingEmptySubsequences: false).count
                    == text.split(separator: "\n", omittingEmptySubsequences: false).count)
        }
    }

    @Test("Examples in the middle: what follows is read, its errors at their lines; broken examples do not stop a send, and are reported when read")
    func examplesInTheMiddle() throws {
        let file = """
            id: middle
            api:
              url: https://api.example.com/send
              body: {json: {subject: "{{ subject }}"}}
            examples:
              - name: one
                message: {from: a@example.com, to: [b@example.com], subject: Hi}
                request: {method: POST, url: https://api.example.com/send, body: {subject: Hi}}
              # a comment at the first column inside the block
            \tbroken: [unclosed
            capabilities: {tags: 1, metadta: true}
            """
        func lines(_ parts: ProviderParts) -> [Int] {
            do {
                _ = try DefinitionLoader.load(text: file, file: "middle.yaml", format: .standard, reading: parts)
                return []
            } catch { return error.diagnostics.map(\.mark.line) }
        }
        // Read whole, the file is broken YAML inside its examples; without them, the capability typo
        // after the block is the one error, at its own line.
        #expect(!lines(.all).isEmpty)
        #expect(lines([]) == [11])
        let fixed = file.replacingOccurrences(of: "\tbroken: [unclosed", with: "").replacingOccurrences(of: "metadta", with: "metadata")
        let full = try DefinitionLoader.load(text: fixed, file: "middle.yaml", format: .standard)
        let lean = try DefinitionLoader.load(text: fixed, file: "middle.yaml", format: .standard, reading: [])
        #expect(full.exampleCount == 1 && lean.exampleCount == 0)
        #expect(full.capabilities.tags == 1 && lean.capabilities.tags == 1)
        #expect(DefinitionLoader.blankingExamples("id: x\napi: {}\n") == nil)
        #expect(DefinitionLoader.blankingExamples("id: x\nexamples_more: 1\n") == nil)
    }

    @Test("A registry for sending reads each provider but its events and examples: the same summary; one for webhooks reads the events")
    func registryForSending() throws {
        let full = ProviderRegistry.standard(), lean = ProviderRegistry.standard(reading: []), hooks = ProviderRegistry.standard(reading: .events)
        for id in ["sendgrid", "postmark", "ses", "smtp"] {
            let a = try full.definition(id), b = try lean.definition(id), c = try hooks.definition(id)
            #expect(a.exampleCount > 0 && b.exampleCount == 0 && c.exampleCount == 0, "\(id)")
            var summary = a.summary.objectValue ?? OrderedObject()
            summary["examples"] = 0
            #expect(b.summary == .object(summary) && c.summary == .object(summary), "\(id)")
            #expect(b.events == nil, "\(id)")
            #expect((a.events == nil) == (c.events == nil), "\(id)")
        }
        #expect(try full.definition("postmark").events != nil)
    }

    @Test("Passed over, a broken events section does not stop sends; read, it is reported")
    func brokenEventsPassedOver() throws {
        let file = """
            id: hooks
            api: {url: https://api.example.com/send, body: {json: {subject: "{{ subject }}"}}}
            events: {verify: {nonsense: {}}, map: {event: "{{ item. }}"}}
            """
        #expect(throws: DiagnosticsError.self) { try DefinitionLoader.load(text: file, file: "hooks.yaml", format: .standard) }
        #expect(try DefinitionLoader.load(text: file, file: "hooks.yaml", format: .standard, reading: []).events == nil)
    }
}

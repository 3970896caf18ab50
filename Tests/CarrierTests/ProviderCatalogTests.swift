@testable import Carrier
import Foundation
import Testing

/// The built-in providers as a whole (issue 10): the capability table in docs/providers.md is the
/// current output of `carrier providers matrix`, and every provider proves itself with examples,
/// errors included.
@Suite("Provider catalogue")
struct ProviderCatalogTests {
    @Test("docs/providers.md is the current output of `carrier providers matrix`")
    func matrixIsCurrent() throws {
        let folder = try TemporaryFolder()  // no carrier.yaml here: the built-in providers alone
        defer { folder.remove() }
        let result = try carrier(["providers", "matrix"], directory: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        let file = try String(contentsOfFile: Repository.root.appendingPathComponent("docs/providers.md").path, encoding: .utf8)
        #expect(result.stdout == file, "docs/providers.md is stale: run `carrier providers matrix > docs/providers.md`")
        let json = try JSONParser.parse(try carrier(["providers", "matrix", "--json"], directory: folder.path).stdout)
        #expect((json.arrayValue ?? []).count == Fixtures.registry().ids.count)
    }

    @Test("Every provider file has a reference example and error examples")
    func everyProviderHasExamples() throws {
        let registry = Fixtures.registry()
        #expect(registry.failures.isEmpty, "\(registry.failures)")
        for (id, definition) in registry.definitions where id != "smtp" {
            #expect(definition.examples.count >= 3, "\(id) has \(definition.examples.count) example(s)")
        }
        #expect(registry.ids.count >= 24, "\(registry.ids)")
    }
}

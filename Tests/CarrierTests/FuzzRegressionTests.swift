import Foundation
import Testing

/// Every input a fuzzer found (`Fuzz/regressions/TARGET/`) replayed through its target by the
/// replay build of `carrier-fuzz`: each must now pass the target's checks (a crash or a broken
/// property exits non-zero).
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static var targets: [String] {
        let folder = Repository.root.appendingPathComponent("Fuzz/regressions").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test("Saved fuzz findings replay cleanly", arguments: targets)
    func replays(_ target: String) throws {
        let binary = URL(fileURLWithPath: Repository.binary).deletingLastPathComponent().appendingPathComponent("carrier-fuzz").path
        let inputs = Repository.root.appendingPathComponent("Fuzz/regressions/\(target)").path
        let count = try FileManager.default.contentsOfDirectory(atPath: inputs).count
        let result = try run(binary, [target, inputs], environment: ["SWIFT_BACKTRACE": "enable=no"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\(target): replayed \(count) input"))
    }

    @Test func everyFolderNamesATarget() throws {
        let binary = URL(fileURLWithPath: Repository.binary).deletingLastPathComponent().appendingPathComponent("carrier-fuzz").path
        let usage = try run(binary, [], environment: [:]).stderr
        for target in Self.targets { #expect(usage.contains("  \(target) "), "Fuzz/regressions/\(target) is not a target") }
    }
}

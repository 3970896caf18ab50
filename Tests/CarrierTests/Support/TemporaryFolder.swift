import Foundation

/// A temporary folder a test removes when done.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A new empty folder under the system's temporary folder; the test removes it.
func temporaryDirectory() throws -> String {
    try TemporaryFolder().path
}

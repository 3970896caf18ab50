import Foundation
import Synchronization

/// The append-only NDJSON record of a bulk run: a `started` line for each recipient before its
/// send goes out, then its outcome. Written with `write(2)` as it happens (a SIGKILL loses
/// nothing the kernel already has) and fsynced at the end. Running the same command again reads
/// it back: recipients sent or refused for good are skipped, and those started without an
/// outcome — the request may have gone out — are not sent again unless asked.
public final class BulkJournal: Sendable {
    public let path: String
    private let fd: Int32
    private let lock = Mutex(())

    /// What an earlier run recorded, by line of the recipients file.
    public struct History: Sendable {
        /// Lines whose outcome is final: sent, or refused for good.
        public var done: [Int: String] = [:]
        /// Lines started without an outcome: the send may or may not have happened.
        public var unknown: [Int: String] = [:]
    }

    public init(path: String) throws(CarrierError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .configuration(ConfigurationError("cannot open the journal \(path): \(String(cString: strerror(errno)))",
                                                    hint: "choose another place with --journal"))
        }
    }

    deinit {
        fsync(fd)
        close(fd)
    }

    /// Reads what earlier runs wrote to the journal at `path` (none when it does not exist).
    public static func history(at path: String) -> History {
        var history = History()
        guard let stream = ByteStream(path: path), FileManager.default.fileExists(atPath: path) else { return history }
        while let line = stream.nextLine() {
            guard let entry = try? JSONParser.parse(line), let row = entry["line"].intValue else { continue }  // a torn last line
            let email = entry["email"].text
            switch entry["state"].text {
            case "started": history.unknown[row] = email
            case "sent", "refused": history.done[row] = email; history.unknown[row] = nil
            default: history.unknown[row] = nil  // failed and kept for a later run, or skipped
            }
        }
        return history
    }

    /// Appends one entry (one line of JSON).
    public func record(_ entry: OrderedObject) {
        var bytes = JSONWriter.bytes(.object(entry))
        bytes.append(0x0A)
        lock.withLock { _ in
            _ = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        }
    }

    public func flush() {
        lock.withLock { _ in _ = fsync(fd) }
    }
}

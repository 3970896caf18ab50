import Foundation
import Synchronization

/// The append-only NDJSON record of a bulk run: a `started` line for each recipient before its
/// send goes out, then its outcome. Written with `write(2)` as it happens (a SIGKILL loses
/// nothing the kernel already has) and fsynced at the end. Running the same command again reads
/// it back: recipients sent or refused for good are skipped, and those started without an
/// outcome — the request may have gone out — are not sent again unless asked.
public final class BulkJournal: Sendable {
    /// The journal file.
    public let path: String
    private let fd: Int32
    /// Held for the run; let go with the journal.
    private let lock: RunLock
    /// The first write that failed (disk full, …): the run stops starting sends and exits non-zero.
    private let failure = Mutex<String?>(nil)

    /// What an earlier run recorded, by line of the recipients file and address.
    public struct History: Sendable {
        /// Rows whose outcome is final: sent, refused for good, or kept in the spool.
        public var done: Set<String> = []
        /// Rows started without an outcome, or whose request went out without an answer
        /// (`ambiguous`): the send may or may not have happened.
        public var unknown: Set<String> = []
        /// The run the journal belongs to (a hash of the message template and the route).
        public var run: String?
        /// Lines of the journal that could not be read, and what was made of each.
        public var unreadable: [String] = []

        package init(done: Set<String> = [], unknown: Set<String> = [], run: String? = nil) {
            self.done = done
            self.unknown = unknown
            self.run = run
        }

        package static func key(_ line: Int, _ email: String) -> String { "\(line)|\(email.lowercased())" }
        /// Whether an earlier run sent this row or refused it for good.
        public func isDone(_ line: Int, _ email: String) -> Bool { done.contains(Self.key(line, email)) }
        /// Whether an earlier run started this row without an outcome.
        public func isUnknown(_ line: Int, _ email: String) -> Bool { unknown.contains(Self.key(line, email)) }
    }

    /// Opens (or creates, mode 0600) the journal and locks it for this run: a second run on the
    /// same journal is refused (a storage error naming the holder's pid and host) and sends nothing.
    public init(path: String) throws(CarrierError) {
        self.path = path
        do { lock = try RunLock(for: path, store: "the journal", hint: "give this run its own --journal") } catch { throw .storage(error) }
        fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .storage(StorageError("the journal", path: path, reason: String(cString: strerror(errno)),
                                        hint: "choose another place with --journal"))
        }
        // A run killed mid-line left a torn last line: end it, so the next record starts clean.
        var last: UInt8 = 0x0A
        let size = lseek(fd, 0, SEEK_END)
        if size > 0, pread(fd, &last, 1, size - 1) == 1, last != 0x0A { _ = Foundation.write(fd, [UInt8(0x0A)], 1) }
    }

    /// Why writing failed, when it did.
    public var writeFailure: String? { failure.withLock { $0 } }

    deinit {
        fsync(fd)
        close(fd)
    }

    /// Reads what earlier runs wrote to the journal at `path` (none when it does not exist).
    public static func history(at path: String) -> History {
        var history = History()
        guard let stream = ByteStream(path: path), FileManager.default.fileExists(atPath: path) else { return history }
        var number = 0
        while let line = stream.nextLine() {
            number += 1
            guard let entry = try? JSONParser.parse(line) else {
                history.unreadable.append(unreadable(line, number: number, into: &history))
                continue
            }
            if let run = entry["run"].stringValue { history.run = history.run ?? run; continue }
            guard let row = entry["line"].intValue else { continue }
            let key = History.key(row, entry["email"].text)
            switch State(rawValue: entry["state"].text) {
            case .started?, .unknown?: history.unknown.insert(key)
            case .sent?, .refused?, .spooled?: history.done.insert(key); history.unknown.remove(key)
            case .failed?, nil: history.unknown.remove(key)  // failed for a passing reason: the next run sends it again
            }
        }
        return history
    }

    /// A line that is not JSON — torn by a crash mid-write, or garbled — may be any row's outcome,
    /// even a sent one: its row, when the line still names it, is unknown (not sent again unless
    /// asked). What was made of it is said, with the journal's line number.
    private static func unreadable(_ line: [UInt8], number: Int, into history: inout History) -> String {
        let text = String(decoding: line, as: UTF8.self)
        let row = text.firstMatch(of: /"line"\s*:\s*(\d+)/).flatMap { Int($0.1) }
        let email = text.firstMatch(of: /"email"\s*:\s*"([^"\\]*)"/).map { String($0.1) }
        guard let row, let email else { return "journal line \(number) cannot be read and names no row; skipped" }
        let key = History.key(row, email)
        if !history.done.contains(key) { history.unknown.insert(key) }
        return "journal line \(number) cannot be read; row \(row) (\(email.escapingControlCharacters())) is taken as unknown"
    }

    /// Appends one entry (one line of JSON).
    public func record(_ entry: OrderedObject) {
        var bytes = JSONWriter.bytes(.object(entry))
        bytes.append(0x0A)
        failure.withLock { failure in
            let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written != bytes.count && failure == nil {
                failure = "cannot write the journal \(path): " + (written < 0 ? String(cString: strerror(errno)) : "a short write")
            }
        }
    }

    /// Forces what was written to disk (the end of a run).
    public func flush() {
        failure.withLock { _ in _ = fsync(fd) }
    }
}

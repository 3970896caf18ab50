import Foundation

/// An append-only NDJSON file of delivery events: each event once (by account, provider and
/// `event_id`, including those written by earlier runs: one account's ids never hide another's), and on disk (`fsync`) before ``append(_:)`` returns, so a webhook is
/// answered 2xx only for what is kept. Appends that arrive together share one `fsync`; a repeat of
/// an event still on its way to disk waits for it, and fails with it.
public actor EventLog {
    private let fd: Int32
    private let syncs: Bool
    /// Held while the log is open: a second `events serve` on the same file is refused.
    private let lock: RunLock?
    /// Ids on disk, or on their way (`unsynced`).
    private var seen: Set<String> = []
    private var unsynced: Set<String> = []
    private var pending: [UInt8] = []
    /// Who waits for the pending bytes, with the ids they brought (forgotten again if the write fails).
    private var waiting: [(continuation: CheckedContinuation<Void, any Error>, ids: [String])] = []
    private var flushing = false

    public struct WriteError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Opens (or creates, mode 0600) the file; nil or `-` writes to standard output (no `fsync`).
    public init(path: String?) throws(WriteError) {
        guard let path, path != "-" else {
            fd = STDOUT_FILENO
            syncs = false
            lock = nil
            return
        }
        do { lock = try RunLock(for: path, store: "the event log", hint: "give this server its own --output") } catch {
            throw WriteError(description: error.description)
        }
        let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard opened >= 0 else { throw WriteError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        fd = opened
        syncs = true
        if let existing = FileManager.default.contents(atPath: path), !existing.isEmpty {
            for line in existing.split(separator: UInt8(ascii: "\n")) {
                if let event = try? JSONParser.parse(Array(line)), let id = event["event_id"].stringValue {
                    seen.insert(Self.key(account: event["account"].text, provider: event["provider"].text, eventID: id))
                }
            }
            // A line cut short by a crash is closed, so the next event starts a line of its own.
            if existing.last != UInt8(ascii: "\n") { _ = write(opened, "\n", 1) }
        }
    }

    /// What makes an event the same as one written before.
    private static func key(account: String, provider: String, eventID: String) -> String {
        account + "\u{0}" + provider + "\u{0}" + eventID
    }

    /// Writes the events not written before; returns how many were new and how many repeats.
    public func append(_ events: [DeliveryEvent]) async throws -> (written: Int, repeated: Int) {
        var ids: [String] = []
        var waitsForDisk = false
        for event in events {
            let key = Self.key(account: event.account, provider: event.provider, eventID: event.eventID)
            if seen.contains(key) {
                waitsForDisk = waitsForDisk || unsynced.contains(key)
                continue
            }
            seen.insert(key)
            unsynced.insert(key)
            pending += JSONWriter.bytes(event.value)
            pending.append(UInt8(ascii: "\n"))
            ids.append(key)
        }
        guard !ids.isEmpty || waitsForDisk else { return (0, events.count) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiting.append((continuation, ids))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
        return (ids.count, events.count - ids.count)
    }

    /// Writes and syncs what is pending, then wakes everyone whose events it held. A failed write
    /// is cut off the file again, so no half line is left for the next event to join.
    private func flush() {
        while !waiting.isEmpty {
            let bytes = pending, waiters = waiting
            pending = []
            waiting = []
            unsynced = []
            let start = syncs ? lseek(fd, 0, SEEK_END) : -1
            var error: WriteError?
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    error = WriteError(description: "writing events failed: \(String(cString: strerror(errno)))")
                    break
                }
                offset += n
            }
            if error == nil, syncs, fsync(fd) != 0 { error = WriteError(description: "fsync failed: \(String(cString: strerror(errno)))") }
            if error != nil, start >= 0 { _ = ftruncate(fd, start) }
            for waiter in waiters {
                if let error {
                    // Not kept: the ESP's retry must be written, not taken for a repeat.
                    for id in waiter.ids { seen.remove(id) }
                    waiter.continuation.resume(throwing: error)
                } else {
                    waiter.continuation.resume()
                }
            }
        }
        flushing = false
    }
}

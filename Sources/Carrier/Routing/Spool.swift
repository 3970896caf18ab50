import Foundation

/// A folder of messages that no account took yet: one JSON file per message, written to a
/// temporary name, fsynced and renamed, so a file is either whole or absent.
///
/// With write-ahead, a message is written before its first attempt and removed only after a
/// provider accepted it, so a process killed mid-send loses nothing.
public struct Spool: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Where a kept message stands.
    public enum State: String, Sendable {
        /// Written before its first attempt (a batch is written whole first).
        case queued
        /// A process is sending it; if that process died, a retry marks it a possible duplicate.
        case inFlight = "in_flight"
        /// Every account failed; `carrier outbox retry` sends it again.
        case failed
    }

    /// One kept message and its history.
    public struct Entry: Sendable {
        public var id: String
        public var message: Message
        public var route: String?
        public var created: Double
        public var attempts: [Value]
        public var state: State
        public var lastError: String?
        /// The process that queued or is sending it; others leave it alone while that process lives.
        public var owner: Int32?

        /// Whether a live process other than this one is responsible for the message.
        var isOwnedByAnotherLiveProcess: Bool {
            guard let owner, owner != getpid(), state != .failed else { return false }
            return kill(owner, 0) == 0 || errno == EPERM
        }

        var value: Value {
            var object = OrderedObject()
            object["id"] = .string(id)
            object["state"] = .string(state.rawValue)
            object["route"] = route.map(Value.string) ?? .null
            object["created"] = .double(created)
            object["last_error"] = lastError.map(Value.string) ?? .null
            object["owner"] = owner.map { .int(Int($0)) } ?? .null
            object["attempts"] = .array(attempts)
            object["message"] = message.value
            return .object(object)
        }

        /// A line for `carrier outbox list`.
        public var summary: Value {
            .object(["id": .string(id), "state": .string(state.rawValue), "created": .string(ISO8601.format(epochSeconds: Int(created))),
                     "subject": message.subject.map(Value.string) ?? .null, "to": .array(message.recipients.map { .string($0.email) }),
                     "attempts": .int(attempts.count), "last_error": lastError.map(Value.string) ?? .null])
        }
    }

    func path(_ id: String) -> String { (directory as NSString).appendingPathComponent(Self.fileName(id)) }

    /// Spool files are named after the Message-ID, made safe for a file name.
    static func fileName(_ id: String) -> String {
        String(id.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" ? $0 : "_" }) + ".json"
    }

    /// Writes (or rewrites) an entry atomically.
    @discardableResult
    public func write(_ entry: Entry) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = path(entry.id)
        try AtomicFile.write(Data(JSONWriter.bytes(entry.value)), to: path)
        return path
    }

    public func remove(_ id: String) {
        unlink(path(id))
    }

    public func load(_ id: String) throws -> Entry {
        let file = path(id)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigurationError("no message '\(id)' in the spool \(directory)", hint: "carrier outbox list shows the ids")
        }
        let value = try JSONParser.parse(Array(data))
        let message = try Message.decode(value["message"], source: file)
        return Entry(id: value["id"].text, message: message, route: value["route"].stringValue, created: Double(value["created"].text) ?? 0,
                     attempts: value["attempts"].arrayValue ?? [], state: State(rawValue: value["state"].text) ?? .failed, lastError: value["last_error"].stringValue,
                     owner: value["owner"].intValue.map(Int32.init))
    }

    /// Every entry, oldest first. Files that cannot be read are reported, not skipped silently.
    public func entries() -> (entries: [Entry], unreadable: [String]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }
        var entries: [Entry] = []
        var unreadable: [String] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path), let value = try? JSONParser.parse(Array(data)),
                  let id = value["id"].stringValue, let entry = try? load(id) else {
                unreadable.append(path)
                continue
            }
            entries.append(entry)
        }
        return (entries.sorted { $0.created < $1.created }, unreadable)
    }

    /// An exclusive lock on one message, so two `outbox retry` processes never send it twice.
    /// `nil` when another process holds it.
    public func lock(_ id: String) -> SpoolLock? {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fd = open(path(id) + ".lock", O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return SpoolLock(fd: fd, path: path(id) + ".lock")
    }
}

import Foundation

/// A folder of messages that no account took yet: one JSON file per message, written to a
/// temporary name, fsynced and renamed, so a file is either whole or absent.
///
/// With write-ahead, a message is written before its first attempt and removed only after a
/// provider accepted it, so a process killed mid-send loses nothing.
///
/// Entries hold message bodies, attachments and SMTP transcripts: the folder is created `0700`
/// and every file in it `0600`. Each entry has its own id (a hash of the Message-ID and a unique
/// suffix), so two messages never share a file, whatever their Message-IDs.
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
        /// A provider accepted it but the file could not be removed: never sent again, only removed.
        case sent
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
            guard let owner, owner != getpid(), state != .failed, state != .sent else { return false }
            return kill(owner, 0) == 0 || errno == EPERM
        }

        /// The entry as stored.
        package var value: Value {
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
                     "message_id": message.messageID.map(Value.string) ?? .null,
                     "subject": message.subject.map(Value.string) ?? .null, "to": .array(message.recipients.map { .string($0.email) }),
                     "attempts": .int(attempts.count), "last_error": lastError.map(Value.string) ?? .null])
        }
    }

    /// An entry file that exists but cannot be read back.
    public struct Unreadable: Sendable {
        public var id: String
        public var path: String
        public var reason: String

        package init(id: String, path: String, reason: String) {
            self.id = id
            self.path = path
            self.reason = reason
        }
    }

    /// The file of an entry.
    public func path(_ id: String) -> String { (directory as NSString).appendingPathComponent(id + ".json") }

    /// Ids are file names Carrier made: anything else (`../x`, `.hidden`) names no entry.
    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && !id.hasPrefix(".") && id.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E
        }
    }

    /// A new id for a message: 12 hex digits of its Message-ID's hash, then a unique suffix.
    package static func newID(for messageID: String?) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (messageID ?? "").utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let prefix = String(String(hash, radix: 16).suffix(12))
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return String(repeating: "0", count: 12 - prefix.count) + prefix + "-" + suffix
    }

    /// Creates the folder (`0700`) when it is missing; one of ours that others can read is
    /// tightened to `0700`.
    func ensureDirectory() throws(SpoolError) {
        var info = stat()
        if stat(directory, &info) == 0 {
            if info.st_uid == geteuid() && info.st_mode & 0o077 != 0 { chmod(directory, 0o700) }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .unwritable(path: directory, reason: Self.reason(error))
        }
    }

    /// Throws unless entries can be created and removed here: checked before a kept message is
    /// sent again, so a message is never sent when its entry could not be removed afterwards.
    public func checkWritable() throws(SpoolError) {
        try ensureDirectory()
        guard access(directory, W_OK | X_OK) == 0 else {
            throw .unwritable(path: directory, reason: String(cString: strerror(errno)))
        }
    }

    /// Writes a new entry under a fresh id that no other entry has (the file is created
    /// exclusively); `entry.id` is set to it.
    @discardableResult
    public func create(_ entry: inout Entry) throws(SpoolError) -> String {
        try ensureDirectory()
        for _ in 0..<16 {
            entry.id = Self.newID(for: entry.message.messageID)
            let path = path(entry.id)
            do {
                if try AtomicFile.write(Data(JSONWriter.bytes(entry.value)), to: path, exclusive: true) { return path }
            } catch {
                throw .unwritable(path: path, reason: Self.reason(error))
            }
        }
        throw .unwritable(path: directory, reason: "no free entry name after 16 tries")
    }

    /// Rewrites an existing entry atomically.
    @discardableResult
    public func write(_ entry: Entry) throws(SpoolError) -> String {
        try ensureDirectory()
        let path = path(entry.id)
        do { try AtomicFile.write(Data(JSONWriter.bytes(entry.value)), to: path) } catch {
            throw .unwritable(path: path, reason: Self.reason(error))
        }
        return path
    }

    /// Removes an entry; a file that is already gone is not an error.
    public func remove(_ id: String) throws(SpoolError) {
        guard Self.isValidID(id) else { throw .missing(id: id, directory: directory) }
        if unlink(path(id)) != 0 && errno != ENOENT {
            throw .unwritable(path: path(id), reason: String(cString: strerror(errno)))
        }
    }

    /// Removes a sent message's entry. When the file cannot be removed it is marked `sent` in
    /// place, so no retry sends it again; the error says what to remove by hand.
    public func settleSent(_ entry: Entry) throws(SpoolError) {
        do { try remove(entry.id) } catch {
            var sent = entry
            sent.state = .sent
            let marked = Self.overwriteInPlace(path(entry.id), with: Data(JSONWriter.bytes(sent.value)))
            throw .notRemoved(path: path(entry.id), marked: marked, reason: error.description)
        }
    }

    /// Rewrites a file through its descriptor (no rename: works where the folder is read-only).
    private static func overwriteInPlace(_ path: String, with data: Data) -> Bool {
        let fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        return written == data.count && fsync(fd) == 0
    }

    public func load(_ id: String) throws(SpoolError) -> Entry {
        guard Self.isValidID(id) else { throw .missing(id: id, directory: directory) }
        let file = path(id)
        guard let data = FileManager.default.contents(atPath: file) else {
            let exists = access(file, F_OK) == 0
            if !exists && errno == ENOENT { throw .missing(id: id, directory: directory) }
            throw .unreadable(path: file, reason: access(file, R_OK) == 0 ? "not a readable file" : String(cString: strerror(errno)))
        }
        let value: Value
        do { value = try JSONParser.parse(Array(data)) } catch {
            throw .unreadable(path: file, reason: "not valid JSON (\(error)); the file may be truncated")
        }
        return try Entry(stored: value, id: id, source: file)
    }

    /// Every entry, oldest first, and the files that cannot be read (never skipped silently).
    /// A folder that does not exist is empty; one that cannot be read is an error.
    public func entries() throws(SpoolError) -> (entries: [Entry], unreadable: [Unreadable]) {
        var info = stat()
        if stat(directory, &info) != 0 && errno == ENOENT { return ([], []) }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw .unreadable(path: directory, reason: Self.reason(error))
        }
        var entries: [Entry] = []
        var unreadable: [Unreadable] = []
        for name in names where name.hasSuffix(".json") {
            let id = String(name.dropLast(5))
            do { entries.append(try load(id)) } catch {
                if case .missing = error { continue }  // sent and removed by another process since the listing
                unreadable.append(Unreadable(id: id, path: path(id), reason: error.description))
            }
        }
        return (entries.sorted { $0.created < $1.created }, unreadable)
    }

    /// An exclusive lock on one entry, so two `outbox retry` processes never send it twice.
    /// `nil` when another process holds it; an error when the lock file cannot be opened.
    public func lock(_ id: String) throws(SpoolError) -> SpoolLock? {
        guard Self.isValidID(id) else { throw .missing(id: id, directory: directory) }
        try ensureDirectory()
        let path = path(id) + ".lock"
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .unwritable(path: path, reason: String(cString: strerror(errno))) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                return nil
            }
            // The holder before us may have removed the file while we waited: lock the file
            // that is there now, or two processes would each hold a lock on a different file.
            var held = stat(), current = stat()
            if fstat(fd, &held) == 0, stat(path, &current) == 0, held.st_ino == current.st_ino, held.st_dev == current.st_dev {
                return SpoolLock(fd: fd, path: path)
            }
            close(fd)
        }
    }

    static func reason(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return (error as NSError).localizedDescription
    }
}

/// What went wrong with the spool, naming the file.
public enum SpoolError: Error, Sendable, CustomStringConvertible {
    /// No entry with this id (sent or purged meanwhile, or never there).
    case missing(id: String, directory: String)
    /// The entry or folder exists and cannot be read (permissions, a truncated or corrupt file).
    case unreadable(path: String, reason: String)
    /// The entry or folder cannot be written.
    case unwritable(path: String, reason: String)
    /// A message was sent but its entry could not be removed (`marked`: it was marked sent).
    case notRemoved(path: String, marked: Bool, reason: String)

    public var description: String {
        switch self {
        case .missing(let id, let directory): "no message '\(id)' in the spool \(directory) (carrier outbox list shows the ids)"
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .unwritable(let path, let reason): "cannot write \(path): \(reason); check the spool folder's owner and permissions"
        case .notRemoved(let path, let marked, let reason):
            "the message was sent but \(path) could not be removed (\(reason)); "
                + (marked ? "it is marked sent and will not be sent again; remove it by hand"
                          : "remove it by hand now, or the next retry sends it again")
        }
    }
}

extension Spool.Entry {
    /// A new entry; its id is given when a spool creates it.
    public init(message: Message, route: String?, created: Double, state: Spool.State, lastError: String? = nil) {
        self.init(id: "", message: message, route: route, created: created, attempts: [], state: state, lastError: lastError, owner: getpid())
    }

    /// Reads an entry as stored; errors name `source` (its file, or its row).
    package init(stored value: Value, id: String, source: String) throws(SpoolError) {
        let message: Message
        do { message = try Message.decode(value["message"], source: source) } catch {
            throw .unreadable(path: source, reason: error.description)
        }
        guard let state = Spool.State(rawValue: value["state"].text) else {
            throw .unreadable(path: source, reason: "unknown state '\(value["state"].text)'")
        }
        guard let created = Double(value["created"].text), created.isFinite, abs(created) < 1e12 else {
            throw .unreadable(path: source, reason: "'created' is not a time")
        }
        let owner = value["owner"].intValue.flatMap { Int32(exactly: $0) }.flatMap { $0 > 0 ? $0 : nil }
        self.init(id: id, message: message, route: value["route"].stringValue, created: created,
                  attempts: value["attempts"].arrayValue ?? [], state: state, lastError: value["last_error"].stringValue, owner: owner)
    }
}

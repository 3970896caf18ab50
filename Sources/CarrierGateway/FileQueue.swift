import Carrier
import Foundation
import Synchronization

/// The gateway's queue in a folder: each record a JSON line appended to a segment file
/// (``QueueLog``), flushed to disk before it counts — several messages share one flush
/// (``GroupSync``) — so an acknowledged message survives a crash or a power cut. An index in
/// memory (built from the segments at start) answers which are due, so records are read only to
/// be sent or shown; a message enters it only once it is durable. One process uses a folder at a
/// time (`carrier queue retry` wants the gateway stopped).
public final class FileQueue: MessageQueue {
    public let directory: String
    private let log: QueueLog
    private let index = Mutex(QueueIndex())
    private let byProviderID = Mutex<[String: String]>([:])
    private let durable: GroupSync
    /// Records found `sending` when the folder was opened: a process stopped while sending them.
    private let orphans = Mutex<[String]>([])
    /// The records delivery events were added to. Held while one of them is read, changed and
    /// written, so two events arriving at once, or an event and the sender's update, both stay.
    private let withEvents = Mutex<Set<String>>([])

    /// Opens (or creates, `0700`) the folder and reads the index from its segments. A folder
    /// written by an earlier Carrier (one `ID.json` file a message) is moved into the log.
    /// - Parameter segmentLimit: the size after which the next segment file is started.
    public init(directory: String, segmentLimit: Int = 32 << 20) throws(StorageError) {
        self.directory = directory
        let (log, records) = try QueueLog.open(directory: directory, segmentLimit: segmentLimit)
        self.log = log
        self.durable = GroupSync(flush: log.flush)
        for record in records + (try moveFilesIntoLog()) {
            remember(record)
            if record.status == .sending { orphans.withLock { $0.append(record.id) } }
        }
    }

    /// Records of the one-file-a-message folder, appended to the log (flushed) and their files removed.
    private func moveFilesIntoLog() throws(StorageError) -> [QueuedMessage] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }
        let records = names.compactMap { name -> QueuedMessage? in
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { return nil }
            return try? QueuedMessage(stored: try JSONParser.parse(Array(data)))
        }
        guard !names.isEmpty else { return [] }
        try log.append(records)
        guard log.flush() else { throw flushFailed }
        for name in names { unlink(directory + "/" + name) }
        return records
    }

    private var flushFailed: StorageError {
        StorageError("the queue", path: directory, reason: "the file system could not flush the queue to disk",
                     hint: "check the disk (dmesg) and free space")
    }

    private func remember(_ record: QueuedMessage) {
        index.withLock { $0.set(record.id, .init(status: record.status, created: record.created, nextAttempt: record.nextAttempt)) }
        if !record.providerIDs.isEmpty {
            byProviderID.withLock { map in for id in record.providerIDs { map[id] = record.id } }
        }
    }

    private func read(_ id: String) throws(StorageError) -> QueuedMessage? {
        guard QueueIDs.isValid(id), let line = log.line(id) else { return nil }
        do {
            return try QueuedMessage(stored: try JSONParser.parse(Array(line.dropLast())))
        } catch {
            throw StorageError("the queue", path: directory, reason: "the record of \(id) cannot be read: \(error)")
        }
    }

    /// Writes records and returns once they are on disk. A new record counts (and may be sent)
    /// only then, and a failed flush withdraws it: its client is told it was not taken. A changed
    /// record counts at once — its newest line is whole either way.
    private func store(_ records: [QueuedMessage], new: Bool) async throws(StorageError) {
        try log.append(records)
        if !new { for record in records { remember(record) } }
        guard await durable.waitForFlush() else {
            if new { log.withdraw(records.map(\.id)) }
            throw flushFailed
        }
        if new { for record in records { remember(record) } }
    }

    public func enqueue(_ record: QueuedMessage) async throws(StorageError) {
        try await store([record], new: true)
    }

    public func enqueue(batch records: [QueuedMessage]) async throws(StorageError) {
        try await store(records, new: true)
    }

    public func record(_ id: String) async throws(StorageError) -> QueuedMessage? {
        try read(id)
    }

    public func claimDue(now: Double, limit: Int) async throws(StorageError) -> [QueuedMessage] {
        let due = index.withLock { $0.claim(now: now, limit: limit) }
        var claimed: [QueuedMessage] = []
        for id in due {
            guard var record = try read(id) else { continue }
            record.status = .sending
            claimed.append(record)
        }
        // On disk before any send starts (one flush for the lot): after a crash, a record found
        // `sending` may have gone out, one found `queued` did not.
        do { try await store(claimed, new: false) } catch {
            index.withLock { index in
                for record in claimed { index.set(record.id, .init(status: .queued, created: record.created, nextAttempt: record.nextAttempt)) }
            }
            throw error
        }
        return claimed
    }

    public func update(_ record: QueuedMessage) async throws(StorageError) {
        var record = record
        try withEvents.withLock { ids throws(StorageError) in
            // Events added since the caller read the record stay with it.
            if ids.contains(record.id), let stored = try read(record.id) {
                for event in stored.events where !record.events.contains(event) { record.events.append(event) }
            }
            try log.append([record])
            remember(record)
        }
        guard await durable.waitForFlush() else { throw flushFailed }
    }

    public func cancel(_ id: String, now: Double) async throws(StorageError) -> QueuedMessage? {
        guard var record = try read(id) else { return nil }
        // Claimed for sending in the meantime: too late.
        let cancellable = index.withLock { index -> Bool in
            guard var entry = index.entries[id], entry.isWaiting || entry.status == .unknown else { return false }
            entry.status = .cancelled
            index.set(id, entry)
            return true
        }
        guard cancellable else { return record }
        record.status = .cancelled
        record.lastError = nil
        try await store([record], new: false)
        return record
    }

    public func record(providerID: String) async throws(StorageError) -> QueuedMessage? {
        guard let id = byProviderID.withLock({ $0[providerID] }) else { return nil }
        return try read(id)
    }

    public func depth() async -> (count: Int, oldestCreated: Double?) {
        index.withLock { index in
            let open = index.entries.values.filter { !$0.status.isFinal }
            return (open.count, open.map(\.created).min())
        }
    }

    public func nextDue() async -> Double? {
        index.withLock { $0.nextDue() }
    }

    public func checkWritable() async throws(StorageError) {
        let probe = directory + "/.ready-probe"
        do { _ = try AtomicFile.write(Data("ok".utf8), to: probe) } catch {
            throw StorageError("the queue", path: directory, reason: "\(error)", hint: "free disk space or fix the folder's permissions")
        }
        unlink(probe)
    }

    public func purge(finalAcceptedBefore created: Double) async -> Int {
        let old = index.withLock { index -> [String] in
            let ids = index.entries.filter { $0.value.status.isFinal && $0.value.created < created }.map(\.key)
            for id in ids { index.remove(id) }
            return ids
        }
        log.withdraw(old)
        log.compact()
        if !old.isEmpty {
            let gone = Set(old)
            byProviderID.withLock { map in map = map.filter { !gone.contains($0.value) } }
            withEvents.withLock { $0.subtract(gone) }
        }
        return old.count
    }

    public func add(event: DeliveryEvent, receivedAt now: Double) async throws(StorageError) -> String? {
        guard let providerID = event.messageID, let id = byProviderID.withLock({ $0[providerID] }) else { return nil }
        let added = try withEvents.withLock { ids throws(StorageError) -> Bool in
            guard var record = try read(id) else { return false }
            // Once per (account, event id): a provider's retried webhook adds nothing.
            let key = (Value.string(event.account), Value.string(event.eventID))
            guard !record.events.contains(where: { ($0["account"], $0["event_id"]) == key }) else { return false }
            record.events.append(event.value)
            try log.append([record])
            remember(record)
            ids.insert(id)
            return true
        }
        guard added else { return nil }
        guard await durable.waitForFlush() else { throw flushFailed }
        return id
    }

    public func abandoned(now: Double) async throws(StorageError) -> [QueuedMessage] {
        let ids = orphans.withLock { ids in defer { ids = [] }; return ids }
        var found: [QueuedMessage] = []
        for id in ids { if let record = try read(id) { found.append(record) } }
        return found
    }
}

import Carrier
import Foundation
import Synchronization

/// The gateway's queue in a folder: one JSON file per message (`ID.json`, `0600`), written to a
/// temporary name and renamed, then flushed to disk (file and rename) before it counts — several
/// messages share one flush (``GroupSync``) — so an acknowledged message survives a crash or a
/// power cut. An index in memory (built from the files at start) answers which are due, so the
/// files are read only to be sent or shown; a message enters it only once it is durable.
public final class FileQueue: MessageQueue {
    public let directory: String
    private let index = Mutex(QueueIndex())
    private let byProviderID = Mutex<[String: String]>([:])
    private let durable: GroupSync
    /// Records found `sending` when the folder was opened: a process stopped while sending them.
    private let orphans = Mutex<[String]>([])

    /// Opens (or creates, `0700`) the folder and reads the index from its files.
    public init(directory: String) throws(StorageError) {
        self.directory = directory
        self.durable = GroupSync(folder: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StorageError("the queue", path: directory, reason: "\(error)", hint: "check the folder's owner and permissions")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix(".json") {
            let id = String(name.dropLast(5))
            guard let record = try? read(id) else { continue }
            remember(record)
            if record.status == .sending { orphans.withLock { $0.append(id) } }
        }
    }

    private func path(_ id: String) -> String { directory + "/" + id + ".json" }

    private func remember(_ record: QueuedMessage) {
        index.withLock { $0.set(record.id, .init(status: record.status, created: record.created, nextAttempt: record.nextAttempt)) }
        if !record.providerIDs.isEmpty {
            byProviderID.withLock { map in for id in record.providerIDs { map[id] = record.id } }
        }
    }

    private func read(_ id: String) throws(StorageError) -> QueuedMessage? {
        guard QueueIDs.isValid(id) else { return nil }
        guard let data = FileManager.default.contents(atPath: path(id)) else { return nil }
        do {
            return try QueuedMessage(stored: try JSONParser.parse(Array(data)))
        } catch {
            throw StorageError("the queue", path: path(id), reason: "the record cannot be read: \(error)")
        }
    }

    /// Writes a record's file (whole or not at all); durable only after ``durable``'s next flush.
    private func write(_ record: QueuedMessage) throws(StorageError) {
        let data = Data(JSONWriter.bytes(record.value(includingMessage: true)))
        do {
            _ = try AtomicFile.write(data, to: path(record.id), syncing: false)
        } catch {
            throw StorageError("the queue", path: path(record.id), reason: "\(error)", hint: "free disk space or fix the folder's permissions")
        }
    }

    /// Writes records and returns once they are on disk. A new record counts (and may be sent)
    /// only then, and a failed flush removes it: its client is told it was not taken. A changed
    /// record counts at once — its file is whole either way, old or new.
    private func store(_ records: [QueuedMessage], new: Bool) async throws(StorageError) {
        var written: [String] = []
        do {
            for record in records {
                try write(record)
                written.append(record.id)
                if !new { remember(record) }
            }
        } catch {
            if new { for id in written { unlink(path(id)) } }  // nothing of a refused batch stays behind
            throw error
        }
        guard await durable.waitForFlush() else {
            if new { for id in written { unlink(path(id)) } }
            throw StorageError("the queue", path: directory, reason: "the file system could not flush the queue to disk",
                               hint: "check the disk (dmesg) and free space")
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
        try await store([record], new: false)
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
        for id in old { unlink(path(id)) }
        if !old.isEmpty {
            let gone = Set(old)
            byProviderID.withLock { map in map = map.filter { !gone.contains($0.value) } }
        }
        return old.count
    }

    public func add(event: DeliveryEvent, receivedAt now: Double) async throws(StorageError) -> String? {
        guard let providerID = event.messageID, var record = try await record(providerID: providerID) else { return nil }
        // Once per (account, event id): a provider's retried webhook adds nothing.
        let key = (Value.string(event.account), Value.string(event.eventID))
        guard !record.events.contains(where: { ($0["account"], $0["event_id"]) == key }) else { return nil }
        record.events.append(event.value)
        try await store([record], new: false)
        return record.id
    }

    public func abandoned(now: Double) async throws(StorageError) -> [QueuedMessage] {
        let ids = orphans.withLock { ids in defer { ids = [] }; return ids }
        var found: [QueuedMessage] = []
        for id in ids { if let record = try read(id) { found.append(record) } }
        return found
    }
}

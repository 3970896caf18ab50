import Carrier
import Foundation
import Synchronization

/// Where ``FileQueue`` keeps its records: JSON lines appended to numbered segment files
/// (`00000001.log`, `0600`), the newest line of an id being its record. Appending a line costs
/// one `write(2)`, not a file created and renamed, and one `fdatasync(2)` of the segment being
/// written makes every line before it durable — the gateway's group commit (``GroupSync``).
///
/// Each process that opens the folder writes a segment of its own (the next number), so a torn
/// last line left by a crash is never written after. Segments go oldest first, once none of their
/// lines is a record's newest — so a withdrawal (a purged record) never outlives the older line it
/// cancels; ``compact()`` copies the live lines of mostly dead segments forward so they can go.
final class QueueLog: Sendable {
    /// Where a record's newest line is.
    private struct Location {
        var segment: Int
        var offset: Int
        var length: Int
    }

    private struct Segment {
        var fd: Int32
        var size: Int
        /// Bytes of the lines that are still records' newest.
        var liveBytes: Int
    }

    private struct State {
        var segments: [Int: Segment] = [:]
        var active = 0
        var locations: [String: Location] = [:]
    }

    let directory: String
    /// Size after which the next segment is started.
    let segmentLimit: Int
    private let state: Mutex<State>

    /// Reads every segment in the folder (creating it, `0700`) and starts a segment of this
    /// process's own; gives the newest version of each record found.
    static func open(directory: String, segmentLimit: Int = 32 << 20) throws(StorageError) -> (log: QueueLog, records: [QueuedMessage]) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StorageError("the queue", path: directory, reason: "\(error)", hint: "check the folder's owner and permissions")
        }
        var state = State()
        var newest: [String: QueuedMessage] = [:]
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".log") }
        for number in names.compactMap({ Int($0.dropLast(4)) }).sorted() {
            let path = segmentPath(directory, number)
            let fd = Glibc.open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0, let data = FileManager.default.contents(atPath: path) else {
                throw StorageError("the queue", path: path, reason: String(cString: strerror(errno)), hint: "check the file's owner and permissions")
            }
            state.segments[number] = Segment(fd: fd, size: data.count, liveBytes: 0)
            state.active = number
            replay(Array(data), segment: number, into: &state, newest: &newest)
        }
        let log = QueueLog(directory: directory, segmentLimit: segmentLimit, state: state)
        try log.state.withLock { state throws(StorageError) in try log.startSegment(&state) }
        return (log, Array(newest.values))
    }

    private init(directory: String, segmentLimit: Int, state: State) {
        self.directory = directory
        self.segmentLimit = segmentLimit
        self.state = Mutex(state)
    }

    deinit {
        state.withLock { state in for segment in state.segments.values { close(segment.fd) } }
    }

    private static func segmentPath(_ directory: String, _ number: Int) -> String {
        directory + "/" + String(repeating: "0", count: max(0, 8 - String(number).count)) + String(number) + ".log"
    }

    /// A segment's lines, in order: a record (its newest so far wins), or a withdrawal. A line that
    /// does not parse — the torn end of a write a crash cut short — is not a record.
    private static func replay(_ bytes: [UInt8], segment: Int, into state: inout State, newest: inout [String: QueuedMessage]) {
        var start = 0
        while start < bytes.count {
            guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            defer { start = end + 1 }
            guard let value = try? JSONParser.parse(Array(bytes[start..<end])) else { continue }
            if let withdrawn = value["withdrawn"].stringValue {
                forget(withdrawn, in: &state)
                newest[withdrawn] = nil
            } else if let record = try? QueuedMessage(stored: value) {
                place(record.id, Location(segment: segment, offset: start, length: end + 1 - start), in: &state)
                newest[record.id] = record
            }
        }
    }

    // MARK: Writing

    /// Appends the records' lines to the active segment: all of them, or none (a failed write is
    /// cut off again). They are durable after the next ``flush()``.
    func append(_ records: [QueuedMessage]) throws(StorageError) {
        let lines = records.map { record in (record.id, JSONWriter.bytes(record.value(includingMessage: true)) + [UInt8(ascii: "\n")]) }
        try state.withLock { state throws(StorageError) in
            var segment = state.segments[state.active]!
            let start = segment.size
            var bytes: [UInt8] = []
            bytes.reserveCapacity(lines.reduce(0) { $0 + $1.1.count })
            for line in lines { bytes += line.1 }
            guard Self.write(bytes, to: segment.fd, at: start) else {
                let reason = String(cString: strerror(errno))
                _ = ftruncate(segment.fd, off_t(start))
                throw StorageError("the queue", path: Self.segmentPath(directory, state.active), reason: reason,
                                   hint: "free disk space or fix the folder's permissions")
            }
            segment.size += bytes.count
            state.segments[state.active] = segment
            var offset = start
            for (id, line) in lines {
                Self.place(id, Location(segment: state.active, offset: offset, length: line.count), in: &state)
                offset += line.count
            }
            if segment.size >= segmentLimit { try startSegment(&state) }
        }
    }

    /// Takes records back: purged ones, and new ones whose flush failed (their client was told
    /// they were not taken; should those lines reach the disk after all, the withdrawal following
    /// them says so at the next start). Not flushed here: the next flush carries it, and one lost
    /// with a crash only brings back a record that is purged, or was refused, again.
    func withdraw(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        let lines = ids.map { JSONWriter.bytes(.object(["withdrawn": .string($0)])) + [UInt8(ascii: "\n")] }
        state.withLock { state in
            let segment = state.segments[state.active]!
            if Self.write(Array(lines.joined()), to: segment.fd, at: segment.size) {
                state.segments[state.active]!.size += lines.reduce(0) { $0 + $1.count }
            } else {
                _ = ftruncate(segment.fd, off_t(segment.size))
            }
            for id in ids { Self.forget(id, in: &state) }
        }
    }

    /// Makes every line appended so far durable: it was written to the active segment, or to one
    /// flushed when the next was started.
    func flush() -> Bool {
        let fd = state.withLock { $0.segments[$0.active]!.fd }
        return fdatasync(fd) == 0
    }

    // MARK: Reading

    /// A record's newest line, or nil when there is none.
    func line(_ id: String) -> [UInt8]? {
        state.withLock { state in
            guard let location = state.locations[id], let segment = state.segments[location.segment] else { return nil }
            var bytes = [UInt8](repeating: 0, count: location.length)
            let read = bytes.withUnsafeMutableBytes { pread(segment.fd, $0.baseAddress, location.length, off_t(location.offset)) }
            return read == location.length ? bytes : nil
        }
    }

    // MARK: Space

    /// Copies the live lines of segments that are mostly dead (under half live) forward, flushes,
    /// then deletes the oldest segments no record's newest line is in, up to the first that has one.
    func compact() {
        let sparse = state.withLock { state in
            state.segments.filter { $0.key != state.active && $0.value.liveBytes * 2 < $0.value.size }.map(\.key)
        }
        let idsIn = state.withLock { state in
            Dictionary(grouping: state.locations.filter { sparse.contains($0.value.segment) }, by: \.value.segment).mapValues { $0.map(\.key) }
        }
        for number in sparse {
            let lines = (idsIn[number] ?? []).compactMap { id in line(id).map { (id, $0) } }
            state.withLock { state in
                for (id, line) in lines where state.locations[id]?.segment == number {
                    let segment = state.segments[state.active]!
                    guard Self.write(line, to: segment.fd, at: segment.size) else {
                        _ = ftruncate(segment.fd, off_t(segment.size))
                        return
                    }
                    state.segments[state.active]!.size += line.count
                    Self.place(id, Location(segment: state.active, offset: segment.size, length: line.count), in: &state)
                }
            }
        }
        // Dead before the flush: every line that replaced theirs is durable once it returns.
        let dead = state.withLock { state in
            Array(state.segments.keys.sorted().prefix { $0 != state.active && state.segments[$0]!.liveBytes == 0 })
        }
        guard !dead.isEmpty, flush() else { return }
        state.withLock { state in
            for number in dead {
                close(state.segments.removeValue(forKey: number)!.fd)
                unlink(Self.segmentPath(directory, number))
            }
        }
    }

    // MARK: Bookkeeping

    private static func place(_ id: String, _ location: Location, in state: inout State) {
        forget(id, in: &state)
        state.locations[id] = location
        state.segments[location.segment]?.liveBytes += location.length
    }

    private static func forget(_ id: String, in state: inout State) {
        guard let old = state.locations.removeValue(forKey: id) else { return }
        state.segments[old.segment]?.liveBytes -= old.length
    }

    /// Flushes the active segment and starts the next number (created, and the folder flushed, so
    /// the new file's name is durable before anything acknowledged is written to it).
    private func startSegment(_ state: inout State) throws(StorageError) {
        if let current = state.segments[state.active] { _ = fsync(current.fd) }
        var number = state.active + 1
        var fd: Int32
        repeat {
            fd = Glibc.open(Self.segmentPath(directory, number), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd < 0 && errno == EEXIST { number += 1 }
        } while fd < 0 && errno == EEXIST
        guard fd >= 0 else {
            throw StorageError("the queue", path: Self.segmentPath(directory, number), reason: String(cString: strerror(errno)),
                               hint: "free disk space or fix the folder's permissions")
        }
        let folder = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { _ = fsync(folder); close(folder) }
        state.segments[number] = Segment(fd: fd, size: 0, liveBytes: 0)
        state.active = number
    }

    /// Writes all of `bytes` at `offset`; false on any failure (errno says why).
    private static func write(_ bytes: [UInt8], to fd: Int32, at offset: Int) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if n <= 0 {
                    if n == 0 { errno = ENOSPC }
                    return false
                }
                done += n
            }
            return true
        }
    }
}

import Foundation
import Synchronization

/// The suppression list in a local file (`suppressions: FILE`): append-only NDJSON — an entry
/// per line, `{"removed": …}` lines taking one off, `{"soft_bounce": …}` lines counting — so a
/// process killed mid-write loses at most its last line and never another's. Each call re-reads
/// what other processes appended since (under a shared `flock`; writes take it exclusively).
public final class SuppressionFile: SuppressionStore {
    public let path: String
    private let state = Mutex<State>(State())

    private struct State {
        var offset: Int = 0
        var entries: [String: Suppression] = [:]  // "scope|address"
        var softBounces: [String: Int] = [:]
    }

    public init(path: String) {
        self.path = path
    }

    public var location: String { path }

    private static func key(_ scope: String, _ address: String) -> String { scope.lowercased() + "|" + address.lowercased() }

    private func failure(_ reason: String) -> StorageError {
        StorageError("the suppression list", path: path, reason: reason, hint: "check the file's folder and permissions")
    }

    /// Runs `body` on the state brought up to date with the file, under a lock on the file.
    private func locked<T>(exclusive: Bool, _ body: (inout State, Int32) throws(StorageError) -> T) throws(StorageError) -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        defer { close(fd) }
        flock(fd, exclusive ? LOCK_EX : LOCK_SH)
        defer { flock(fd, LOCK_UN) }
        return try state.withLock { (state: inout State) throws(StorageError) -> T in
            let size = Int(lseek(fd, 0, SEEK_END))
            if size < state.offset { state = State() }  // the file was replaced: read it whole
            if size > state.offset {
                var bytes = [UInt8](repeating: 0, count: size - state.offset)
                let read = pread(fd, &bytes, bytes.count, off_t(state.offset))
                guard read == bytes.count else { throw failure("cannot read it: \(String(cString: strerror(errno)))") }
                // Only whole lines: a line another process is still writing is read next time.
                let end = (bytes.lastIndex(of: 0x0A) ?? -1) + 1
                for line in bytes[..<end].split(separator: 0x0A) { Self.apply(Array(line), to: &state) }
                state.offset += end
            }
            return try body(&state, fd)
        }
    }

    private static func apply(_ line: [UInt8], to state: inout State) {
        guard let value = try? JSONParser.parse(line) else { return }  // a torn line: skipped
        let scope = value["scope"].stringValue ?? Suppression.everyDomain
        if let removed = value["removed"].stringValue {
            if value["scope"].isNull {
                state.entries = state.entries.filter { $0.value.address != removed.lowercased() }
            } else {
                state.entries[key(scope, removed)] = nil
            }
            state.softBounces = state.softBounces.filter { !$0.key.hasSuffix("|" + removed.lowercased()) }
        } else if let address = value["soft_bounce"].stringValue {
            state.softBounces[key(scope, address), default: 0] += 1
        } else if let entry = Suppression(value), state.entries[key(entry.scope, entry.address)] == nil {
            state.entries[key(entry.scope, entry.address)] = entry
        }
    }

    private func append(_ lines: [Value], fd: Int32, state: inout State) throws(StorageError) {
        var bytes: [UInt8] = []
        for line in lines { bytes += JSONWriter.bytes(line) + [0x0A] }
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw failure("cannot write it: \(String(cString: strerror(errno)))") }
        for line in lines { Self.apply(JSONWriter.bytes(line), to: &state) }
        state.offset += bytes.count
    }

    public func matching(_ addresses: [String], domain: String) throws(StorageError) -> [Suppression] {
        let domain = domain.lowercased()
        return try locked(exclusive: false) { state, _ in
            addresses.flatMap { address in
                [Suppression.everyDomain, domain].compactMap { state.entries[Self.key($0, address)] }
            }
        }
    }

    public func add(_ entries: [Suppression]) throws(StorageError) -> Int {
        try locked(exclusive: true) { state, fd throws(StorageError) in
            let new = entries.filter { state.entries[Self.key($0.scope, $0.address)] == nil }
            guard !new.isEmpty else { return 0 }
            try append(new.map(\.value), fd: fd, state: &state)
            return new.count
        }
    }

    public func countSoftBounce(_ address: String, scope: String, at time: Double) throws(StorageError) -> Int {
        try locked(exclusive: true) { state, fd throws(StorageError) in
            try append([.object(["soft_bounce": .string(address.lowercased()), "scope": .string(scope.lowercased()), "at": .double(time)])],
                       fd: fd, state: &state)
            return state.softBounces[Self.key(scope, address)] ?? 0
        }
    }

    public func remove(_ address: String, scope: String?) throws(StorageError) -> Int {
        try locked(exclusive: true) { state, fd throws(StorageError) in
            let count = state.entries.values.filter { $0.address == address.lowercased() && (scope == nil || $0.scope == scope!.lowercased()) }.count
            var line: OrderedObject = ["removed": .string(address.lowercased())]
            if let scope { line["scope"] = .string(scope.lowercased()) }
            try append([.object(line)], fd: fd, state: &state)
            return count
        }
    }

    public func all() throws(StorageError) -> [Suppression] {
        try locked(exclusive: false) { state, _ in state.entries.values.sorted { ($0.created, $0.address) < ($1.created, $1.address) } }
    }
}

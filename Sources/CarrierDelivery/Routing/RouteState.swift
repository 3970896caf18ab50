import Foundation

/// The state a route keeps between messages: its strategy's (`strategy`) and its breaker's
/// circuits (`circuits`), as one JSON object (in a state file, under the route's name).
///
/// In memory by default. With a ``SharedStateStore`` (`store:`) every change is an atomic step in
/// that store, shared by every machine. With a `state_file` every change is a read-modify-write
/// of that file under an exclusive `flock`, so processes on one machine share it. A store or file
/// that cannot be used falls back to this process's memory.
package actor RouteState {
    private let route: String
    private let file: String?
    private let store: (any SharedStateStore)?
    private var memory: Value = .object(OrderedObject())

    package init(route: String, file: String?, store: (any SharedStateStore)? = nil) {
        self.route = route
        self.file = file
        self.store = store
    }

    /// Keys of accounts' rate-limit buckets (`limits:ACCOUNT`).
    package static let limitsPrefix = "limits:"
    /// The route name a shared store keeps accounts' buckets under: no route's own.
    static let everyRoute = "*"

    /// Whether other processes see this state (a store or a state file): rate limits are then counted in it.
    nonisolated var isShared: Bool { store != nil || file != nil }

    /// Runs a change on one key of the state and returns its result.
    package func update<T: Sendable>(_ key: String, _ change: @Sendable (inout Value) -> T) async -> T {
        if let store {
            // An account's rate limit is one bucket, whichever route sends through it.
            let owner = key.hasPrefix(Self.limitsPrefix) ? Self.everyRoute : route
            do { return try await store.update(route: owner, key: key, change) } catch {
                return Self.apply(key, change, to: &memory)
            }
        }
        guard let file else { return Self.apply(key, change, to: &memory) }
        // Never through a symlink, never a file of another user (it could be made to point anywhere).
        let fd = open(file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return Self.apply(key, change, to: &memory) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_uid == geteuid(), (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return Self.apply(key, change, to: &memory)
        }
        // Several routes may name one file: each keeps its state under its own name.
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        var stored = (try? JSONParser.parse(Array(handle.readDataToEndOfFile())))?.objectValue ?? OrderedObject()
        var mine = stored[route] ?? .object(OrderedObject())
        let result = Self.apply(key, change, to: &mine)
        stored[route] = mine
        let shared = Value.object(stored)
        ftruncate(fd, 0)
        lseek(fd, 0, SEEK_SET)
        handle.write(Data(JSONWriter.bytes(shared)))
        fsync(fd)
        return result
    }

    /// Why a state file may not be used (a symlink, another user's file, not a regular file), or nil.
    static func unsafeFileProblem(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }  // created on first use
        if (info.st_mode & S_IFMT) == S_IFLNK { return "is a symbolic link" }
        if (info.st_mode & S_IFMT) != S_IFREG { return "is not a regular file" }
        if info.st_uid != geteuid() { return "belongs to another user (uid \(info.st_uid))" }
        return nil
    }

    private static func apply<T>(_ key: String, _ change: (inout Value) -> T, to state: inout Value) -> T {
        var object = state.objectValue ?? OrderedObject()
        var value = object[key] ?? .null
        let result = change(&value)
        object[key] = value
        state = .object(object)
        return result
    }
}

/// One ``RouteState`` per route (and state file) in a runtime.
actor RouteStates {
    private var states: [String: RouteState] = [:]
    private let store: (any SharedStateStore)?

    init(store: (any SharedStateStore)?) { self.store = store }

    func state(for route: Route) -> RouteState {
        let key = route.name + "|" + (route.stateFile ?? "")
        if let existing = states[key] { return existing }
        let state = RouteState(route: route.name, file: route.stateFile, store: store)
        states[key] = state
        return state
    }
}

import Foundation

/// An advisory lock one run holds on a file it writes (a bulk journal, an event log) for as long
/// as it runs: a second run on the same file is refused before it does anything. The lock is the
/// kernel's (`flock` on `PATH.lock`), so it is let go when the process ends, however it ends; the
/// lock file names the holder (pid and host) for the error the second run gets, and stays behind.
package final class RunLock: Sendable {
    private let fd: Int32

    /// - Parameters:
    ///   - path: the file the run writes; the lock is `path + ".lock"`.
    ///   - store: what the file is, for errors ("the journal").
    ///   - hint: how to run anyway (another file).
    package init(for path: String, store: String, hint: String) throws(StorageError) {
        let lockPath = path + ".lock"
        fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw StorageError(store, path: path, reason: "its lock file \(lockPath) cannot be opened: \(String(cString: strerror(errno)))", hint: hint)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var holder = [UInt8](repeating: 0, count: 256)
            let n = pread(fd, &holder, holder.count, 0)
            let who = n > 0 ? String(decoding: holder[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).escapingControlCharacters() : ""
            close(fd)
            throw StorageError(store, path: path, reason: "it is in use by another run (\(who.isEmpty ? "another process" : who))",
                               hint: "wait for that run to end, or \(hint)")
        }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let holder = Array("pid \(getpid()) on host \(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))\n".utf8)
        _ = ftruncate(fd, 0)
        _ = holder.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(fd) }  // and with it the lock
}

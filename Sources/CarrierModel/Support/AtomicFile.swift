import Foundation

/// Writes a file so it is either absent or complete: a temporary name in the same folder,
/// fsync, then rename (or link, for a file that must not exist yet).
package enum AtomicFile {
    /// - Parameters:
    ///   - mode: the new file's permissions (default `0600`: only the owner reads it).
    ///   - exclusive: fail (return false) instead of replacing a file that already exists.
    ///   - syncing: fsync the file before it takes its name (false: the caller flushes, as the
    ///     gateway's queue does for many files at once).
    /// - Returns: false only when `exclusive` and the file exists.
    @discardableResult
    package static func write(_ data: Data, to path: String, mode: mode_t = 0o600, exclusive: Bool = false,
                              syncing: Bool = true) throws -> Bool {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let written = data.withUnsafeBytes { bytes -> Int in
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { return -1 }
                offset += n
            }
            return offset
        }
        let saved = errno
        guard written == data.count, !syncing || fsync(fd) == 0 else {
            close(fd)
            unlink(temporary)
            throw POSIXError(POSIXErrorCode(rawValue: saved) ?? .EIO)
        }
        close(fd)
        defer { if exclusive { unlink(temporary) } }
        if exclusive {
            guard link(temporary, path) == 0 else {
                if errno == EEXIST { return false }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            return true
        }
        guard rename(temporary, path) == 0 else {
            let saved = errno
            unlink(temporary)
            throw POSIXError(POSIXErrorCode(rawValue: saved) ?? .EIO)
        }
        return true
    }
}

import Foundation

/// Writes a file so it is either absent or complete: a temporary name in the same folder,
/// fsync, then rename (or link, for a file that must not exist yet).
package enum AtomicFile {
    /// - Parameters:
    ///   - mode: the new file's permissions (default `0600`: only the owner reads it).
    ///   - exclusive: fail (return false) instead of replacing a file that already exists.
    ///   - syncingDirectory: also fsync the folder, so the new name itself survives a crash (what
    ///     a message acknowledged to a client needs).
    /// - Returns: false only when `exclusive` and the file exists.
    @discardableResult
    package static func write(_ data: Data, to path: String, mode: mode_t = 0o600, exclusive: Bool = false,
                              syncingDirectory: Bool = false) throws -> Bool {
        defer { if syncingDirectory { syncFolder(of: path) } }
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
        guard written == data.count, fsync(fd) == 0 else {
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

    /// fsyncs the folder a file is in, so a rename or a new link in it is on disk.
    package static func syncFolder(of path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

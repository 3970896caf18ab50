import Foundation

/// A held spool lock; `release()` lets it go (the kernel also drops it if the process dies).
public final class SpoolLock: @unchecked Sendable {
    private var fd: Int32
    private let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    public func release(removeFile: Bool = false) {
        guard fd >= 0 else { return }
        if removeFile { unlink(path) }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}

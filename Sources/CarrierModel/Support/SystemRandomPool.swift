import Foundation
import Synchronization

/// Random bytes from the operating system, read from `/dev/urandom` 4 KB at a time and handed
/// out in small draws: a send's Message-ID takes 16 bytes, and a system call (or OpenSSL's
/// generator, about 10,000 instructions a draw) for each is most of what making one costs.
package enum SystemRandomPool {
    private struct Pool {
        var bytes: [UInt8] = []
        var used = 0
    }
    private static let pool = Mutex(Pool())
    private static let refill = 4096

    /// `count` random bytes (at most 4096).
    package static func bytes(_ count: Int) -> [UInt8] {
        precondition(count <= refill)
        return pool.withLock { pool in
            if pool.used + count > pool.bytes.count {
                pool.bytes = read(refill)
                pool.used = 0
            }
            defer { pool.used += count }
            return Array(pool.bytes[pool.used..<pool.used + count])
        }
    }

    /// `count` bytes from `/dev/urandom`, or from Swift's system generator where it cannot be read.
    private static func read(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        var filled = 0
        if fd >= 0 {
            defer { close(fd) }
            while filled < count {
                let n = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + filled, count - filled) }
                guard n > 0 else { break }
                filled += n
            }
        }
        if filled < count {
            var generator = SystemRandomNumberGenerator()
            for i in 0..<count { bytes[i] = UInt8.random(in: .min ... .max, using: &generator) }
        }
        return bytes
    }
}

import Foundation

/// A growing byte buffer written through a pointer: an append checks for room and copies, no
/// more (an array's append also checks that it is not shared and goes through generic sequence
/// code — a third of what writing a request body cost). The JSON and MIME writers write into one.
package final class ByteSink {
    // Usable from inline: the mapping module writes bodies into a sink too, a byte at a time.
    // Unchecked exclusivity: the accesses are not all in this module any more, so the compiler
    // would check each at run time (a call in every append); a sink is never shared.
    @usableFromInline @exclusivity(unchecked) var base: UnsafeMutablePointer<UInt8>
    @usableFromInline @exclusivity(unchecked) package internal(set) var count = 0
    @usableFromInline @exclusivity(unchecked) var capacity: Int

    package init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    package var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
    var string: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    // Inlined: JSON's brackets, commas and colons are one-byte appends, a call each otherwise.
    @inlinable @inline(__always)
    package func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    @inlinable @inline(__always)
    package func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if count + bytes.count > capacity { grow(to: count + bytes.count) }
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    package func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// Lets `body` write up to `maximum` bytes straight into the buffer; it returns how many it wrote.
    func write(upTo maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if count + maximum > capacity { grow(to: count + maximum) }
        let written = body(base + count)
        precondition(written <= maximum, "wrote past the room asked for")
        count += written
    }

    /// Drops what was written after `mark` (a ``count`` read before): a value written and then
    /// found to be left out.
    @inlinable @inline(__always)
    package func truncate(to mark: Int) {
        precondition(mark >= 0 && mark <= count, "truncating past the bytes written")
        count = mark
    }

    /// The bytes written, copied once into `Data`.
    package var data: Data { Data(UnsafeBufferPointer(start: base, count: count)) }

    @usableFromInline @inline(never)
    func grow(to needed: Int) {
        while capacity < needed { capacity *= 2 }
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        larger.update(from: base, count: count)
        base.deallocate()
        base = larger
    }
}

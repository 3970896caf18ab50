import Carrier
import CarrierCurl
import Foundation
import Synchronization

/// The messages of `carrier send`, read lazily in the order given: each file is one message,
/// or with `--ndjson` each non-empty line of each file (or of standard input) is one. Nothing is
/// read before a send slot asks for it, so memory stays flat for any number of messages.
final class MessageSource: Sequence, @unchecked Sendable {
    let arguments: [String]
    let ndjson: Bool
    let attachmentFolders: [String]
    /// The largest message file or line read; a larger one is refused, naming it, without being read whole.
    let maximumBytes: Int
    /// Once set, nothing more is read (a stopping signal came).
    var stopReading: @Sendable () -> Bool = { false }
    /// Where each message in flight came from (`file`, `file:line`), for error lines.
    private let labels = Mutex<[Int: String]>([:])

    init(arguments: [String], ndjson: Bool, attachmentFolders: [String], maximumBytes: Int = Message.defaultMaximumBytes) {
        self.arguments = arguments
        self.ndjson = ndjson
        self.attachmentFolders = attachmentFolders
        self.maximumBytes = maximumBytes
    }

    /// One message file (or `-`).
    func read(_ argument: String) throws(CarrierError) -> Message {
        try MessageInput.load(argument, attachmentFolders: attachmentFolders, maximumBytes: maximumBytes)
    }

    func label(_ index: Int) -> String { labels.withLock { $0[index] } ?? "message \(index + 1)" }
    func forget(_ index: Int) { _ = labels.withLock { $0.removeValue(forKey: index) } }

    func makeIterator() -> AnyIterator<Result<Message, CarrierError>> {
        var index = 0
        var files = arguments.makeIterator()
        var lines: LineReader?
        var current = ""
        return AnyIterator { [self] in
            while !stopReading() {
                if ndjson {
                    if let reader = lines, let (number, read) = reader.next() {
                        let source = "\(current):\(number)"
                        labels.withLock { $0[index] = source }
                        index += 1
                        guard case .success(let line) = read else {
                            return .failure(.message(MessageError(source: source, problems: [.init(
                                field: "(message)", message: "the line is longer than \(maximumBytes) bytes; not read",
                                hint: "send smaller messages, or raise --max-message-bytes")])))
                        }
                        let directory = current == "-" ? FileManager.default.currentDirectoryPath : (current as NSString).deletingLastPathComponent
                        return Result { () throws(MessageError) -> Message in
                            try Message.parse(data: line, source: source, baseDirectory: directory.isEmpty ? "." : directory,
                                              attachmentFolders: attachmentFolders)
                        }.mapError(CarrierError.message)
                    }
                    guard let next = files.next() else { return nil }
                    current = next
                    guard let reader = LineReader(path: next, maximumLineBytes: maximumBytes) else {
                        labels.withLock { $0[index] = next }
                        index += 1
                        return .failure(.message(MessageError(source: next, problems: [.init(field: "(file)", message: "cannot read the file")])))
                    }
                    lines = reader
                    continue
                }
                guard let next = files.next() else { return nil }
                labels.withLock { $0[index] = next }
                index += 1
                return Result { () throws(CarrierError) -> Message in try read(next) }
            }
            return nil
        }
    }
}

/// The non-empty lines of a file (or `-`), read in 64 KiB chunks, with their line numbers. A
/// line longer than `maximumLineBytes` is skipped to its end without being kept, and reported.
final class LineReader {
    /// A line past the limit.
    struct TooLong: Error {}

    private let fd: Int32
    private let maximumLineBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var number = 0
    private var atEnd = false
    /// Where the search for the next newline goes on (a long line is not scanned again per chunk).
    private var scanned = 0

    init?(path: String, maximumLineBytes: Int = .max) {
        fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        self.maximumLineBytes = maximumLineBytes
        if fd < 0 { return nil }
    }

    deinit { if fd > 0 { close(fd) } }

    /// Whether the line being read is past the limit: its bytes are dropped until its end.
    private var skipping = false

    func next() -> (Int, Result<Data, TooLong>)? {
        while true {
            if let newline = buffer[max(start, scanned)...].firstIndex(of: 0x0A) {
                let line = buffer[start..<newline]
                start = newline + 1
                scanned = start
                number += 1
                if skipping || line.count > maximumLineBytes {
                    skipping = false
                    return (number, .failure(TooLong()))
                }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                return (number, .success(Data(line)))
            }
            if atEnd {
                guard start < buffer.count || skipping else { return nil }
                let line = buffer[start...]
                start = buffer.count
                number += 1
                if skipping || line.count > maximumLineBytes {
                    skipping = false
                    return (number, .failure(TooLong()))
                }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
                return (number, .success(Data(line)))
            }
            if buffer.count - start > maximumLineBytes {  // no newline within the limit: drop what was read of it
                skipping = true
                buffer = []
                start = 0
                scanned = 0
            }
            scanned = buffer.count - start
            buffer.removeFirst(start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, 65536) }
            if n <= 0 { atEnd = true } else { buffer += chunk[..<n] }
        }
    }
}

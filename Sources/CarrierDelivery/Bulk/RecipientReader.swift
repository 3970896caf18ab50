import Foundation

/// One row of a bulk run's recipients: the address, an optional name, and every other column
/// as a merge variable (`recipient.order_id`).
public struct BulkRecipient: Sendable {
    /// The line of the file it came from (the first line of a CSV record).
    public var line: Int
    /// The address (with the `name` column as its display name).
    public var address: Address
    /// Every column, `email` and `name` included, as templates see `recipient`.
    public var fields: OrderedObject

    public init(line: Int, address: Address, fields: OrderedObject) {
        self.line = line
        self.address = address
        self.fields = fields
    }
}

/// A row that could not be read, with its line number: reported and skipped, never fatal.
public struct BulkRowError: Error, Sendable, CustomStringConvertible {
    /// The line of the file the row starts on.
    public var line: Int
    /// What is wrong with it.
    public var problem: String

    package init(line: Int, problem: String) {
        self.line = line
        self.problem = problem
    }
    public var description: String { "line \(line): \(problem)" }
}

/// Reads recipients lazily from CSV (a header row with `email`, optional `name`, any other
/// columns; RFC 4180 quoting, fields may span lines) or NDJSON (one object a line, same keys).
/// Memory stays flat whatever the file's size.
public final class RecipientReader: Sequence {
    /// CSV with a header row, or one JSON object a line.
    public enum Format: Sendable { case csv, ndjson }

    /// The format of the file, from its extension or its first character.
    public let format: Format
    /// The CSV header (empty for NDJSON until the first row is read).
    public private(set) var columns: [String] = []
    private let input: ByteStream
    private var line = 0
    private var reportedReadError = false
    /// Once it says so, no further row is read (a stopping signal came): the run ends after the
    /// rows under way, and the next run resumes from the journal.
    public var stopReading: @Sendable () -> Bool = { false }

    /// - Parameter path: a file, or `-` for standard input; the format comes from the extension
    ///   (`.csv`, `.ndjson`, `.jsonl`) or else from the first character (`{` means NDJSON).
    public init(path: String) throws(BulkRowError) {
        guard let stream = ByteStream(path: path) else {
            throw BulkRowError(line: 0, problem: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        input = stream
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { format = .csv }
        else if lower.hasSuffix(".ndjson") || lower.hasSuffix(".jsonl") { format = .ndjson }
        else { format = stream.peekFirstNonSpace() == UInt8(ascii: "{") ? .ndjson : .csv }
        if format == .csv {
            guard let header = try readRecord() else { throw BulkRowError(line: 1, problem: "the file is empty; it needs a header row with an email column") }
            columns = header.map { $0.trimmingWhitespace() }
            guard columns.contains("email") else {
                throw BulkRowError(line: 1, problem: "the header has no 'email' column (it has: \(columns.joined(separator: ", ")))")
            }
            if let duplicate = columns.first(where: { name in columns.filter { $0 == name }.count > 1 }) {
                throw BulkRowError(line: 1, problem: "the header names '\(duplicate)' twice")
            }
        }
    }

    /// The rows in order, each a recipient or the reason it could not be read.
    public func makeIterator() -> AnyIterator<Result<BulkRecipient, BulkRowError>> {
        AnyIterator { self.stopReading() ? nil : self.next() }
    }

    private func next() -> Result<BulkRecipient, BulkRowError>? {
        switch format {
        case .csv:
            let start = line + 1
            let record: [String]?
            do { record = try readRecord() } catch { return .failure(error) }
            guard let record else { return readFailure(at: start) }
            if record.count == 1 && record[0].isEmpty { return next() }  // a blank line (at most a few in a row)
            guard record.count == columns.count else {
                return .failure(BulkRowError(line: start, problem: "\(record.count) fields where the header has \(columns.count)"))
            }
            var fields = OrderedObject()
            for (name, value) in zip(columns, record) { fields[name] = .string(value) }
            return recipient(fields, line: start)
        case .ndjson:
            while let bytes = input.nextLine() {
                line += 1
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                guard let value = try? JSONParser.parse(bytes, duplicateKeys: .refuse), case .object(let fields) = value else {
                    return .failure(BulkRowError(line: line, problem: "not a JSON object"))
                }
                let result = recipient(fields, line: line)
                if columns.isEmpty, case .success = result { columns = fields.keys }  // the first good row names the fields
                return result
            }
            return readFailure(at: line + 1)
        }
    }

    /// The end of the rows: nil, or a row error when reading stopped on an I/O error.
    private func readFailure(at line: Int) -> Result<BulkRecipient, BulkRowError>? {
        guard let error = input.readError, !reportedReadError else { return nil }
        reportedReadError = true
        return .failure(BulkRowError(line: line, problem: "reading stopped here: \(error); the rows after it were not read"))
    }

    private func recipient(_ fields: OrderedObject, line: Int) -> Result<BulkRecipient, BulkRowError> {
        let email = fields["email"]?.text.trimmingWhitespace() ?? ""
        guard !email.isEmpty else { return .failure(BulkRowError(line: line, problem: "no email")) }
        let name = fields["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let address = Address(email: email, name: name)
        do { try address.validate() } catch { return .failure(BulkRowError(line: line, problem: error.message)) }
        return .success(BulkRecipient(line: line, address: address, fields: fields))
    }

    /// One CSV record (RFC 4180): fields separated by commas, quoted fields may hold commas,
    /// doubled quotes and line breaks. Nil at the end of the input.
    private func readRecord() throws(BulkRowError) -> [String]? {
        guard let first = input.nextLine() else { return nil }
        line += 1
        let start = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false, wasQuoted = false
        var bytes = first[...]
        while true {
            var i = bytes.startIndex
            while i < bytes.endIndex {
                let b = bytes[i]
                if quoted {
                    if b == 0x22 {
                        if i + 1 < bytes.endIndex && bytes[i + 1] == 0x22 { field.append(0x22); i += 1 } else {
                            quoted = false
                            let next = i + 1 < bytes.endIndex ? bytes[i + 1] : 0x2C
                            guard next == 0x2C || next == 0x0D else {
                                throw BulkRowError(line: line, problem: "text after a closing quote (quote the whole field)")
                            }
                        }
                    } else {
                        field.append(b)
                    }
                } else if b == 0x22 && field.isEmpty && !wasQuoted {
                    quoted = true
                    wasQuoted = true
                } else if b == 0x2C {
                    fields.append(String(decoding: field, as: UTF8.self))
                    field = []
                    wasQuoted = false
                } else if b == 0x22 {
                    throw BulkRowError(line: line, problem: "a quote inside an unquoted field (quote the whole field and double the quote)")
                } else if b != 0x0D || i + 1 < bytes.endIndex {
                    field.append(b)
                }
                i += 1
            }
            guard quoted else { break }
            // A quoted field goes on to the next line.
            guard let more = input.nextLine() else {
                throw BulkRowError(line: start, problem: "a quoted field is not closed before the end of the file")
            }
            line += 1
            field.append(0x0A)
            bytes = more[...]
        }
        fields.append(String(decoding: field, as: UTF8.self))
        return fields
    }
}

/// Lines of a file or standard input, read in 64 KiB chunks.
final class ByteStream {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var atEnd = false
    private var sawFirstBytes = false
    /// Why reading stopped early, when it did (an I/O error, not the end of the file).
    private(set) var readError: String?

    init?(path: String) {
        fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
    }

    deinit { if fd > 0 { close(fd) } }

    /// The first byte that is not white space, without consuming anything.
    func peekFirstNonSpace() -> UInt8? {
        while true {
            if let byte = buffer[start...].first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }) {
                return byte
            }
            guard fill() else { return nil }
        }
    }

    /// The next line without its line feed, or nil at the end.
    func nextLine() -> [UInt8]? {
        while true {
            if let newline = buffer[max(start, scanned)...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                scanned = start
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return line
            }
            scanned = buffer.count
            _ = fill()
        }
    }

    private func fill() -> Bool {
        if atEnd { return false }
        if start > 0 {
            scanned -= start
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        var n = 0
        repeat { n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, 65536) } } while n < 0 && errno == EINTR
        if n < 0 { readError = String(cString: strerror(errno)) }
        if n <= 0 { atEnd = true; return false }
        if buffer.isEmpty && !sawFirstBytes {
            sawFirstBytes = true
            if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { buffer += chunk[3..<n]; return true }  // a byte-order mark
        }
        buffer += chunk[..<n]
        return true
    }
}

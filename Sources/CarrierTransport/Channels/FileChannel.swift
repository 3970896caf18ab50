import CarrierCurl
import Foundation

extension ChannelKind {
    /// `.eml` files in a folder: the embedded default, with no network.
    public static let file = ChannelKind(rawValue: "file")
}

/// Writes each message as an `.eml` file into a folder: the embedded default, with no network.
/// Tags and metadata, which plain MIME has no place for, travel as `X-Carrier-Tags` and
/// `X-Carrier-Metadata` headers, as they do for Gmail and plain SMTP.
struct FileChannel: Channel {
    static let kind = ChannelKind.file
    static let section: String? = nil

    static func readSection(_ section: NodeReader, in file: ProviderFileReader, capabilities: Capabilities) -> (any Sendable)? { nil }

    /// An account's `directory:`, the folder `.eml` files are written to.
    static func readAccountOptions(_ account: NodeReader, transfer: inout TransferOptions, absolute: (String) -> String) -> (any Sendable)? {
        account.string("directory").map(absolute)
    }

    let account: Account

    init(_ setup: ChannelContext) {
        account = setup.account
    }

    /// A file carries everything a MIME message can.
    var capabilities: Capabilities { .all }

    /// Files are written as fast as they come.
    var concurrency: Int? { nil }

    var directory: String { account.directory ?? "./outbox" }

    func render(_ message: Message, showSecrets: Bool) throws(CarrierError) -> Value {
        do { return .object(["channel": "file", "directory": .string(directory), "message": .string(try MIMEWriter().write(message))]) } catch {
            throw .header(error)
        }
    }

    func send(_ message: Message) async -> Attempt {
        let started = Date()
        let id = message.messageID ?? MessageIDs.make(domain: message.from.domain)
        var stamped = message
        stamped.messageID = id
        var headers: [(name: String, value: String)] = []
        if !message.tags.isEmpty { headers.append(("X-Carrier-Tags", message.tags.joined(separator: ", "))) }
        if !message.metadata.isEmpty { headers.append(("X-Carrier-Metadata", JSONWriter.string(.object(message.metadata)))) }
        let mime: String
        do { mime = try MIMEWriter(includeBcc: true, extraHeaders: headers, dkim: account.dkim).write(stamped) } catch {
            return Attempt(account: account.name, provider: "file", channel: Self.kind, outcome: .failed, errorClass: .permanent,
                           error: error.description)
        }
        // The name comes from the id's left side with anything but letters, digits, '-' and '_'
        // replaced; a file that exists already is never replaced (`-2`, `-3`, … are added).
        let stem = String(Int(Date().timeIntervalSince1970)) + "-"
            + String(id.prefix { $0 != "@" }.prefix(64).map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
        var path = (directory as NSString).appendingPathComponent(stem + ".eml")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var copy = 1
            while !(try AtomicFile.write(Data(mime.utf8), to: path, mode: 0o644, exclusive: true)) {
                copy += 1
                path = (directory as NSString).appendingPathComponent(stem + "-\(copy).eml")
            }
            var attempt = Attempt(account: account.name, provider: "file", channel: Self.kind, outcome: .sent,
                                  durationMs: Int(Date().timeIntervalSince(started) * 1000), messageIDs: [id])
            attempt.path = path
            return attempt
        } catch {
            return Attempt(account: account.name, provider: "file", channel: Self.kind, outcome: .failed, errorClass: .failover,
                           error: "cannot write \(path): \(error.localizedDescription)")
        }
    }
}

extension Account {
    /// For the file channel: the folder `.eml` files are written to (`directory:`).
    public var directory: String? {
        get { options[.file] as? String }
        set { options[.file] = newValue }
    }
}

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

    let account: Account

    init(_ setup: ChannelSetup) {
        account = setup.account
    }

    /// A file carries everything a MIME message can.
    var capabilities: Capabilities { .all }

    var directory: String { account.directory ?? "./outbox" }

    func render(_ message: Message, showSecrets: Bool) throws(CarrierError) -> Value {
        .object(["channel": "file", "directory": .string(directory), "message": .string(MIMEWriter().write(message))])
    }

    func send(_ message: Message) async -> Attempt {
        let started = Date()
        let id = message.messageID ?? MessageIDs.make(domain: message.from.domain)
        var stamped = message
        stamped.messageID = id
        var headers: [(name: String, value: String)] = []
        if !message.tags.isEmpty { headers.append(("X-Carrier-Tags", message.tags.joined(separator: ", "))) }
        if !message.metadata.isEmpty { headers.append(("X-Carrier-Metadata", JSONWriter.string(.object(message.metadata)))) }
        let mime = MIMEWriter(includeBcc: true, extraHeaders: headers).write(stamped)
        let name = String(Int(Date().timeIntervalSince1970)) + "-" + id.prefix { $0 != "@" } + ".eml"
        let path = (directory as NSString).appendingPathComponent(name)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try AtomicFile.write(Data(mime.utf8), to: path)
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

/// Writes a file so it is either absent or complete: a temporary name, fsync, then rename.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}

import CarrierYAML
import Foundation

/// The message of a bulk run: a message file whose strings may hold merge fields in the mapping
/// language of provider files — `{{ recipient.name | default('there') }}`, `{{ recipient.order_id }}`
/// — anywhere (subject, text, html, headers, metadata, tags, template variables). Each
/// recipient gets the message with `to` set to them and the fields filled in.
public struct BulkTemplate: Sendable {
    let mapping: Mapping
    let source: String
    /// The `recipient` fields the template reads.
    public let fieldsRead: [String]
    /// Folders attachment paths may read from besides the template's own (`attachment_folders:`).
    public var attachmentFolders: [String] = []
    /// A hash of the template's text: a journal belongs to one template.
    public let fingerprint: String
    /// Adds one-click unsubscribe headers to each recipient's message (`unsubscribe:` in
    /// carrier.yaml), unless the template writes its own `List-Unsubscribe`.
    public var unsubscribe: UnsubscribeLinks?
    /// The list the links unsubscribe from (`carrier bulk --list`; default the template's file name).
    public var list: String

    /// Variables a bulk template may read.
    static let variables: Set<String> = ["recipient", "now"]

    /// Compiles the message file; syntax errors, unknown variables and filters are reported with
    /// file:line:col, and `to`, `cc` and `bcc` are refused (each recipient is the `to`).
    public static func load(path: String) throws(CarrierError) -> BulkTemplate {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .message(MessageError(source: path, problems: [.init(field: "(file)", message: "cannot read the message file", hint: "check the path")]))
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    /// Compiles a template from text; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws(CarrierError) -> BulkTemplate {
        let node: YAMLNode
        do {
            guard let parsed = try YAMLParser.parse(text, file: source) else {
                throw DiagnosticsError([Diagnostic(file: source, mark: SourceMark(line: 1, column: 1), message: "the message is empty")])
            }
            node = parsed
        } catch let error as YAMLSyntaxError {
            throw .definition(DiagnosticsError([Diagnostic(file: source, mark: error.mark, message: error.problem)]))
        } catch let error as DiagnosticsError {
            throw .definition(error)
        } catch {
            throw .definition(DiagnosticsError([Diagnostic(file: source, mark: SourceMark(line: 1, column: 1), message: "\(error)")]))
        }
        let sink = DiagnosticSink()
        for key in ["to", "cc", "bcc"] {
            if let pair = node.mapping?.first(where: { $0.key.scalar == key }) {
                sink.add(Diagnostic(file: source, mark: pair.key.mark,
                                    message: key == "to" ? "a bulk message has no 'to': each recipient of the list is the 'to'"
                                                         : "'\(key)' in a bulk message would copy every recipient's message to the same address",
                                    hint: "remove '\(key)'"))
            }
        }
        let mapping = MappingCompiler(file: source, variables: variables, sink: sink).compile(node)
        do { try sink.check() } catch { throw .definition(error) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let name = ((source as NSString).lastPathComponent as NSString).deletingPathExtension
        return BulkTemplate(mapping: mapping, source: source, fieldsRead: mapping.membersRead(of: "recipient"),
                            fingerprint: String(hash, radix: 16), list: name.isEmpty ? "bulk" : name)
    }

    /// Refuses a template that reads a field the recipients do not have, before anything is sent.
    public func check(columns: [String]) throws(CarrierError) {
        let known = Set(columns).union(["email", "name"])
        let unknown = fieldsRead.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw .message(MessageError(source: source, problems: unknown.map {
                .init(field: "recipient.\($0)", message: "the recipients have no field '\($0)'",
                      hint: Suggest.hint(for: $0, in: Array(known), otherwise: "their fields are: \(columns.joined(separator: ", "))"))
            }))
        }
    }

    /// The message for one recipient. Without a `message_id` in the template, it gets one made
    /// from the run, the row and the address, so sending the row again (a resumed run) carries
    /// the same Message-ID — and the same idempotency key where the provider takes one.
    public func message(for recipient: BulkRecipient, run: String = "", now: Int = Int(Date().timeIntervalSince1970)) throws(CarrierError) -> Message {
        let scope = Scope(values: ["recipient": .object(recipient.fields), "now": .int(now)])
        var value: Value
        do { value = try mapping.render(in: scope) } catch { throw .template(error) }
        guard var object = value.objectValue else {
            throw .message(MessageError(source: source, problems: [.init(field: "(message)", message: "a message must be an object")]))
        }
        object["to"] = recipient.address.value
        if object["message_id"] == nil || object["message_id"] == .null {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in "\(run)|\(fingerprint)|\(recipient.line)|\(recipient.address.email.lowercased())".utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
            let domain = (object["from"].flatMap { try? Address(parsing: $0.stringValue ?? $0["email"].text) })?.domain ?? ""
            object["message_id"] = .string("bulk-\(String(hash, radix: 16))-\(recipient.line)@" + (HeaderRules.isDotAtom(Substring(domain)) ? domain : "carrier.invalid"))
        }
        value = .object(object)
        let folder = (source as NSString).deletingLastPathComponent
        var message: Message
        do {
            message = try Message.decode(value, source: "\(source) for line \(recipient.line)", baseDirectory: folder.isEmpty ? "." : folder,
                                         attachmentFolders: attachmentFolders)
        } catch { throw .message(error) }
        if let unsubscribe, !message.headers.contains(where: { HeaderRules.sameFieldName($0.name, "list-unsubscribe") }) {
            message.headers += unsubscribe.headers(email: recipient.address.email, list: list)
        }
        return message
    }
}

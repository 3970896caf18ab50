import CarrierYAML
import Foundation

extension Message {
    package static let fieldNames = ["from", "to", "cc", "bcc", "reply_to", "subject", "text", "html", "attachments", "headers",
                             "tags", "category", "metadata", "custom_variables", "template", "template_uuid",
                             "template_variables", "send_at", "message_id", "date"]

    /// Headers a message may not set directly, because a field (`owner`) or the MIME writer owns
    /// them. A list compared without case (no lower-cased copy of each header name per send).
    static let reservedHeaders: [(name: String, owner: String)] = [
        ("from", "from"), ("to", "to"), ("cc", "cc"), ("bcc", "bcc"), ("reply-to", "reply_to"), ("subject", "subject"),
        ("message-id", "message_id"), ("date", "date"), ("mime-version", ""), ("content-type", ""), ("content-transfer-encoding", ""),
    ]

    /// Reads a message from the bytes of a JSON or YAML file: invalid UTF-8 is refused with its
    /// byte offset, never replaced.
    ///   - readsPaths: false for a message from the network: an attachment `path` is refused.
    public static func parse(data: Data, source: String = "<message>", baseDirectory: String? = nil,
                             attachmentFolders: [String] = [], readsPaths: Bool = true) throws(MessageError) -> Message {
        if let offset = UTF8Check.firstInvalidOffset(in: data) {
            throw MessageError(source: source, problems: [.init(field: "(file)", message: "invalid UTF-8 at byte offset \(offset)",
                                                                hint: "save the message as UTF-8")])
        }
        // JSON (what the gateway is posted) is read from the bytes, without a string in between.
        let bytes = Array(data)
        if bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{") {
            return try decode(try json(bytes, source: source), source: source, baseDirectory: baseDirectory,
                              attachmentFolders: attachmentFolders, readsPaths: readsPaths)
        }
        return try parse(String(decoding: bytes, as: UTF8.self), source: source, baseDirectory: baseDirectory,
                         attachmentFolders: attachmentFolders, readsPaths: readsPaths)
    }

    private static func json(_ bytes: [UInt8], source: String) throws(MessageError) -> Value {
        do { return try JSONParser.parse(bytes, duplicateKeys: .refuse) } catch {
            throw MessageError(source: source, problems: [.init(field: "(json)", message: "not valid JSON at \(error)")])
        }
    }

    /// Reads a message from JSON or YAML text (JSON is YAML, but JSON is tried first for exact errors).
    /// A key written twice is refused, in either syntax.
    ///
    /// - Parameters:
    ///   - source: the file name for error messages.
    ///   - baseDirectory: where attachment `path`s are resolved from; they must stay inside it.
    ///   - attachmentFolders: further folders attachment paths may read from (`attachment_folders:` in carrier.yaml).
    public static func parse(_ text: String, source: String = "<message>", baseDirectory: String? = nil,
                             attachmentFolders: [String] = [], readsPaths: Bool = true) throws(MessageError) -> Message {
        let value: Value
        let trimmed = text.drop { $0.isWhitespace }
        if trimmed.first == "{" {
            value = try json(Array(text.utf8), source: source)
        } else {
            let parsed: YAMLNode?
            do { parsed = try YAMLParser.parse(text, file: source) } catch {
                throw MessageError(source: source, problems: [.init(field: "(yaml)", message: "not valid YAML: \(error)")])
            }
            guard let node = parsed else {
                throw MessageError(source: source, problems: [.init(field: "(file)", message: "the message is empty")])
            }
            value = Value(yaml: node)
        }
        return try decode(value, source: source, baseDirectory: baseDirectory, attachmentFolders: attachmentFolders, readsPaths: readsPaths)
    }

    /// Builds a message from a decoded value, collecting one problem per bad field.
    ///
    /// Everything that ends up in a header is checked here against its grammar (Message-ID,
    /// media types, content ids, metadata keys as header names, one-line tags), so a message is
    /// refused with the field named before anything is sent.
    public static func decode(_ value: Value, source: String? = nil, baseDirectory: String? = nil,
                              attachmentFolders: [String] = [], readsPaths: Bool = true) throws(MessageError) -> Message {
        var decoder = FieldDecoder(attachments: readsPaths ? AttachmentFolders(base: baseDirectory, extra: attachmentFolders) : .none)
        guard let object = value.objectValue else {
            throw MessageError(source: source, problems: [.init(field: "(message)", message: "a message must be an object, not \(value.typeName)")])
        }
        for entry in object where !fieldNames.contains(entry.key) {
            decoder.problem(entry.key, "unknown field", hint: Suggest.hint(for: entry.key, in: fieldNames))
        }
        let from = decoder.address(object["from"], field: "from")
        var message = Message(from: from ?? Address(email: "invalid@invalid"))
        if object["from"] == nil { decoder.problem("from", "is required", hint: "add \"from\": \"Name <you@example.com>\"") }
        message.to = decoder.addresses(object["to"], field: "to")
        message.cc = decoder.addresses(object["cc"], field: "cc")
        message.bcc = decoder.addresses(object["bcc"], field: "bcc")
        message.replyTo = decoder.addresses(object["reply_to"], field: "reply_to")
        message.subject = decoder.string(object["subject"], field: "subject")
        message.text = decoder.string(object["text"], field: "text")
        message.html = decoder.string(object["html"], field: "html")
        message.attachments = decoder.attachments(object["attachments"])
        message.headers = decoder.headers(object["headers"])
        message.tags = decoder.strings(object["tags"], field: "tags")
        if let category = decoder.string(object["category"], field: "category") { message.tags.insert(category, at: 0) }
        message.metadata = decoder.object(object["metadata"], field: "metadata")
        for entry in decoder.object(object["custom_variables"], field: "custom_variables") { message.metadata[entry.key] = entry.value }
        message.template = decoder.template(object)
        message.sendAt = decoder.time(object["send_at"], field: "send_at")
        message.date = decoder.time(object["date"], field: "date")
        message.messageID = decoder.string(object["message_id"], field: "message_id").map {
            $0.trimming(ascii: "<> ")
        }
        if message.to.isEmpty && message.cc.isEmpty && message.bcc.isEmpty && decoder.problems.isEmpty {
            decoder.problem("to", "the message has no recipient", hint: "add at least one address to to, cc or bcc")
        }
        if message.template == nil && (message.text ?? "").isEmpty && (message.html ?? "").isEmpty {
            decoder.problem("text", "the message has no body", hint: "add text, html or a template")
        }
        if message.template == nil && (message.subject ?? "").isEmpty {
            decoder.problem("subject", "the message has no subject", hint: "add a subject, or use a template that has one")
        }
        for (i, attachment) in message.attachments.enumerated() where attachment.disposition == .inline && attachment.contentID == nil {
            decoder.problem("attachments[\(i)].content_id", "an inline attachment needs a content_id",
                            hint: "set content_id and refer to it as cid:… in the html")
        }
        decoder.problems += message.headerProblems
        guard decoder.problems.isEmpty else { throw MessageError(source: source, problems: decoder.problems) }
        return message
    }
}

/// Decodes message fields, recording a problem per field instead of stopping at the first.
private struct FieldDecoder {
    var attachments: AttachmentFolders
    var problems: [MessageError.FieldProblem] = []

    mutating func problem(_ field: String, _ message: String, hint: String? = nil) {
        problems.append(.init(field: field, message: message, hint: hint))
    }

    mutating func address(_ value: Value?, field: String) -> Address? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            do { return try Address(parsing: text) } catch { problem(field, error.message, hint: error.hint); return nil }
        case .object(let object)?:
            for key in object.keys where key != "email" && key != "name" {
                problem("\(field).\(key)", "unknown field", hint: "an address has only email and name")
            }
            guard case .string(let email)? = object["email"] else {
                problem("\(field).email", "is required", hint: "write {\"email\": \"user@example.com\", \"name\": \"…\"}")
                return nil
            }
            let address = Address(email: email.trimmingWhitespace(), name: object["name"]?.stringValue)
            do { try address.validate() } catch { problem(field, error.message, hint: error.hint); return nil }
            return address
        case let other?:
            problem(field, "must be an address, not \(other.typeName)", hint: "write \"Name <user@example.com>\"")
            return nil
        }
    }

    mutating func addresses(_ value: Value?, field: String) -> [Address] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            return items.enumerated().compactMap { address($1, field: "\(field)[\($0)]") }
        case let single?:
            return address(single, field: field).map { [$0] } ?? []
        }
    }

    mutating func string(_ value: Value?, field: String) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .int?, .double?: return value!.text
        case let other?: problem(field, "must be text, not \(other.typeName)"); return nil
        }
    }

    mutating func strings(_ value: Value?, field: String) -> [String] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?: return items.enumerated().compactMap { string($1, field: "\(field)[\($0)]") }
        case let single?: return string(single, field: field).map { [$0] } ?? []
        }
    }

    mutating func object(_ value: Value?, field: String) -> OrderedObject {
        switch value {
        case nil, .null?: return OrderedObject()
        case .object(let o)?: return o
        case let other?: problem(field, "must be an object, not \(other.typeName)"); return OrderedObject()
        }
    }

    mutating func time(_ value: Value?, field: String) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .int(let i)? where CivilTime.supported.contains(i): return i
        case .string(let s)?:
            if let seconds = ISO8601.parse(s) ?? Int(s), CivilTime.supported.contains(seconds) { return seconds }
            problem(field, "'\(s)' is not a time between the years 1 and 9999",
                    hint: "use ISO 8601 such as 2026-12-01T09:00:00Z, or unix seconds")
            return nil
        case .int(let i)?:
            problem(field, "\(i) is not a time between the years 1 and 9999", hint: "give unix seconds, such as 1796115600")
            return nil
        case let other?: problem(field, "must be a time, not \(other.typeName)"); return nil
        }
    }

    mutating func headers(_ value: Value?) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        for entry in object(value, field: "headers") {
            out.append((entry.key, entry.value.text))
        }
        return out
    }

    mutating func template(_ object: OrderedObject) -> Message.ProviderTemplate? {
        if let uuid = string(object["template_uuid"], field: "template_uuid") {
            return .init(id: uuid, variables: self.object(object["template_variables"], field: "template_variables"))
        }
        switch object["template"] {
        case nil, .null?: return nil
        case .string(let id)?: return .init(id: id)
        case .int(let id)?: return .init(id: String(id))
        case .object(let t)?:
            guard let id = t["id"], !id.isEmpty else { problem("template.id", "is required"); return nil }
            return .init(id: id.text, variables: self.object(t["variables"], field: "template.variables"))
        case let other?:
            problem("template", "must be an object {id, variables}, not \(other.typeName)")
            return nil
        }
    }

    mutating func attachments(_ value: Value?) -> [Attachment] {
        guard let value, !value.isNull else { return [] }
        guard case .array(let items) = value else {
            problem("attachments", "must be a list, not \(value.typeName)")
            return []
        }
        var out: [Attachment] = []
        let keys = ["filename", "type", "content", "path", "disposition", "content_id", "size"]
        for (i, item) in items.enumerated() {
            let field = "attachments[\(i)]"
            guard let object = item.objectValue else { problem(field, "must be an object"); continue }
            for key in object.keys where !keys.contains(key) {
                problem("\(field).\(key)", "unknown field", hint: Suggest.hint(for: key, in: keys))
            }
            let path = string(object["path"], field: "\(field).path")
            var filename = string(object["filename"], field: "\(field).filename")
            var data: Data?
            if let content = string(object["content"], field: "\(field).content") {
                data = Base64.decode(content)
                if data == nil { problem("\(field).content", "is not valid base64", hint: "encode the file with base64, or give a path instead") }
            } else if let path {
                do { data = try attachments.read(path) } catch { problem("\(field).path", error.message, hint: error.hint) }
                if filename == nil { filename = (path as NSString).lastPathComponent }
            } else {
                problem(field, "needs content (base64) or a path")
            }
            guard let filename, !filename.isEmpty else { problem("\(field).filename", "is required"); continue }
            let type = string(object["type"], field: "\(field).type")
            var disposition = Attachment.Disposition.attachment
            if let d = string(object["disposition"], field: "\(field).disposition") {
                guard let parsed = Attachment.Disposition(rawValue: d) else {
                    problem("\(field).disposition", "'\(d)' is not attachment or inline")
                    continue
                }
                disposition = parsed
            }
            let contentID = string(object["content_id"], field: "\(field).content_id")?
                .trimming(ascii: "<> ")
            guard let data else { continue }
            out.append(Attachment(filename: filename, type: type, content: data,
                                  disposition: disposition, contentID: contentID))
        }
        return out
    }
}

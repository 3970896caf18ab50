import Foundation

/// An e-mail to send, independent of any provider.
///
/// Its JSON and YAML shape is the Mailtrap send body, so such a body is a valid message as it
/// stands: `category` is read as one tag, `custom_variables` as metadata, `template_uuid` and
/// `template_variables` as the template.
public struct Message: Sendable, Hashable {
    public var from: Address
    public var to: [Address]
    public var cc: [Address]
    public var bcc: [Address]
    public var replyTo: [Address]
    public var subject: String?
    public var text: String?
    public var html: String?
    public var attachments: [Attachment]
    /// Extra header fields in order, such as `X-Order-Id`.
    public var headers: [(name: String, value: String)]
    public var tags: [String]
    public var metadata: OrderedObject
    public var template: ProviderTemplate?
    /// When the provider should send the message (unix seconds).
    public var sendAt: Int?
    /// The Message-ID to use (without angle brackets); made up when absent.
    public var messageID: String?
    /// The Date header (unix seconds); now when absent.
    public var date: Int?

    /// The largest message text `carrier send` reads by default (a file, or one NDJSON line):
    /// 50 MiB, above every ESP's own limit with attachments in base64; `--max-message-bytes` changes it.
    public static let defaultMaximumBytes = 50 << 20

    @available(*, deprecated, renamed: "ProviderTemplate")
    public typealias Template = ProviderTemplate

    /// A provider-side template and its variables.
    public struct ProviderTemplate: Sendable, Hashable {
        public var id: String
        public var variables: OrderedObject
        public init(id: String, variables: OrderedObject = OrderedObject()) {
            self.id = id
            self.variables = variables
        }
    }

    public init(from: Address, to: [Address] = [], cc: [Address] = [], bcc: [Address] = [], replyTo: [Address] = [],
                subject: String? = nil, text: String? = nil, html: String? = nil, attachments: [Attachment] = [],
                headers: [(name: String, value: String)] = [], tags: [String] = [], metadata: OrderedObject = OrderedObject(),
                template: ProviderTemplate? = nil, sendAt: Int? = nil, messageID: String? = nil, date: Int? = nil) {
        self.from = from
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.headers = headers
        self.tags = tags
        self.metadata = metadata
        self.template = template
        self.sendAt = sendAt
        self.messageID = messageID
        self.date = date
    }

    /// Every envelope recipient, each once, in the order to, cc, bcc.
    public var recipients: [Address] {
        let total = to.count + cc.count + bcc.count
        var unique: [Address] = []
        unique.reserveCapacity(total)
        // Each address case-folded once; few (nearly every message) are compared in a list, many hashed.
        var keys: [String] = []
        var seen = Set<String>()
        func add(_ addresses: [Address]) {
            for address in addresses {
                let key = Address.caseFolded(address.email)
                if total <= 16 {
                    guard !keys.contains(key) else { continue }
                    keys.append(key)
                } else {
                    guard seen.insert(key).inserted else { continue }
                }
                unique.append(address)
            }
        }
        add(to)
        add(cc)
        add(bcc)
        return unique
    }

    public static func == (lhs: Message, rhs: Message) -> Bool {
        lhs.value == rhs.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }

    /// The message as templates see it, and as it is written back to JSON (the spool, `carrier render`).
    public var value: Value { .object(fields) }

    /// The names of ``fields``, in their order.
    package static let fieldOrder = ["from", "to", "cc", "bcc", "reply_to", "subject", "text", "html", "attachments", "headers",
                                     "tags", "metadata", "template", "send_at", "message_id", "date"]

    /// Where the field `name` sits in ``fields``, or nil for a name that is not one: templates
    /// compiled with it read a message field without searching the scope by name.
    package static func fieldSlot(_ name: String) -> Int? { fieldOrder.firstIndex(of: name) }

    /// ``value``'s fields, in ``fieldOrder``.
    package var fields: OrderedObject {
        var object = OrderedObject()
        object.reserveCapacity(Self.fieldOrder.count)
        for slot in Self.fieldOrder.indices { object.appendNew(Self.fieldOrder[slot], fieldValue(at: slot)) }
        return object
    }

    /// The value of the field at `slot` of ``fieldOrder``: what templates read for it.
    package func fieldValue(at slot: Int) -> Value {
        switch slot {
        case 0: return from.value
        case 1: return .array(to.map(\.value))
        case 2: return .array(cc.map(\.value))
        case 3: return .array(bcc.map(\.value))
        case 4: return .array(replyTo.map(\.value))
        case 5: return subject.map(Value.string) ?? .null
        case 6: return text.map(Value.string) ?? .null
        case 7: return html.map(Value.string) ?? .null
        case 8: return .array(attachments.map(\.value))
        case 9:
            var headerObject = OrderedObject()
            headerObject.reserveCapacity(headers.count)
            for (name, value) in headers { headerObject[name] = .string(value) }  // a repeated name: the last value
            return .object(headerObject)
        case 10: return .array(tags.map(Value.string))
        case 11: return .object(metadata)
        case 12:
            guard let template else { return .null }
            return .object(["id": .string(template.id), "variables": .object(template.variables)])
        case 13: return sendAt.map(Value.int) ?? .null
        case 14: return messageID.map(Value.string) ?? .null
        case 15: return date.map(Value.int) ?? .null
        default: return .null
        }
    }
}

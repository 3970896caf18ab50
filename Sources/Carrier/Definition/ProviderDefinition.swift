import CarrierCurl
import CarrierYAML

/// A provider as its YAML file describes it: what it needs, what it can carry, and how each of
/// its channels speaks. Loaded and validated once by ``DefinitionLoader``.
public struct ProviderDefinition: Sendable {
    public var id: String
    public var name: String
    public var docs: String?
    /// The file it was loaded from, for diagnostics (`providers/ID.yaml` for a built-in).
    public var file: String
    /// Built into the library, or read from a folder.
    public var origin: ProviderRegistry.Origin = .builtIn
    public var credentials: [CredentialSpec]
    public var settings: [SettingSpec]
    public var capabilities: Capabilities
    /// The ESP's sending limits (`limits:`), the defaults of every account using it.
    public var limits = RateLimits()
    /// Each channel's section of the file (`api`, `smtp`), as that channel read it.
    var sections: [ChannelKind: any Sendable]
    /// How the ESP's delivery-event webhooks are verified and read (`events:`), when it sends them.
    var events: EventsSpec?
    /// Whether the provider file declares `events:`.
    public var hasEvents: Bool { events != nil }
    var examples: [ProviderExample]

    /// The `api` section.
    var api: APISpec? { sections[.api] as? APISpec }
    /// The `smtp` section.
    var smtp: SMTPSpec? { sections[.smtp] as? SMTPSpec }

    /// The channels this provider offers, in the order of ``Channels/all``.
    public var channels: [ChannelKind] {
        Channels.kinds.filter { sections[$0] != nil }
    }

    public var exampleCount: Int { examples.count }
}

/// A credential an account must supply, such as `api_key`.
public struct CredentialSpec: Sendable {
    public var name: String
    public var secret: Bool
    public var required: Bool
    public var description: String?
}

/// A non-secret option with an optional default and allowed values, such as `region`.
public struct SettingSpec: Sendable {
    public var name: String
    public var defaultValue: Value?
    public var allowed: [String]?
    public var required: Bool
    public var description: String?
}

/// What a provider can carry, checked before a message is handed to it.
public struct Capabilities: Sendable {
    /// `nil` when unsupported, else the maximum count (`Int.max` when unlimited).
    public var tags: Int?
    public var metadata: Bool
    public var templates: Bool
    public var sendAt: Bool
    public var attachments: Bool
    public var inlineImages: Bool
    public var text: Bool
    public var maxRecipients: Int?
    public var maxReplyTo: Int?
    public var maxAttachmentBytes: Int?
    public var maxAttachments: Int?
    public var customHeaders: Bool
    /// Both a text and an HTML body in one message (`text_and_html: false`: one body only, HTML
    /// when the message has it — the text part is then listed as dropped).
    public var textAndHTML: Bool = true

    public static let all = Capabilities(tags: .max, metadata: true, templates: true, sendAt: true, attachments: true,
                                         inlineImages: true, text: true, maxRecipients: nil, maxReplyTo: nil,
                                         maxAttachmentBytes: nil, maxAttachments: nil, customHeaders: true)
}

struct APISpec: Sendable {
    var method: String
    var url: Mapping
    var headers: Mapping?
    var auth: any AuthScheme
    var body: any BodyEncoding
    var mimeIncludesBcc: Bool
    /// Extra header fields written into the `mime` variable (where the API has no field for tags or metadata).
    var mimeHeaders: Mapping?
    var response: ResponseSpec
    var idempotencyHeader: String?
    /// Requests the ESP takes at once from one account (`api: {concurrency: N}`); the account may say otherwise.
    var concurrency: Int?
    /// The batch endpoint (`api: {batch: …}`), for bulk runs.
    var batch: BatchSpec?
}

/// Reads the provider's answer: did it accept, which ids, what went wrong, and what kind of failure.
struct ResponseSpec: Sendable {
    var success: Mapping?
    var messageIDs: Mapping?
    var error: Mapping?
    var retryAfter: Mapping?
    /// True when the ESP took the message for processing later (Azure's 202 with an operation).
    var acceptedForLater: Mapping?
    /// Per-recipient results of an accepted answer: a list of `{email, status, message_id, error}`.
    var recipients: Mapping?
    var classify: [StatusRule]
    var classifyWhen: [(condition: CompiledExpression, errorClass: ErrorClass)]
}

/// A status pattern (`429`, `500-599`, `4xx`) and the failure class it means.
struct StatusRule: Sendable {
    var range: ClosedRange<Int>
    var errorClass: ErrorClass

    static func parse(_ text: String) -> ClosedRange<Int>? {
        if let n = Int(text) { return n...n }
        if text.count == 3, text.hasSuffix("xx"), let d = Int(text.prefix(1)) { return d * 100...d * 100 + 99 }
        let parts = text.split(separator: "-")
        if parts.count == 2, let a = Int(parts[0].trimmingCharacters(in: .whitespaces)),
           let b = Int(parts[1].trimmingCharacters(in: .whitespaces)), a <= b { return a...b }
        return nil
    }
}

struct SMTPSpec: Sendable {
    var host: Mapping
    var ports: [SMTPPort]
    var username: Mapping
    var password: Mapping?
    var oauth2: Bool
    /// Whether the relay needs a login (`login: required`, the default); `optional` for open relays.
    var loginRequired: Bool
    var authMechanism: String?
    var headers: Mapping?
    var maxMessagesPerConnection: Int?
    /// Connections the relay allows one login at once (`smtp: {connections: N}`); the account may say otherwise.
    var connections: Int?
    /// What the relay can carry where it differs from the API (no template over SMTP, say).
    var capabilities: Capabilities?
}

/// One SMTP port and the TLS it speaks.
public struct SMTPPort: Sendable, Hashable {
    public var port: Int
    public var tls: TLSMode
    public init(port: Int, tls: TLSMode) {
        self.port = port
        self.tls = tls
    }
}

/// How an SMTP port is protected: `starttls`, `implicit` or `none` (see ``CarrierCurl/TLSMode``).
public typealias TLSMode = CarrierCurl.TLSMode

/// A worked example in a provider file: a message in, the exact request out, an answer, and
/// what Carrier must make of it. `carrier providers test` runs them all.
struct ProviderExample: Sendable {
    var name: String
    var mark: SourceMark
    var channel: ChannelKind
    var message: Value
    var credentials: Value
    var settings: Value
    var request: Value?
    var response: Value?
    var expect: Value?
}

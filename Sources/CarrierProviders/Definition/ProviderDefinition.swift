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
    package var sections: [ChannelKind: any Sendable]
    /// How the ESP's delivery-event webhooks are verified and read (`events:`), when it sends them.
    package var events: EventsSpec?
    /// Whether the provider file declares `events:`.
    public var hasEvents: Bool { events != nil }
    package var examples: [ProviderExample]

    /// The channels this provider offers, in the order the provider format lists them.
    public var channels: [ChannelKind] = []

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
    /// The API sends stored templates only (`templates: required`): a message without one is refused.
    public var templatesRequired = false
    public var sendAt: Bool
    public var attachments: Bool
    public var inlineImages: Bool
    public var text: Bool
    public var maxRecipients: Int?
    public var maxReplyTo: Int?
    public var maxAttachmentBytes: Int?
    public var maxAttachments: Int?
    public var customHeaders: Bool
    /// Carbon-copy recipients (`cc: false` where the API has no field for them).
    public var cc: Bool = true
    /// Blind-copy recipients (`bcc: false` where the API has no field for them).
    public var bcc: Bool = true
    /// Both a text and an HTML body in one message (`text_and_html: false`: one body only, HTML
    /// when the message has it — the text part is then listed as dropped).
    public var textAndHTML: Bool = true

    public static let all = Capabilities(tags: .max, metadata: true, templates: true, sendAt: true, attachments: true,
                                         inlineImages: true, text: true, maxRecipients: nil, maxReplyTo: nil,
                                         maxAttachmentBytes: nil, maxAttachments: nil, customHeaders: true)
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
package struct ProviderExample: Sendable {
    package var name: String
    package var mark: SourceMark
    package var channel: ChannelKind
    package var message: Value
    package var credentials: Value
    package var settings: Value
    package var request: Value?
    package var response: Value?
    package var expect: Value?
    /// A delivery event for the message, as the ESP's webhook posts it (`{body, headers}`): the id
    /// its events `map:` reads must be the receipt's, or events never find their message.
    package var event: Value?
}

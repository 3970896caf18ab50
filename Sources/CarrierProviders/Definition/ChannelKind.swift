/// How a message travels, by name: the channels of the transport layer's `Channels.all`.
public struct ChannelKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// What the provider-file reader needs of a channel: its name and how it reads its own section.
/// The channels themselves (the transport layer) conform through `Channel`.
package protocol ChannelDescriptor: Sendable {
    /// The name accounts use (`channel: smtp`).
    static var kind: ChannelKind { get }
    /// The key of the channel's section in provider files (`api`, `smtp`), or nil when the
    /// channel needs no provider file (`file`).
    static var section: String? { get }
    /// Reads the channel's section of a provider file; problems go to the reader's diagnostics.
    static func readSection(_ section: NodeReader, in file: ProviderFileReader, capabilities: Capabilities) -> (any Sendable)?
}

/// The plugins a provider file may name that live above this layer: the channels (each reads
/// its own section) and the webhook verifiers. `ProviderFormat.standard` (the events layer)
/// lists every one.
package struct ProviderFormat: Sendable {
    package var channels: [any ChannelDescriptor.Type]
    package var verifiers: [any WebhookVerifier.Type]

    package init(channels: [any ChannelDescriptor.Type], verifiers: [any WebhookVerifier.Type]) {
        self.channels = channels
        self.verifiers = verifiers
    }
}

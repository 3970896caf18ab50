import CarrierCurl
import Foundation

/// A way a message travels: one plugin per `channel:` of an account (`api`, `smtp`, `file`).
///
/// A channel is made for one account, renders a message without sending it (`carrier render`),
/// and sends it once, reporting an ``Attempt`` whose failure class tells the router what to do.
/// It never throws from `send`: every failure is an attempt with a class.
///
/// To add a channel: write a type conforming to this protocol in its own file (with its
/// `ChannelKind` and, if provider files describe it, its section reader), and add it to
/// ``Channels/all``.
package protocol Channel: ChannelDescriptor {
    /// Reads the channel's own options from an account of carrier.yaml (every account, since a
    /// send may switch an account's channel); problems go to the reader. `transfer` takes what
    /// applies to the account's transfers (a `ca_file`), `absolute` resolves a path against the
    /// configuration's folder. Nil when the account has none.
    static func readAccountOptions(_ account: NodeReader, transfer: inout TransferOptions, absolute: (String) -> String) -> (any Sendable)?
    /// The channel for one account; throws when the account cannot use it.
    init(_ setup: ChannelContext) throws(CarrierError)
    /// What this channel of the provider can carry.
    var capabilities: Capabilities { get }
    /// How many sends the account may have in flight at once through this channel, or nil for no limit.
    var concurrency: Int? { get }
    /// The request or transaction the message would produce, without sending it.
    func render(_ message: Message, showSecrets: Bool) throws(CarrierError) -> Value
    /// Sends the message once.
    func send(_ message: Message) async -> Attempt
    /// The HTTP request a send of the message puts on the wire, built as a send builds it; nil
    /// for a channel that makes none (`carrier-bench request` times it).
    func wireRequest(_ message: Message) throws(CarrierError) -> CurlHTTPRequest?
}

extension Channel {
    package func wireRequest(_ message: Message) throws(CarrierError) -> CurlHTTPRequest? { nil }
}

/// What a channel is made from: the account, its provider (nil for a channel with no provider
/// file), and what the runtime lends it: the transfer engine, token cache, clock and the
/// store of secrets obtained at run time.
package struct ChannelContext: Sendable {
    var account: Account
    var provider: ProviderBinding?
    var engine: CurlEngine
    var tokens: OAuth2TokenProvider
    var clock: any WallClock
    var secrets: ObtainedSecrets

    package init(account: Account, provider: ProviderBinding? = nil, engine: CurlEngine, tokens: OAuth2TokenProvider,
                 clock: any WallClock, secrets: ObtainedSecrets) {
        self.account = account
        self.provider = provider
        self.engine = engine
        self.tokens = tokens
        self.clock = clock
        self.secrets = secrets
    }

    /// The provider and its section for the channel `kind`, or the error saying the provider has none.
    func providerSection<Section>(_ kind: ChannelKind, as: Section.Type) throws(CarrierError) -> (ProviderBinding, Section) {
        guard let provider else {
            throw .configuration(ConfigurationError("account '\(account.name)' has no provider for the \(kind) channel"))
        }
        guard let section = provider.definition.sections[kind] as? Section else {
            let others = provider.definition.channels.map(\.rawValue).joined(separator: " or ")
            throw .configuration(ConfigurationError("provider \(provider.definition.id) has no \(kind) channel",
                                                    hint: "use channel: \(others.isEmpty ? "api" : others) for account '\(account.name)'"))
        }
        return (provider, section)
    }

    /// What an auth scheme needs for one message: the provider, the message's scope, now, the network.
    func authContext(_ provider: ProviderBinding, scope: Scope) -> AuthContext {
        AuthContext(provider: provider, scope: scope, now: clock.now.date, engine: engine, tokens: tokens, options: account.transferOptions,
                    secrets: secrets)
    }
}


/// Every channel an account can name.
package enum Channels {
    package static let all: [any Channel.Type] = [
        APIChannel.self,
        SMTPChannel.self,
        FileChannel.self,
    ]

    package static let kinds = all.map { $0.kind }

    package static func type(of kind: ChannelKind) -> (any Channel.Type)? {
        all.first { $0.kind == kind }
    }
}

extension ChannelKind {
    /// A channel kind from its name, when some channel has it.
    package init?(named name: String) {
        guard let type = Channels.all.first(where: { $0.kind.rawValue == name }) else { return nil }
        self = type.kind
    }
}

extension Channel {
    package static func readAccountOptions(_ account: NodeReader, transfer: inout TransferOptions, absolute: (String) -> String) -> (any Sendable)? {
        nil
    }
}

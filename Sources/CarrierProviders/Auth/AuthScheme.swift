import CarrierCurl
import CarrierYAML
import Foundation

/// How a provider proves who is calling: one plugin per scheme of a provider file's `api.auth`.
///
/// A scheme sees the finished request (method, URL after the account's `endpoint:`, headers and
/// the exact body bytes) and the send time, so schemes that sign the request fit as well as
/// those that add a fixed header. Every header it returns is a secret: `carrier render` masks it.
///
/// To add a scheme: write a type conforming to this protocol in its own file, add it to
/// ``AuthSchemes/all``, and describe its YAML in docs/provider-format.md and docs/provider.schema.json.
package protocol AuthScheme: Sendable {
    /// The name in provider files (`auth: {bearer: …}`).
    static var name: String { get }

    /// Whether the header values the scheme returns are secrets in themselves (a bearer token, a
    /// `Basic` pair) that no output may show; false for signatures, dates and body hashes, which
    /// reveal nothing and change with every request.
    static var headerValuesAreSecret: Bool { get }

    /// Reads the scheme's value (`auth: {NAME: value}`); problems go to the file's diagnostics.
    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> Self?

    /// What the scheme must fetch before it can sign (an OAuth2 access token), or nil.
    func fetchCredential(_ context: AuthContext) async throws(OAuth2TokenProvider.TokenError) -> String?

    /// Header fields that authenticate `request`. `credential` is what ``fetchCredential(_:)``
    /// returned, or nil when rendering without the network.
    func headers(for request: CurlHTTPRequest, credential: String?, context: AuthContext) throws(CarrierError) -> [(name: String, value: String)]
}

extension AuthScheme {
    package static var headerValuesAreSecret: Bool { true }

    func fetchCredential(_ context: AuthContext) async throws(OAuth2TokenProvider.TokenError) -> String? { nil }
}

/// What an auth scheme may read: the account's provider context, the message's template scope,
/// the send time, and the network for schemes that fetch a token.
package struct AuthContext {
    var provider: ProviderBinding
    var scope: Scope
    var now: Date
    var engine: CurlEngine
    var tokens: OAuth2TokenProvider
    var options: TransferOptions
    /// Where values derived while signing (auth headers) are remembered, to be hidden.
    package var secrets: ObtainedSecrets

    package init(provider: ProviderBinding, scope: Scope, now: Date, engine: CurlEngine, tokens: OAuth2TokenProvider,
                 options: TransferOptions, secrets: ObtainedSecrets) {
        self.provider = provider
        self.scope = scope
        self.now = now
        self.engine = engine
        self.tokens = tokens
        self.options = options
        self.secrets = secrets
    }

    /// Renders one of the scheme's templates to text.
    func text(_ template: Mapping) throws(CarrierError) -> String {
        (try provider.render(template, in: scope)).text
    }
}

/// Every auth scheme a provider file can name.
enum AuthSchemes {
    static let all: [any AuthScheme.Type] = [
        NoAuth.self,
        BearerAuth.self,
        BasicAuth.self,
        HeaderAuth.self,
        OAuth2Auth.self,
        AWSSigV4Auth.self,
        AzureHMACAuth.self,
    ]

    static let names = all.map { $0.name }
}

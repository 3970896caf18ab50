import CarrierCurl
import CarrierYAML
import Foundation

/// How an ESP proves a webhook is its own: one plugin per scheme of a provider file's
/// `events: {verify: {NAME: …}}`.
///
/// To add one: write a type conforming to this protocol in `Events/Verifiers/`, add it to
/// ``WebhookVerifiers/all``, and describe its YAML in docs/events.md and docs/provider.schema.json.
package protocol WebhookVerifier: Sendable {
    /// The name in provider files (`verify: {hmac: …}`).
    static var name: String { get }

    /// Reads the verifier's value; problems go to the file's diagnostics.
    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> Self?

    /// Throws `.unverified` for a webhook that is not the ESP's, `.configuration` when the account
    /// cannot verify (no secret, a bad key). Returns `.handshake` when the request was a handshake
    /// the verifier answered (SNS's subscription confirmation): it carries no events.
    func verify(_ input: VerifierContext) async throws(WebhookError) -> Verification
}

/// What a verifier made of a request.
package enum Verification: Sendable, Equatable {
    case verified
    case handshake(String)
}

/// What a verifier may read: the request, the template scope over it (`body`, `text`, `headers`,
/// `url`, `secret`, `settings`), and the network, through the account's transfer options.
package struct VerifierContext {
    package var request: WebhookRequest
    package var scope: Scope
    var secret: String?
    package var account: Account
    package var engine: CurlEngine
    /// Certificates fetched before, by URL.
    package var certificates: CertificateCache
    /// The account's `endpoint:` applied to a URL the verifier fetches (tests serve them on loopback).
    package var rewrite: @Sendable (String) -> String

    package init(request: WebhookRequest, scope: Scope, secret: String? = nil, account: Account, engine: CurlEngine,
                 certificates: CertificateCache, rewrite: @escaping @Sendable (String) -> String) {
        self.request = request
        self.scope = scope
        self.secret = secret
        self.account = account
        self.engine = engine
        self.certificates = certificates
        self.rewrite = rewrite
    }

    /// Renders one of the verifier's templates.
    package func render(_ template: Mapping) throws(WebhookError) -> Value {
        do { return try template.render(in: scope) } catch {
            throw WebhookError(.badPayload, "the webhook cannot be read for verification: \(error.diagnostic.message)")
        }
    }

    /// The account's webhook secret, or a configuration error naming what to set.
    package func requiredSecret() throws(WebhookError) -> String {
        guard let secret, !secret.isEmpty else {
            throw WebhookError(.configuration, "account '\(account.name)' has no webhook_secret to verify its webhooks with; set webhook_secret: in the account")
        }
        return secret
    }
}

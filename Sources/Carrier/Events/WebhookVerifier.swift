import CarrierCurl
import CarrierYAML
import Foundation

/// How an ESP proves a webhook is its own: one plugin per scheme of a provider file's
/// `events: {verify: {NAME: …}}`.
///
/// To add one: write a type conforming to this protocol in `Events/Verifiers/`, add it to
/// ``WebhookVerifiers/all``, and describe its YAML in docs/events.md and docs/provider.schema.json.
protocol WebhookVerifier: Sendable {
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
enum Verification: Sendable, Equatable {
    case verified
    case handshake(String)
}

/// What a verifier may read: the request, the template scope over it (`body`, `text`, `headers`,
/// `url`, `secret`, `settings`), and the network, through the account's transfer options.
struct VerifierContext {
    var request: WebhookRequest
    var scope: Scope
    var secret: String?
    var account: Account
    var engine: CurlEngine
    /// Certificates fetched before, by URL.
    var certificates: CertificateCache
    /// The account's `endpoint:` applied to a URL the verifier fetches (tests serve them on loopback).
    var rewrite: @Sendable (String) -> String

    /// Renders one of the verifier's templates.
    func render(_ template: Mapping) throws(WebhookError) -> Value {
        do { return try template.render(in: scope) } catch {
            throw WebhookError(.badPayload, "the webhook cannot be read for verification: \(error.diagnostic.message)")
        }
    }

    /// The account's webhook secret, or a configuration error naming what to set.
    func requiredSecret() throws(WebhookError) -> String {
        guard let secret, !secret.isEmpty else {
            throw WebhookError(.configuration, "account '\(account.name)' has no webhook_secret to verify its webhooks with; set webhook_secret: in the account")
        }
        return secret
    }
}

/// Every verifier a provider file can name.
enum WebhookVerifiers {
    static let all: [any WebhookVerifier.Type] = [
        HMACVerifier.self,
        BasicAuthVerifier.self,
        PublicKeyVerifier.self,
        SNSVerifier.self,
        TokenVerifier.self,
        DigestVerifier.self,
    ]

    static var names: [String] { all.map { $0.name } }
}

/// Byte strings compared in time that does not depend on where they differ.
enum ConstantTime {
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

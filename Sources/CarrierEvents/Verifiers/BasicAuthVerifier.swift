import CarrierYAML
import Foundation

/// `verify: {basic: {}}`: HTTP basic auth, the credentials put in the webhook URL at the ESP
/// (`https://user:password@host/events/ACCOUNT`) — Postmark, Mailjet, SparkPost, Brevo. The
/// account's `webhook_secret` is `user:password`.
struct BasicAuthVerifier: WebhookVerifier {
    static let name = "basic"

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> BasicAuthVerifier? {
        if value.mapping != nil { file.reader(value, context: "verify 'basic'").finish() }
        return BasicAuthVerifier()
    }

    func verify(_ input: VerifierContext) async throws(WebhookError) -> Verification {
        let secret = try input.requiredSecret()
        guard let header = input.request.header("authorization"), header.lowercased().hasPrefix("basic "),
              let decoded = Data(base64Encoded: header.dropFirst(6).trimmingWhitespace()) else {
            throw WebhookError(.unverified, "the webhook has no basic-auth credentials")
        }
        guard ConstantTime.equal(Array(decoded), Array(secret.utf8)) else {
            throw WebhookError(.unverified, "the webhook's basic-auth credentials are wrong")
        }
        return .verified
    }
}

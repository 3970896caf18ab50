import CarrierYAML
import Foundation

/// `verify: {token: {value: "{{ query.token }}"}}`: a secret token the ESP sends back as it was
/// given, such as a query parameter of the notification URL (Elastic Email, which signs nothing).
/// Compared with the account's `webhook_secret` in constant time.
struct TokenVerifier: WebhookVerifier {
    static let name = "token"
    var value: Mapping

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> TokenVerifier? {
        let r = file.reader(value, context: "verify 'token'")
        defer { r.finish() }
        guard let template = file.template(r, "value", required: true, variables: EventsSpec.requestVariables) else { return nil }
        return TokenVerifier(value: template)
    }

    func verify(_ input: VerifierContext) async throws(WebhookError) -> Verification {
        let secret = try input.requiredSecret()
        let given = (try input.render(value)).text
        guard !given.isEmpty else { throw WebhookError(.unverified, "the webhook carries no token") }
        guard ConstantTime.equal(Array(given.utf8), Array(secret.utf8)) else {
            throw WebhookError(.unverified, "the webhook's token is wrong")
        }
        return .verified
    }
}

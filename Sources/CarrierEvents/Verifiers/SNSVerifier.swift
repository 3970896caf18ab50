import COpenSSL
import CarrierCurl
import CarrierYAML
import Foundation

/// `verify: {sns: {topic, certificate_url, subscribe_url}}`: a message in the Amazon SNS format
/// (SES's events, Scaleway's Topics and Events), signed with the certificate at its
/// `SigningCertURL` — SHA1withRSA for `SignatureVersion` 1, SHA256withRSA for 2.
///
/// The provider file says where the ESP keeps its certificates and subscriptions: `certificate_url`
/// and `subscribe_url` are regular expressions the whole URL must match (AWS's own validator's host
/// rule, for SES), and the URL must be https with no user, port or fragment (nor a query, for the
/// certificate). A certificate (PEM or DER) is fetched once per process. With `trust_chain` (the URL
/// of the ESP's CA certificates, PEM), the certificate must also chain to one of them (Scaleway). A verified
/// `SubscriptionConfirmation` is confirmed by fetching its `SubscribeURL`, and is a handshake with
/// no events. `topic` is required: SNS signs every topic's messages, so the message's `TopicArn`
/// must be the account's.
package struct SNSVerifier: WebhookVerifier {
    package static let name = "sns"
    var topic: Mapping
    var certificateURL: Pattern
    var subscribeURL: Pattern
    var trustChain: Mapping?

    /// A regular expression from the provider file, with its text for messages.
    struct Pattern: @unchecked Sendable {  // NSRegularExpression is immutable and thread-safe
        let text: String
        let expression: NSRegularExpression

        /// Whether the pattern matches the whole URL, anchored or not.
        func matches(_ url: String) -> Bool {
            let whole = NSRange(url.startIndex..., in: url)
            return expression.firstMatch(in: url, options: [.anchored], range: whole)?.range == whole
        }
    }

    package static func read(_ value: YAMLNode, in file: ProviderFileReader) -> SNSVerifier? {
        let r = file.reader(value, context: "verify 'sns'")
        defer { r.finish() }
        func pattern(_ key: String) -> Pattern? {
            guard let text = r.string(key, required: true) else { return nil }
            guard let expression = try? NSRegularExpression(pattern: text) else {
                r.error(r.node(key) ?? value, "'\(key)' is not a regular expression: \(text)",
                        hint: "write the URLs the ESP uses as a pattern, e.g. '^https://sns\\.[a-z0-9-]+\\.amazonaws\\.com/'")
                return nil
            }
            return Pattern(text: text, expression: expression)
        }
        let topic = file.template(r, "topic", required: true, variables: EventsSpec.requestVariables)
        // The ESP's CA comes from the provider file and the account's settings, never from the request.
        let trustChain = file.template(r, "trust_chain", variables: ["settings"])
        guard let topic, let certificate = pattern("certificate_url"), let subscribe = pattern("subscribe_url") else { return nil }
        return SNSVerifier(topic: topic, certificateURL: certificate, subscribeURL: subscribe, trustChain: trustChain)
    }

    /// The keys SNS signs, in order, for each message type.
    static func signedKeys(_ type: String) -> [String] {
        type == "Notification" ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
            : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    }

    package func verify(_ input: VerifierContext) async throws(WebhookError) -> Verification {
        guard let body = input.scope.values["body"]?.objectValue else { throw WebhookError(.unverified, "the body is not an SNS message") }
        func field(_ key: String) -> String? { body[key]?.stringValue }
        guard let type = field("Type"), let signature = field("Signature").flatMap({ Data(base64Encoded: $0) }),
              let certURL = field("SigningCertURL") ?? field("SigningCertUrl") else {
            throw WebhookError(.unverified, "the SNS message has no Type, Signature or SigningCertURL")
        }
        let version = field("SignatureVersion") ?? "1"
        guard version == "1" || version == "2" else { throw WebhookError(.unverified, "SNS SignatureVersion \(version) is not known") }
        guard Self.isPlain(certURL, query: false), certificateURL.matches(certURL) else {
            throw WebhookError(.unverified, "the SigningCertURL \(certURL) is not the ESP's (\(certificateURL.text))")
        }
        // SNS signs every topic's messages, an attacker's too: only the account's topic is taken.
        let expected = (try input.render(topic)).text
        guard !expected.isEmpty else {
            throw WebhookError(.configuration, "account '\(input.account.name)' takes SNS messages from any topic; "
                               + "set settings: {sns_topic_arn: …} to the ARN of the topic the ESP publishes to")
        }
        guard expected == field("TopicArn") else {
            throw WebhookError(.unverified, "the SNS message is from topic \(field("TopicArn") ?? "(none)"), not \(expected)")
        }
        var signed = ""
        for key in Self.signedKeys(type) {
            guard let value = field(key) ?? (key == "SubscribeURL" ? field("SubscribeUrl") : nil) else { continue }
            signed += key + "\n" + value + "\n"
        }
        let options = input.account.transferOptions
        let fetched = try await input.certificates.fetch(input.rewrite(certURL), named: certURL, engine: input.engine, options: options) {
            X509Certificate($0) != nil
        }
        guard let certificate = X509Certificate(fetched) else {
            throw WebhookError(.unverified, "the certificate at \(certURL) cannot be read")
        }
        if let template = trustChain {
            let chainURL = (try input.render(template)).text
            guard Self.isPlain(chainURL, query: false) else {
                throw WebhookError(.configuration, "the trust_chain \(chainURL) is not an https URL without user, port, query or fragment")
            }
            let anchors = try await input.certificates.fetch(input.rewrite(chainURL), named: chainURL, engine: input.engine, options: options) {
                String(decoding: $0, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----")
            }
            guard certificate.chains(to: anchors) else {
                throw WebhookError(.unverified, "the certificate at \(certURL) is not issued by the ESP's CA (\(chainURL)), or is not valid now")
            }
        }
        guard let key = certificate.publicKey() else {
            throw WebhookError(.unverified, "the certificate at \(certURL) has no public key")
        }
        defer { libcrypto.EVP_PKEY_free(key) }
        guard PublicKeyVerifier.check(Array(signature), over: Array(signed.utf8), key: key, algorithm: version == "1" ? "sha1" : "sha256") else {
            throw WebhookError(.unverified, "the SNS message's signature does not verify with the certificate at \(certURL)")
        }
        switch type {
        case "SubscriptionConfirmation":
            guard let subscribe = field("SubscribeURL") ?? field("SubscribeUrl"), Self.isPlain(subscribe, query: true),
                  subscribeURL.matches(subscribe) else {
                throw WebhookError(.unverified, "the subscription confirmation's SubscribeURL is not the ESP's (\(subscribeURL.text))")
            }
            do {
                let answer = try await input.engine.send(CurlHTTPRequest(method: "GET", url: input.rewrite(subscribe)), options: input.account.transferOptions)
                guard (200..<300).contains(answer.status) else {
                    throw WebhookError(.unavailable, "the ESP refused the subscription confirmation: HTTP \(answer.status)")
                }
            } catch let error as WebhookError { throw error } catch {
                throw WebhookError(.unavailable, "the subscription could not be confirmed (\((error as? TransferError)?.kind.rawValue ?? "error"))")
            }
            return .handshake("subscribed to \(field("TopicArn") ?? "the topic")")
        case "UnsubscribeConfirmation":
            return .handshake("unsubscribed from \(field("TopicArn") ?? "the topic")")
        default:
            return .verified
        }
    }

    /// An https URL with no user, port or fragment, and no query unless `query` allows one.
    package static func isPlain(_ text: String, query: Bool) -> Bool {
        // No space or control character anywhere: a newline would end a pattern's match early.
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }), let url = URLComponents(string: text), url.scheme == "https", url.host?.isEmpty == false, url.port == nil,
              url.user == nil, url.password == nil, url.fragment == nil else { return false }
        return query || url.query == nil
    }
}

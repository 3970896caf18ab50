import COpenSSL
import CarrierCurl
import CarrierYAML
import Foundation

/// `verify: {sns: {topic: …}}`: an Amazon SNS message (SES events), signed by SNS with the
/// certificate at its `SigningCertURL` — SHA1withRSA for `SignatureVersion` 1, SHA256withRSA for 2.
///
/// The certificate URL must be `https://sns.REGION.amazonaws.com/….pem` (AWS's own validator's
/// rule, and no query, fragment or user); it is fetched once per process. A verified
/// `SubscriptionConfirmation` is confirmed by fetching its `SubscribeURL` (same host rule), and is
/// a handshake with no events. `topic` is required: SNS signs every topic's messages, so the
/// message's `TopicArn` must be the account's.
struct SNSVerifier: WebhookVerifier {
    static let name = "sns"
    var topic: Mapping?

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> SNSVerifier? {
        guard value.mapping != nil else { return SNSVerifier() }
        let r = file.reader(value, context: "verify 'sns'")
        defer { r.finish() }
        return SNSVerifier(topic: file.template(r, "topic", variables: EventsSpec.requestVariables))
    }

    /// The keys SNS signs, in order, for each message type.
    static func signedKeys(_ type: String) -> [String] {
        type == "Notification" ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
            : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    }

    func verify(_ input: VerificationInput) async throws(WebhookError) -> Verification {
        guard let body = input.scope.values["body"]?.objectValue else { throw WebhookError(.unverified, "the body is not an SNS message") }
        func field(_ key: String) -> String? { body[key]?.stringValue }
        guard let type = field("Type"), let signature = field("Signature").flatMap({ Data(base64Encoded: $0) }),
              let certURL = field("SigningCertURL") ?? field("SigningCertUrl") else {
            throw WebhookError(.unverified, "the SNS message has no Type, Signature or SigningCertURL")
        }
        let version = field("SignatureVersion") ?? "1"
        guard version == "1" || version == "2" else { throw WebhookError(.unverified, "SNS SignatureVersion \(version) is not known") }
        guard Self.isSNSURL(certURL, path: ".pem") else {
            throw WebhookError(.unverified, "the SigningCertURL \(certURL) is not an https://sns.REGION.amazonaws.com/….pem address")
        }
        // SNS signs every topic's messages, an attacker's too: only the account's topic is taken.
        let expected = try topic.map { t throws(WebhookError) in (try input.render(t)).text } ?? ""
        guard !expected.isEmpty else {
            throw WebhookError(.configuration, "account '\(input.account.name)' takes SNS messages from any topic; "
                               + "set settings: {sns_topic_arn: arn:aws:sns:REGION:ACCOUNT:TOPIC} to the topic SES publishes to")
        }
        guard expected == field("TopicArn") else {
            throw WebhookError(.unverified, "the SNS message is from topic \(field("TopicArn") ?? "(none)"), not \(expected)")
        }
        var signed = ""
        for key in Self.signedKeys(type) {
            guard let value = field(key) ?? (key == "SubscribeURL" ? field("SubscribeUrl") : nil) else { continue }
            signed += key + "\n" + value + "\n"
        }
        let certificate = try await CertificateCache.shared.certificate(input.rewrite(certURL), engine: input.engine,
                                                                         options: input.account.transferOptions)
        guard let key = Self.publicKey(pem: certificate) else {
            throw WebhookError(.unverified, "the certificate at \(certURL) cannot be read")
        }
        defer { EVP_PKEY_free(key) }
        guard PublicKeyVerifier.check(Array(signature), over: Array(signed.utf8), key: key, algorithm: version == "1" ? "sha1" : "sha256") else {
            throw WebhookError(.unverified, "the SNS message's signature does not verify with the certificate at \(certURL)")
        }
        switch type {
        case "SubscriptionConfirmation":
            guard let subscribe = field("SubscribeURL") ?? field("SubscribeUrl"), Self.isSNSURL(subscribe, path: nil) else {
                throw WebhookError(.unverified, "the subscription confirmation has no https://sns.REGION.amazonaws.com SubscribeURL")
            }
            do {
                let answer = try await input.engine.send(HTTPRequest(method: "GET", url: input.rewrite(subscribe)), options: input.account.transferOptions)
                guard (200..<300).contains(answer.status) else {
                    throw WebhookError(.badPayload, "SNS refused the subscription confirmation: HTTP \(answer.status)")
                }
            } catch let error as WebhookError { throw error } catch {
                throw WebhookError(.badPayload, "the subscription could not be confirmed: \(error)")
            }
            return .handshake("subscribed to \(field("TopicArn") ?? "the topic")")
        case "UnsubscribeConfirmation":
            return .handshake("unsubscribed from \(field("TopicArn") ?? "the topic")")
        default:
            return .verified
        }
    }

    /// `https://sns.REGION.amazonaws.com[.cn]/…`, with the path ending in `path` when given.
    static func isSNSURL(_ text: String, path suffix: String?) -> Bool {
        guard let url = URLComponents(string: text), url.scheme == "https", let host = url.host, url.port == nil,
              url.user == nil, url.password == nil, url.fragment == nil, suffix == nil || url.query == nil else { return false }
        let pattern = #"^sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?$"#
        guard host.range(of: pattern, options: .regularExpression) != nil else { return false }
        return suffix.map { url.path.hasSuffix($0) } ?? true
    }

    static func publicKey(pem: String) -> OpaquePointer? {
        let bytes = Array(pem.utf8)
        guard let bio = bytes.withUnsafeBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else { return nil }
        defer { BIO_free(bio) }
        guard let certificate = PEM_read_bio_X509(bio, nil, nil, nil) else { return nil }
        defer { X509_free(certificate) }
        return X509_get_pubkey(certificate)
    }
}

/// SNS signing certificates by URL, fetched once per process.
actor CertificateCache {
    static let shared = CertificateCache()
    private var certificates: [String: String] = [:]

    func certificate(_ url: String, engine: CurlEngine, options: TransferOptions) async throws(WebhookError) -> String {
        if let known = certificates[url] { return known }
        let answer: HTTPResponse
        do { answer = try await engine.send(HTTPRequest(method: "GET", url: url), options: options) } catch {
            throw WebhookError(.unverified, "the SNS certificate could not be fetched: \(error.message)")
        }
        guard answer.status == 200 else { throw WebhookError(.unverified, "the SNS certificate could not be fetched: HTTP \(answer.status)") }
        let pem = String(decoding: answer.body, as: UTF8.self)
        if certificates.count >= 32 { certificates.removeAll() }  // SNS rotates a handful; nothing grows without bound
        certificates[url] = pem
        return pem
    }
}

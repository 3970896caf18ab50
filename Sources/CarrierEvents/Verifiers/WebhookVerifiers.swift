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

    static let names = all.map { $0.name }
}

import CarrierCurl

/// SNS signing certificates and CA certificates by URL, fetched once per runtime.
package actor CertificateCache {

    package init() {
    }
    private var certificates: [String: [UInt8]] = [:]

    /// The bytes at `url` (shown as `name` in errors: `url` may be the account's endpoint), kept once
    /// `usable` says they are what was asked for; a failed fetch is ``WebhookError/Kind/unavailable``.
    package func fetch(_ url: String, named name: String, engine: CurlEngine, options: TransferOptions,
               usable: ([UInt8]) -> Bool) async throws(WebhookError) -> [UInt8] {
        if let known = certificates[url] { return known }
        let answer: CurlHTTPResponse
        do { answer = try await engine.send(CurlHTTPRequest(method: "GET", url: url), options: options) } catch {
            throw WebhookError(.unavailable, "the certificate at \(name) could not be fetched (\(error.kind.rawValue))")
        }
        guard answer.status == 200 else { throw WebhookError(.unavailable, "the certificate at \(name) could not be fetched: HTTP \(answer.status)") }
        let certificate = Array(answer.body)
        guard usable(certificate) else { throw WebhookError(.unverified, "what \(name) serves is not a certificate") }
        if certificates.count >= 32 { certificates.removeAll() }  // SNS rotates a handful; nothing grows without bound
        certificates[url] = certificate
        return certificate
    }
}

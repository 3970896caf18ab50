import CarrierCurl

/// SNS signing certificates and CA certificates by URL, fetched once per runtime. A failed fetch
/// is remembered for ``failureMemory`` seconds, and each host is asked at most
/// ``fetchesPerHostPerMinute`` times a minute, so forged webhooks naming ever new certificate URLs
/// cannot turn the server into a stream of outbound requests.
package actor CertificateCache {
    package static let failureMemory = 60.0
    package static let fetchesPerHostPerMinute = 10

    private let clock: any WallClock
    private var certificates: [String: [UInt8]] = [:]
    private var failures: [String: (until: Double, error: WebhookError)] = [:]
    private var fetchTimes: [String: [Double]] = [:]

    package init(clock: any WallClock) { self.clock = clock }

    /// The bytes at `url` (shown as `name` in errors: `url` may be the account's endpoint), kept once
    /// `usable` says they are what was asked for; a failed fetch is ``WebhookError/Kind/unavailable``.
    package func fetch(_ url: String, named name: String, engine: CurlEngine, options: TransferOptions,
                       usable: ([UInt8]) -> Bool) async throws(WebhookError) -> [UInt8] {
        if let known = certificates[url] { return known }
        let now = clock.seconds
        if let failure = failures[url], failure.until > now { throw failure.error }
        let host = URLParts(url)?.host ?? url
        let recent = (fetchTimes[host] ?? []).filter { now - $0 < 60 }
        guard recent.count < Self.fetchesPerHostPerMinute else {
            throw WebhookError(.unavailable, "too many certificate fetches from \(URLParts(name)?.host ?? "its host") this minute; try again later")
        }
        fetchTimes[host] = recent + [now]
        if fetchTimes.count > 64 { fetchTimes = fetchTimes.filter { $0.value.contains { now - $0 < 60 } } }
        do {
            let certificate = try await download(url, named: name, engine: engine, options: options, usable: usable)
            if certificates.count >= 32 { certificates.removeAll() }  // SNS rotates a handful; nothing grows without bound
            certificates[url] = certificate
            return certificate
        } catch {
            if failures.count >= 256 { failures = failures.filter { $0.value.until > now } }
            failures[url] = (now + Self.failureMemory, error)
            throw error
        }
    }

    private func download(_ url: String, named name: String, engine: CurlEngine, options: TransferOptions,
                          usable: ([UInt8]) -> Bool) async throws(WebhookError) -> [UInt8] {
        let answer: CurlHTTPResponse
        do { answer = try await engine.send(CurlHTTPRequest(method: "GET", url: url), options: options) } catch {
            throw WebhookError(.unavailable, "the certificate at \(name) could not be fetched (\(error.kind.rawValue))")
        }
        guard answer.status == 200 else { throw WebhookError(.unavailable, "the certificate at \(name) could not be fetched: HTTP \(answer.status)") }
        let certificate = Array(answer.body)
        guard usable(certificate) else { throw WebhookError(.unverified, "what \(name) serves is not a certificate") }
        return certificate
    }
}

import CarrierCurl
import CarrierYAML
import Foundation

/// `auth: {aws_sigv4: {service: ses, region: …, access_key_id: …, secret_access_key: …, session_token: …}}`:
/// AWS Signature Version 4 over the finished request — method, URL (after the account's
/// `endpoint:`), the `content-type`, `host` and `x-amz-*` headers, and a SHA-256 of the exact body.
struct AWSSigV4Auth: AuthScheme {
    static let headerValuesAreSecret = false  // a signature per request; the keys stay secret
    static let name = "aws_sigv4"
    var service: Mapping
    var region: Mapping
    var accessKeyID: Mapping
    var secretAccessKey: Mapping
    var sessionToken: Mapping?
    /// Signing keys derived so far (one a day for an account).
    let keys = SigV4KeyCache()

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> AWSSigV4Auth? {
        let r = file.reader(value, context: "auth 'aws_sigv4'")
        defer { r.finish() }
        guard let service = file.template(r, "service", required: true), let region = file.template(r, "region", required: true),
              let key = file.template(r, "access_key_id", required: true), let secret = file.template(r, "secret_access_key", required: true)
        else { return nil }
        return AWSSigV4Auth(service: service, region: region, accessKeyID: key, secretAccessKey: secret,
                            sessionToken: file.template(r, "session_token"))
    }

    func headers(for request: CurlHTTPRequest, credential: String?, context: AuthContext) throws(CarrierError) -> [(name: String, value: String)] {
        let token = try sessionToken.map { t throws(CarrierError) in try context.text(t) }.flatMap { $0.isEmpty ? nil : $0 }
        return AWSSigV4.sign(request, service: try context.text(service), region: try context.text(region),
                             accessKeyID: try context.text(accessKeyID), secretAccessKey: try context.text(secretAccessKey),
                             sessionToken: token, date: context.now, keys: keys)
    }
}

/// The SigV4 algorithm itself, as AWS documents it (and botocore implements it).
enum AWSSigV4 {
    static func sign(_ request: CurlHTTPRequest, service: String, region: String, accessKeyID: String, secretAccessKey: String,
                     sessionToken: String?, date: Date, keys: SigV4KeyCache) -> [(name: String, value: String)] {
        let (amzDate, day) = timestamps(date)
        let url = ParsedURL(request.url)
        var signed: [(String, String)] = [("host", url.host), ("x-amz-date", amzDate)]
        if let type = request.headers.first(where: { HeaderRules.sameFieldName($0.name, "content-type") })?.value {
            signed.append(("content-type", type.trimmingWhitespace()))
        }
        if let sessionToken { signed.append(("x-amz-security-token", sessionToken)) }
        signed.sort { $0.0 < $1.0 }
        let signedHeaders = signed.map(\.0).joined(separator: ";")
        let canonical = [request.method, url.canonicalPath, url.canonicalQuery,
                         signed.map { "\($0.0):\($0.1)\n" }.joined(), signedHeaders, Digest.hex(Digest.sha256(request.body))]
            .joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n" + Digest.hex(Digest.sha256(Array(canonical.utf8)))
        let key = keys.key(secret: secretAccessKey, day: day, region: region, service: service)
        let signature = Digest.hex(Digest.hmacSHA256(key: key, Array(toSign.utf8)))
        var headers = [("Authorization", "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
                       ("X-Amz-Date", amzDate)]
        if let sessionToken { headers.append(("X-Amz-Security-Token", sessionToken)) }
        return headers
    }

    /// `20261127T221500Z` and `20261127`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let day = "\(parts.tm_year + 1900)" + two(parts.tm_mon + 1) + two(parts.tm_mday)
        return (day + "T" + two(parts.tm_hour) + two(parts.tm_min) + two(parts.tm_sec) + "Z", day)
    }

    /// The parts of a URL SigV4 signs.
    struct ParsedURL {
        var host = ""
        var canonicalPath = "/"
        var canonicalQuery = ""

        init(_ url: String) {
            guard let parts = URLParts(url) else { return }
            host = parts.host
            // botocore quotes the (already encoded) path again for every service but S3.
            canonicalPath = parts.path.isEmpty ? "/" : PercentEncoding.encode(parts.path, keepingSlash: true)
            if let query = parts.query {
                let pairs = query.split(separator: "&").map { item -> (String, String) in
                    let pieces = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    let key = (pieces[0].removingPercentEncoding ?? String(pieces[0]))
                    let value = pieces.count > 1 ? (pieces[1].removingPercentEncoding ?? String(pieces[1])) : ""
                    return (PercentEncoding.encode(key), PercentEncoding.encode(value))
                }
                canonicalQuery = pairs.sorted { $0 < $1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            }
        }
    }
}

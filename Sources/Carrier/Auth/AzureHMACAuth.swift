import CarrierCurl
import CarrierYAML
import Foundation

/// `auth: {azure_hmac: {access_key: "{{ credentials.access_key }}"}}`: Azure Communication
/// Services' HMAC-SHA256 over the finished request — the method, path and query, `x-ms-date`,
/// the host and `x-ms-content-sha256` (a SHA-256 of the exact body), keyed with the base64
/// access key.
struct AzureHMACAuth: AuthScheme {
    static let headerValuesAreSecret = false  // a signature per request; the keys stay secret
    static let name = "azure_hmac"
    var accessKey: Mapping

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> AzureHMACAuth? {
        let r = file.reader(value, context: "auth 'azure_hmac'")
        defer { r.finish() }
        guard let key = file.template(r, "access_key", required: true) else { return nil }
        return AzureHMACAuth(accessKey: key)
    }

    func headers(for request: HTTPRequest, credential: String?, context: AuthContext) throws(CarrierError) -> [(name: String, value: String)] {
        let key = try context.text(accessKey)
        guard let secret = Data(base64Encoded: key) else {
            throw .configuration(ConfigurationError("the Azure access key is not base64",
                                                    hint: "copy the key from the resource's Keys page in the Azure portal"))
        }
        let date = RFC2822Date.httpDate(epochSeconds: Int(context.now.timeIntervalSince1970))
        let contentHash = Data(Digest.sha256(request.body)).base64EncodedString()
        let url = AWSSigV4.ParsedURL(request.url)
        let stringToSign = "\(request.method)\n\(Self.pathAndQuery(request.url))\n\(date);\(url.host);\(contentHash)"
        let signature = Data(Digest.hmacSHA256(key: Array(secret), Array(stringToSign.utf8))).base64EncodedString()
        return [("x-ms-date", date), ("x-ms-content-sha256", contentHash),
                ("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=\(signature)")]
    }

    /// The path and query of a URL as sent (`/emails:send?api-version=2025-09-01`).
    static func pathAndQuery(_ url: String) -> String {
        guard let schemeEnd = url.utf8.firstRange(of: "://".utf8) else { return url }
        let rest = url[schemeEnd.upperBound...]
        guard let start = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let tail = rest[start...].prefix { $0 != "#" }
        return tail.hasPrefix("?") ? "/" + tail : String(tail)
    }
}

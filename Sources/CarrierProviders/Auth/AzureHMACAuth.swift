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

    func headers(for request: CurlHTTPRequest, credential: String?, context: AuthContext) throws(CarrierError) -> [(name: String, value: String)] {
        let key = try context.text(accessKey)
        guard let secret = Data(base64Encoded: key) else {
            throw .policy(PolicyError("the Azure access key is not base64",
                                                    hint: "copy the key from the resource's Keys page in the Azure portal"))
        }
        let date = RFC2822Date.httpDate(epochSeconds: Int(context.now.timeIntervalSince1970))
        let contentHash = Data(Digest.sha256(request.body)).base64EncodedString()
        guard let url = URLParts(request.url) else { throw .header(HeaderInjectionError(place: "HTTP request", name: "URL", problem: "not a URL")) }
        let stringToSign = "\(request.method)\n\(url.pathAndQuery)\n\(date);\(url.host);\(contentHash)"
        let signature = Data(Digest.hmacSHA256(key: Array(secret), Array(stringToSign.utf8))).base64EncodedString()
        return [("x-ms-date", date), ("x-ms-content-sha256", contentHash),
                ("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=\(signature)")]
    }
}

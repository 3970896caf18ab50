import CarrierCurl
import CarrierYAML

/// `auth: {none: {}}`: the provider needs no credentials (a local relay, a test server).
/// Leaving `auth` out means the same.
struct NoAuth: AuthScheme {
    static let name = "none"

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> NoAuth? { NoAuth() }

    func headers(for request: CurlHTTPRequest, credential: String?, context: AuthContext) throws(CarrierError) -> [(name: String, value: String)] {
        []
    }
}

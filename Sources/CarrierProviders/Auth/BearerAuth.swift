import CarrierCurl
import CarrierYAML

/// `auth: {bearer: "{{ credentials.api_key }}"}`: `Authorization: Bearer TOKEN`.
struct BearerAuth: AuthScheme {
    static let name = "bearer"
    var token: Mapping

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> BearerAuth? {
        BearerAuth(token: file.compile(value))
    }

    func headers(for request: CurlHTTPRequest, credential: String?, context: AuthContext) throws(CarrierError) -> [(name: String, value: String)] {
        [("Authorization", "Bearer " + (try context.text(token)))]
    }
}

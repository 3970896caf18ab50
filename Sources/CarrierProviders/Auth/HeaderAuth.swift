import CarrierCurl
import CarrierYAML

/// `auth: {header: {name: X-Api-Key, value: "{{ credentials.api_key }}"}}`: a key in a header of its own.
struct HeaderAuth: AuthScheme {
    static let name = "header"
    var name: String
    var value: Mapping

    static func read(_ node: YAMLNode, in file: ProviderFileReader) -> HeaderAuth? {
        let r = file.reader(node, context: "auth 'header'")
        defer { r.finish() }
        guard let name = r.string("name", required: true), let value = file.template(r, "value", required: true) else { return nil }
        return HeaderAuth(name: name, value: value)
    }

    func headers(for request: CurlHTTPRequest, credential: String?, context: AuthContext) throws(CarrierError) -> [(name: String, value: String)] {
        [(name, try context.text(value))]
    }
}

import CarrierCurl
import CarrierYAML
import Foundation

/// `auth: {basic: {username: …, password: …}}`: `Authorization: Basic base64(username:password)`.
struct BasicAuth: AuthScheme {
    static let name = "basic"
    var username: Mapping
    var password: Mapping

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> BasicAuth? {
        let r = file.reader(value, context: "auth 'basic'")
        defer { r.finish() }
        guard let username = file.template(r, "username", required: true), let password = file.template(r, "password", required: true) else {
            return nil
        }
        return BasicAuth(username: username, password: password)
    }

    func headers(for request: CurlHTTPRequest, credential: String?, context: AuthContext) throws(CarrierError) -> [(name: String, value: String)] {
        let pair = (try context.text(username)) + ":" + (try context.text(password))
        return [("Authorization", "Basic " + Data(pair.utf8).base64EncodedString())]
    }
}

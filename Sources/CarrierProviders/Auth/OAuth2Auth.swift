import CarrierCurl
import CarrierYAML

/// `auth: {oauth2: {token_url, refresh_token: {…} | service_account: {…} | client_credentials: {…}}}`:
/// a bearer token obtained from the token endpoint at send time (refresh-token grant, a
/// service-account JWT signed with RS256, or the client-credentials grant of an app registration)
/// and cached by ``OAuth2TokenProvider`` until shortly before it expires.
package struct OAuth2Auth: AuthScheme {
    package static let name = "oauth2"

    var tokenURL: Mapping
    var refreshToken: (clientID: Mapping, clientSecret: Mapping, refreshToken: Mapping)?
    var serviceAccount: (clientEmail: Mapping, privateKey: Mapping, scope: Mapping, subject: Mapping?)?
    var clientCredentials: (clientID: Mapping, clientSecret: Mapping, scope: Mapping)?

    package static func read(_ node: YAMLNode, in file: ProviderFileReader) -> OAuth2Auth? {
        let o = file.reader(node, context: "auth 'oauth2'")
        defer { o.finish() }
        let tokenURL = file.template(o, "token_url", required: true)
        var auth = OAuth2Auth(tokenURL: tokenURL ?? .literal(.null))
        if let g = o.mapping("refresh_token") {
            if let id = file.template(g, "client_id", required: true), let secret = file.template(g, "client_secret", required: true),
               let token = file.template(g, "refresh_token", required: true) {
                auth.refreshToken = (id, secret, token)
            }
            g.finish()
        }
        if let s = o.mapping("service_account") {
            if let email = file.template(s, "client_email", required: true), let key = file.template(s, "private_key", required: true),
               let scope = file.template(s, "scope", required: true) {
                auth.serviceAccount = (email, key, scope, file.template(s, "subject"))
            }
            s.finish()
        }
        if let c = o.mapping("client_credentials") {
            if let id = file.template(c, "client_id", required: true), let secret = file.template(c, "client_secret", required: true),
               let scope = file.template(c, "scope", required: true) {
                auth.clientCredentials = (id, secret, scope)
            }
            c.finish()
        }
        if auth.refreshToken == nil && auth.serviceAccount == nil && auth.clientCredentials == nil {
            o.error(o.node, "oauth2 needs a 'refresh_token', 'service_account' or 'client_credentials' grant")
        }
        return tokenURL == nil ? nil : auth
    }

    package func fetchCredential(_ context: AuthContext) async throws(OAuth2TokenProvider.TokenError) -> String? {
        let url: String
        let grant: OAuth2TokenProvider.Grant
        do { (url, grant) = try self.grant(context) } catch {
            throw OAuth2TokenProvider.TokenError(message: error.description, errorClass: .permanent)
        }
        return try await context.tokens.token(url: url, grant: grant, engine: context.engine, options: context.options)
    }

    package func headers(for request: CurlHTTPRequest, credential: String?, context: AuthContext) throws(CarrierError) -> [(name: String, value: String)] {
        [("Authorization", "Bearer " + (credential ?? "<access token obtained at send time>"))]
    }

    /// The grant an account's credentials call for: the service account when a key is given.
    func grant(_ context: AuthContext) throws(CarrierError) -> (url: String, grant: OAuth2TokenProvider.Grant) {
        let url = context.provider.rewrite(url: try context.text(tokenURL))
        if let sa = serviceAccount {
            let key = try context.text(sa.privateKey)
            if !key.isEmpty {
                let subject = try sa.subject.map { t throws(CarrierError) in try context.text(t) }
                return (url, .serviceAccount(clientEmail: try context.text(sa.clientEmail), privateKey: key,
                                             scope: try context.text(sa.scope), subject: subject))
            }
        }
        if let rt = refreshToken {
            let token = try context.text(rt.refreshToken)
            if !token.isEmpty {
                return (url, .refreshToken(clientID: try context.text(rt.clientID), clientSecret: try context.text(rt.clientSecret),
                                           refreshToken: token))
            }
        }
        if let cc = clientCredentials {
            let secret = try context.text(cc.clientSecret)
            if !secret.isEmpty {
                return (url, .clientCredentials(clientID: try context.text(cc.clientID), clientSecret: secret, scope: try context.text(cc.scope)))
            }
        }
        throw .configuration(ConfigurationError("account '\(context.provider.account.name)' has no OAuth2 credentials",
            hint: "give client_id, client_secret and refresh_token, a service_account key file, or an app's client_id and client_secret"))
    }
}

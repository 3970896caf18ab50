import CarrierCurl
import Foundation

/// Turns an auth scheme of a provider file into request headers.
enum AuthResolver {
    /// Headers for rendering without network: OAuth2 shows a placeholder token.
    static func headers(_ spec: AuthSpec, context: ProviderContext, scope: Scope) throws(CarrierError) -> [RenderedRequest.Header] {
        switch spec {
        case .none:
            return []
        case .bearer(let token):
            return [.init(name: "Authorization", value: "Bearer " + (try context.render(token, in: scope)).text, sensitive: true)]
        case .basic(let username, let password):
            let pair = (try context.render(username, in: scope)).text + ":" + (try context.render(password, in: scope)).text
            return [.init(name: "Authorization", value: "Basic " + Data(pair.utf8).base64EncodedString(), sensitive: true)]
        case .header(let name, let value):
            return [.init(name: name, value: (try context.render(value, in: scope)).text, sensitive: true)]
        case .oauth2:
            return [.init(name: "Authorization", value: "Bearer <access token obtained at send time>", sensitive: true)]
        }
    }

    /// The OAuth2 grant an account's credentials call for: service account when a key is given.
    static func grant(_ spec: OAuth2Spec, context: ProviderContext, scope: Scope) throws(CarrierError) -> (url: String, grant: OAuth2TokenProvider.Grant) {
        let url = context.rewrite(url: (try context.render(spec.tokenURL, in: scope)).text)
        if let sa = spec.serviceAccount {
            let key = (try context.render(sa.privateKey, in: scope)).text
            if !key.isEmpty {
                let subject = try sa.subject.map { t throws(CarrierError) in (try context.render(t, in: scope)).text }
                return (url, .serviceAccount(clientEmail: (try context.render(sa.clientEmail, in: scope)).text, privateKey: key,
                                             scope: (try context.render(sa.scope, in: scope)).text, subject: subject))
            }
        }
        if let rt = spec.refreshToken {
            let token = (try context.render(rt.refreshToken, in: scope)).text
            if !token.isEmpty {
                return (url, .refreshToken(clientID: (try context.render(rt.clientID, in: scope)).text,
                                           clientSecret: (try context.render(rt.clientSecret, in: scope)).text, refreshToken: token))
            }
        }
        throw .configuration(ConfigurationError("account '\(context.account.name)' has no OAuth2 credentials",
            hint: "give client_id, client_secret and refresh_token, or a service_account key file"))
    }
}

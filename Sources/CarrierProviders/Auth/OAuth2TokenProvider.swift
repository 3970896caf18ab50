import CarrierCurl
import Foundation

/// Obtains OAuth2 access tokens and keeps each until shortly before it expires.
///
/// Two grants: `refresh_token` (client id, secret and a refresh token) and the service-account
/// JWT bearer grant (an RS256-signed assertion). One cache per runtime serves every channel, so
/// the API and SMTP channels of an account use the same token. Expiry is read on the runtime's clock.
public actor OAuth2TokenProvider {
    private struct Cached {
        var token: String
        var expires: WallTime
    }
    private var cache: [String: Cached] = [:]
    /// How many token requests went out (tests and metrics read it).
    public private(set) var exchanges = 0

    private let clock: any WallClock
    private let secrets: ObtainedSecrets

    /// - Parameters:
    ///   - clock: what token expiry is read on.
    ///   - secrets: where tokens and assertions are remembered, to be hidden from all output.
    public init(clock: any WallClock = SystemClock(), secrets: ObtainedSecrets = ObtainedSecrets()) {
        self.clock = clock
        self.secrets = secrets
    }

    enum Grant: Sendable {
        case refreshToken(clientID: String, clientSecret: String, refreshToken: String)
        case serviceAccount(clientEmail: String, privateKey: String, scope: String, subject: String?)
        case clientCredentials(clientID: String, clientSecret: String, scope: String)

        var cacheKey: String {
            switch self {
            case .refreshToken(let id, _, let token): return "rt:\(id):\(token.hashValue)"
            case .serviceAccount(let email, _, let scope, let subject): return "sa:\(email):\(scope):\(subject ?? "")"
            case .clientCredentials(let id, let secret, let scope): return "cc:\(id):\(scope):\(secret.hashValue)"
            }
        }
    }

    package struct TokenError: Error, Sendable {
        package var message: String
        package var errorClass: ErrorClass
        package var status: Int?

        package init(message: String, errorClass: ErrorClass, status: Int? = nil) {
            self.message = message
            self.errorClass = errorClass
            self.status = status
        }
    }

    /// Token requests under way, by cache key: concurrent sends wait for the one request.
    private var pending: [String: Task<String, any Error>] = [:]

    /// A valid access token for the grant, from the cache when one is still good for a minute.
    /// However many sends ask at once, one token request goes out per grant.
    func token(url: String, grant: Grant, engine: CurlEngine, options: TransferOptions) async throws(TokenError) -> String {
        let key = url + "|" + grant.cacheKey
        if let cached = cache[key], cached.expires.secondsSince1970 - clock.seconds > 60 { return cached.token }
        let task = pending[key] ?? Task { () async throws -> String in
            try await self.fetch(url: url, grant: grant, key: key, engine: engine, options: options)
        }
        pending[key] = task
        defer { pending[key] = nil }
        do { return try await task.value } catch let error as TokenError { throw error } catch {
            throw TokenError(message: "OAuth2 token request failed: \(error)", errorClass: .retry, status: nil)
        }
    }

    private func fetch(url: String, grant: Grant, key: String, engine: CurlEngine, options: TransferOptions) async throws(TokenError) -> String {
        let fields: [(name: String, value: String)]
        switch grant {
        case .refreshToken(let id, let secret, let refreshToken):
            fields = [("grant_type", "refresh_token"), ("client_id", id), ("client_secret", secret), ("refresh_token", refreshToken)]
        case .serviceAccount(let email, let key, let scope, let subject):
            let assertion = try Self.assertion(email: email, privateKey: key, scope: scope, subject: subject, audience: url,
                                               now: Int(clock.seconds))
            secrets.remember(assertion)  // a signed credential, good for an hour
            fields = [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)]
        case .clientCredentials(let id, let secret, let scope):
            fields = [("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("scope", scope)]
        }
        exchanges += 1
        let request = CurlHTTPRequest(method: "POST", url: url,
                                  headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                                  body: Data(FormBody.urlEncoded(fields).utf8))
        let response: CurlHTTPResponse
        do {
            response = try await engine.send(request, options: options)
        } catch {
            throw TokenError(message: "OAuth2 token request to \(url) failed: \(error.message)", errorClass: .retry, status: nil)
        }
        let body = (try? JSONParser.parse(Array(response.body))) ?? .null
        for field in ["access_token", "refresh_token", "id_token"] {
            if let token = body[field].stringValue { secrets.remember(token) }
        }
        guard (200..<300).contains(response.status), let token = body["access_token"].stringValue else {
            let reason = [body["error"].text, body["error_description"].text].filter { !$0.isEmpty }.joined(separator: ": ")
            let errorClass: ErrorClass = response.status >= 500 ? .retry : .failover
            throw TokenError(message: "OAuth2 token request was refused (HTTP \(response.status))" + (reason.isEmpty ? "" : ": \(reason)"),
                             errorClass: errorClass, status: response.status)
        }
        let lifetime = Double(body["expires_in"].intValue ?? 3600)
        cache[key] = Cached(token: token, expires: clock.now.advanced(by: .seconds(lifetime)))
        return token
    }

    static func assertion(email: String, privateKey: String, scope: String, subject: String?, audience: String,
                          now: Int) throws(TokenError) -> String {
        var claims = OrderedObject()
        claims["iss"] = .string(email)
        claims["scope"] = .string(scope)
        claims["aud"] = .string(audience)
        claims["iat"] = .int(now)
        claims["exp"] = .int(now + 3600)
        if let subject, !subject.isEmpty { claims["sub"] = .string(subject) }
        let header = Base64.urlUnpadded(Data(#"{"alg":"RS256","typ":"JWT"}"#.utf8))
        let payload = Base64.urlUnpadded(Data(JSONWriter.string(.object(claims)).utf8))
        let signingInput = header + "." + payload
        do {
            let signature = try RSASigner.sign(Data(signingInput.utf8), privateKeyPEM: privateKey)
            return signingInput + "." + Base64.urlUnpadded(signature)
        } catch {
            throw TokenError(message: "cannot sign the service-account assertion: \(error)", errorClass: .failover, status: nil)
        }
    }
}

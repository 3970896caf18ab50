import Carrier
import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` URL, read into postgres-nio's
/// client configuration. Its password never appears in ``description`` or in errors.
public struct PostgresURL: Sendable, CustomStringConvertible {
    /// libpq's `sslmode` values this client honours.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain text.
        case disable
        /// TLS when the server offers it, plain text otherwise (libpq's default).
        case prefer
        /// TLS, without checking the server's certificate.
        case require
        /// TLS with a certificate signed by `sslrootcert` (or the system's CAs), any host name.
        case verifyCA = "verify-ca"
        /// TLS with a certificate signed by `sslrootcert` (or the system's CAs) for this host.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    var password: String?
    public var database: String
    public var tls: TLSMode
    /// A CA file (`sslrootcert=`) for `verify-ca` and `verify-full`.
    public var rootCertificate: String?

    /// Reads a URL; the error says what is wrong and never repeats the password.
    public init(_ text: String) throws(ConfigurationError) {
        let example = "write it like postgres://carrier:PASSWORD@db.internal:5432/carrier?sslmode=verify-full"
        guard let parts = URLComponents(string: text), let scheme = parts.scheme, scheme == "postgres" || scheme == "postgresql" else {
            throw ConfigurationError("store: '\(Self.redact(text))' is not a postgres:// URL", hint: example)
        }
        guard let host = parts.host, !host.isEmpty else { throw ConfigurationError("store: the URL names no host", hint: example) }
        guard let user = parts.user, !user.isEmpty else { throw ConfigurationError("store: the URL names no user", hint: example) }
        self.host = host
        self.port = parts.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = parts.password.map { $0.removingPercentEncoding ?? $0 }
        let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        self.database = path.isEmpty ? self.username : (path.removingPercentEncoding ?? path)
        var tls = TLSMode.prefer
        for item in parts.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) ?? (item.value == "allow" ? .prefer : nil) else {
                    throw ConfigurationError("store: sslmode '\(item.value ?? "")' is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
            case "sslrootcert": rootCertificate = item.value
            case "application_name", "connect_timeout": continue
            default:
                throw ConfigurationError("store: the URL parameter '\(item.name)' is not understood", hint: "Carrier reads sslmode and sslrootcert")
            }
        }
        self.tls = tls
    }

    /// The URL as it can be shown: the password replaced by `***`.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    /// Any text that may be a URL with a password, with the password hidden.
    static func redact(_ text: String) -> String {
        text.replacingOccurrences(of: #"(://[^:/@]*):[^@]*@"#, with: "$1:***@", options: .regularExpression)
    }

    /// postgres-nio's configuration for this URL.
    func clientConfiguration() throws(ConfigurationError) -> PostgresClient.Configuration {
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        switch tls {
        case .disable, .prefer, .require: tlsConfiguration.certificateVerification = .none
        case .verifyCA: tlsConfiguration.certificateVerification = .noHostnameVerification
        case .verifyFull: tlsConfiguration.certificateVerification = .fullVerification
        }
        if let rootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw ConfigurationError("store: sslrootcert '\(rootCertificate)' cannot be read", hint: "give the CA file that signed the database's certificate")
            }
            tlsConfiguration.trustRoots = .file(rootCertificate)
        }
        let mode: PostgresClient.Configuration.TLS = switch tls {
        case .disable: .disable
        case .prefer: .prefer(tlsConfiguration)
        case .require, .verifyCA, .verifyFull: .require(tlsConfiguration)
        }
        return PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: mode)
    }
}

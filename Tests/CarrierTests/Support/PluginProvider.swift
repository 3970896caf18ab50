import Carrier
import Foundation
import Logging

/// A one-off provider file around one plugin (an auth scheme, a body encoding) and an account
/// that sends through it to a capture server: what the server receives is that plugin's work.
struct PluginProvider {
    let folder: TemporaryFolder
    let mailer: Mailer

    /// - Parameters:
    ///   - auth: the `auth:` value of the `api` section, as YAML.
    ///   - body: the `body:` value, as YAML.
    ///   - headers: the `headers:` value, as YAML, if the section has one.
    init(auth: String = "{none: {}}", body: String = #"{json: {subject: "{{ subject }}"}}"#, headers: String? = nil, endpoint: String,
         credentials: String = "{key: k-5f2a9c}") throws {
        folder = try TemporaryFolder()
        try """
            schema: 1
            id: plugin
            credentials:
              key: {secret: true}
              user: {secret: false, required: false}
            api:
              url: https://plugin.example/v1/send
              auth: \(auth)
              body: \(body)\(headers.map { "\n  headers: \($0)" } ?? "")
              response: {success: [200], message_ids: "{{ body.id }}"}
            """.write(toFile: folder.path + "/plugin.yaml", atomically: true, encoding: .utf8)
        let configuration = try Configuration.parse("""
            accounts:
              plug: {provider: plugin, endpoint: "\(endpoint)", credentials: \(credentials)}
            """, file: "carrier.yaml")
        let registry = ProviderRegistry.standard(extraDirectories: [folder.path])
        mailer = Mailer(configuration: configuration, registry: registry, logger: .silent)
    }

    func remove() { folder.remove() }
}

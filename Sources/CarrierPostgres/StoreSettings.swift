import Carrier
import CarrierGateway
import CarrierYAML
import Foundation

/// `store:` in carrier.yaml: where state shared by several machines lives. Absent, Carrier keeps
/// it in local files, as before.
///
/// ```yaml
/// store: postgres://carrier@db.internal:5432/carrier        # or "${CARRIER_DATABASE_URL}"
/// store: {url: "${CARRIER_DATABASE_URL}", keep_sent: 7d, lease: 5m, connections: 10}
/// ```
public struct StoreSettings: Sendable {
    public var url: PostgresURL
    /// Seconds a final message (sent, failed, expired, cancelled) is kept for status queries.
    public var keepSent: Double
    /// Seconds a node holds a message it claimed; after that another node may take it.
    public var lease: Double
    /// Seconds a statement may take before the store counts the database unreachable.
    public var timeout: Double = 5
    /// Connections in each process's pool.
    public var connections: Int
    /// This process's name in the claims it makes (`node` of a message being sent).
    public var node: String

    /// Reads `store:` from a loaded configuration; nil when it has none. `${NAME}` references and
    /// `{file: …}` are resolved like credentials.
    public static func read(_ configuration: Configuration) throws(DiagnosticsError) -> StoreSettings? {
        guard let node = configuration.gatewaySections["store"] else { return nil }
        let file = configuration.file ?? "<embedded>"
        let sink = DiagnosticSink()
        var urlValue: Value = Value(yaml: node)
        var keepSent = 7 * 86_400.0, lease = 300.0, timeout = 5.0, connections = 10
        if node.mapping != nil {
            let r = NodeReader(file: file, node: node, context: "'store'", sink: sink)
            urlValue = r.requiredNode("url").map(Value.init(yaml:)) ?? .null
            func duration(_ key: String, _ fallback: Double) -> Double {
                guard let n = r.node(key) else { return fallback }
                guard let seconds = DurationText.seconds(Value(yaml: n)), seconds > 0 else {
                    r.error(n, "'\(key)' must be a duration such as 30s, 5m or 7d")
                    return fallback
                }
                return seconds
            }
            keepSent = duration("keep_sent", keepSent)
            lease = duration("lease", lease)
            timeout = duration("timeout", timeout)
            if let count = r.int("connections") {
                if count < 2, let n = r.node("connections") { r.error(n, "'connections' must be at least 2 (one listens for new messages)") }
                connections = max(2, count)
            }
            r.finish()
        } else if node.scalar == nil {
            sink.add(Diagnostic(file: file, mark: node.mark, message: "'store' must be a postgres:// URL or {url: …}",
                                hint: "write store: postgres://carrier@db.internal:5432/carrier"))
        }
        try sink.check()
        do {
            let text = try configuration.resolveSecret(urlValue, place: "store.url").stringValue ?? ""
            var settings = StoreSettings(url: try PostgresURL(text), keepSent: keepSent, lease: lease, connections: connections,
                                         node: "\(GatewayConfiguration.hostname())/\(getpid())")
            settings.timeout = timeout
            return settings
        } catch {
            throw DiagnosticsError([Diagnostic(file: file, mark: (node["url"] ?? node).mark, message: error.message, hint: error.hint)])
        }
    }

    public init(url: PostgresURL, keepSent: Double = 7 * 86_400, lease: Double = 300, connections: Int = 10, node: String) {
        self.url = url
        self.keepSent = keepSent
        self.lease = lease
        self.connections = connections
        self.node = node
    }
}

import Carrier
import CarrierYAML
import Foundation

/// `serve:` and `clients:` of carrier.yaml: where `carrier serve` listens, where it queues, and
/// who may hand it mail.
///
/// ```yaml
/// serve:
///   http: {listen: 127.0.0.1:8080}
///   smtp: {listen: 127.0.0.1:2525, tls: {certificate: cert.pem, key: key.pem}, max_message_bytes: 26214400}
///   queue: {path: ./queue, max_age: 24h}
/// clients:
///   shop: {api_key_sha256: "9f86d0…", route: default, from_domains: [shop.example.com]}
/// ```
public struct GatewayConfiguration: Sendable {
    /// `host:port`.
    public struct Address: Sendable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var description: String { host.contains(ascii: ":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        /// Whether only this machine can connect.
        public var isLoopback: Bool { host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.") }
    }

    /// The HTTP listener: submission API, events receiver, health, readiness, metrics.
    public struct HTTP: Sendable {
        public var listen: Address
        /// The largest request body (a message with its attachments).
        public var maxBodyBytes: Int
        public var idleTimeout: Double
        public var maxConnections: Int
    }

    /// The SMTP submission listener.
    public struct SMTP: Sendable {
        /// How a listener offers TLS.
        public enum TLSMode: String, Sendable {
            /// STARTTLS offered after EHLO (port 587 style); required before AUTH unless `allow_plain_auth`.
            case starttls
            /// TLS from the first byte (port 465 style).
            case implicit
            /// No TLS (loopback only, with `allow_plain_auth`).
            case none
        }
        public struct Listener: Sendable {
            public var address: Address
            public var tls: TLSMode
        }
        public var listeners: [Listener]
        public var certificate: String?
        public var key: String?
        public var maxMessageBytes: Int
        public var maxRecipients: Int
        /// AUTH without TLS, allowed only on a loopback listener.
        public var allowPlainAuth: Bool
        /// The client a session on a loopback listener submits as when it does not log in (as
        /// Postfix's `mynetworks` trusts local programs); nil: every session logs in.
        public var loopbackClient: String?
        /// Seconds a session may wait for a command, and for the rest of the message during DATA.
        public var commandTimeout: Double
        public var dataTimeout: Double
        public var maxConnections: Int
        /// The name in the greeting and EHLO answer.
        public var hostname: String
    }

    /// The queue: where accepted messages wait, and for how long at most.
    public struct Queue: Sendable {
        public var path: String
        /// Seconds after which an unsent message expires.
        public var maxAge: Double
        /// Sends under way at once.
        public var concurrency: Int
        /// Seconds before the first retry; each later one waits twice as long, up to `maxRetryDelay`.
        public var firstRetryDelay: Double
        public var maxRetryDelay: Double
        /// Seconds a final record (sent, failed, expired, cancelled) is kept for status queries.
        public var keep: Double
    }

    public var http: HTTP?
    public var smtp: SMTP?
    public var queue: Queue
    public var clients: [String: GatewayClient]
    /// Where SIGTERM lets sends under way finish, in seconds.
    public var shutdownGrace: Double

    /// Reads `serve:` and `clients:` from a loaded configuration; every problem with file:line:col.
    public init(_ configuration: Configuration) throws(DiagnosticsError) {
        let file = configuration.file ?? "<embedded>"
        let folder = configuration.file.map { ($0 as NSString).deletingLastPathComponent } ?? "."
        let base = folder.isEmpty ? FileManager.default.currentDirectoryPath
            : (folder.hasPrefix("/") ? folder : FileManager.default.currentDirectoryPath + "/" + folder)
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : URL(fileURLWithPath: base, isDirectory: true).appendingPathComponent(path).standardized.path
        }
        let sink = DiagnosticSink()
        guard let serveNode = configuration.gatewaySections["serve"] else {
            throw DiagnosticsError([Diagnostic(file: file, mark: SourceMark(line: 1, column: 1), message: "the configuration has no 'serve' section",
                                               hint: "add serve: {http: {listen: 127.0.0.1:8080}, smtp: {listen: 127.0.0.1:2525}}")])
        }
        let serve = NodeReader(file: file, node: serveNode, context: "'serve'", sink: sink)
        func address(_ reader: NodeReader, _ node: YAMLNode) -> Address? {
            guard let text = reader.scalarString(node, name: "listen"), let parsed = Self.address(text) else {
                reader.error(node, "'listen' must be host:port, such as 127.0.0.1:8080 or [::1]:2525")
                return nil
            }
            return parsed
        }
        func duration(_ reader: NodeReader, _ key: String, default fallback: Double) -> Double {
            guard let node = reader.node(key) else { return fallback }
            guard let seconds = DurationText.seconds(Value(yaml: node)) else {
                reader.error(node, "'\(key)' must be a duration such as 30s, 5m or 24h")
                return fallback
            }
            return seconds
        }
        if let h = serve.mapping("http") {
            if let node = h.requiredNode("listen"), let listen = address(h, node) {
                http = HTTP(listen: listen, maxBodyBytes: h.int("max_body_bytes") ?? 35_000_000,
                            idleTimeout: duration(h, "idle_timeout", default: 30), maxConnections: h.int("max_connections") ?? 512)
            }
            h.finish()
        }
        if let s = serve.mapping("smtp") {
            var listeners: [SMTP.Listener] = []
            let listenNodes: [YAMLNode] = s.node("listen").map { node in
                if case .sequence(let items) = node.kind { return items }
                return [node]
            } ?? []
            if listenNodes.isEmpty { s.error(s.node, "'smtp' needs 'listen': host:port, or a list of them") }
            var certificate: String?, key: String?
            if let t = s.mapping("tls") {
                certificate = t.string("certificate", required: true).map(absolute)
                key = t.string("key", required: true).map(absolute)
                t.finish()
            }
            for node in listenNodes {
                if node.mapping != nil {
                    let l = NodeReader(file: file, node: node, context: "an SMTP listener", sink: sink)
                    let mode = l.oneOf("tls", ["starttls", "implicit", "none"]).flatMap(SMTP.TLSMode.init(rawValue:))
                    if let addressNode = l.requiredNode("address"), let parsed = address(l, addressNode) {
                        listeners.append(SMTP.Listener(address: parsed, tls: mode ?? (certificate == nil ? .none : .starttls)))
                    }
                    l.finish()
                } else if let parsed = address(s, node) {
                    listeners.append(SMTP.Listener(address: parsed, tls: certificate == nil ? .none : .starttls))
                }
            }
            let allowPlain = s.bool("allow_plain_auth") ?? false
            for listener in listeners where listener.tls != .none && certificate == nil {
                s.error(s.node, "the SMTP listener \(listener.address) uses TLS (\(listener.tls.rawValue)) but 'tls' names no certificate",
                        hint: "add tls: {certificate: cert.pem, key: key.pem}")
            }
            for listener in listeners where listener.tls == .none && !listener.address.isLoopback {
                s.error(s.node, "the SMTP listener \(listener.address) has no TLS and is not on loopback: passwords would cross the network in clear",
                        hint: "add tls: {certificate: …, key: …}, or listen on 127.0.0.1")
            }
            smtp = SMTP(listeners: listeners, certificate: certificate, key: key,
                        maxMessageBytes: s.int("max_message_bytes") ?? 26_214_400, maxRecipients: s.int("max_recipients") ?? 100,
                        allowPlainAuth: allowPlain, loopbackClient: s.string("loopback_client"), commandTimeout: duration(s, "command_timeout", default: 300),
                        dataTimeout: duration(s, "data_timeout", default: 600), maxConnections: s.int("max_connections") ?? 1024,
                        hostname: s.string("hostname") ?? Self.hostname())
            s.finish()
        }
        var queue = Queue(path: absolute("queue"), maxAge: 86_400, concurrency: 64, firstRetryDelay: 60, maxRetryDelay: 3_600, keep: 7 * 86_400)
        if let q = serve.mapping("queue") {
            if let path = q.string("path") { queue.path = absolute(path) }
            queue.maxAge = duration(q, "max_age", default: queue.maxAge)
            queue.concurrency = max(1, q.int("concurrency") ?? queue.concurrency)
            queue.firstRetryDelay = duration(q, "first_retry", default: queue.firstRetryDelay)
            queue.maxRetryDelay = duration(q, "max_retry_delay", default: queue.maxRetryDelay)
            queue.keep = duration(q, "keep", default: queue.keep)
            q.finish()
        }
        self.queue = queue
        shutdownGrace = duration(serve, "shutdown_grace", default: 30)
        if http == nil && smtp == nil {
            serve.error(serveNode, "'serve' has neither 'http' nor 'smtp': nothing would listen", hint: "add http: {listen: 127.0.0.1:8080}")
        }
        serve.finish()
        var clients: [String: GatewayClient] = [:]
        if let clientsNode = configuration.gatewaySections["clients"] {
            if clientsNode.mapping == nil { sink.add(Diagnostic(file: file, mark: clientsNode.mark, message: "'clients' must be a mapping of names")) }
            for pair in clientsNode.mapping ?? [] {
                guard let name = pair.key.scalar else { continue }
                if let client = GatewayClient.read(name, pair.value, file: file, sink: sink, configuration: configuration) { clients[name] = client }
            }
        }
        if clients.isEmpty {
            sink.add(Diagnostic(file: file, mark: serveNode.mark, message: "the configuration names no clients: nobody could submit mail",
                                hint: "run `carrier clients add NAME` and add the line it prints under clients:"))
        }
        if let name = smtp?.loopbackClient, clients[name] == nil, let node = serveNode["smtp"]?["loopback_client"] {
            sink.add(Diagnostic(file: file, mark: node.mark, message: "'loopback_client' names '\(name)', which is not a client",
                                hint: Suggest.hint(for: name, in: Array(clients.keys))))
        }
        try sink.check()
        self.clients = clients
    }

    /// `127.0.0.1:8080`, `[::1]:2525`, `:587` (every address).
    static func address(_ text: String) -> Address? {
        let trimmed = text.trimmingWhitespace()
        guard let colon = trimmed.lastIndex(of: ":"), let port = Int(trimmed[trimmed.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        var host = String(trimmed[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return Address(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    package static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}

import ArgumentParser
import Carrier
import CarrierGateway
import CarrierPostgres
import CarrierServer
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// `carrier serve`: the mail gateway every app hands its mail to, by HTTP or SMTP (docs/serve.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the mail gateway: take mail by HTTP and SMTP, queue it durably, send it through the routes (docs/serve.md).",
        discussion: """
            carrier.yaml's serve: section says where to listen and queue, clients: who may submit. \
            A message is acknowledged (HTTP 202, SMTP 250) only once it is on disk. SIGTERM or SIGINT: \
            nothing new is taken (HTTP 503, SMTP 421), sends under way finish within serve.shutdown_grace, \
            the rest stays queued for the next start.
            """
    )
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Check the configuration and exit (0 when it can serve, 2 otherwise).")
    var check = false
    @Option(help: ArgumentHelp("The NDJSON file delivery events are appended to (default: events.ndjson in the queue's folder).", valueName: "file"))
    var events: String?

    func run() async throws {
        guard options.config != nil || FileManager.default.fileExists(atPath: "carrier.yaml") else {
            throw Failure(message: "carrier: serve needs a configuration with serve: and clients: (--config FILE, or ./carrier.yaml)", code: 2).exitCode
        }
        let configuration = try options.load()
        var settings: GatewayConfiguration
        let storeSettings: StoreSettings?
        do {
            settings = try GatewayConfiguration(configuration)
            storeSettings = try StoreSettings.read(configuration)
        } catch {
            throw Failure(.configuration(ConfigurationError(error.description))).exitCode
        }
        if let storeSettings { settings.queue.keep = storeSettings.keepSent }
        if check {
            Output.line("carrier: the configuration can serve: " + Self.summary(settings, store: storeSettings))
            return
        }
        let prometheus = PrometheusCollectorRegistry()
        var logger = Logger(label: "carrier.serve")
        logger.logLevel = ProcessInfo.processInfo.environment["CARRIER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let registry = ConfigOptions.registry(for: configuration, reading: .events)
        var services: [any Service] = []
        // With `store:`, the queue, route state and rate limits are the database's, shared with every node naming it.
        var queue: (any MessageQueue)?
        var sharedState: (any SharedStateStore)?
        var store: PostgresStore?
        if let storeSettings {
            do { try await DatabaseCommand.open(storeSettings, logger: logger).withRunning { store in try await store.checkSchema() } } catch {
                throw Failure(message: "carrier: \(error)", code: 2).exitCode
            }
            let opened = try DatabaseCommand.open(storeSettings, logger: logger)
            services.append(opened)
            queue = PostgresQueue(store: opened)
            sharedState = PostgresSharedState(store: opened)
            store = opened
        }
        let suppressions = CommandStore.suppressions(for: configuration, store: store)
        let runtime = CarrierRuntime(shutdownGrace: .seconds(settings.shutdownGrace), sharedState: sharedState)
        let gateway: Gateway
        do {
            gateway = try Gateway(configuration: configuration, settings: settings, queue: queue, registry: registry, runtime: runtime,
                                  metrics: PrometheusMetricsFactory(registry: prometheus), logger: logger, suppressions: suppressions)
        } catch {
            throw Failure(message: "carrier: \(error)", code: 2).exitCode
        }
        if let http = settings.http {
            let log: EventLog
            do {
                // The events file lives in the queue's folder, which a database store does not make.
                if events == nil { try? FileManager.default.createDirectory(atPath: settings.queue.path, withIntermediateDirectories: true,
                                                                          attributes: [.posixPermissions: 0o700]) }
                log = try EventLog(path: events ?? settings.queue.path + "/events.ndjson")
            } catch {
                throw Failure(message: "carrier: \(error)", code: 2).exitCode
            }
            let receiver = WebhookReceiver(configuration: configuration, registry: registry, runtime: runtime)
            let recorder = CommandStore.recorder(for: configuration, list: suppressions, queue: gateway.queue)
            let eventServer = EventServer(receiver: receiver, log: log, logger: logger, suppressions: recorder,
                                          unsubscribe: try CommandStore.unsubscribe(for: configuration, list: suppressions)) { events in
                await gateway.record(events: events)
            }
            let api = GatewayHTTP(gateway: gateway, events: eventServer, metrics: prometheus, settings: http)
            services.append(api.application { port in
                Output.error("carrier: HTTP on http://\(http.listen.host):\(port)/v1/messages")
            })
        }
        if let smtp = settings.smtp {
            do {
                services.append(try SMTPListener(gateway: gateway, settings: smtp) { ports in
                    for (listener, port) in zip(smtp.listeners, ports) {
                        Output.error("carrier: SMTP on \(listener.address.host):\(port) (\(listener.tls.rawValue))")
                    }
                })
            } catch {
                throw Failure(message: "carrier: the SMTP listener's TLS certificate or key cannot be used: \(error)", code: 2).exitCode
            }
        }
        Self.raiseFileLimit()
        // The gateway last: a graceful shutdown reaches it first, so it stops taking messages (503)
        // and drains while the listeners still answer.
        services.append(gateway)
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Many idle clients must not starve a new one: the soft limit on open files goes up to the hard one.
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    static func summary(_ settings: GatewayConfiguration, store: StoreSettings?) -> String {
        var parts: [String] = []
        if let http = settings.http { parts.append("HTTP on \(http.listen)") }
        if let smtp = settings.smtp {
            parts.append("SMTP on " + smtp.listeners.map { "\($0.address) (\($0.tls.rawValue))" }.joined(separator: ", "))
        }
        parts.append("queue \(store.map { "in \($0.url)" } ?? "at \(settings.queue.path)") (max_age \(Int(settings.queue.maxAge)) s)")
        parts.append("\(settings.clients.count) client\(settings.clients.count == 1 ? "" : "s"): " + settings.clients.keys.sorted().joined(separator: ", "))
        return parts.joined(separator: "; ")
    }
}

/// `carrier clients add NAME`: a new API key, printed once, and the line carrier.yaml keeps (its hash).
struct ClientsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients",
        abstract: "Make credentials for the gateway's clients (docs/serve.md).",
        subcommands: [Add.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Print a new API key (and with --smtp an SMTP password) once, with the clients: lines that hold only their hashes."
        )
        @Argument(help: "The client's name.")
        var name: String
        @Flag(help: "Also make an SMTP login (user name: the client's name).")
        var smtp = false

        func run() throws {
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }) else {
                throw Failure(message: "carrier: a client's name is letters, digits, - and _ (got '\(name)')", code: 2).exitCode
            }
            let key = GatewayClient.newKey()
            Output.line("api_key: \(key.key)")
            var lines = ["  \(name):", "    api_key_sha256: \"\(key.sha256)\""]
            if smtp {
                let password = GatewayClient.newKey()
                Output.line("smtp_password: \(password.key)")
                lines += ["    smtp: {username: \(name), password_sha256: \"\(password.sha256)\"}"]
            }
            lines += ["    route: default"]
            Output.error("carrier: shown once — keep it in the app's secrets. Add under clients: in carrier.yaml:\n" + lines.joined(separator: "\n"))
        }
    }
}

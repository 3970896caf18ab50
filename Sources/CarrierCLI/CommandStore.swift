import Carrier
import CarrierGateway
import CarrierPostgres
import CarrierServer
import Foundation
import Logging

/// The database `store:` names, open for the length of one command (`send`, `bulk`, `outbox`,
/// `events serve`), so their spool, journals, route state, limits and events are shared with every
/// host naming it. Without `store:`, commands keep them in local files.
enum CommandStore {
    /// Runs `body` with the store open and its schema checked (exit 2 when it is not this
    /// binary's: "run `carrier db migrate`"); `nil` without `store:`.
    static func run<T: Sendable>(_ configuration: Configuration, _ body: (PostgresStore?) async throws -> T) async throws -> T {
        let settings: StoreSettings?
        do { settings = try StoreSettings.read(configuration) } catch {
            throw Failure(.configuration(ConfigurationError(error.description))).exitCode
        }
        guard let settings else { return try await body(nil) }
        if configuration.spoolDirectory != nil {
            Output.warn(["spool: is not used with store: (the database keeps the spool)"])
        }
        return try await DatabaseCommand.open(settings, logger: .quiet).withRunning { store in
            do { try await store.checkSchema() } catch { throw Failure(message: "carrier: \(error)", code: 2).exitCode }
            return try await body(store)
        }
    }

    /// A mailer whose spool, suppression list, route state and rate limits are the store's when there is one.
    static func mailer(for configuration: Configuration, store: PostgresStore?, logger: Logger) -> Mailer {
        guard let store else { return ConfigOptions.mailer(for: configuration, logger: logger) }
        return Mailer(configuration: configuration, registry: ConfigOptions.registry(for: configuration, reading: []),
                      runtime: CarrierRuntime(sharedState: PostgresSharedState(store: store)), logger: logger,
                      spool: PostgresSpool(store: store), suppressions: PostgresSuppressions(store: store))
    }

    /// The suppression list: the store's, else `suppressions:`'s file, else none.
    static func suppressions(for configuration: Configuration, store: PostgresStore?) -> (any SuppressionStore)? {
        if let store { return PostgresSuppressions(store: store) }
        return configuration.suppressionsFile.map(SuppressionFile.init(path:))
    }

    /// The one-click unsubscribe endpoint, when `unsubscribe:` and a suppression list are configured.
    static func unsubscribe(for configuration: Configuration, list: (any SuppressionStore)?) throws -> UnsubscribeEndpoint? {
        let links: UnsubscribeLinks?
        do { links = try configuration.unsubscribeLinks() } catch { throw Failure(.configuration(error)).exitCode }
        guard let links else { return nil }
        guard let list else {
            throw Failure(message: "carrier: unsubscribe: needs a suppression list to add to; add suppressions: ./suppressions.ndjson (or store:)",
                          code: 2).exitCode
        }
        return UnsubscribeEndpoint(links: links, list: list)
    }

    /// What adds bounces, complaints and unsubscribes to `list`, when there is one. Per sending
    /// domain, the messages in `queue` (the gateway's, or the gateways' store) say which domain
    /// an event's message was sent from.
    static func recorder(for configuration: Configuration, list: (any SuppressionStore)?, queue: (any MessageQueue)?) -> SuppressionRecorder? {
        guard let list else { return nil }
        var sendingDomain: (@Sendable (DeliveryEvent) async -> String?)? = nil
        if configuration.suppressionsPerSendingDomain, let queue {
            sendingDomain = { event in await queue.sendingDomain(of: event) }
        }
        return SuppressionRecorder(store: list, softBounceLimit: configuration.softBounceLimit, sendingDomain: sendingDomain)
    }

    /// The spool `outbox` works on: the store's, else `spool:`'s folder.
    static func spool(for configuration: Configuration, store: PostgresStore?) throws -> any SpoolStore {
        if let store { return PostgresSpool(store: store) }
        guard let directory = configuration.spoolDirectory else {
            throw Failure(message: "carrier: the configuration has no spool; add spool: ./spool (or store:) to carrier.yaml", code: 2).exitCode
        }
        return Spool(directory: directory)
    }
}

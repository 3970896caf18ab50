import ArgumentParser
import Carrier
import CarrierPostgres
import Foundation
import Logging

/// `carrier db migrate|status`: the schema of the PostgreSQL store that `store:` names (docs/storage.md).
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Create or upgrade the PostgreSQL store's tables, or show its state (store: in carrier.yaml; docs/storage.md).",
        subcommands: [Migrate.self, Status.self]
    )

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Apply the migrations this Carrier ships that the database lacks (safe to run again; refuses a newer schema)."
        )
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let store = try DatabaseCommand.open(try DatabaseCommand.settings(options))
            do {
                let applied = try await store.withRunning { store in try await store.migrate() }
                Output.line(applied.isEmpty ? "carrier: \(store.settings.url) is at schema version \(PostgresStore.schemaVersion); nothing to do"
                            : "carrier: \(store.settings.url): applied migration\(applied.count == 1 ? "" : "s") \(applied.map(String.init).joined(separator: ", "))")
            } catch {
                throw Failure(message: "carrier: \(error)", code: 1).exitCode
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the schema version and the queue's messages by status.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let store = try DatabaseCommand.open(try DatabaseCommand.settings(options))
            do {
                let (version, counts) = try await store.withRunning { store in
                    let version = try await store.schemaVersion()
                    return (version, version > 0 ? try await store.messageCounts() : [])
                }
                let state = version == PostgresStore.schemaVersion ? "current"
                    : version < PostgresStore.schemaVersion ? "behind: run `carrier db migrate`" : "newer than this Carrier: upgrade it"
                Output.line("store: \(store.settings.url)")
                Output.line("schema: version \(version) (this Carrier: \(PostgresStore.schemaVersion); \(state))")
                Output.line("messages: " + (counts.isEmpty ? "none" : counts.map { "\($0.status) \($0.count)" }.joined(separator: ", ")))
                if version != PostgresStore.schemaVersion { throw ExitCode(1) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw Failure(message: "carrier: \(error)", code: 1).exitCode
            }
        }
    }

    /// The configuration's `store:`; exit 2 when it has none.
    static func settings(_ options: ConfigOptions) throws -> StoreSettings {
        let configuration = try options.load()
        do {
            guard let settings = try StoreSettings.read(configuration) else {
                throw Failure(message: "carrier: \(configuration.file ?? "the configuration") has no store: (add store: postgres://user@host:5432/carrier)", code: 2).exitCode
            }
            return settings
        } catch let error as DiagnosticsError {
            throw Failure(.configuration(ConfigurationError(error.description))).exitCode
        }
    }

    /// A store (its pool not running yet); exit 2 when its TLS settings cannot be used.
    static func open(_ settings: StoreSettings, logger: Logger = Logger(label: "carrier.store")) throws -> PostgresStore {
        do { return try PostgresStore(settings: settings, logger: logger) } catch {
            throw Failure(.configuration(error)).exitCode
        }
    }
}

import Carrier
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// A connection pool to the PostgreSQL database named by `store:`, and the schema's versions.
/// A swift-service-lifecycle `Service`: the pool works while ``run()`` runs (in `carrier serve`'s
/// service group, or inside ``withRunning(_:)`` for a command).
public final class PostgresStore: Service, Sendable {
    public let settings: StoreSettings
    let client: PostgresClient
    let logger: Logger
    /// What deadlines and reconnection pauses are measured on.
    let clock: any WallClock

    /// - Parameter clock: the clock a query's deadline (``StoreSettings/timeout``) is read on.
    public init(settings: StoreSettings, clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "carrier.store")) throws(ConfigurationError) {
        self.settings = settings
        self.logger = logger
        self.clock = clock
        var configuration = try settings.url.clientConfiguration()
        configuration.options.maximumConnections = settings.connections
        configuration.options.connectTimeout = .seconds(5)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Runs the pool until cancelled or shut down.
    public func run() async {
        await cancelWhenGracefulShutdown { await self.client.run() }
    }

    /// Runs `body` with the pool working, then stops it.
    public func withRunning<T: Sendable>(_ body: (PostgresStore) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await self.client.run(); return nil }
            defer { group.cancelAll() }
            for _ in 0..<8 { await Task.yield() }  // let the pool start before the first lease
            return try await body(self)
        }
    }

    /// Runs a statement and collects its rows, or fails after the store's `timeout`: a database
    /// that cannot be reached makes the gateway answer "try again" (451 4.3.0 / 503) instead of
    /// keeping its client waiting; the pool meanwhile reconnects with backoff.
    func rows(_ query: PostgresQuery, _ what: String) async throws(StorageError) -> [PostgresRow] {
        let client = self.client, clock = self.clock, timeout = settings.timeout
        do {
            return try await withThrowingTaskGroup(of: [PostgresRow]?.self) { group in
                group.addTask { try await client.query(query).collect() }
                group.addTask {
                    try await clock.pause(seconds: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let rows = first else { throw TimedOut(seconds: timeout) }
                return rows
            }
        } catch {
            throw failure(what, error)
        }
    }

    /// A row's columns as Swift values.
    func decode<each Column: PostgresDecodable>(_ row: PostgresRow, as type: (repeat each Column).Type, _ what: String) throws(StorageError) -> (repeat each Column) {
        do { return try row.decode(type) } catch { throw failure(what, error) }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no answer within \(Int(seconds)) s" }
    }

    /// A storage error for a database failure: what failed, never the URL's password.
    func failure(_ what: String, _ error: any Error) -> StorageError {
        let reason: String
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.beginError ?? error.commitError {
            return failure(what, inner)
        }
        if let error = error as? PSQLError {
            reason = error.serverInfo?[.message].map { "the database said: \($0)" } ?? "\(error.code)"
        } else if let error = error as? TimedOut {
            reason = error.description
        } else {
            reason = PostgresURL.redact(String(describing: error))
        }
        return StorageError("the database", path: settings.url.description, reason: "\(what): \(reason)",
                            hint: "check that PostgreSQL is running and reachable, and `carrier db status`")
    }

    // MARK: Schema

    /// The schema's version in the database (0: none yet).
    public func schemaVersion() async throws(StorageError) -> Int {
        let what = "the schema version could not be read"
        guard let exists = try await rows("SELECT to_regclass('carrier_schema') IS NOT NULL", what).first,
              try decode(exists, as: Bool.self, what) else { return 0 }
        guard let row = try await rows("SELECT coalesce(max(version), 0) FROM carrier_schema", what).first else { return 0 }
        return try decode(row, as: Int.self, what)
    }

    /// Brings the schema to this binary's version, each migration in its own transaction under an
    /// advisory lock (nodes starting together migrate once). Refuses a database newer than this
    /// binary. Returns the versions it applied.
    @discardableResult
    public func migrate() async throws(StorageError) -> [Int] {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                // One migrator at a time, across every node; released at the end of the transaction.
                try await connection.query("SELECT pg_advisory_xact_lock(7472310)", logger: self.logger)
                try await connection.query("CREATE TABLE IF NOT EXISTS carrier_schema (version integer PRIMARY KEY, applied double precision NOT NULL)",
                                           logger: self.logger)
                let rows = try await connection.query("SELECT coalesce(max(version), 0) FROM carrier_schema", logger: self.logger).collect()
                let version = try rows.first?.decode(Int.self) ?? 0
                guard version <= Schema.current else { throw NewerSchema(found: version) }
                var applied: [Int] = []
                for number in (version + 1)...max(version + 1, Schema.current) where number <= Schema.current {
                    for statement in Schema.statements(number) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                    }
                    let now = Date().timeIntervalSince1970
                    try await connection.query("INSERT INTO carrier_schema (version, applied) VALUES (\(number), \(now))", logger: self.logger)
                    applied.append(number)
                }
                return applied
            }
        } catch let error as PostgresTransactionError where error.closureError is NewerSchema {
            let found = (error.closureError as? NewerSchema)?.found ?? 0
            throw StorageError("the database", path: settings.url.description,
                               reason: "its schema is version \(found), newer than this Carrier's \(Schema.current)",
                               hint: "upgrade Carrier on this machine; it does not run against a newer schema")
        } catch {
            throw failure("the schema could not be migrated", error)
        }
    }

    /// Throws unless the schema is this binary's version.
    public func checkSchema() async throws(StorageError) {
        let version = try await schemaVersion()
        guard version == Schema.current else {
            throw StorageError("the database", path: settings.url.description,
                               reason: version < Schema.current ? "its schema is version \(version); this Carrier needs \(Schema.current)"
                                   : "its schema is version \(version), newer than this Carrier's \(Schema.current)",
                               hint: version < Schema.current ? "run `carrier db migrate`" : "upgrade Carrier on this machine")
        }
    }

    /// Messages in the queue by status.
    public func messageCounts() async throws(StorageError) -> [(status: String, count: Int)] {
        let what = "the queue could not be counted"
        var counts: [(status: String, count: Int)] = []
        for row in try await rows("SELECT status, count(*) FROM carrier_messages GROUP BY status ORDER BY status", what) {
            let (status, count) = try decode(row, as: (String, Int).self, what)
            counts.append((status, count))
        }
        return counts
    }

    /// The version this binary needs.
    public static var schemaVersion: Int { Schema.current }

    private struct NewerSchema: Error { var found: Int }
}

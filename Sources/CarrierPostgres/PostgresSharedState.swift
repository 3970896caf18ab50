import Carrier
import Foundation
import PostgresNIO

/// Routes' state and accounts' rate-limit buckets in PostgreSQL (`carrier_route_state`), shared by
/// every node: each change reads its row `FOR UPDATE`, applies the change and writes it back in one
/// transaction, so a round robin turns once per message and a limit of 10 a second holds across
/// all nodes together.
public final class PostgresSharedState: SharedStateStore {
    public let store: PostgresStore

    public init(store: PostgresStore) {
        self.store = store
    }

    public func update<T: Sendable>(route: String, key: String, _ change: @Sendable (inout Value) -> T) async throws(StorageError) -> T {
        do {
            return try await store.client.withTransaction(logger: store.logger) { connection in
                try await connection.query("""
                    INSERT INTO carrier_route_state (route, key, value) VALUES (\(route), \(key), 'null') ON CONFLICT DO NOTHING
                    """, logger: store.logger)
                let rows = try await connection.query("""
                    SELECT value::text FROM carrier_route_state WHERE route = \(route) AND key = \(key) FOR UPDATE
                    """, logger: store.logger).collect()
                let text = try rows.first?.decode(String.self) ?? "null"
                var value = (try? JSONParser.parse(Array(text.utf8))) ?? .null
                let result = change(&value)
                try await connection.query("""
                    UPDATE carrier_route_state SET value = \(JSONWriter.string(value))::json WHERE route = \(route) AND key = \(key)
                    """, logger: store.logger)
                return result
            }
        } catch {
            throw store.failure("the route state could not be changed", error)
        }
    }
}

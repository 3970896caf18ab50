import Carrier
import Foundation
import PostgresNIO

/// The suppression list in PostgreSQL (`carrier_suppressions`, `carrier_soft_bounces`): every
/// node, `carrier send` and `carrier bulk` on any host skips the same addresses.
public struct PostgresSuppressions: SuppressionStore {
    public let store: PostgresStore

    public init(store: PostgresStore) {
        self.store = store
    }

    public var location: String { "\(store.settings.url) (carrier_suppressions)" }

    private func entries(_ query: PostgresQuery, _ what: String) async throws(StorageError) -> [Suppression] {
        var out: [Suppression] = []
        for row in try await store.rows(query, what) {
            let (scope, address, reason, source, event, created) = try store.decode(row, as: (String, String, String, String?, String?, Double).self, what)
            let value = event.flatMap { try? JSONParser.parse(Array($0.utf8)) }
            out.append(Suppression(address: address, reason: Suppression.Reason(rawValue: reason) ?? .manual, scope: scope, source: source,
                                   event: value, created: created))
        }
        return out
    }

    private static let columns = "scope, address, reason, source, event::text, created"

    public func matching(_ addresses: [String], domain: String) async throws(StorageError) -> [Suppression] {
        guard !addresses.isEmpty else { return [] }
        return try await entries("""
            SELECT \(unescaped: Self.columns) FROM carrier_suppressions
            WHERE address = ANY(\(addresses.map { $0.lowercased() })::text[]) AND scope IN ('*', \(domain.lowercased()))
            """, "the suppression list could not be read")
    }

    public func add(_ entries: [Suppression]) async throws(StorageError) -> Int {
        guard !entries.isEmpty else { return 0 }
        let added = try await store.rows("""
            INSERT INTO carrier_suppressions (scope, address, reason, source, event, created)
            SELECT s, a, r, nullif(o, ''), nullif(e, '')::json, c
            FROM unnest(\(entries.map(\.scope))::text[], \(entries.map(\.address))::text[], \(entries.map(\.reason.rawValue))::text[],
                        \(entries.map { $0.source ?? "" })::text[], \(entries.map { $0.event.map(JSONWriter.string) ?? "" })::text[],
                        \(entries.map(\.created))::float8[]) AS x(s, a, r, o, e, c)
            ON CONFLICT (scope, address) DO NOTHING RETURNING 1
            """, "the suppression list could not be written")
        return added.count
    }

    public func countSoftBounce(_ address: String, scope: String, at time: Double) async throws(StorageError) -> Int {
        let what = "a soft bounce could not be counted"
        guard let row = try await store.rows("""
            INSERT INTO carrier_soft_bounces (scope, address, count, last) VALUES (\(scope.lowercased()), \(address.lowercased()), 1, \(time))
            ON CONFLICT (scope, address) DO UPDATE SET count = carrier_soft_bounces.count + 1, last = EXCLUDED.last
            RETURNING count
            """, what).first else { return 0 }
        return try store.decode(row, as: Int.self, what)
    }

    public func remove(_ address: String, scope: String?) async throws(StorageError) -> Int {
        let what = "the suppression list could not be changed"
        let address = address.lowercased()
        _ = try await store.rows("""
            DELETE FROM carrier_soft_bounces WHERE address = \(address) AND (\(scope == nil) OR scope = \(scope?.lowercased() ?? ""))
            """, what)
        return try await store.rows("""
            DELETE FROM carrier_suppressions WHERE address = \(address) AND (\(scope == nil) OR scope = \(scope?.lowercased() ?? "")) RETURNING 1
            """, what).count
    }

    public func all() async throws(StorageError) -> [Suppression] {
        try await entries("SELECT \(unescaped: Self.columns) FROM carrier_suppressions ORDER BY created, address", "the suppression list could not be read")
    }
}

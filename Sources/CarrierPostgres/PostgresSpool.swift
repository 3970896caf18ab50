import Carrier
import Foundation
import PostgresNIO

/// `carrier send`'s spool in PostgreSQL (`carrier_spool`): a message one host kept is listed,
/// retried or purged from any host naming the same `store:`.
///
/// An entry is held by one process at a time (`holder`, `locked_until`): its writer holds it
/// from write-ahead to the end of its send, and `carrier outbox retry` holds it while sending it
/// again. A holder that dies lets go when its lease (``StoreSettings/lease``) runs out; an entry
/// it left `in_flight` is then reported `unknown`, as in a folder.
public final class PostgresSpool: SpoolStore {
    public let store: PostgresStore
    let clock: any WallClock
    var node: String { store.settings.node }

    public init(store: PostgresStore, clock: any WallClock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    public var location: String { "\(store.settings.url) (carrier_spool)" }
    public func place(of id: String) -> String { "\(store.settings.url) (carrier_spool, id \(id))" }

    /// Runs a statement; a database failure is the spool's "cannot write".
    private func rows(_ query: PostgresQuery, _ what: String) async throws(SpoolError) -> [PostgresRow] {
        do { return try await store.rows(query, what) } catch { throw .unwritable(path: location, reason: error.reason) }
    }

    private func entry(_ row: PostgresRow, _ what: String) throws(SpoolError) -> Spool.Entry {
        let (id, text): (String, String)
        do { (id, text) = try store.decode(row, as: (String, String).self, what) } catch { throw .unreadable(path: location, reason: error.reason) }
        return try entry(id: id, text: text)
    }

    private func entry(id: String, text: String) throws(SpoolError) -> Spool.Entry {
        let value: Value
        do { value = try JSONParser.parse(Array(text.utf8)) } catch { throw .unreadable(path: place(of: id), reason: "not valid JSON (\(error))") }
        return try Spool.Entry(stored: value, id: id, source: place(of: id))
    }

    public func checkWritable() async throws(SpoolError) {
        let what = "the spool's privileges could not be read"
        guard let row = try await rows("SELECT has_table_privilege('carrier_spool', 'INSERT, UPDATE, DELETE')", what).first else { return }
        let allowed: Bool
        do { allowed = try store.decode(row, as: Bool.self, what) } catch { throw .unwritable(path: location, reason: error.reason) }
        if !allowed { throw .unwritable(path: location, reason: "this database user may not insert, update and delete its rows") }
    }

    /// A new entry is held by its writer unless it is kept as failed (then any retry may take it).
    public func create(_ entry: inout Spool.Entry) async throws(SpoolError) -> String {
        let now = clock.seconds
        let lease: Double? = entry.state == .failed ? nil : now + store.settings.lease
        for _ in 0..<16 {
            entry.id = Spool.newID(for: entry.message.messageID)
            let added = try await rows("""
                INSERT INTO carrier_spool (id, state, created, holder, locked_until, entry)
                VALUES (\(entry.id), \(entry.state.rawValue), \(entry.created), \(lease == nil ? nil : node), \(lease),
                        \(JSONWriter.string(entry.value))::json)
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, "the message could not be kept")
            if !added.isEmpty { return place(of: entry.id) }
        }
        throw .unwritable(path: location, reason: "no free entry id after 16 tries")
    }

    public func write(_ entry: Spool.Entry) async throws(SpoolError) -> String {
        _ = try await rows("""
            INSERT INTO carrier_spool (id, state, created, entry)
            VALUES (\(entry.id), \(entry.state.rawValue), \(entry.created), \(JSONWriter.string(entry.value))::json)
            ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, entry = EXCLUDED.entry
            """, "the kept message could not be written")
        return place(of: entry.id)
    }

    public func remove(_ id: String) async throws(SpoolError) {
        _ = try await rows("DELETE FROM carrier_spool WHERE id = \(id)", "the kept message could not be removed")
    }

    public func settleSent(_ entry: Spool.Entry) async throws(SpoolError) {
        do { try await remove(entry.id) } catch {
            // The database is unreachable: marking it sent would fail the same way.
            throw .notRemoved(path: place(of: entry.id), marked: false, reason: error.description)
        }
    }

    public func load(_ id: String) async throws(SpoolError) -> Spool.Entry {
        let what = "the kept message could not be read"
        guard let row = try await rows("SELECT id, entry::text FROM carrier_spool WHERE id = \(id)", what).first else {
            throw .missing(id: id, directory: location)
        }
        return try entry(row, what)
    }

    public func entries() async throws(SpoolError) -> (entries: [Spool.Entry], unreadable: [Spool.Unreadable]) {
        let what = "the kept messages could not be listed"
        var entries: [Spool.Entry] = [], unreadable: [Spool.Unreadable] = []
        for row in try await rows("SELECT id, entry::text FROM carrier_spool ORDER BY created, id", what) {
            let (id, text): (String, String)
            do { (id, text) = try store.decode(row, as: (String, String).self, what) } catch { throw .unreadable(path: location, reason: error.reason) }
            do { entries.append(try entry(id: id, text: text)) } catch {
                unreadable.append(Spool.Unreadable(id: id, path: place(of: id), reason: error.description))
            }
        }
        return (entries, unreadable)
    }

    /// Takes the entry when nobody holds it, its holder's lease ran out, or this process holds it.
    public func hold(_ id: String) async throws(SpoolError) -> (any SpoolHold)? {
        let now = clock.seconds
        let held = try await rows("""
            UPDATE carrier_spool SET holder = \(node), locked_until = \(now + store.settings.lease)
            WHERE id = \(id) AND (locked_until IS NULL OR locked_until < \(now) OR holder = \(node))
            RETURNING id
            """, "the kept message could not be held")
        if !held.isEmpty { return Hold(spool: self, id: id) }
        if try await rows("SELECT 1 FROM carrier_spool WHERE id = \(id)", "the kept message could not be read").isEmpty {
            throw .missing(id: id, directory: location)
        }
        return nil
    }

    /// Holds already say whether another process is sending an entry.
    public func heldElsewhere(_ entry: Spool.Entry) -> Bool { false }

    struct Hold: SpoolHold {
        let spool: PostgresSpool
        let id: String

        func release() async {
            _ = try? await spool.rows("""
                UPDATE carrier_spool SET holder = NULL, locked_until = NULL WHERE id = \(id) AND holder = \(spool.node)
                """, "the kept message could not be let go")
        }
    }
}

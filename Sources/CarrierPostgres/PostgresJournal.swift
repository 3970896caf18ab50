import Carrier
import Foundation
import PostgresNIO
import Synchronization

/// A `carrier bulk` journal in PostgreSQL (`carrier_bulk_journals`, `carrier_bulk_rows`): the
/// same run resumes from any host that names the same `store:` and journal.
///
/// Each row's latest step is kept (`started`, then its outcome); a `started` row is written before
/// its send goes out and committed, so a run killed anywhere leaves those rows `unknown`. One run
/// holds a journal at a time: the hold is renewed as the run records, and lets go at its end, or
/// when its lease (``StoreSettings/lease``) runs out after the run died.
public final class PostgresJournal: BulkJournalStore {
    public let name: String
    let store: PostgresStore
    let clock: any WallClock
    private let state = Mutex<(failure: String?, renewed: Double)>((nil, 0))

    private init(name: String, store: PostgresStore, clock: any WallClock, renewed: Double) {
        self.name = name
        self.store = store
        self.clock = clock
        state.withLock { $0.renewed = renewed }
    }

    /// Opens (or creates) the journal `name` and holds it for this run; refused while another
    /// run holds it.
    public static func open(name: String, store: PostgresStore, clock: any WallClock = SystemClock()) async throws(CarrierError) -> PostgresJournal {
        let node = store.settings.node, now = clock.seconds
        let what = "the journal could not be opened"
        do throws(StorageError) {
            let taken = try await store.rows("""
                INSERT INTO carrier_bulk_journals (name, holder, locked_until) VALUES (\(name), \(node), \(now + store.settings.lease))
                ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, locked_until = EXCLUDED.locked_until
                WHERE carrier_bulk_journals.locked_until IS NULL OR carrier_bulk_journals.locked_until < \(now)
                RETURNING name
                """, what)
            if taken.isEmpty {
                let row = try await store.rows("SELECT holder, locked_until FROM carrier_bulk_journals WHERE name = \(name)", what).first
                var holder: String?, until: Double?
                if let row { (holder, until) = try store.decode(row, as: (String?, Double?).self, what) }
                let wait = until.map { " (its hold runs out in \(max(0, Int(($0 - now).rounded(.up)))) s if that run died)" } ?? ""
                throw StorageError("the journal", path: name, reason: "another run holds it: \(holder ?? "?")\(wait)",
                                   hint: "give this run its own --journal, or let that run end")
            }
        } catch {
            throw .storage(error)
        }
        return PostgresJournal(name: name, store: store, clock: clock, renewed: now)
    }

    public var writeFailure: String? { state.withLock { $0.failure } }

    public func history() async -> BulkJournal.History {
        var history = BulkJournal.History()
        let what = "the journal could not be read"
        do {
            if let row = try await store.rows("SELECT run FROM carrier_bulk_journals WHERE name = \(name)", what).first {
                history.run = try store.decode(row, as: String?.self, what)
            }
            for row in try await store.rows("SELECT line, email, state FROM carrier_bulk_rows WHERE journal = \(name)", what) {
                let (line, email, stateText) = try store.decode(row, as: (Int, String, String).self, what)
                let key = BulkJournal.History.key(line, email)
                switch BulkJournal.State(rawValue: stateText) {
                case .started?, .unknown?: history.unknown.insert(key)
                case .sent?, .refused?, .spooled?: history.done.insert(key)
                case .failed?: break  // failed for a passing reason: sent again
                case nil: history.unknown.insert(key); history.unreadable.append("row \(line) has the unknown state '\(stateText)'; taken as unknown")
                }
            }
        } catch {
            // Nothing can be sent without knowing what was: the first record fails the same way and stops the run.
            state.withLock { $0.failure = $0.failure ?? error.description }
        }
        return history
    }

    public func record(_ entry: OrderedObject) async {
        guard writeFailure == nil else { return }
        let now = clock.seconds, node = store.settings.node, lease = store.settings.lease
        let renew = state.withLock { state in
            guard now - state.renewed > lease / 3 else { return false }
            state.renewed = now
            return true
        }
        do {
            if renew {
                try await run("UPDATE carrier_bulk_journals SET locked_until = \(now + lease) WHERE name = \(name) AND holder = \(node)")
            }
            if let run = entry["run"]?.stringValue {
                try await self.run("UPDATE carrier_bulk_journals SET run = \(run) WHERE name = \(name)")
                return
            }
            guard let line = entry["line"]?.intValue, let email = entry["email"]?.stringValue, let step = entry["state"]?.stringValue else { return }
            try await run("""
                INSERT INTO carrier_bulk_rows (journal, line, email, state, recorded, entry)
                VALUES (\(name), \(line), \(email.lowercased()), \(step), \(now), \(JSONWriter.string(.object(entry)))::json)
                ON CONFLICT (journal, line, email) DO UPDATE SET state = EXCLUDED.state, recorded = EXCLUDED.recorded, entry = EXCLUDED.entry
                """)
        } catch {
            state.withLock { $0.failure = $0.failure ?? "cannot write the journal \(name): \(error.reason)" }
        }
    }

    private func run(_ query: PostgresQuery) async throws(StorageError) {
        _ = try await store.rows(query, "the journal could not be written")
    }

    /// Every record is committed as it is made: the end of the run only lets the journal go.
    public func flush() async {
        _ = try? await run("UPDATE carrier_bulk_journals SET holder = NULL, locked_until = NULL WHERE name = \(name) AND holder = \(store.settings.node)")
    }
}

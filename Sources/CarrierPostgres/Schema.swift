import Foundation

/// The database's tables, as numbered migrations shipped in the binary (docs/storage.md describes
/// each table). A migration is never edited once released: a change is a new one.
enum Schema {
    /// Migration N brings the schema to version N.
    static let migrations: [String] = [
        // 1: the gateway's queue, shared route state, rate buckets, delivery events, suppressions.
        """
        CREATE TABLE carrier_messages (
            id text PRIMARY KEY,
            client text NOT NULL,
            status text NOT NULL,
            created double precision NOT NULL,
            next_attempt double precision NOT NULL,
            locked_until double precision,
            node text,
            message_id text,
            record json NOT NULL
        );
        CREATE INDEX carrier_messages_due ON carrier_messages (next_attempt) WHERE status IN ('queued', 'deferred');
        CREATE INDEX carrier_messages_leased ON carrier_messages (locked_until) WHERE status = 'sending';
        CREATE INDEX carrier_messages_final ON carrier_messages (created) WHERE status IN ('sent', 'failed', 'expired', 'cancelled');
        CREATE TABLE carrier_provider_ids (
            provider_id text PRIMARY KEY,
            message text NOT NULL REFERENCES carrier_messages (id) ON DELETE CASCADE
        );
        CREATE INDEX carrier_provider_ids_message ON carrier_provider_ids (message);
        CREATE TABLE carrier_route_state (
            route text NOT NULL,
            key text NOT NULL,
            value json NOT NULL,
            PRIMARY KEY (route, key)
        );
        CREATE TABLE carrier_rate_buckets (
            key text PRIMARY KEY,
            tokens double precision NOT NULL,
            updated double precision NOT NULL
        );
        CREATE TABLE carrier_events (
            account text NOT NULL,
            event_id text NOT NULL,
            provider_message_id text,
            received double precision NOT NULL,
            event json NOT NULL,
            PRIMARY KEY (account, event_id)
        );
        CREATE INDEX carrier_events_message ON carrier_events (provider_message_id);
        CREATE TABLE carrier_suppressions (
            scope text NOT NULL,
            address text NOT NULL,
            reason text NOT NULL,
            source text,
            event json,
            created double precision NOT NULL,
            PRIMARY KEY (scope, address)
        );
        """,
        // 2: `carrier send`'s spool and `carrier bulk`'s journals.
        """
        CREATE TABLE carrier_spool (
            id text PRIMARY KEY,
            state text NOT NULL,
            created double precision NOT NULL,
            holder text,
            locked_until double precision,
            entry json NOT NULL
        );
        CREATE INDEX carrier_spool_created ON carrier_spool (created);
        CREATE TABLE carrier_bulk_journals (
            name text PRIMARY KEY,
            run text,
            holder text,
            locked_until double precision
        );
        CREATE TABLE carrier_bulk_rows (
            journal text NOT NULL REFERENCES carrier_bulk_journals (name) ON DELETE CASCADE,
            line integer NOT NULL,
            email text NOT NULL,
            state text NOT NULL,
            recorded double precision NOT NULL,
            entry json NOT NULL,
            PRIMARY KEY (journal, line, email)
        );
        """,
        // 3: soft bounces counted towards the suppression list's limit.
        """
        CREATE TABLE carrier_soft_bounces (
            scope text NOT NULL,
            address text NOT NULL,
            count integer NOT NULL,
            last double precision NOT NULL,
            PRIMARY KEY (scope, address)
        );
        """,
    ]

    /// Migration `number`'s statements, one at a time (the extended protocol takes one per query).
    static func statements(_ number: Int) -> [String] {
        migrations[number - 1].split(separator: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            .map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }
    }

    /// The version this binary writes and reads.
    static var current: Int { migrations.count }
}

#!/usr/bin/env bash
# The PostgreSQL store (docs/storage.md), release build, on a throwaway PostgreSQL server, each
# figure beside its anchor in the same run:
#  1. Claim rate: carrier-bench claim (PostgresQueue: claim one message with SKIP LOCKED, mark it
#     sent; 8 workers) beside pgbench running the same two statements, 8 clients, same server.
#     Goal: >= 0.5x pgbench.
#  2. Nodes: N messages posted to node 1, sent by 1, 2 and 3 `carrier serve` nodes (each
#     CONCURRENCY sends at once, so the 50 ms sink, not the CPU, bounds a node) to a Mailtrap-like
#     sink answering after 50 ms. Goal: >= 2.5x at 3 nodes.
#  3. SIGKILL of one of three nodes in the middle: messages lost (accepted but neither sent nor
#     left for an operator) and duplicates (sink requests beyond one per message). Mailtrap keeps
#     no idempotency key, so what the killed node had in flight becomes `unknown`, not resent.
#  4. A limit of 100 a second on the account, three nodes, 30 s: what the sink received a second.
#   bench/store.sh [N] [CONCURRENCY]      (defaults 10000 and 8); needs PostgreSQL (make test installs it)
#   SECTIONS="1 4" bench/store.sh          runs only those parts
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
SECTIONS=${SECTIONS:-1 2 3 4}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
CONCURRENCY=${2:-8}
scripts/install-deps.sh postgresql >/dev/null
swift build -c release --static-swift-stdlib --product carrier >/dev/null
swift build -c release --static-swift-stdlib --product carrier-bench >/dev/null
CARRIER=$PWD/.build/release/carrier
BENCH=$PWD/.build/release/carrier-bench
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
WORK=$(mktemp -d /tmp/carrier-bench-store.XXXXXX)
chmod 755 "$WORK"
PIDS=()
AS_PG=(); [ "$(id -u)" -eq 0 ] && AS_PG=(runuser -u postgres --)
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A throwaway server with PostgreSQL's defaults (fsync and synchronous_commit on).
PG=$(port)
[ "$(id -u)" -eq 0 ] && chown postgres "$WORK"
"${AS_PG[@]}" "$PGBIN/initdb" -D "$WORK/pg" -U carrier -A trust -E UTF8 --no-instructions >/dev/null
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -o "-p $PG -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
URL="postgres://carrier@127.0.0.1:$PG/postgres?sslmode=disable"
SQL() { "$PGBIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG" -U carrier -d postgres -c "$1"; }

if want 1; then
echo "== 1. Claim rate: claim one (FOR UPDATE SKIP LOCKED), mark it sent; 8 at once; $N messages"
"$BENCH" claim "$N" 8 "$URL" bench/message-2k.json
SQL "UPDATE carrier_messages SET status = 'queued', locked_until = NULL, node = NULL" >/dev/null
SQL "VACUUM ANALYZE carrier_messages" >/dev/null
# Carrier's own two statements (PostgresQueue.claimDue and .update), values bound as parameters.
cat > "$WORK/claim.sql" <<'SQL'
UPDATE carrier_messages m SET status = 'sending', locked_until = 1e10, node = 'pgbench'
  FROM (SELECT id FROM carrier_messages WHERE status IN ('queued', 'deferred') AND next_attempt <= 2000
        ORDER BY next_attempt LIMIT 1 FOR UPDATE SKIP LOCKED) due
 WHERE m.id = due.id RETURNING m.id AS claimed, m.message_id AS mid, m.record::text AS record \gset
WITH changed AS (
    UPDATE carrier_messages SET status = 'sent', next_attempt = 2000, locked_until = NULL, node = NULL, message_id = :mid,
           record = CAST(:record AS json) WHERE id = :claimed RETURNING id)
INSERT INTO carrier_provider_ids (provider_id, message)
SELECT p, changed.id FROM changed, unnest(ARRAY[CAST(:mid AS text)]) AS p
ON CONFLICT (provider_id) DO UPDATE SET message = EXCLUDED.message;
SQL
SQL "DELETE FROM carrier_provider_ids" >/dev/null
"$PGBIN/pgbench" -M extended -n -h 127.0.0.1 -p "$PG" -U carrier -c 8 -j 2 -t $((N / 8)) -f "$WORK/claim.sql" postgres 2>&1 \
  | grep -E "^tps|error" | sed 's/^/pgbench, the same two statements: /'
SQL "TRUNCATE carrier_messages CASCADE" >/dev/null
fi

# The sink, and N-node gateways on the store.
cc -O2 -o "$WORK/sink" bench/sink.c
SINK=$(port)
"$WORK/sink" "$SINK" 50 > "$WORK/sink.out" & PIDS+=($!)
SINK_PID=$!
for _ in $(seq 50); do grep -q READY "$WORK/sink.out" 2>/dev/null && break; sleep 0.05; done
sink_requests() {
  kill -USR1 "$SINK_PID"
  for _ in $(seq 100); do
    local count; count=$(grep -c REQUESTS "$WORK/sink.out" || true)
    [ "$count" -gt "${SEEN:-0}" ] && break
    sleep 0.02
  done
  SEEN=$(grep -c REQUESTS "$WORK/sink.out")
  grep REQUESTS "$WORK/sink.out" | tail -1 | awk '{print $2}'
}
NODES=()
start_node() {  # start_node NAME [LIMIT]
  mkdir -p "$WORK/$1"
  local limits=""; [ -n "${2:-}" ] && limits=", limits: {per_second: $2}"
  cat > "$WORK/$1/carrier.yaml" <<CONF
accounts:
  mt: {provider: mailtrap, endpoint: "http://127.0.0.1:$SINK", credentials: {api_token: bench-token}$limits}
routes:
  default: {accounts: [mt], retry: {attempts: 1}}
store: {url: "$URL", lease: 5s, connections: 8}
serve:
  http: {listen: 127.0.0.1:0, max_body_bytes: 100000000}
  queue: {concurrency: $CONCURRENCY}
clients:
  bench: {api_key: bench-key}
CONF
  (cd "$WORK/$1" && CARRIER_LOG_LEVEL=error exec "$CARRIER" serve --config carrier.yaml 2> serve.err) & PIDS+=($!)
  NODES+=($!)
  for _ in $(seq 100); do grep -q "HTTP on" "$WORK/$1/serve.err" 2>/dev/null && break; sleep 0.1; done
  grep -q "HTTP on" "$WORK/$1/serve.err" || { echo "node $1 did not start:"; cat "$WORK/$1/serve.err"; exit 1; }
}
stop_nodes() { for pid in "${NODES[@]}"; do kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; NODES=(); }
submit() {  # submit COUNT: NDJSON batches of 1000 to node 1
  local url; url=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/n1/serve.err" | head -1)
  python3 - "$url" "$1" <<'PY'
import sys, urllib.request
url, total = sys.argv[1], int(sys.argv[2])
message = open("bench/message-2k.json").read().replace("\n", " ")
for first in range(0, total, 1000):
    batch = ("\n".join([message] * min(1000, total - first)) + "\n").encode()
    request = urllib.request.Request(url + "/v1/messages/batch", data=batch, method="POST",
                                     headers={"Authorization": "Bearer bench-key", "Content-Type": "application/x-ndjson"})
    urllib.request.urlopen(request).read()
PY
}
wait_sent() {  # wait_sent COUNT: until COUNT rows are final or unknown
  while [ "$(SQL "SELECT count(*) FROM carrier_messages WHERE status IN ('sent', 'failed', 'unknown')")" -lt "$1" ]; do sleep 0.2; done
}
mkdir -p "$WORK/m" && printf 'accounts:\n  out: {provider: file}\nstore: "%s"\n' "$URL" > "$WORK/m/carrier.yaml"
"$CARRIER" db migrate --config "$WORK/m/carrier.yaml" >/dev/null

if want 2; then
echo "== 2. $N messages posted to node 1, sent by 1, 2, 3 nodes ($CONCURRENCY sends at once each) to a sink answering after 50 ms"
declare -A RATE
# CPU seconds (user + system) of the nodes and of PostgreSQL's processes so far.
cpu() {  # cpu PID...: the sum over those processes
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  python3 -c "print('%.1f' % ($total / $(getconf CLK_TCK)))"
}
pg_pids() { local master; master=$(head -1 "$WORK/pg/postmaster.pid"); echo "$master" $(ps -o pid= --ppid "$master"); }
for count in 1 2 3; do
  SQL "TRUNCATE carrier_messages CASCADE" >/dev/null
  SQL "VACUUM ANALYZE carrier_messages" >/dev/null
  for i in $(seq "$count"); do start_node "n$i"; done
  PG_BEFORE=$(cpu $(pg_pids))
  S=$(date +%s.%N); submit "$N"; wait_sent "$N"; E=$(date +%s.%N)
  NODE_CPU=$(cpu "${NODES[@]}"); PG_CPU=$(python3 -c "print('%.1f' % ($(cpu $(pg_pids)) - $PG_BEFORE))")
  RATE[$count]=$(python3 -c "print('%.0f' % ($N / ($E - $S)))")
  echo "$count node(s): $N messages in $(python3 -c "print('%.1f' % ($E - $S))") s = ${RATE[$count]} messages/s" \
       "(CPU: nodes $NODE_CPU s, PostgreSQL $PG_CPU s, of $(python3 -c "print('%.0f' % (2 * ($E - $S)))") core-seconds)"
  stop_nodes
done
python3 -c "print('3 nodes / 1 node = %.2fx (goal >= 2.5x); 2 nodes / 1 node = %.2fx' % (${RATE[3]} / ${RATE[1]}, ${RATE[2]} / ${RATE[1]}))"
fi

if want 3; then
echo "== 3. SIGKILL of node 3 (of 3) halfway through $N messages"
SQL "TRUNCATE carrier_messages CASCADE" >/dev/null
BEFORE=$(sink_requests)
for i in 1 2 3; do start_node "n$i"; done
submit "$N"
while [ "$(SQL "SELECT count(*) FROM carrier_messages WHERE status = 'sent'")" -lt $((N / 2)) ]; do sleep 0.1; done
INFLIGHT=$(SQL "SELECT count(*) FROM carrier_messages WHERE status = 'sending' AND node LIKE '%/${NODES[2]}'")
kill -9 "${NODES[2]}"
wait_sent "$N"
AFTER=$(sink_requests)
SENT=$(SQL "SELECT count(*) FROM carrier_messages WHERE status = 'sent'")
UNKNOWN=$(SQL "SELECT count(*) FROM carrier_messages WHERE status = 'unknown'")
LOST=$(SQL "SELECT count(*) FROM carrier_messages WHERE status NOT IN ('sent', 'unknown')")
echo "accepted $N; sent $SENT; unknown (left for an operator) $UNKNOWN; lost $((N - SENT - UNKNOWN)) (rows neither: $LOST)"
REQ=$((AFTER - BEFORE)); DUP=$((REQ - N)); [ "$DUP" -lt 0 ] && DUP=0
echo "node 3 had $INFLIGHT in flight when killed; the sink took $REQ requests for $N messages: duplicates at most $DUP"
echo "($((REQ - SENT)) of the $UNKNOWN unknown had reached the sink before the kill; none was sent twice)"
stop_nodes
fi

if want 4; then
echo "== 4. limits: {per_second: 100} on the account, three nodes, 30 s"
SQL "TRUNCATE carrier_messages CASCADE" >/dev/null
for i in 1 2 3; do start_node "n$i" 100; done
submit 4500
sleep 5   # past the first second's burst
A=$(sink_requests); S=$(date +%s.%N)
sleep 30
B=$(sink_requests); E=$(date +%s.%N)
python3 -c "r = ($B - $A) / ($E - $S); print('the sink received %.1f a second over %.1f s (goal: 100 within 5%%: %s)' % (r, $E - $S, 'met' if abs(r - 100) <= 5 else 'missed'))"
stop_nodes
fi

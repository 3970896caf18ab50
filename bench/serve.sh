#!/usr/bin/env bash
# The gateway (`carrier serve`), release build, each beside its peer in the same run:
#  1. SMTP accept rate: Postfix's smtp-source (1 and 8 sessions, 2 KB messages) into Carrier's
#     listener, and the same into Postfix's own smtpd queueing to disk (a private instance whose
#     transport discards). Carrier relays what it takes to smtp-sink. Goal: >= 1.0x Postfix.
#  2. HTTP accept rate: wrk posting a 2 KB message to /v1/messages, and wrk on /health of the same
#     server (Hummingbird's floor). Goal: >= 0.5x. Then the same into a gateway that sends almost
#     nothing meanwhile (intake alone).
#  3. End to end: N messages through the gateway to an API sink answering after 50 ms: throughput
#     and peak RSS (/usr/bin/time -v).
#   [CARRIER=BINARY] bench/serve.sh [SMTP_COUNT] [END_TO_END_COUNT]   (defaults 10000 and 100000); needs root for Postfix
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-10000}
E2E=${2:-100000}
scripts/install-deps.sh wrk postfix >/dev/null
# CARRIER=/path/to/carrier bench/serve.sh measures another build (an earlier commit's) the same way.
[ -n "${CARRIER:-}" ] || swift build -c release --static-swift-stdlib --product carrier >/dev/null
CARRIER=${CARRIER:-$PWD/.build/release/carrier}
WORK=$(mktemp -d /tmp/carrier-bench-serve.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  /usr/sbin/postfix -c "$WORK/postfix/conf" stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rate() { python3 -c "import sys; n, s, e = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); print('%d messages in %.2f s = %.0f messages/s' % (n, e - s, n / (e - s)))" "$@"; }

# Where Carrier relays: smtp-sink (in memory), and an HTTP sink that answers after 50 ms.
SINK=$(port)
SINK_USER=(); [ "$(id -u)" -eq 0 ] && SINK_USER=(-u nobody)
/usr/sbin/smtp-sink "${SINK_USER[@]}" 127.0.0.1:$SINK 1024 & PIDS+=($!)

# Postfix's own smtpd, queueing to disk, delivering by discarding.
PF=$(port)
mkdir -p "$WORK/postfix/conf" "$WORK/postfix/queue" "$WORK/postfix/data"
chown postfix "$WORK/postfix/data"
sed "s/^smtp      inet.*/127.0.0.1:$PF inet n - n - - smtpd/" /etc/postfix/master.cf > "$WORK/postfix/conf/master.cf"
cat > "$WORK/postfix/conf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $WORK/postfix/queue
data_directory = $WORK/postfix/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.invalid
mydestination =
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
default_transport = discard:bench
local_transport = discard:bench
relay_transport = discard:bench
maillog_file_prefixes = $WORK
maillog_file = $WORK/postfix/log
CONF
/usr/sbin/postfix -c "$WORK/postfix/conf" start >/dev/null

# Carrier's gateway, its one account relaying to smtp-sink; local sessions submit without AUTH.
mkdir -p "$WORK/carrier"
cat > "$WORK/carrier/carrier.yaml" <<CONF
accounts:
  sink: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: $SINK, tls: none}}
routes:
  default: {accounts: [sink], retry: {attempts: 1}}
serve:
  http: {listen: 127.0.0.1:0}
  smtp: {listen: 127.0.0.1:0, loopback_client: bench}
  queue: {path: queue, concurrency: 64}
clients:
  bench: {api_key: bench-key}
CONF
(cd "$WORK/carrier" && exec "$CARRIER" serve --config carrier.yaml 2> serve.err) & PIDS+=($!); GATEWAY=$!
for _ in $(seq 100); do grep -q "SMTP on" "$WORK/carrier/serve.err" 2>/dev/null && grep -q "HTTP on" "$WORK/carrier/serve.err" && break; sleep 0.1; done
CS=$(grep -o 'SMTP on 127.0.0.1:[0-9]*' "$WORK/carrier/serve.err" | grep -o '[0-9]*$')
CH=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/carrier/serve.err" | head -1)

echo "== 1. SMTP accept rate, $COUNT messages of 2 KB (smtp-source -l 2048)"
for SESSIONS in 1 8; do
  S=$(date +%s.%N); /usr/sbin/smtp-source -s $SESSIONS -m $COUNT -l 2048 -f a@shop.example.com -t b@example.com 127.0.0.1:$PF; E=$(date +%s.%N)
  echo "Postfix smtpd, $SESSIONS session(s): $(rate $COUNT $S $E)"
  S=$(date +%s.%N); /usr/sbin/smtp-source -s $SESSIONS -m $COUNT -l 2048 -f a@shop.example.com -t b@example.com 127.0.0.1:$CS; E=$(date +%s.%N)
  echo "carrier serve, $SESSIONS session(s): $(rate $COUNT $S $E)"
done

ACCEPTED=$(curl -s "$CH/metrics" | awk '/^carrier_gateway_accepted_total/ {n += $2} END {print n + 0}')
echo "carrier serve accepted $ACCEPTED of $((COUNT * 2)) (/metrics); smtp-source stops at the first refusal"

echo "== 2. HTTP accept rate (wrk, 2 connections a core, 10 s)"
cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer bench-key"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("bench/message-2k.json", "r"); wrk.body = f:read("*a"); f:close()
LUA
wrk -t2 -c8 -d10s "$CH/health" | grep -E "Requests/sec|Latency" | sed 's/^/GET \/health:        /'
wrk -t2 -c8 -d10s -s "$WORK/post.lua" "$CH/v1/messages" | grep -E "Requests/sec|Latency|Non-2xx" | sed 's/^/POST \/v1\/messages: /'
wrk -t2 -c64 -d10s -s "$WORK/post.lua" "$CH/v1/messages" | grep -E "Requests/sec|Latency|Non-2xx" | sed 's/^/POST, 64 connections: /'

# That gateway's backlog would compete with what follows: stopped.
kill "$GATEWAY"; wait "$GATEWAY" 2>/dev/null || true

# The same intake while the gateway sends almost nothing (one send at a time, to an API answering
# after a second): what taking messages costs alone, without the sends competing for the CPU.
cc -O2 -o "$WORK/sink" bench/sink.c
SLOW=$(port)
"$WORK/sink" $SLOW 1000 > "$WORK/slow.out" & PIDS+=($!)
mkdir -p "$WORK/intake"
cat > "$WORK/intake/carrier.yaml" <<CONF
accounts:
  mt: {provider: mailtrap, endpoint: "http://127.0.0.1:$SLOW", credentials: {api_token: bench-token}}
routes:
  default: {accounts: [mt], retry: {attempts: 1}}
serve:
  http: {listen: 127.0.0.1:0}
  queue: {path: queue, concurrency: 1}
clients:
  bench: {api_key: bench-key}
CONF
(cd "$WORK/intake" && exec "$CARRIER" serve --config carrier.yaml 2> serve.err) & PIDS+=($!); INTAKE=$!
for _ in $(seq 100); do grep -q "HTTP on" "$WORK/intake/serve.err" 2>/dev/null && break; sleep 0.1; done
IH=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/intake/serve.err" | head -1)
wrk -t2 -c8 -d10s -s "$WORK/post.lua" "$IH/v1/messages" | grep -E "Requests/sec|Non-2xx" | sed 's/^/POST, sends held back: /'
wrk -t2 -c64 -d10s -s "$WORK/post.lua" "$IH/v1/messages" | grep -E "Requests/sec|Non-2xx" | sed 's/^/POST, 64 connections, sends held back: /'
kill "$INTAKE"; wait "$INTAKE" 2>/dev/null || true

echo "== 3. End to end: $E2E messages posted in batches of 1000 through a gateway to a Mailtrap-like API answering after 50 ms"
API=$(port)
"$WORK/sink" $API 50 > "$WORK/sink.out" & PIDS+=($!)
for _ in $(seq 50); do grep -q READY "$WORK/sink.out" 2>/dev/null && break; sleep 0.05; done
mkdir -p "$WORK/e2e"
cat > "$WORK/e2e/carrier.yaml" <<CONF
accounts:
  mt: {provider: mailtrap, endpoint: "http://127.0.0.1:$API", credentials: {api_token: bench-token}, concurrency: 256}
routes:
  default: {accounts: [mt], retry: {attempts: 1}}
serve:
  http: {listen: 127.0.0.1:0, max_body_bytes: 100000000}
  queue: {path: queue, concurrency: 256}
clients:
  bench: {api_key: bench-key}
CONF
(cd "$WORK/e2e" && exec /usr/bin/time -v "$CARRIER" serve --config carrier.yaml 2> serve.err) & PIDS+=($!)
for _ in $(seq 100); do grep -q "HTTP on" "$WORK/e2e/serve.err" 2>/dev/null && break; sleep 0.1; done
EH=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/e2e/serve.err" | head -1)
python3 - "$EH" "$E2E" <<'PY'
import json, sys, time, urllib.request
url, total = sys.argv[1], int(sys.argv[2])
message = open("bench/message-2k.json").read().replace("\n", " ")
batch = ("\n".join([message] * 1000) + "\n").encode()
start = time.time()
for _ in range(total // 1000):
    request = urllib.request.Request(url + "/v1/messages/batch", data=batch, method="POST",
                                     headers={"Authorization": "Bearer bench-key", "Content-Type": "application/x-ndjson"})
    urllib.request.urlopen(request).read()
accepted = time.time()
def metric(name):
    text = urllib.request.urlopen(url + "/metrics").read().decode()
    return sum(float(l.split()[-1]) for l in text.splitlines() if l.startswith(name))
while metric("carrier_gateway_sent_total") < total:
    time.sleep(0.2)
done = time.time()
print("accepted %d in %.1f s (%.0f/s); all sent after %.1f s: %.0f messages/s end to end" %
      (total, accepted - start, total / (accepted - start), done - start, total / (done - start)))
PY
pkill -INT -P "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
grep -E "Maximum resident set size" "$WORK/e2e/serve.err" | sed 's/^\s*/gateway: /'

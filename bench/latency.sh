#!/usr/bin/env bash
# Sends in flight against an ESP that answers after 50 ms: Carrier's library (N concurrent `send`
# calls through a Mailtrap account) beside a C program driving libcurl's multi interface with N
# transfers (bench/curl-multi.c), in the same run, against the same sink (bench/sink.c, one
# epoll thread — it answers 20k requests/s without being the bottleneck). Then the same at once
# (no delay) for loopback throughput at 16. Peak memory of Carrier from /usr/bin/time -v. With
# PAIRS=N, N more loopback runs alternating C and Carrier, and the median of their ratios (one run
# moves by ±20% on a shared machine).
#   [PAIRS=N] bench/latency.sh [DELAY_MS] [N...]       (default 50, and N = 1 16 64 256 1024; no pairs)
set -euo pipefail
cd "$(dirname "$0")/.."
DELAY=${1:-50}
shift || true
LIST=${*:-1 16 64 256 1024}
swift build -c release --static-swift-stdlib --product carrier-bench >/dev/null
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cc -O2 -o "$WORK/sink" bench/sink.c
cc -O2 -o "$WORK/curl-multi" bench/curl-multi.c -lcurl
MESSAGE=examples/messages/order-confirmation.json
# The C program posts the very body Carrier renders for Mailtrap.
swift build -c release --static-swift-stdlib --product carrier >/dev/null
printf 'accounts:\n  mt: {provider: mailtrap, credentials: {api_token: t}}\n' > "$WORK/mt.yaml"
.build/release/carrier render --config "$WORK/mt.yaml" --account mt "$MESSAGE" \
  | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["body"]))' > "$WORK/body.json"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
run_sink() {  # DELAY_MS → sets URL
  local port; port=$(free_port)
  "$WORK/sink" "$port" "$1" > "$WORK/sink.out" &
  for _ in $(seq 50); do grep -q READY "$WORK/sink.out" 2>/dev/null && break; sleep 0.05; done
  URL="http://127.0.0.1:$port"
}
echo "== $DELAY ms answers: requests/s with N in flight (body $(wc -c < "$WORK/body.json") bytes)"
run_sink "$DELAY"
for N in $LIST; do
  COUNT=$(( N * 20 < 400 ? 400 : N * 20 ))
  [ "$N" -eq 1 ] && COUNT=100
  "$WORK/curl-multi" "$URL/api/send" "$COUNT" "$N" "$WORK/body.json"
  /usr/bin/time -v .build/release/carrier-bench latency "$COUNT" "$N" "$URL" "$MESSAGE" 2> "$WORK/time.txt"
  grep -E "Maximum resident set size" "$WORK/time.txt" | sed 's/^\s*/  carrier /'
done
echo "== answers at once (loopback), 16 in flight"
run_sink 0
"$WORK/curl-multi" "$URL/api/send" 50000 16 "$WORK/body.json"
.build/release/carrier-bench latency 50000 16 "$URL" "$MESSAGE"
RATIOS=()
for _ in $(seq "${PAIRS:-0}"); do
  C=$("$WORK/curl-multi" "$URL/api/send" 50000 16 "$WORK/body.json" | sed -E 's/.*= ([0-9]+) requests.*/\1/')
  S=$(.build/release/carrier-bench latency 50000 16 "$URL" "$MESSAGE" | sed -E 's/.*= ([0-9]+) messages.*/\1/')
  RATIOS+=("$S/$C")
done
[ ${#RATIOS[@]} -eq 0 ] || python3 -c "import statistics, sys; r = [eval(x) for x in sys.argv[1:]]
print('loopback, %d paired runs, carrier / C: %s, median %.2f' % (len(r), ' '.join('%.2f' % x for x in r), statistics.median(r)))" "${RATIOS[@]}"

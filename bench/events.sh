#!/usr/bin/env bash
# carrier events serve under load: wrk posts Postmark delivery webhooks (basic auth, a different
# MessageID in each, so every request is a new event: verified, mapped, appended and fsync'd
# before its 200) from C connections, beside wrk against the same server's GET /health (the
# Hummingbird floor: no verification, no disk). Events per second from the lines written; peak
# memory from /usr/bin/time -v. The output file is on tmpfs when /dev/shm exists, else /tmp.
#   bench/events.sh [SECONDS] [CONNECTIONS]        (default 10 s, 8 connections)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=${1:-10}
CONNECTIONS=${2:-8}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
swift build -c release --static-swift-stdlib --product carrier >/dev/null
BIN=$PWD/.build/release/carrier
BASE=$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )
WORK=$(mktemp -d -p "$BASE")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
printf 'accounts:\n  pm: {provider: postmark, webhook_secret: "bench:pw-123456"}\n' > "$WORK/carrier.yaml"
cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic YmVuY2g6cHctMTIzNDU2"
-- Each wrk thread numbers its own requests under its own id, so no two bodies are the same.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"RecordType":"Delivery","ServerID":23,"MessageStream":"outbound","MessageID":"%d-%s",' ..
    '"Recipient":"john@example.com","Tag":"welcome-email","DeliveredAt":"2026-11-27T12:00:00Z",' ..
    '"Details":"Test delivery webhook details","Metadata":{"a_key":"a_value"}}', n, tostring(thread_id))
  return wrk.format(nil, nil, nil, body)
end
LUA
/usr/bin/time -v "$BIN" events serve --config "$WORK/carrier.yaml" --listen 127.0.0.1:0 --output "$WORK/events.ndjson" \
  2> "$WORK/serve.err" &
for _ in $(seq 100); do grep -q "listening on" "$WORK/serve.err" 2>/dev/null && break; sleep 0.05; done
PORT=$(grep -o "127.0.0.1:[0-9]*" "$WORK/serve.err" | head -1 | cut -d: -f2)
echo "== wrk GET /health ($CONNECTIONS connections, ${SECONDS_RUN}s)"
wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_RUN}s" "http://127.0.0.1:$PORT/health" | grep -E "Requests/sec|Latency|requests in"
echo "== wrk POST /events/pm, Postmark webhooks ($CONNECTIONS connections, ${SECONDS_RUN}s)"
wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_RUN}s" -s "$WORK/post.lua" "http://127.0.0.1:$PORT/events/pm" \
  | grep -E "Requests/sec|Latency|requests in|Non-2xx"
LINES=$(wc -l < "$WORK/events.ndjson")
echo "events written: $LINES = $(( LINES / SECONDS_RUN )) events/s verified, mapped and fsync'd"
pkill -TERM -f "^$BIN events serve --config $WORK/carrier.yaml" || true
wait 2>/dev/null || true
grep -E "Maximum resident set size" "$WORK/serve.err" | sed 's/^\s*/server /' || true

#!/usr/bin/env bash
# carrier bulk at scale: a ROWS-row CSV (default 1,000,000) through the file channel (to a folder
# on tmpfs when /dev/shm exists), then N rows (default 100,000) to a Mailtrap account at a sink
# answering after 50 ms (bench/sink.c), the same N and then all ROWS through Postmark's batch
# endpoint at that sink. Peak RSS (/usr/bin/time -v), time, and rows per second
# beside rendering alone (--dry-run over the same file). Release build.
#   bench/bulk.sh [ROWS] [API_ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
API_ROWS=${2:-100000}
swift build -c release --static-swift-stdlib --product carrier >/dev/null
BIN=$PWD/.build/release/carrier
BASE=$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )
WORK=$(mktemp -d -p "$BASE")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cc -O2 -o "$WORK/sink" bench/sink.c
python3 - "$WORK" "$ROWS" "$API_ROWS" <<'PY'
import sys
work, rows, api_rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for name, n in (("list.csv", rows), ("api.csv", api_rows)):
    with open(f"{work}/{name}", "w") as f:
        f.write("email,name,order_id\n")
        for i in range(n): f.write(f"customer{i}@example.com,Customer {i},{100000 + i}\n")
PY
cat > "$WORK/message.yaml" <<'YAML'
from: Shop <orders@shop.example.com>
subject: "Your order {{ recipient.order_id }}, {{ recipient.name | default('there') }}"
text: "Hello {{ recipient.name | default('there') }}, order {{ recipient.order_id }} has shipped."
YAML
cd "$WORK"
measure() {  # LABEL ROWS COMMAND...
  local label=$1 rows=$2; shift 2
  /usr/bin/time -v "$@" > out.txt 2> time.txt || true
  local seconds; seconds=$(grep "Elapsed (wall clock)" time.txt | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  python3 -c "print('%-34s %8d rows in %7.1f s = %7.0f rows/s' % ('$label', $rows, $seconds, $rows/$seconds))"
  grep -E "Maximum resident set size" time.txt | sed 's/^\s*/   /'
}
printf 'accounts:\n  out: {provider: file, directory: %s/out}\n' "$WORK" > file.yaml
measure "render only (--dry-run)" "$ROWS" "$BIN" bulk --config file.yaml --dry-run message.yaml list.csv
measure "file channel (.eml files)" "$ROWS" "$BIN" bulk --config file.yaml --in-flight 64 message.yaml list.csv
rm -rf out
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
./sink "$PORT" 50 > sink.out &
for _ in $(seq 50); do grep -q READY sink.out 2>/dev/null && break; sleep 0.05; done
printf 'accounts:\n  mt: {provider: mailtrap, endpoint: "http://127.0.0.1:%s", concurrency: 256, credentials: {api_token: bench}}\n' "$PORT" > api.yaml
measure "Mailtrap API, 50 ms sink, 256 at once" "$API_ROWS" "$BIN" bulk --config api.yaml --no-batch --in-flight 256 message.yaml api.csv
echo "   requests: $API_ROWS (one per message)"
# A batch provider: Postmark's /email/batch, 500 messages a request, answered after 50 ms.
BPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
./sink "$BPORT" 50 batch > bsink.out &
for _ in $(seq 50); do grep -q READY bsink.out 2>/dev/null && break; sleep 0.05; done
printf 'accounts:\n  pm: {provider: postmark, endpoint: "http://127.0.0.1:%s", credentials: {server_token: bench}}\n' "$BPORT" > batch.yaml
rm -f api.csv.journal.ndjson
measure "Postmark batch API (500 a request)" "$API_ROWS" "$BIN" bulk --config batch.yaml --in-flight 8 message.yaml api.csv
echo "   requests: $(( (API_ROWS + 499) / 500 )) (500 messages each)"
rm -f list.csv.journal.ndjson
measure "Postmark batch API, all rows" "$ROWS" "$BIN" bulk --config batch.yaml --in-flight 8 message.yaml list.csv
echo "   requests: $(( (ROWS + 499) / 500 )) (500 messages each)"

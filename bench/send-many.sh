#!/usr/bin/env bash
# `carrier send` with many messages to an ESP that answers after 50 ms (bench/sink.c): 20,000
# message files, then 100,000 NDJSON lines on standard input. Reports wall time, messages/s and
# peak RSS (/usr/bin/time -v); memory should stay flat whatever the count. Release build.
#   bench/send-many.sh [FILES] [LINES] [DELAY_MS]     (default 20000 100000 50)
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${1:-20000}
LINES=${2:-100000}
DELAY=${3:-50}
swift build -c release --static-swift-stdlib --product carrier >/dev/null
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cc -O2 -o "$WORK/sink" bench/sink.c
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$WORK/sink" "$PORT" "$DELAY" > "$WORK/sink.out" &
for _ in $(seq 50); do grep -q READY "$WORK/sink.out" 2>/dev/null && break; sleep 0.05; done
printf 'accounts:\n  mt: {provider: mailtrap, endpoint: "http://127.0.0.1:%s", concurrency: 256, credentials: {api_token: bench}}\n' "$PORT" > "$WORK/carrier.yaml"
python3 - "$WORK" "$FILES" "$LINES" <<'PY'
import json, os, sys
work, files, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{work}/messages")
def message(i):
    return {"from": "Shop <orders@shop.example.com>", "to": [{"email": f"customer{i}@example.com", "name": f"Customer {i}"}],
            "subject": f"Your order #{i}", "text": "Thanks for your order. " * 20, "html": "<p>Thanks for your order.</p>" * 10,
            "tags": ["order"], "metadata": {"order_id": str(i)}}
for i in range(files):
    with open(f"{work}/messages/{i:06d}.json", "w") as f: json.dump(message(i), f)
with open(f"{work}/messages.ndjson", "w") as f:
    for i in range(lines): f.write(json.dumps(message(i)) + "\n")
PY
cd "$WORK"
report() {  # LABEL COUNT
  local seconds; seconds=$(grep "Elapsed (wall clock)" time.txt | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  python3 -c "print('%s: %d messages in %.1f s = %.0f messages/s' % ('$1', $2, $seconds, $2/$seconds))"
  grep -E "Maximum resident set size" time.txt | sed 's/^\s*/  /'
}
echo "== $FILES message files, --in-flight 256, answers after $DELAY ms"
/usr/bin/time -v "$OLDPWD/.build/release/carrier" send --in-flight 256 messages/*.json > out.txt 2> time.txt || true
grep -c "^sent via" out.txt | sed 's/^/  sent: /'
report "files" "$FILES"
echo "== $LINES NDJSON lines on standard input, --in-flight 256"
/usr/bin/time -v "$OLDPWD/.build/release/carrier" send --ndjson --in-flight 256 - < messages.ndjson > out.txt 2> time.txt || true
grep -c "^sent via" out.txt | sed 's/^/  sent: /'
report "ndjson" "$LINES"

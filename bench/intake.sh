#!/usr/bin/env bash
# What reading a submitted message costs the gateway, without HTTP or disk (`carrier-bench intake`):
# a Carrier JSON message (POST /v1/messages) and the same message as MIME (SMTP, message/rfc822),
# read into a message; the 2 KB bench message and a 29 KB HTML e-mail (bench/html-message.py). In
# the same run, Python reading the same bytes: json.loads alone for JSON (a floor: no checks), and
# its email package for MIME (parsed, every leaf's content decoded, the addresses read).
#   bench/intake.sh [COUNT]      (default 20000; a tenth of it for the 29 KB message)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-20000}
swift build -c release --static-swift-stdlib --product carrier >/dev/null
swift build -c release --static-swift-stdlib --product carrier-bench >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp bench/message-2k.json "$WORK/2k.json"
python3 bench/html-message.py examples/messages/order-confirmation.json "$WORK/html.json"
for name in 2k html; do
  .build/release/carrier render --account outbox "$WORK/$name.json" \
    | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["message"])' > "$WORK/$name.eml"
done
cat > "$WORK/peer.py" <<'PY'
import email, email.policy, json, sys, time
path, count = sys.argv[1], int(sys.argv[2])
raw = open(path, "rb").read()
def read_mime():
    m = email.message_from_bytes(raw, policy=email.policy.default)
    m["from"].addresses, m["to"].addresses, str(m["subject"])
    for part in m.walk():
        if not part.is_multipart():
            part.get_content()
read = (lambda: json.loads(raw)) if path.endswith(".json") else read_mime
start = time.perf_counter()
for _ in range(count):
    read()
seconds = time.perf_counter() - start
print("python %-6s %d messages in %.3f s = %.0f messages/s (%.2f µs each)" % (
    "json:" if path.endswith(".json") else "email:", count, seconds, count / seconds, seconds / count * 1e6))
PY
for name in 2k html; do
  n=$COUNT; [ "$name" = html ] && n=$((COUNT / 10))
  for kind in json eml; do
    echo "== $name message, $( [ $kind = json ] && echo JSON || echo MIME ) ($(wc -c < "$WORK/$name.$kind") bytes)"
    .build/release/carrier-bench intake "$n" "$WORK/$name.$kind" | head -1
    python3 "$WORK/peer.py" "$WORK/$name.$kind" "$n"
  done
done

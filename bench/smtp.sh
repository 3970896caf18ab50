#!/usr/bin/env bash
# SMTP throughput: COUNT messages of about 2 KB to Postfix's smtp-sink on 127.0.0.1, over 1 and over
# 4 connections, beside Postfix's own smtp-source and a C program driving libcurl
# (bench/curl-smtp.c, the same message bytes) with the same counts in the same run, and Carrier's
# peak memory (/usr/bin/time -v). Release build. With PAIRS=N, then N more runs that alternate the
# C program and Carrier against the same server, and the median of their ratios: one run moves by
# ±20% on a shared machine, the median of six much less.
#   [PAIRS=N] bench/smtp.sh [COUNT]     (default 10000, no pairs)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-10000}
swift build -c release --static-swift-stdlib --product carrier-bench >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# smtp-sink refuses to run as root without -u; nobody is always there.
SINK_USER=()
[ "$(id -u)" -eq 0 ] && SINK_USER=(-u nobody)
/usr/sbin/smtp-sink "${SINK_USER[@]}" 127.0.0.1:$PORT 256 &
SINK=$!
trap 'kill $SINK 2>/dev/null || true' EXIT
sleep 0.5
MESSAGE=bench/message-2k.json
swift build -c release --static-swift-stdlib --product carrier >/dev/null
WORK=$(mktemp -d)
trap 'kill $SINK 2>/dev/null || true; rm -rf "$WORK"' EXIT
cc -O2 -o "$WORK/curl-smtp" bench/curl-smtp.c -lcurl
.build/release/carrier render --account outbox "$MESSAGE" | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["message"])' > "$WORK/message.eml"
SIZE=$(wc -c < "$WORK/message.eml")
echo "== $COUNT messages of $SIZE bytes to smtp-sink at 127.0.0.1:$PORT"
for CONNECTIONS in 1 4; do
  START=$(date +%s.%N)
  /usr/sbin/smtp-source -d -s $CONNECTIONS -m $COUNT -l 1600 -f orders@shop.example.com -t alice@example.com -M bench.carrier.test 127.0.0.1:$PORT
  END=$(date +%s.%N)
  python3 -c "print('smtp-source (%d connection(s)): %d messages in %.3f s = %.0f messages/s' % ($CONNECTIONS, $COUNT, $END-$START, $COUNT/($END-$START)))"
  "$WORK/curl-smtp" $PORT $COUNT $CONNECTIONS "$WORK/message.eml"
  /usr/bin/time -v .build/release/carrier-bench smtp $COUNT $CONNECTIONS $PORT "$MESSAGE" 2> /tmp/carrier-smtp-time.txt
  grep -E "Maximum resident set size" /tmp/carrier-smtp-time.txt
done
for CONNECTIONS in 1 4; do
  RATIOS=()
  for _ in $(seq "${PAIRS:-0}"); do
    C=$("$WORK/curl-smtp" $PORT $COUNT $CONNECTIONS "$WORK/message.eml" | sed -E 's/.*= ([0-9]+) messages.*/\1/')
    S=$(.build/release/carrier-bench smtp $COUNT $CONNECTIONS $PORT "$MESSAGE" | sed -E 's/.*= ([0-9]+) messages.*/\1/')
    RATIOS+=("$S/$C")
  done
  [ ${#RATIOS[@]} -eq 0 ] || python3 -c "import statistics, sys; r = [eval(x) for x in sys.argv[1:]]
print('%d connection(s), %d paired runs, carrier / C libcurl: %s, median %.2f' % ($CONNECTIONS, len(r), ' '.join('%.2f' % x for x in r), statistics.median(r)))" "${RATIOS[@]}"
done

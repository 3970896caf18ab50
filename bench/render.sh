#!/usr/bin/env bash
# How fast `render` is for SendGrid in a release build, how fast the same request is built for a
# send (no value made for display), and how long `carrier render` takes cold.
#   bench/render.sh [COUNT]      (default 100000)
# Compares, in the same run, against serialising the rendered body alone (the floor any
# implementation pays) and, for the cold start, against `/bin/true` (process start-up itself).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100000}
swift build -c release --static-swift-stdlib --product carrier >/dev/null
swift build -c release --static-swift-stdlib --product carrier-bench >/dev/null
CONFIG=$(mktemp --suffix=.yaml)
trap 'rm -f "$CONFIG"' EXIT
printf 'accounts:\n  sendgrid: {provider: sendgrid, credentials: {api_key: SG.bench-key}}\n' > "$CONFIG"
MESSAGE=examples/messages/order-confirmation.json
echo "== SendGrid render, $COUNT messages (release build)"
/usr/bin/time -v .build/release/carrier-bench render "$COUNT" sendgrid "$CONFIG" "$MESSAGE" 2> /tmp/carrier-bench-time.txt
grep -E "Maximum resident set size" /tmp/carrier-bench-time.txt
.build/release/carrier-bench request "$COUNT" sendgrid "$CONFIG" "$MESSAGE"
# A realistic HTML e-mail: 29 KB, an order table of 150 rows, 1,806 quotes and 757 line breaks to escape.
HTML_MESSAGE=$(mktemp --suffix=.json)
python3 bench/html-message.py "$MESSAGE" "$HTML_MESSAGE"
echo "== SendGrid render of a 29 KB HTML message, $((COUNT / 10)) messages"
.build/release/carrier-bench render "$((COUNT / 10))" sendgrid "$CONFIG" "$HTML_MESSAGE"
.build/release/carrier-bench request "$((COUNT / 10))" sendgrid "$CONFIG" "$HTML_MESSAGE"
rm -f "$HTML_MESSAGE"
echo "== cold start of 'carrier render' (process start, provider files loaded, one render)"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 3 --runs 30 "/bin/true" ".build/release/carrier render --config $CONFIG --account sendgrid $MESSAGE"
else
  for i in 1 2 3; do /usr/bin/time -f "%e s, %M KB" .build/release/carrier render --config "$CONFIG" --account sendgrid "$MESSAGE" >/dev/null; done
fi

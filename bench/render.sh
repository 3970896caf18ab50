#!/usr/bin/env bash
# How fast `render` is for SendGrid in a release build, and how long `carrier render` takes cold.
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
# A realistic HTML e-mail: 29 KB, an order table of 150 rows, 1,806 quotes and 757 line breaks to escape.
HTML_MESSAGE=$(mktemp --suffix=.json)
python3 - "$MESSAGE" "$HTML_MESSAGE" <<'PY'
import json, sys
row = '<tr>\n  <td class="item" style="padding: 8px; border-bottom: 1px solid #eee">Blue mug, large</td>\n' \
      '  <td class="qty" align="right">2</td>\n  <td class="price" align="right">&euro;12.00</td>\n</tr>\n'
message = json.load(open(sys.argv[1]))
message["html"] = ('<!DOCTYPE html>\n<html>\n<body style="font-family: Helvetica, Arial, sans-serif">\n'
                   '<table width="100%" cellpadding="0">\n' + row * 150 + '</table>\n</body>\n</html>\n')
message["text"] = "Thanks for your order.\n\n" + "Blue mug, large   2   12.00\n" * 150
json.dump(message, open(sys.argv[2], "w"))
PY
echo "== SendGrid render of a 29 KB HTML message, $((COUNT / 10)) messages"
.build/release/carrier-bench render "$((COUNT / 10))" sendgrid "$CONFIG" "$HTML_MESSAGE"
rm -f "$HTML_MESSAGE"
echo "== cold start of 'carrier render' (process start, provider files loaded, one render)"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 3 --runs 30 "/bin/true" ".build/release/carrier render --config $CONFIG --account sendgrid $MESSAGE"
else
  for i in 1 2 3; do /usr/bin/time -f "%e s, %M KB" .build/release/carrier render --config "$CONFIG" --account sendgrid "$MESSAGE" >/dev/null; done
fi

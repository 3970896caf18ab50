#!/usr/bin/env bash
# Instructions per operation (valgrind's callgrind): repeatable where timings are not (a shared,
# noisy machine moves wall-clock figures by 10-20% between runs; these move by well under 1%).
# Each figure is the difference between two runs of different lengths, divided by the difference
# in count, so start-up is left out. User-space instructions only: system calls and the kernel's
# work are not counted, so a saved system call shows up in timings, not here.
#   - a loopback send (carrier-bench latency, 16 in flight, to bench/sink.c answering at once),
#     beside the same request made by bench/curl-multi.c (libcurl's multi interface, in C);
#   - an SMTP send of a 2 KB message, and of a 29 KB HTML e-mail (bench/html-message.py), over one
#     connection to Postfix's smtp-sink (carrier-bench smtp), beside bench/curl-smtp.c sending the
#     same bytes;
#   - a SendGrid render plus serialising its body once more (carrier-bench render: one of each a count),
#     and the same request as a send builds it (carrier-bench request); an SES request likewise
#     (the message written as MIME, base64 in JSON, signed with SigV4);
#   - a Postmark webhook to `carrier events serve` (verified, mapped, appended; HTTP handling
#     included), posted one after another by a Python client; and the same webhook verified and
#     read into its event without HTTP or disk (carrier-bench webhook).
# Release build (static), stripped of debug info (valgrind cannot read Swift's).
#   bench/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || scripts/install-deps.sh valgrind
swift build -c release --static-swift-stdlib --product carrier-bench >/dev/null
swift build -c release --static-swift-stdlib --product carrier >/dev/null
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
strip --strip-debug -o "$WORK/carrier-bench" .build/release/carrier-bench
cc -O2 -o "$WORK/sink" bench/sink.c
cc -O2 -o "$WORK/curl-multi" bench/curl-multi.c -lcurl
cc -O2 -o "$WORK/curl-smtp" bench/curl-smtp.c -lcurl
MESSAGE=examples/messages/order-confirmation.json
printf 'accounts:\n  mt: {provider: mailtrap, credentials: {api_token: t}}\n' > "$WORK/mt.yaml"
printf 'accounts:\n  sendgrid: {provider: sendgrid, credentials: {api_key: SG.bench-key}}\n' > "$WORK/sg.yaml"
printf 'accounts:\n  ses: {provider: ses, credentials: {access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key: bench-secret-key}, settings: {region: eu-west-1}}\n' > "$WORK/ses.yaml"
.build/release/carrier render --config "$WORK/mt.yaml" --account mt "$MESSAGE" \
  | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["body"]))' > "$WORK/body.json"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
"$WORK/sink" "$PORT" 0 > "$WORK/sink.out" &
for _ in $(seq 50); do grep -q READY "$WORK/sink.out" 2>/dev/null && break; sleep 0.05; done
SMTP_PORT=$(free_port)
SINK_USER=(); [ "$(id -u)" -eq 0 ] && SINK_USER=(-u nobody)
/usr/sbin/smtp-sink "${SINK_USER[@]}" 127.0.0.1:$SMTP_PORT 256 &
.build/release/carrier render --account outbox bench/message-2k.json \
  | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["message"])' > "$WORK/message.eml"
python3 bench/html-message.py "$MESSAGE" "$WORK/html.json"
.build/release/carrier render --account outbox "$WORK/html.json" \
  | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["message"])' > "$WORK/html.eml"
sleep 0.5
export SWIFT_DETERMINISTIC_HASHING=1  # the same hash seeds each run
# per NAME N1 N2 COMMAND... (COUNT in the command stands for the count)
per() {
  local name=$1 n1=$2 n2=$3; shift 3
  local counts=()
  for n in "$n1" "$n2"; do
    counts+=("$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${@//COUNT/$n}" 2>&1 | awk '/Collected/ {print $4}')")
  done
  python3 -c "print('%-48s %8.0f instructions each' % ('$name', (${counts[1]} - ${counts[0]}) / ($n2 - $n1)))"
}
per "loopback send, libcurl multi (C)" 1000 3000 "$WORK/curl-multi" "http://127.0.0.1:$PORT/api/send" COUNT 16 "$WORK/body.json"
per "loopback send, carrier" 1000 3000 "$WORK/carrier-bench" latency COUNT 16 "http://127.0.0.1:$PORT" "$MESSAGE"
per "SendGrid render + its body serialised once more" 1000 3000 "$WORK/carrier-bench" render COUNT sendgrid "$WORK/sg.yaml" "$MESSAGE"
per "SendGrid request as a send builds it" 1000 3000 "$WORK/carrier-bench" request COUNT sendgrid "$WORK/sg.yaml" "$MESSAGE"
per "SES request as a send builds it (SigV4, MIME)" 1000 3000 "$WORK/carrier-bench" request COUNT ses "$WORK/ses.yaml" "$MESSAGE"
per "SMTP send of 2 KB, libcurl (C)" 500 1500 "$WORK/curl-smtp" "$SMTP_PORT" COUNT 1 "$WORK/message.eml"
per "SMTP send of 2 KB, carrier" 500 1500 "$WORK/carrier-bench" smtp COUNT 1 "$SMTP_PORT" bench/message-2k.json
per "SMTP send of a 29 KB HTML e-mail, libcurl (C)" 200 600 "$WORK/curl-smtp" "$SMTP_PORT" COUNT 1 "$WORK/html.eml"
per "SMTP send of a 29 KB HTML e-mail, carrier" 200 600 "$WORK/carrier-bench" smtp COUNT 1 "$SMTP_PORT" "$WORK/html.json"
# The events server runs under valgrind; a keep-alive client posts COUNT webhooks, then SIGINT ends it.
printf 'accounts:\n  pm: {provider: postmark, webhook_secret: "bench:pw-123456"}\n' > "$WORK/pm.yaml"
cat > "$WORK/post.py" <<'PY'
import base64, http.client, sys
port, count, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
connection = http.client.HTTPConnection("127.0.0.1", port)
auth = "Basic " + base64.b64encode(b"bench:pw-123456").decode()
for n in range(count):
    body = ('{"RecordType":"Delivery","ServerID":23,"MessageStream":"outbound","MessageID":"%d-%s",'
            '"Recipient":"john@example.com","Tag":"welcome-email","DeliveredAt":"2026-11-27T12:00:00Z",'
            '"Details":"Test delivery webhook details","Metadata":{"a_key":"a_value"}}') % (n, tag)
    connection.request("POST", "/events/pm", body, {"Content-Type": "application/json", "Authorization": auth})
    answer = connection.getresponse(); answer.read()
    assert answer.status == 200, answer.status
PY
strip --strip-debug -o "$WORK/carrier" .build/release/carrier
events() {  # COUNT -> instructions the server ran
  local port; port=$(free_port)
  rm -f "$WORK/events.ndjson" "$WORK/events.err"
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$WORK/carrier" events serve --config "$WORK/pm.yaml" \
    --listen "127.0.0.1:$port" --output "$WORK/events.ndjson" 2> "$WORK/events.err" &
  local server=$!
  for _ in $(seq 300); do grep -q "listening on" "$WORK/events.err" 2>/dev/null && break; sleep 0.1; done
  python3 "$WORK/post.py" "$port" "$1" "run$1"
  kill -INT "$server"; wait "$server" 2>/dev/null || true
  awk '/Collected/ {print $4}' "$WORK/events.err"
}
A=$(events 500); B=$(events 1500)
python3 -c "print('%-48s %8.0f instructions each' % ('Postmark webhook, carrier events serve', ($B - $A) / 1000))"
printf '%s' '{"RecordType":"Delivery","ServerID":23,"MessageStream":"outbound","MessageID":"1-r","Recipient":"john@example.com","Tag":"welcome-email","DeliveredAt":"2026-11-27T12:00:00Z","Details":"Test delivery webhook details","Metadata":{"a_key":"a_value"}}' > "$WORK/pm-body.json"
per "Postmark webhook read, no HTTP (carrier-bench)" 1000 3000 "$WORK/carrier-bench" webhook COUNT pm "$WORK/pm.yaml" "$WORK/pm-body.json"

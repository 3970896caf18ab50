#!/usr/bin/env python3
"""Runs a provider's sample webhooks (Tests/Fixtures/events/PROVIDER.json) through
`carrier events parse`, signed by webhook_case.py, and checks what comes out:

- each `good` case gives exactly the expected events (every field named in `expect` must match),
  and a handshake case (`handshake_answer`) the answer the ESP expects;
- each `tampered`, `unsigned` and `stale` variant (and a scheme's own, such as `untrusted`) is refused
  as unverified (exit 1, HTTP 401);
- the same cases posted to `carrier events serve` (serve_check): every good one answers 200 and
  writes its events, posted again writes nothing (a replayed event id), every other variant answers
  401, an unknown account 404 and a body over --max-body 413; the file then holds each event once.

  check_events.py FIXTURE CARRIER_BINARY
Exit 0 when every case holds; otherwise each failure is printed.
"""
import base64, http.client, json, os, subprocess, sys, tempfile, time, urllib.parse
sys.path.insert(0, os.path.dirname(__file__))

def main():
    fixture_path, binary = sys.argv[1], sys.argv[2]
    fixture = json.load(open(fixture_path))
    signed = json.loads(subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "webhook_case.py"), fixture_path],
                                       check=True, capture_output=True, text=True).stdout)
    expectations = {case["name"]: case["expect"] for case in fixture["cases"]}
    # A handshake (Event Grid's validation) gives no event, and an answer to send back.
    answers = {case["name"]: case["handshake_answer"] for case in fixture["cases"] if "handshake_answer" in case}
    # A URL the receiver must fetch from the ESP (SNS's SubscribeURL), checked at the loopback peer.
    case_fetches = {case["name"]: case["fetches"] for case in fixture["cases"] if "fetches" in case}
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        config = os.path.join(folder, "carrier.yaml")
        account = {"provider": fixture["provider"], "settings": fixture.get("settings", {})}
        if signed["secret"] is not None:
            account["webhook_secret"] = "${WEBHOOK_SECRET}"
        peer = CertificatePeer({path: base64.b64decode(content) for path, content in signed["served"].items()}) if "served" in signed else None
        if peer:
            account["endpoint"] = peer.url  # where the certificate and subscription URLs are fetched
        # For the server, one account per URL the ESP was given (Mandrill signs it), whatever URL the request reaches.
        served = {url: f"a{i}" for i, url in enumerate(sorted({case["url"].split("?")[0] for case in signed["cases"]}))}
        accounts = {"a": account, **{name: {**account, "webhook_url": url} for url, name in served.items()}}
        with open(config, "w") as f:
            # The repository's provider files, read from disk (they override the built-in copies).
            providers = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "providers")
            json.dump({"providers": [os.path.normpath(providers)], "accounts": accounts}, f)  # JSON is YAML
        env = {**os.environ, "WEBHOOK_SECRET": signed["secret"] or ""}
        parsed = {}  # case name → the events `events parse` printed for its good variant
        for i, case in enumerate(signed["cases"]):
            payload = os.path.join(folder, f"payload-{i}")
            with open(payload, "wb") as f:
                f.write(base64.b64decode(case["body_b64"]))
            command = [binary, "events", "parse", "--config", config, "--account", "a", "--url", case["url"]]
            for name, value in case["headers"]:
                command += ["--header", f"{name}: {value}"]
            result = subprocess.run(command + [payload], capture_output=True, text=True, env=env, timeout=60)
            label = f"{fixture['provider']} / {case['name']} / {case['variant']}"
            if case["variant"] != "good":
                if result.returncode != 1 or "HTTP 401" not in result.stderr:
                    failures.append(f"{label}: not refused (exit {result.returncode}) {result.stdout[:300]} {result.stderr[:300]}")
                continue
            if result.returncode != 0:
                failures.append(f"{label}: exit {result.returncode}: {result.stderr.strip()[:500]}")
                continue
            events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
            parsed[case["name"]] = events
            expected = expectations[case["name"]]
            answer = answers.get(case["name"])
            if case_fetches.get(case["name"]) and not any(path.startswith(case_fetches[case["name"]]) for path in peer.paths):
                failures.append(f"{label}: {case_fetches[case['name']]} was not fetched: {peer.paths}")
            if answer is not None and "the server answers " + json.dumps(answer, separators=(",", ":")) not in result.stderr:
                failures.append(f"{label}: the handshake is not answered with {json.dumps(answer)}: {result.stderr.strip()[:300]}")
            if len(events) != len(expected):
                failures.append(f"{label}: {len(events)} events, expected {len(expected)}: {json.dumps(events)[:800]}")
                continue
            for got, want in zip(events, expected):
                if got.get("provider") != fixture["provider"] or got.get("account") != "a":
                    failures.append(f"{label}: provider/account {got.get('provider')}/{got.get('account')}")
                for key, value in want.items():
                    if got.get(key) != value:
                        failures.append(f"{label}: {key} is {json.dumps(got.get(key))}, expected {json.dumps(value)}")
                if not got.get("event_id"):
                    failures.append(f"{label}: no event_id")
                if got.get("raw") is None:
                    failures.append(f"{label}: no raw event")
        # Two events with one id would lose the second at the server. Documentation samples may reuse
        # a placeholder id, which the fixture then names in `reused_ids`; any other shared id is a bug.
        ids = [event["event_id"] for events in parsed.values() for event in events]
        shared = sorted(i for i in set(ids) if ids.count(i) > 1 and i not in fixture.get("reused_ids", []))
        if shared:
            failures.append(f"{fixture['provider']}: distinct sample events share an event_id, so one would not be written: {shared}")
        failures += serve_check(fixture, signed, parsed, answers, served, binary, config, env, folder)
        if peer:
            peer.stop()
    for failure in failures:
        print(failure)
    kinds = sorted({e["event"] for case in fixture["cases"] for e in case["expect"]})
    print(f"{fixture['provider']}: {len(signed['cases'])} signed requests, events checked: {', '.join(kinds)}; {len(failures)} failures")
    sys.exit(1 if failures else 0)

class CertificatePeer:
    """The ESP's side on loopback for SNS-format messages: serves each certificate at its path
    (`served`), answers 200 to anything else (a SubscribeURL), and keeps the paths asked."""
    def __init__(self, served):
        import http.server, threading
        peer = self
        self.paths = []
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                peer.paths.append(self.path)
                body = served.get(self.path, b"<ConfirmSubscriptionResponse/>")
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args): pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
    def stop(self):
        self.server.shutdown()
        self.server.server_close()

def serve_check(fixture, signed, parsed, answers, served, binary, config, env, folder):
    """Posts every signed case to a real `carrier events serve` and checks its answers and its file."""
    failures, provider = [], fixture["provider"]
    good = [case for case in signed["cases"] if case["variant"] == "good"]
    limit = max(len(base64.b64decode(case["body_b64"])) for case in good) + 4096
    output, log = os.path.join(folder, "events.ndjson"), os.path.join(folder, "server.log")
    # The server's log goes to a file, which cannot fill up and block it as an unread pipe would.
    with open(log, "wb") as sink:
        server = subprocess.Popen([binary, "events", "serve", "--config", config, "--listen", "127.0.0.1:0", "--output", output,
                                   "--max-body", str(limit)], stdout=subprocess.DEVNULL, stderr=sink, env=env)
    try:
        port, seen, deadline = None, b"", time.time() + 60
        while port is None and time.time() < deadline and server.poll() is None:
            time.sleep(0.05)
            seen = open(log, "rb").read()
            found = [line for line in seen.split(b"\n") if b"listening on http://127.0.0.1:" in line]
            if found:
                port = int(found[0].split(b"127.0.0.1:")[1].split(b"/")[0].split(b" ")[0])
        if port is None:
            return [f"{provider}: carrier events serve did not start: {seen.decode(errors='replace')[:500]}"]

        def send(case, account=None, body=None):
            url = urllib.parse.urlsplit(case["url"])
            account = account or served[case["url"].split("?")[0]]
            path = f"/events/{account}" + (f"?{url.query}" if url.query else "")
            body = base64.b64decode(case["body_b64"]) if body is None else body
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.request("GET" if not body and url.query else "POST", path, body=body or None, headers=dict(case["headers"]))
                answer = connection.getresponse()
                return answer.status, answer.read().decode(errors="replace")
            finally:
                connection.close()

        written = set()
        for attempt in ("first", "again"):
            for case in good:
                label = f"{provider} / {case['name']} / served {attempt}"
                status, text = send(case)
                if status != 200:
                    failures.append(f"{label}: HTTP {status} {text[:300]}")
                    continue
                answer = json.loads(text) if text.strip().startswith("{") else {}
                if case["name"] in answers:
                    if answer != answers[case["name"]]:
                        failures.append(f"{label}: answered {text[:300]}, not the handshake's answer")
                    continue
                if not parsed.get(case["name"]) and "handshake" in answer:
                    continue  # SNS's subscription confirmation: answered, nothing written
                fresh = {event["event_id"] for event in parsed.get(case["name"], [])} - written
                written |= fresh
                want = {"written": len(fresh), "repeated": len(parsed.get(case["name"], [])) - len(fresh)}
                if {key: answer.get(key) for key in want} != want:
                    failures.append(f"{label}: answered {text[:300]}, expected {json.dumps(want)}")
        for case in signed["cases"]:
            if case["variant"] != "good":
                status, text = send(case)
                if status != 401:
                    failures.append(f"{provider} / {case['name']} / served {case['variant']}: HTTP {status}, not 401: {text[:300]}")
        if (status := send(good[0], account="nobody")[0]) != 404:
            failures.append(f"{provider}: an unknown account answered {status}, not 404")
        if (status := send(good[0], body=b" " * (limit + 1))[0]) != 413:
            failures.append(f"{provider}: a body over --max-body answered {status}, not 413")
        lines = [json.loads(line) for line in open(output, encoding="utf-8") if line.strip()] if os.path.exists(output) else []
        on_disk = [line["event_id"] for line in lines]
        if sorted(on_disk) != sorted(written):
            failures.append(f"{provider}: the file holds {len(on_disk)} events ({len(set(on_disk))} ids), expected each of {len(written)} once")
        # The secret, its password alone (basic auth) and its URL-escaped form, in the file or the log.
        secret = signed["secret"] or ""
        forms = {secret, secret.partition(":")[2], urllib.parse.quote(secret, safe="")} - {""} if secret else set()
        for name, text in (("events file", open(output, encoding="utf-8").read() if os.path.exists(output) else ""),
                           ("server's log", open(log, encoding="utf-8", errors="replace").read())):
            if any(form in text for form in forms):
                failures.append(f"{provider}: the webhook secret is in the {name}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return failures

if __name__ == "__main__":
    main()

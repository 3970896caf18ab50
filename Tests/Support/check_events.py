#!/usr/bin/env python3
"""Runs a provider's sample webhooks (Tests/Fixtures/events/PROVIDER.json) through
`carrier events parse`, signed by webhook_case.py, and checks what comes out:

- each `good` case gives exactly the expected events (every field named in `expect` must match),
  and a handshake case (`handshake_answer`) the answer the ESP expects;
- each `tampered`, `unsigned` and `stale` variant is refused as unverified (exit 1, HTTP 401).

  check_events.py FIXTURE CARRIER_BINARY
Exit 0 when every case holds; otherwise each failure is printed.
"""
import base64, json, os, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(__file__))

def main():
    fixture_path, binary = sys.argv[1], sys.argv[2]
    fixture = json.load(open(fixture_path))
    signed = json.loads(subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "webhook_case.py"), fixture_path],
                                       check=True, capture_output=True, text=True).stdout)
    expectations = {case["name"]: case["expect"] for case in fixture["cases"]}
    # A handshake (Event Grid's validation) gives no event, and an answer to send back.
    answers = {case["name"]: case["handshake_answer"] for case in fixture["cases"] if "handshake_answer" in case}
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        config = os.path.join(folder, "carrier.yaml")
        account = {"provider": fixture["provider"], "webhook_secret": "${WEBHOOK_SECRET}", "settings": fixture.get("settings", {})}
        with open(config, "w") as f:
            # The repository's provider files, read from disk (they override the built-in copies).
            providers = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "providers")
            json.dump({"providers": [os.path.normpath(providers)], "accounts": {"a": account}}, f)  # JSON is YAML
        env = {**os.environ, "WEBHOOK_SECRET": signed["secret"]}
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
            expected = expectations[case["name"]]
            answer = answers.get(case["name"])
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
    for failure in failures:
        print(failure)
    kinds = sorted({e["event"] for case in fixture["cases"] for e in case["expect"]})
    print(f"{fixture['provider']}: {len(signed['cases'])} signed requests, events checked: {', '.join(kinds)}; {len(failures)} failures")
    sys.exit(1 if failures else 0)

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Posts Mailgun-style webhooks to `carrier events serve`, signed here with Python's hmac
(timestamp + token, HMAC-SHA256, hex) — a peer independent of Carrier.

  post_events.py one URL SECRET --id ID [--stale] [--bad-signature] [--pad BYTES] [--token T --stamp S]
                 [--event failed --severity permanent --recipient ann@example.com] [--legacy]
      (--legacy: the form-encoded webhook older Mailgun routes post, signature fields beside the event's)
      one webhook; prints {"status": …, "body": …}
  post_events.py burst URL SECRET --clients N --events N [--repeats N]
      N distinct events (ids evt-0 …) from N clients at once, each client on its own keep-alive
      connection, then REPEATS of them again; prints {"statuses": {status: count}, "sent": …}
"""
import hashlib, hmac, http.client, json, secrets, sys, threading, time, urllib.parse

def webhook(secret, event_id, stamp=None, bad=False, pad=0, token=None, event="delivered", recipient=None, severity=None):
    stamp = str(int(stamp if stamp is not None else time.time()))
    token = token or secrets.token_hex(25)
    signature = hmac.new(secret.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    if bad:
        signature = "0" * len(signature)
    body = {"signature": {"timestamp": stamp, "token": token, "signature": signature},
            "event-data": {"event": event, "id": event_id, "timestamp": float(stamp), "recipient": recipient or f"{event_id}@example.com",
                           "message": {"headers": {"message-id": f"{event_id}@mg.example.com"}}, "padding": "x" * pad}}
    if severity:
        body["event-data"]["severity"] = severity
    return json.dumps(body).encode()

def legacy_webhook(secret, event_id, event="delivered", recipient=None):
    stamp = str(int(time.time()))
    token = secrets.token_hex(25)
    signature = hmac.new(secret.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    fields = {"event": event, "recipient": recipient or f"{event_id}@example.com", "domain": "mg.example.com",
              "Message-Id": f"<{event_id}@mg.example.com>", "timestamp": stamp, "token": token, "signature": signature,
              "code": "550", "error": "5.1.1 The email account that you tried to reach does not exist", "X-Mailgun-Tag": "welcome"}
    return urllib.parse.urlencode(fields).encode()

def post(connection, path, body, content_type="application/json"):
    connection.request("POST", path, body=body, headers={"Content-Type": content_type})
    answer = connection.getresponse()
    return answer.status, answer.read().decode()

def main():
    mode, url, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    args = sys.argv[4:]
    def option(name, default=None):
        return args[args.index(name) + 1] if name in args else default
    parts = urllib.parse.urlsplit(url)
    if mode == "one":
        stamp = time.time() - 3600 if "--stale" in args else (float(option("--stamp")) if "--stamp" in args else None)
        body = webhook(secret, option("--id"), stamp=stamp, bad="--bad-signature" in args, pad=int(option("--pad", "0")),
                       token=option("--token"), event=option("--event", "delivered"), recipient=option("--recipient"),
                       severity=option("--severity"))
        content_type = "application/json"
        if "--legacy" in args:
            body = legacy_webhook(secret, option("--id"), event=option("--event", "delivered"), recipient=option("--recipient"))
            content_type = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        status, text = post(connection, parts.path, body, content_type)
        print(json.dumps({"status": status, "body": text}))
        return
    clients, events, repeats = int(option("--clients")), int(option("--events")), int(option("--repeats", "0"))
    statuses, lock = {}, threading.Lock()
    work = [f"evt-{i}" for i in range(events)] + [f"evt-{i}" for i in range(repeats)]
    def run(share):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        for event_id in share:
            status, _ = post(connection, parts.path, webhook(secret, event_id))
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
    threads = [threading.Thread(target=run, args=(work[i::clients],)) for i in range(clients)]
    started = time.time()
    for t in threads: t.start()
    for t in threads: t.join()
    print(json.dumps({"statuses": statuses, "sent": len(work), "seconds": time.time() - started}))

if __name__ == "__main__":
    main()

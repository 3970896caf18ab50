#!/usr/bin/env python3
"""What apps do to `carrier serve`, with Python's smtplib and email package as real peers.

  gateway_peer.py send PORT [--tls starttls|implicit|none] [--cafile F] [--user U --password P]
                  [--to A,B] [--size N] [--lines N]      send one message; prints JSON of each reply
  gateway_peer.py idle PORT COUNT                        open COUNT sessions, read each greeting,
                                                         print READY, keep them until stdin closes
  gateway_peer.py silent PORT [DATA]                     log in nowhere, send nothing (or start DATA and
                                                         stop): print what the server says until it closes
  gateway_peer.py check-openapi SCHEMA                   validate JSON on stdin (one document, or
                                                         NDJSON lines) against docs/openapi.json
  gateway_peer.py prometheus                             parse Prometheus text on stdin, print JSON
"""
import json
import os
import resource
import smtplib
import socket
import ssl
import sys
from email.message import EmailMessage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def send(args):
    port = int(args[0])
    opts = dict(zip(args[1::2], args[2::2]))
    tls = opts.get("--tls", "none")
    context = ssl.create_default_context(cafile=opts["--cafile"]) if "--cafile" in opts else None
    if context:
        context.check_hostname = False
    out = {}
    m = EmailMessage()
    m["From"] = opts.get("--from", "Shop <orders@shop.example.com>")
    m["To"] = "Ann <ann@example.com>"
    m["Subject"] = "Grüße ✓ order 1234"
    m["X-Order"] = "1234"
    m.set_content("Your order is on its way.\n" * int(opts.get("--lines", "1")))
    m.add_alternative("<p>Your order is on its way.</p>\n", subtype="html")
    m.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="Rechnung März.pdf")
    data = bytes(m)
    if "--size" in opts:
        data += (b"X" * 98 + b"\r\n") * (int(opts["--size"]) // 100)
    if "--long-line" in opts:
        data += b"Y" * int(opts["--long-line"]) + b"\r\n"
    try:
        if tls == "implicit":
            s = smtplib.SMTP_SSL("127.0.0.1", port, context=context, timeout=30)
        else:
            s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        out["ehlo"] = s.ehlo()[0]
        out["extensions"] = sorted(s.esmtp_features.keys())
        if tls == "starttls":
            out["starttls"] = s.starttls(context=context)[0]
            out["ehlo_tls"] = s.ehlo()[0]
            out["extensions_tls"] = sorted(s.esmtp_features.keys())
        if "--user" in opts:
            try:
                out["auth"] = s.login(opts["--user"], opts["--password"])[0]
            except smtplib.SMTPAuthenticationError as e:
                out["auth"] = e.smtp_code
                out["auth_error"] = e.smtp_error.decode()
                s.quit()
                print(json.dumps(out))
                return
            except smtplib.SMTPNotSupportedError:
                out["auth"] = "not offered"
        to = opts.get("--to", "ann@example.com").split(",")
        try:
            code, reply = s.mail(m["From"].addresses[0].addr_spec)
            out["mail"] = code
            out["mail_reply"] = reply.decode()
            if code == 250:
                out["rcpt"] = [s.rcpt(r)[0] for r in to]
                code, reply = s.data(data)
                out["data"] = code
                out["data_reply"] = reply.decode()
        except smtplib.SMTPResponseException as e:
            out["error"] = e.smtp_code
            out["error_reply"] = e.smtp_error.decode()
        except smtplib.SMTPServerDisconnected as e:
            out["disconnected"] = str(e)
        try:
            s.quit()
        except Exception:
            pass
    except smtplib.SMTPResponseException as e:
        out["error"] = e.smtp_code
        out["error_reply"] = e.smtp_error.decode()
    except (ssl.SSLError, ConnectionError, smtplib.SMTPServerDisconnected) as e:
        out["connection_error"] = str(e)
    print(json.dumps(out))


def idle(args):
    port, count = int(args[0]), int(args[1])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sockets = []
    greeted = 0
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        if s.recv(512).startswith(b"220"):
            greeted += 1
        sockets.append(s)
    print(f"READY {greeted}", flush=True)
    sys.stdin.read()
    for s in sockets:
        s.close()


def silent(args):
    port = int(args[0])
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    received = b""
    if len(args) > 1:
        received += s.recv(512)
        for command in [b"EHLO peer\r\n", b"MAIL FROM:<a@example.com>\r\n", b"RCPT TO:<b@example.com>\r\n", b"DATA\r\n", b"Subject: x\r\n"]:
            s.sendall(command)
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        received += chunk
    print(json.dumps({"lines": received.decode(errors="replace").splitlines()}))


def check_openapi(args):
    import jsonschema
    document = json.load(open(os.path.join(ROOT, "docs", "openapi.json")))
    schema = {"$ref": "#/components/schemas/" + args[0], "components": document["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    text = sys.stdin.read()
    items = [json.loads(line) for line in text.splitlines() if line.strip()] if args[0] == "BatchLine" else [json.loads(text)]
    errors = [f"{list(e.absolute_path)}: {e.message}" for item in items for e in validator.iter_errors(item)]
    print(json.dumps({"checked": len(items), "errors": errors}))


def prometheus(_):
    from prometheus_client.parser import text_string_to_metric_families
    samples = {}
    for family in text_string_to_metric_families(sys.stdin.read()):
        for sample in family.samples:
            key = sample.name + json.dumps(sample.labels, sort_keys=True)
            samples[key] = sample.value
    print(json.dumps(samples))


if __name__ == "__main__":
    {"send": send, "idle": idle, "silent": silent, "check-openapi": check_openapi, "prometheus": prometheus}[sys.argv[1]](sys.argv[2:])

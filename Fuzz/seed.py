#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target from the repository's own inputs:
examples/, the provider files and their examples, their `{{ }}` expressions and the webhook
fixtures. Usage: Fuzz/seed.py OUTPUT_FOLDER (one subfolder per target)."""
import glob
import hashlib
import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(out):
    seeds = {name: [] for name in ["message", "provider-file", "expression", "template", "configuration", "recipients",
                                   "webhook", "response", "smtp-reply", "mime-header", "mime-message"]}
    providers = sorted(glob.glob(os.path.join(ROOT, "providers", "*.yaml")))
    for path in glob.glob(os.path.join(ROOT, "examples", "messages", "*")):
        if path.endswith((".json", ".yaml")):
            seeds["message"].append(read(path))
    for path in glob.glob(os.path.join(ROOT, "examples", "*.yaml")):
        seeds["configuration"].append(read(path))
    for path in providers:
        text = read(path)
        seeds["provider-file"].append(text)
        for expression in set(re.findall(rb"\{\{.*?\}\}", text)):
            seeds["expression"].append(expression)
        definition = yaml.safe_load(text)
        provider = definition.get("id", os.path.basename(path)[:-5])
        # Every mapping of the API section (the body in its encoding, headers, the batch's) as a template.
        api = definition.get("api") or {}
        bodies = [api.get("body"), (api.get("batch") or {}).get("body")]
        for template in [api.get("headers")] + [t for body in bodies if isinstance(body, dict) for t in body.values()]:
            if isinstance(template, (dict, list)):
                seeds["template"].append(yaml.safe_dump(template, allow_unicode=True, sort_keys=False).encode())
        for example in definition.get("examples", []) or []:
            message = example.get("message")
            if message is not None:
                seeds["message"].append(json.dumps(message, default=str).encode())
                seeds["message"].append(yaml.safe_dump(message, allow_unicode=True).encode())
                subject = message.get("subject")
                if isinstance(subject, str):
                    seeds["mime-header"].append(subject.encode())
            response = example.get("response")
            if isinstance(response, dict):
                headers = "".join(f"{k}: {v}\n" for k, v in (response.get("headers") or {}).items())
                body = response.get("body")
                body = body if isinstance(body, str) else ("" if body is None else json.dumps(body))
                seeds["response"].append(f"{provider}\n{response.get('status', 200)}\n{headers}\n{body}".encode())
    # Retry-After as seconds and as an HTTP-date (the date parser is reached only through it here).
    for hint in ["120", "Wed, 21 Oct 2015 07:28:00 GMT"]:
        seeds["response"] += [f"{p}\n{s}\nRetry-After: {hint}\n\n{{}}".encode() for p, s in [("sendgrid", 429), ("postmark", 503)]]
    for path in glob.glob(os.path.join(ROOT, "Tests", "Fixtures", "events", "*.json")):
        fixture = json.load(open(path))
        for case in fixture.get("cases", []):
            body = case.get("body")
            body = body if isinstance(body, str) else json.dumps(body)
            headers = "".join(f"{k}: {v}\n" for k, v in (case.get("headers") or {}).items())
            seeds["webhook"].append(f"{fixture['provider']}\n{headers}\n{body}".encode())
    seeds["recipients"] += [
        b"email,name,order_id\nann@example.com,Ann,1\n\"bob@example.com\",\"Bob, Jr.\",\"2\"\n",
        b"email,name,note\r\nc@example.com,C\xc3\xa9,\"multi\nline\"\r\n",
        b'{"email": "ann@example.com", "name": "Ann", "order": {"id": 1}}\n{"email": "bob@example.com"}\n',
        b"\xef\xbb\xbfemail\nx@example.com\n",
    ]
    seeds["smtp-reply"] += [
        b"220 mx.example.com ESMTP\x00250-mx.example.com\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN\x00"
        b"235 2.7.0 ok\x00250 2.1.0 ok\x00250 2.1.5 ok\x00550 5.1.1 <c@example.com>: unknown\x00354 go\x00250 2.0.0 queued as 1A2B\x00221 bye",
        b"554 5.7.1 no thanks\x00",
        b"220 ok\x00250 ok\x00535 5.7.8 bad credentials\x00",
        b"220 ok\x00250 ok\x00235 ok\x00250 ok\x00451 4.7.1 try later\x00",
        b"220 ok\x00250 ok\x00235 ok\x00250 ok\x00250 ok\x00250 ok\x00354 go\x00552 5.3.4 too big",
    ]
    seeds["mime-header"] += ["Order #1042 confirmed".encode(), "Grüße aus Köln 🎉".encode(), "=?utf-8?q?x?=".encode(),
                             "Straße, \"quoted\" \\ name".encode(), ("long " * 40).encode(), "日本語のテキスト".encode() * 5]
    for path in glob.glob(os.path.join(ROOT, "examples", "outbox", "*.eml")):
        seeds["mime-message"].append(read(path))
    seeds["mime-message"] += mime_samples()
    for name, items in seeds.items():
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        for item in items:
            with open(os.path.join(folder, hashlib.sha1(item).hexdigest()), "wb") as f:
                f.write(item)
        print(f"{name}: {len(items)} seeds")


def mime_samples():
    """Messages as mail clients write them, made with Python's email package."""
    from email.message import EmailMessage
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText
    from email.mime.application import MIMEApplication
    samples = []
    m = EmailMessage()
    m["From"] = "Grüße <a@example.com>"
    m["To"] = "b@example.com, \"Last, First\" <c@example.com>"
    m["Subject"] = "Größe ✓ " + "long " * 30
    m.set_content("plain ü\n" * 5)
    m.add_alternative("<p>html ü</p>", subtype="html")
    m.get_payload()[1].add_related(b"\x89PNG\r\n", maintype="image", subtype="png", cid="<logo@x>")
    m.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="Rechnung März.pdf")
    samples.append(bytes(m))
    outer = MIMEMultipart("mixed")
    outer["From"] = "a@example.com"
    outer["To"] = "b@example.com"
    outer.attach(MIMEText("caf\xe9", "plain", "iso-8859-1"))
    part = MIMEApplication(b"x" * 100, Name="a.bin")
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "naïve file.txt"))
    outer.attach(part)
    inner = EmailMessage()
    inner["From"] = "x@example.com"
    inner["Subject"] = "inner"
    inner.set_content("forwarded")
    fwd = EmailMessage()
    fwd["From"] = "a@example.com"
    fwd["To"] = "b@example.com"
    fwd.set_content("see attached")
    fwd.add_attachment(inner)
    samples += [outer.as_bytes(), bytes(fwd)]
    # Dates as clients write them (the reader parses the Date header: zones, no weekday, comments).
    for date in ["Wed, 18 Nov 2026 11:06:40 +0100", "1 Dec 26 10:00 -0800 (PST)", "Tue, 01 Dec 2026 10:00:00 GMT"]:
        samples.append(f"From: a@example.com\r\nTo: b@example.com\r\nDate: {date}\r\nSubject: d\r\n\r\nbody\r\n".encode())
    return samples


def read(path):
    with open(path, "rb") as f:
        return f.read()


if __name__ == "__main__":
    main(sys.argv[1])

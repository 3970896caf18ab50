#!/usr/bin/env python3
"""Reads a JSON array of {"text", "mime"} (mime in base64) from standard input: text bodies the
MIME writer wrote as single-part messages. For each, Python's email package (policy=default)
parses the message as a real peer would; the transfer encoding must be the one RFC 2045's rules
give (computed here on its own: base64 for a NUL, 7bit for short-lined ASCII that no reader
changes, quoted-printable otherwise), the decoded text must be the text sent (line ends as
CRLF), no quoted-printable line may end in white space, and no line may pass 76 characters in
the body or 78 in the message."""
import base64, json, re, sys
from email import policy
from email.parser import BytesParser

def expected_encoding(text):
    if "\0" in text:
        return "base64"
    lines = re.split(r"\r\n|\r|\n", text)
    plain = all(ord(c) < 0x80 for c in text) and all(len(line) <= 76 for line in lines) \
        and not any(line.startswith("--") or line.startswith("From ") for line in lines)
    return "7bit" if plain else "quoted-printable"

failures = []
cases = json.load(sys.stdin)
for n, case in enumerate(cases):
    text, raw = case["text"], base64.b64decode(case["mime"])
    message = BytesParser(policy=policy.default).parsebytes(raw)
    encoding = message.get("Content-Transfer-Encoding")
    want = expected_encoding(text)
    body = raw.split(b"\r\n\r\n", 1)[1]
    if encoding != want:
        failures.append((n, repr(text), "encoding %s, expected %s" % (encoding, want)))
        continue
    if message.defects:
        failures.append((n, repr(text), "defects %r" % message.defects))
    if b"\n" in raw.replace(b"\r\n", b"") or b"\r" in raw.replace(b"\r\n", b""):
        failures.append((n, repr(text), "a bare CR or LF"))
    if max(len(line) for line in body.split(b"\r\n")) > 76 or max(len(line) for line in raw.split(b"\r\n")) > 78:
        failures.append((n, repr(text), "a line too long"))
    if encoding == "quoted-printable" and any(line.endswith((b" ", b"\t")) for line in body.split(b"\r\n")):
        failures.append((n, repr(text), "white space at a line's end (RFC 2045 6.7 (3))"))
    decoded = message.get_payload(decode=True)
    if encoding == "base64":
        sent = text.encode()
    else:
        sent = "\r\n".join(re.split(r"\r\n|\r|\n", text)).encode() + b"\r\n"
    if decoded != sent:
        failures.append((n, repr(text), "decoded %r" % decoded))
if failures:
    sys.exit("%d of %d wrong, first: %r" % (len(failures), len(cases), failures[:3]))
print("ok %d" % len(cases))

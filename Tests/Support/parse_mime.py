#!/usr/bin/env python3
"""Parses a MIME message from stdin with Python's email package (policy=default), as a real
peer would, and prints what it saw as JSON: headers, defects, parts, decoded contents."""
import base64, json, sys
from email import policy
from email.parser import BytesParser

raw = sys.stdin.buffer.read()
message = BytesParser(policy=policy.default).parsebytes(raw)
lines = raw.split(b"\r\n")
parts = []
for part in message.walk():
    entry = {"content_type": part.get_content_type(), "defects": [type(d).__name__ for d in part.defects],
             "content_id": part.get("Content-ID"), "filename": part.get_filename(),
             "disposition": part.get_content_disposition(),
             "transfer_encoding": part.get("Content-Transfer-Encoding")}
    if not part.is_multipart():
        payload = part.get_payload(decode=True) or b""
        entry["content_b64"] = base64.b64encode(payload).decode()
        if part.get_content_maintype() == "text":
            entry["text"] = part.get_content()
    parts.append(entry)
print(json.dumps({
    "headers": {k: str(v) for k, v in message.items()},
    "header_names": list(message.keys()),
    "defects": [type(d).__name__ for d in message.defects],
    "parts": parts,
    "max_line": max(len(l) for l in lines),
    "bare_lf": b"\n" in raw.replace(b"\r\n", b""),
}))

"""Reads a JSON array of texts on standard input and prints a JSON array of MIME messages, each
with one text/plain part holding that text in quoted-printable as Python's email package writes
it (soft line breaks, =XX for '=', trailing blanks and non-ASCII)."""
import json
import sys
from email.message import EmailMessage
from email.policy import SMTP

out = []
for text in json.load(sys.stdin):
    m = EmailMessage(policy=SMTP)
    m["From"] = "a@example.com"
    m["To"] = "b@example.com"
    m["Subject"] = "qp"
    m.set_content(text, cte="quoted-printable")
    out.append(m.as_string())
print(json.dumps(out))

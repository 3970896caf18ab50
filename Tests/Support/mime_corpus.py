#!/usr/bin/env python3
"""Writes MIME messages as real mail clients write them into a folder, each NAME.eml with
NAME.json: what Python's email package (policy=default) reads in it — addresses, subject, date, the
first text/plain and text/html bodies that are not attachments, and every other leaf part as an
attachment. The gateway's MIME reader must read the same. Usage: mime_corpus.py FOLDER"""
import base64
import json
import os
import sys
from email import policy
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.utils import getaddresses


def samples():
    # 1. mixed > related > alternative (quoted-printable), an inline image, a PDF with a non-ASCII name.
    m = EmailMessage()
    m["From"] = "Grüße GmbH <shop@example.com>"
    m["To"] = '"Last, First" <first@example.com>, Bob Bäcker <bob@example.com>'
    m["Cc"] = "carol@example.com"
    m["Reply-To"] = "Support <help@example.com>"
    m["Subject"] = "Ihre Bestellung #1234 — Größe ✓ " + "lang " * 20
    m["Message-ID"] = "<order-1234@shop.example.com>"
    m["Date"] = "Wed, 18 Nov 2026 11:06:40 +0000"
    m["X-Campaign"] = "winter"
    m.set_content("Hallo,\nIhre Bestellung ist unterwegs. Grüße!\n" + "x" * 100 + "\n", cte="quoted-printable")
    m.add_alternative('<p>Hallo <img src="cid:logo@shop"></p>\n', subtype="html", cte="quoted-printable")
    m.get_payload()[1].add_related(b"\x89PNG\r\n\x1a\nfake", maintype="image", subtype="png", cid="<logo@shop>")
    m.add_attachment(b"%PDF-1.4\n" + bytes(range(256)), maintype="application", subtype="pdf", filename="Rechnung März €.pdf")
    yield "mixed-related-alternative", bytes(m)

    # 2. 8-bit UTF-8 text, encoded-word subject and names.
    m = EmailMessage()
    m["From"] = "日本 太郎 <taro@example.jp>"
    m["To"] = "Zoë <zoe@example.com>"
    m["Subject"] = "こんにちは — привет"
    m.set_content("Ünïcödé body\nline two\n", cte="8bit")
    yield "eight-bit", m.as_bytes(policy=policy.SMTPUTF8)

    # 3. Latin-1 text in quoted-printable, Windows-1252 HTML in base64.
    outer = MIMEMultipart("alternative")
    outer["From"] = "a@example.com"
    outer["To"] = "b@example.com"
    outer["Subject"] = "=?iso-8859-1?q?caf=E9_cr=E8me?="
    outer["Date"] = "1 Dec 2026 10:00:00 +0100"  # no day of the week (RFC 5322 makes it optional)
    outer.attach(MIMEText("café crème, à bientôt", "plain", "iso-8859-1"))
    html = MIMEText("<p>“quoted” – dash €</p>", "html", "windows-1252")
    outer.attach(html)
    yield "latin1-and-cp1252", outer.as_bytes()

    # 4. A forwarded message (message/rfc822) as an attachment.
    inner = EmailMessage()
    inner["From"] = "x@example.com"
    inner["To"] = "y@example.com"
    inner["Subject"] = "the original"
    inner.set_content("original body\n")
    m = EmailMessage()
    m["From"] = "a@example.com"
    m["To"] = "b@example.com"
    m["Subject"] = "Fwd: the original"
    m.set_content("see the attached message\n")
    m.add_attachment(inner)
    yield "forwarded", bytes(m)

    # 5. RFC 2231 continuations and a file name in parts, written by hand as some clients do.
    raw = ("From: a@example.com\r\nTo: b@example.com\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
           "preamble to ignore\r\n--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nbody\r\n"
           "--b1\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n"
           "Content-Disposition: attachment;\r\n filename*0*=utf-8''%E2%82%AC%20rate%20;\r\n filename*1*=card%C3%A9.txt\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes("naïve notes\n".encode()).decode().replace("\n", "\r\n") +
           "--b1--\r\nepilogue\r\n")
    yield "rfc2231-continuations", raw.encode()

    # 6. A plain message with no MIME headers and a folded subject, bare LF line ends.
    raw = ("From: Old Client <old@example.com>\nTo: b@example.com (Bob)\nSubject: a subject that is folded\n  over two lines\n"
           "\nJust text.\n")
    yield "plain-bare-lf", raw.encode()

    # 7. Q-encoded words with underscores, adjacent words, a group address.
    raw = ("From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.com>\r\nTo: Team: a@example.com, b@example.com;\r\n"
           "Date: Tue, 01 Dec 2026 10:00:00 -0800 (PST)\r\n"
           "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?b?IGF1cyBLw7ZsbiDwn46J?=\r\nContent-Type: text/html; charset=utf-8\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>soft=\r\n break and =3D sign</p>\r\n")
    yield "q-words-and-group", raw.encode()


def expected(raw):
    msg = BytesParser(policy=policy.default).parsebytes(raw)

    def addresses(field):
        values = msg.get_all(field) or []
        return [{"email": a, "name": n or None} for n, a in getaddresses([str(v) for v in values]) if a]

    text = html = None
    attachments = []
    def leaves(part):
        # A forwarded message (message/rfc822) is one attachment, not parts of this message.
        if part.get_content_type() == "message/rfc822" or not part.is_multipart():
            yield part
        else:
            for child in part.iter_parts():
                yield from leaves(child)

    for part in leaves(msg):
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        is_attachment = disposition == "attachment" or (filename is not None and disposition != "inline")
        ctype = part.get_content_type()
        if not is_attachment and ctype == "text/plain" and text is None:
            text = part.get_content()
            continue
        if not is_attachment and ctype == "text/html" and html is None:
            html = part.get_content()
            continue
        if ctype == "message/rfc822":
            payload = part.get_payload()[0].as_bytes()
        else:
            payload = part.get_payload(decode=True) or b""
        cid = part.get("Content-ID")
        attachments.append({"filename": filename, "type": ctype, "content_b64": base64.b64encode(payload).decode(),
                            "content_id": cid.strip("<>") if cid else None})
    return {"from": addresses("From")[0], "to": addresses("To"), "cc": addresses("Cc"), "reply_to": addresses("Reply-To"),
            "subject": str(msg["Subject"]) if msg["Subject"] is not None else None,
            "message_id": str(msg["Message-ID"]).strip("<>") if msg["Message-ID"] else None,
            "date": int(msg["Date"].datetime.timestamp()) if msg["Date"] is not None else None,
            "text": text, "html": html, "attachments": attachments,
            "x_campaign": str(msg["X-Campaign"]) if msg["X-Campaign"] else None}


folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)
names = []
for name, raw in samples():
    with open(os.path.join(folder, name + ".eml"), "wb") as f:
        f.write(raw)
    with open(os.path.join(folder, name + ".json"), "w") as f:
        json.dump(expected(raw), f, ensure_ascii=False)
    names.append(name)
print(json.dumps(names))

"""Verifies every DKIM-Signature of a message with dkimpy (an implementation independent of
Carrier's), DNS answered from the records given as arguments instead of a resolver.

    dkim_verify.py 'sel._domainkey.example.com=v=DKIM1; k=rsa; p=…' … < message.eml

Prints JSON: {"signatures": [{"d", "s", "a", "c", "h", "valid"}], "from": …}.
"""
import json
import sys

import dkim

records = {}
for argument in sys.argv[1:]:
    name, _, value = argument.partition("=")
    records[name.rstrip(".").lower() + "."] = value.encode()


def dnsfunc(name, timeout=5):
    key = name.decode() if isinstance(name, bytes) else name
    return records.get(key.rstrip(".").lower() + ".")


message = sys.stdin.buffer.read()
verifier = dkim.DKIM(message)
results = []
for index, (field, value) in enumerate((f, v) for f, v in verifier.headers if f.lower() == b"dkim-signature"):
    tags = dict(part.strip().split("=", 1) for part in value.decode().replace("\r\n", "").split(";") if "=" in part)
    tags = {k.strip(): "".join(v.split()) for k, v in tags.items()}
    try:
        valid = bool(dkim.DKIM(message, minkey=1024).verify(idx=index, dnsfunc=dnsfunc))
    except dkim.DKIMException as error:
        valid = False
        tags["error"] = str(error)
    results.append({"d": tags.get("d"), "s": tags.get("s"), "a": tags.get("a"), "c": tags.get("c"), "h": tags.get("h"),
                    "l": tags.get("l"), "valid": valid, "error": tags.get("error")})
print(json.dumps({"signatures": results}))

"""SHA-256 of each byte list of a JSON array on standard input, as hex: hashlib's, to check
Carrier's digest against (DigestTests)."""
import hashlib
import json
import sys

print(json.dumps([hashlib.sha256(bytes(item)).hexdigest() for item in json.load(sys.stdin)]))

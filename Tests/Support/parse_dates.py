"""Reads a JSON array of date texts on standard input and prints, for each, the instant Python's
email.utils.parsedate_tz reads (seconds since 1970; a missing or unknown zone is UTC), or null."""
import calendar
import email.utils
import json
import sys

out = []
for text in json.load(sys.stdin):
    parsed = email.utils.parsedate_tz(text)
    out.append(None if parsed is None else calendar.timegm(parsed[:6]) - (parsed[9] or 0))
print(json.dumps(out))

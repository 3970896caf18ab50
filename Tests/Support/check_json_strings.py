"""Reads a JSON array of strings written by Carrier's JSONWriter on standard input and checks
each against the string the same rule makes here: every special character at every position
of a 17-character string of 'a's (the writer scans 8 bytes at a time, then the rest one by one)."""
import json
import sys

specials = [chr(c) for c in range(0x20)] + ['"', "\\", "/", "\x7f", "\u00e9", "\u00a0", "\u2028", "\U0001F600", "a"]
expected = [("a" * position) + special + ("a" * (16 - position)) for special in specials for position in range(17)]
text = sys.stdin.read()
got = json.loads(text)
if got != expected:
    bad = [(i, e, g) for i, (e, g) in enumerate(zip(expected, got)) if e != g][:5]
    sys.exit("mismatch (%d vs %d strings): %r" % (len(got), len(expected), bad))
print("ok %d" % len(got))

"""Reads a JSON array of strings written by Carrier's JSONWriter on standard input and checks
each against the string the same rule makes here: every special character at every position
of a 17-character string of 'a's (the writer scans 8 bytes at a time, then the rest one by one),
then strings with several: a quote, a newline, 0-9 plain bytes and one of the first 35 characters,
three times over, and an HTML attribute (plain runs copied whole between escapes).
Then prints them as Python's json writes them, for Carrier's parser."""
import json
import sys

specials = [chr(c) for c in range(0x20)] + ['"', "\\", "/", "\x7f", "\u00e9", "\u00a0", "\u2028", "\U0001F600", "a"]
expected = [("a" * position) + special + ("a" * (16 - position)) for special in specials for position in range(17)]
expected += [('"b\n' + "a" * gap + chr(c)) * 3 + '<p class="x">' for c in range(0x23) for gap in range(10)]
text = sys.stdin.read()
got = json.loads(text)
if got != expected:
    bad = [(i, e, g) for i, (e, g) in enumerate(zip(expected, got)) if e != g][:5]
    sys.exit("mismatch (%d vs %d strings): %r" % (len(got), len(expected), bad))
print("ok %d" % len(got))
# The same strings as Python writes them (every non-ASCII character as a \\u escape, surrogate
# pairs included), for Carrier's parser to read back.
print(json.dumps(expected, ensure_ascii=True))

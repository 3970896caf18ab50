"""Writes a realistic HTML e-mail for the benchmarks: the base message (argv[1]) with a 29 KB HTML
part (an order table of 150 rows: 1,806 quotes and 757 line breaks, as mail templates have) and a
plain-text twin, to argv[2]."""
import json
import sys

row = ('<tr>\n  <td class="item" style="padding: 8px; border-bottom: 1px solid #eee">Blue mug, large</td>\n'
       '  <td class="qty" align="right">2</td>\n  <td class="price" align="right">&euro;12.00</td>\n</tr>\n')
message = json.load(open(sys.argv[1]))
message["html"] = ('<!DOCTYPE html>\n<html>\n<body style="font-family: Helvetica, Arial, sans-serif">\n'
                   '<table width="100%" cellpadding="0">\n' + row * 150 + '</table>\n</body>\n</html>\n')
message["text"] = "Thanks for your order.\n\n" + "Blue mug, large   2   12.00\n" * 150
json.dump(message, open(sys.argv[2], "w"))

#!/usr/bin/env python3
"""csv_check.py: reads the admin queue's CSV export back with Python's csv module (what a script
or a spreadsheet importer would do) and prints one line for admin_queue.sh.

  csv_check.py probes FILE   the six probe complaints: "6 rows; all as expected; columns: ..." when
                             their text comes back as typed (commas, quotes, line breaks, scripts),
                             formula-looking cells behind a ', and latitude and longitude as numbers
  csv_check.py ids FILE      "ROWS DISTINCT-IDS"
"""
import csv
import sys

WANT = {
    "csvprobe =HYPERLINK(\"http://evil.example\",\"click\")": ("'=cmd|' /C calc'!A0", 38.7, -9.14),
    "'+csvprobe plus": ("'@SUM(A1:A9)", -33.86, 151.2),
    "'-csvprobe minus": ("'-1+2", 38.71, -9.5),
    "csvprobe line one, with \"quotes\"\nand a second line; улица, 中山路": ("Rua do Ouro 12, Lisboa", 38.71, -9.137),
    "'\tcsvprobe tab": ("plain", 38.72, -9.13),
    "csvprobe\rcarriage": ("'\rcr address", 38.73, -9.12),
}


def rows_of(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def main():
    mode, path = sys.argv[1], sys.argv[2]
    rows = rows_of(path)
    if mode == "ids":
        ids = [r["id"] for r in rows]
        print(len(ids), len(set(ids)))
        return
    got = {r["description"]: (r["address"], float(r["lat"]), float(r["lon"])) for r in rows}
    bad = [(k, got.get(k)) for k in WANT if got.get(k) != WANT[k]]
    print(len(rows), "rows;", "mismatch: %r" % bad if bad else "all as expected",
          "; columns:", ",".join(rows[0].keys()) if rows else "-")


main()

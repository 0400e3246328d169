#!/usr/bin/env python3
"""analyze_rows.py: reads the output of ANALYZE FORMAT=JSON (as `mariadb -N -B` prints it, newlines
escaped) on stdin and prints the rows the statement examined: r_rows x r_loops summed over every
table access of the plan (derived tables and union branches included), then each access as
"table:index:rows" for a diagnostic."""
import json
import sys

text = sys.stdin.read().strip()
# mariadb -B escapes newline, tab and backslash in values.
text = text.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
plan = json.loads(text)
total = 0.0
accesses = []


def walk(node):
    global total
    if isinstance(node, dict):
        if "table_name" in node and "r_loops" in node:
            rows = float(node.get("r_rows", 0) or 0) * float(node["r_loops"])
            total += rows
            accesses.append("%s:%s:%d" % (node["table_name"], node.get("key", node.get("access_type", "-")), rows))
        for value in node.values():
            walk(value)
    elif isinstance(node, list):
        for value in node:
            walk(value)


walk(plan)
print(int(round(total)), " ".join(accesses))

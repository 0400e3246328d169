#!/usr/bin/env python3
"""analyze_rows.py: reads outputs of ANALYZE FORMAT=JSON (as `mariadb -N -B` prints them: one line
each, newlines escaped) on stdin and prints, a line for each, the rows the statement examined:
r_rows x r_loops summed over every table access of the plan (derived tables and union branches
included), then each access as "table:index:rows" and each sort as "filesort(table):rows" (the
rows read into it; "-" for a sort of a temporary table) for a diagnostic; a line that is not a plan
is printed back as it is."""
import json
import sys



def walk(node, accesses, sorts):
    total = 0.0
    if isinstance(node, dict):
        if "table_name" in node and "r_loops" in node:
            rows = float(node.get("r_rows", 0) or 0) * float(node["r_loops"])
            total += rows
            accesses.append("%s:%s:%d" % (node["table_name"], node.get("key", node.get("access_type", "-")), rows))
        if isinstance(node.get("filesort"), dict):
            table = node["filesort"].get("table", {})
            rows = float(table.get("r_rows", 0) or 0) * float(table.get("r_loops", 1))
            sorts.append("filesort(%s):%d" % (table.get("table_name", "-"), rows))
        for value in node.values():
            total += walk(value, accesses, sorts)
    elif isinstance(node, list):
        for value in node:
            total += walk(value, accesses, sorts)
    return total


for line in sys.stdin:
    # mariadb -B escapes newline, tab and backslash in values.
    text = line.rstrip("\n").replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
    try:
        plan = json.loads(text)
    except ValueError:
        print("not a plan: " + line.strip()[:300])
        continue
    accesses, sorts = [], []
    print(int(round(walk(plan, accesses, sorts))), " ".join(accesses + sorts))

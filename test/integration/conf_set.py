#!/usr/bin/env python3
"""conf_set.py FILE SECTION KEY=VALUE...: sets each KEY in [SECTION] of an INI file (complaintd.conf),
replacing its line or adding one after the section's header (the section itself added at the end
when missing). Used by lib.sh's conf_set and by the browser tests' harness (confSet)."""
import sys


def main():
    path, section, pairs = sys.argv[1], sys.argv[2], [p.split("=", 1) for p in sys.argv[3:]]
    lines = open(path).read().splitlines()
    start = next((i for i, l in enumerate(lines) if l.strip() == "[" + section + "]"), None)
    if start is None:
        lines += ["", "[" + section + "]"]
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("[")), len(lines))
    for key, value in pairs:
        key = key.strip()
        at = next((i for i in range(start + 1, end) if lines[i].split("=", 1)[0].strip() == key and "=" in lines[i]), None)
        if at is None:
            lines.insert(start + 1, key + " = " + value.strip())
            end += 1
        else:
            lines[at] = key + " = " + value.strip()
    open(path, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

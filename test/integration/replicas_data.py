#!/usr/bin/env python3
"""replicas_data.py: the replica tables' test data and their independent check, for replicas.sh.

  sql T EXPECTED.json   prints INSERTs of made-up minutes (two locations, S3 and database
                        operations, minutes 20 to 50 minutes ago, one at T and one a minute
                        before it) and writes what the raw samples give per (location, operation,
                        replica) over the last hour (Python's statistics: mean, stdev), and the
                        minute at T, to EXPECTED.json
  every ROWS.tsv        the figures over every location from stored rows (replica_observations'
                        columns as the test's SELECT prints them), by sums of squares: a formula
                        other than the C code's pairwise merge; JSON on stdout
  page PAGE.html        the replica page's tables as JSON: {"op|location|replica": figures}
  ctl CTL.json          complaintctl replicas --json's rows, keyed the same way
  figure FILE KEY NAME  prints one figure of such a JSON file (e.g. "s3.get|eu-west-1a|us" all)
  compare WANT GOT TOLERANCE [KEY-PREFIX]   every figure of WANT (keys starting with the
                        prefix) found in GOT within TOLERANCE ms (counts exactly); exit 1 with
                        the differences on stdout
"""
import html.parser
import json
import math
import random
import statistics
import sys

LOCATIONS = {
    "eu-west-1a": {"us": 90.0, "jp": 250.0, "de": 30.0, "primary": 1.2, "standby": 1.6},
    "ap-east-1b": {"us": 160.0, "jp": 45.0, "de": 220.0, "primary": 180.0, "standby": 185.0},
}
OPERATIONS = {"s3.get": ["us", "jp", "de"], "s3.put": ["us", "jp", "de"], "db.read": ["primary", "standby"],
              "db.write": ["primary"]}
MINUTES_AGO = [50, 40, 30, 20]
CAUSES = ["timeout", "connect", "protocol", "other"]


def bucket(us):
    return 0 if us < 2 else min(31, us.bit_length() - 1)


def percentile(histogram, p):
    total = sum(histogram)
    if total == 0:
        return None
    rank = math.ceil(p * total / 100)
    seen = 0
    for b, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return 2 ** (b + 1) / 1000
    return 2 ** 32 / 1000


def figures(attempts, fails, samples_ms, histogram):
    fail = sum(fails)
    out = {"all": attempts, "fail": fail, **dict(zip(CAUSES, fails)),
           "r": 100 * fail / attempts if attempts else None}
    if samples_ms:
        out.update(avg=statistics.mean(samples_ms), std=statistics.stdev(samples_ms) if len(samples_ms) > 1 else 0.0,
                   min=min(samples_ms), max=max(samples_ms), p50=percentile(histogram, 50),
                   p99=percentile(histogram, 99))
    return out


def minute(rng, base_ms):
    successes = rng.choice([0, 1, 2, 5, 8, 12, 20])
    fails = [rng.choice([0, 0, 0, 1, 2]) for _ in CAUSES]
    samples_us = [max(50, round(1000 * base_ms * math.exp(rng.gauss(0, 0.5)))) for _ in range(successes)]
    if successes + sum(fails) == 0:
        fails[0] = 1
    return fails, samples_us


def row_sql(location, operation, replica, start, fails, samples_us, zeros_histogram):
    samples_ms = [us / 1000 for us in samples_us]
    histogram = [0] * 32
    for us in samples_us:
        histogram[bucket(us)] += 1
    n = len(samples_ms)
    if n:
        rtt = [repr(statistics.mean(samples_ms)), repr(statistics.stdev(samples_ms) if n > 1 else 0.0),
               repr(min(samples_ms)), repr(max(samples_ms))]
        hist = "'" + json.dumps(histogram) + "'"
    else:
        rtt = ["NULL"] * 4
        hist = "'" + json.dumps(histogram) + "'" if zeros_histogram else "NULL"
    attempts = n + sum(fails)
    return ("INSERT INTO replica_observations (location, operation, replica, period_start, period_end, attempts,"
            " successes, fail_timeout, fail_connect, fail_protocol, fail_other, rtt_mean_ms, rtt_std_ms, rtt_min_ms,"
            " rtt_max_ms, histogram) VALUES ('%s', '%s', '%s', %s, %s + INTERVAL 1 MINUTE, %d, %d, %d, %d, %d, %d,"
            " %s, %s, %s, %s, %s);" % (location, operation, replica, start, start, attempts, n, *fails, *rtt, hist))


def make_sql(t, expected_path):
    rng = random.Random(20)
    statements, expected = [], {}
    for location, bases in LOCATIONS.items():
        for operation, replicas in OPERATIONS.items():
            for replica in replicas:
                attempts, fails_total, samples_all, histogram = 0, [0] * 4, [], [0] * 32
                for i, ago in enumerate(MINUTES_AGO):
                    fails, samples_us = minute(rng, bases[replica])
                    start = "UTC_TIMESTAMP(3) - INTERVAL %d MINUTE" % ago
                    statements.append(row_sql(location, operation, replica, start, fails, samples_us, i % 2 == 0))
                    attempts += len(samples_us) + sum(fails)
                    fails_total = [a + b for a, b in zip(fails_total, fails)]
                    samples_all += [us / 1000 for us in samples_us]
                    for us in samples_us:
                        histogram[bucket(us)] += 1
                expected["%s|%s|%s" % (operation, location, replica)] = figures(attempts, fails_total, samples_all,
                                                                                histogram)
    # The minute at T (in a window from T) and the one before it (not), three hours back.
    fails, samples_us = [1, 0, 0, 0], [1100, 1300, 900]
    statements.append(row_sql("eu-west-1a", "db.write", "primary", "'%s'" % t, fails, samples_us, False))
    statements.append(row_sql("eu-west-1a", "db.write", "primary", "'%s' - INTERVAL 1 MINUTE" % t, [0, 0, 0, 0],
                              [1000] * 7, False))
    expected["at_t"] = {"all": 4}
    with open(expected_path, "w") as f:
        json.dump(expected, f, indent=1)
    print("\n".join(statements))


def every(rows_path):
    """Sums per (operation, replica): n, sum of x, sum of x^2 rebuilt from each minute's mean and std."""
    groups = {}
    with open(rows_path) as f:
        for line in f:
            operation, replica, attempts, successes, t, c, p, o, mean, std, low, high, hist = line.rstrip("\n").split("\t")
            g = groups.setdefault("%s||%s" % (operation, replica),
                                  {"all": 0, "fails": [0] * 4, "n": 0, "sx": 0.0, "sxx": 0.0, "min": None,
                                   "max": None, "h": [0] * 32})
            g["all"] += int(attempts)
            g["fails"] = [a + int(b) for a, b in zip(g["fails"], (t, c, p, o))]
            n = int(successes)
            if n:
                mean, std = float(mean), float(std)
                g["n"] += n
                g["sx"] += n * mean
                g["sxx"] += std * std * (n - 1) + n * mean * mean
                g["min"] = float(low) if g["min"] is None else min(g["min"], float(low))
                g["max"] = float(high) if g["max"] is None else max(g["max"], float(high))
            if hist != "NULL":
                g["h"] = [a + b for a, b in zip(g["h"], json.loads(hist))]
    out = {}
    for key, g in groups.items():
        fail = sum(g["fails"])
        fig = {"all": g["all"], "fail": fail, **dict(zip(CAUSES, g["fails"])), "r": 100 * fail / g["all"]}
        if g["n"]:
            mean = g["sx"] / g["n"]
            var = (g["sxx"] - g["n"] * mean * mean) / (g["n"] - 1) if g["n"] > 1 else 0.0
            fig.update(avg=mean, std=math.sqrt(max(var, 0.0)), min=g["min"], max=g["max"], p50=percentile(g["h"], 50),
                       p99=percentile(g["h"], 99))
        out[key] = fig
    print(json.dumps(out, indent=1))


class PageTables(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.operation, self.in_h2, self.row, self.cell, self.text = {}, None, False, None, None, ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h2" and (a.get("id") or "").startswith("backend-"):
            self.in_h2, self.operation = True, ""
        elif tag == "tr" and "replica-row" in (a.get("class") or ""):
            location = a["data-location"]
            self.row = {}
            key = "%s|%s|%s" % (self.operation, "" if location == "All locations" else location, a["data-replica"])
            self.tables[key] = self.row
        elif tag == "td" and self.row is not None and a.get("class"):
            self.cell, self.text = a["class"].replace("fail-", ""), ""

    def handle_data(self, data):
        if self.in_h2:
            self.operation += data
        elif self.cell:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_h2 = False
        elif tag == "td" and self.cell:
            text = self.text.strip()
            value = None if text == "–" else (int(text) if text.isdigit() else float(text))
            self.row[self.cell] = value
            self.cell = None
        elif tag == "tr":
            self.row = None


def page(path):
    parser = PageTables()
    with open(path) as f:
        parser.feed(f.read())
    print(json.dumps(parser.tables, indent=1))


def ctl(path):
    with open(path) as f:
        report = json.load(f)
    out = {}
    for row in report["rows"]:
        fig = {"all": row["all"], "fail": row["fail"], **row["fail_by_cause"], "r": row["r_percent"]}
        fig.update({k: v for k, v in row["rtt_ms"].items() if v is not None})
        out["%s|%s|%s" % (row["operation"], row["location"] or "", row["replica"])] = fig
    print(json.dumps(out, indent=1))


def compare(want_path, got_path, tolerance, prefix=""):
    with open(want_path) as f:
        want = json.load(f)
    with open(got_path) as f:
        got = json.load(f)
    problems, compared = [], 0
    for key, fig in want.items():
        if not key.startswith(prefix) or key.count("|") != 2:
            continue
        if key not in got:
            problems.append("%s: missing" % key)
            continue
        for name, value in fig.items():
            have = got[key].get(name)
            compared += 1
            if value is None or have is None:
                ok = value is None and have is None
            elif isinstance(value, int) and name not in ("r",):
                ok = have == value
            else:
                ok = abs(have - value) <= tolerance
            if not ok:
                problems.append("%s %s: want %s, got %s" % (key, name, value, have))
    if compared == 0:
        problems.append("nothing compared")
    print("\n".join(problems))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "sql":
        make_sql(sys.argv[2], sys.argv[3])
    elif command == "every":
        every(sys.argv[2])
    elif command == "page":
        page(sys.argv[2])
    elif command == "ctl":
        ctl(sys.argv[2])
    elif command == "figure":
        with open(sys.argv[2]) as f:
            print(json.load(f)[sys.argv[3]][sys.argv[4]])
    elif command == "compare":
        compare(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else "")

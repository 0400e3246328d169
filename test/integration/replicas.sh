#!/usr/bin/env bash
# replicas.sh: the replica tables on a full stack of its own, over minutes written straight into
# replica_observations (two locations, eu-west-1a and ap-east-1b; s3.get, s3.put, db.read and
# db.write over their replicas; four minutes in the last hour, some with no success, with a
# histogram or without): complaintctl replicas --json shows each location's rows as Python's
# statistics computes them from the raw samples, and the rows over every location as a sums-of-
# squares computation over the stored rows gives them; --location shows one location only; the
# admin's page (/admin/replicas) shows the same numbers, in tables per operation, and a chart with
# a bar per replica and location; the windows (1h, 1d, 7d on the page; --since T) take a minute
# exactly at their start and leave out the one before; names from the table are escaped; bad
# arguments are refused with a sentence (400, exit 2); only an admin opens the page; the page lists
# every operation's effective policy.
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 23
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
data="$top/test/integration/replicas_data.py"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
test_full_stack_up replicas ops.stats_flush_interval=1h
test_migrate

staff admin "admin.$$@example.org" "Ada Admin"
signin admin "admin.$$@example.org"
signup ann "Ann Resident" "ann.$$@example.org"

# The minute at T, three hours back, on a whole minute; the minutes of the last hour are relative
# to the server's clock.
t=$(date -u -d '-3 hours' '+%Y-%m-%d %H:%M:00')
python3 "$data" sql "$t" "$scratch/expected.json" >"$scratch/rows.sql"
# Outside the last hour: 70 minutes, 23 hours, 25 hours and 8 days back, told apart by their counts.
for ago in "70 MINUTE:1000" "23 HOUR:2000" "25 HOUR:4000" "8 DAY:8000"; do
	echo "INSERT INTO replica_observations (location, operation, replica, period_start, period_end, attempts,
	      successes, fail_timeout) VALUES ('eu-west-1a', 's3.get', 'us', UTC_TIMESTAMP(3) - INTERVAL ${ago%%:*},
	      UTC_TIMESTAMP(3) - INTERVAL ${ago%%:*} + INTERVAL 1 MINUTE, ${ago##*:}, 0, ${ago##*:});"
done >>"$scratch/rows.sql"
# An operation whose one bar is 40 ms: its chart's top is 50, its axis steps 12.5.
echo "INSERT INTO replica_observations (location, operation, replica, period_start, period_end, attempts, successes,
      rtt_mean_ms, rtt_std_ms, rtt_min_ms, rtt_max_ms) VALUES ('ap-east-1b', 'sns.publish', 'aws',
      UTC_TIMESTAMP(3) - INTERVAL 10 MINUTE, UTC_TIMESTAMP(3) - INTERVAL 9 MINUTE, 1, 1, 40, 0, 40, 40);" >>"$scratch/rows.sql"
# Names no page may pass on as markup.
cat >>"$scratch/rows.sql" <<'EOF'
INSERT INTO replica_observations (location, operation, replica, period_start, period_end, attempts, successes,
  rtt_mean_ms, rtt_std_ms, rtt_min_ms, rtt_max_ms, histogram) VALUES ('<script>alert("x")</script>', 's3.get',
  '"><svg onload=alert(1)>', UTC_TIMESTAMP(3) - INTERVAL 10 MINUTE, UTC_TIMESTAMP(3) - INTERVAL 9 MINUTE, 1, 1,
  5, 0, 5, 5, '[0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]');
EOF
sql "$(cat "$scratch/rows.sql")" || { echo "Bail out! the rows could not be inserted"; exit 1; }

# Every location's figures from the stored rows of the last hour. The stack's own complaintd
# flushes its counts each hour (and at stop), so none land between this read and the page's (at the
# default minute, a run slowed by load had its flush land there and counted on the page only).
sql "SELECT operation, replica, attempts, successes, fail_timeout, fail_connect, fail_protocol, fail_other,
     rtt_mean_ms, rtt_std_ms, rtt_min_ms, rtt_max_ms, histogram FROM replica_observations
     WHERE period_start >= UTC_TIMESTAMP(3) - INTERVAL 1 HOUR" >"$scratch/every.tsv"
python3 "$data" every "$scratch/every.tsv" >"$scratch/every.json"

replicas() { "$complaintctl" -c "$stack_dir/complaintd.conf" replicas "$@"; }
# same WANT GOT TOLERANCE [PREFIX]: every figure of WANT in GOT (diagnostics when not).
same() {
	local out
	out=$(python3 "$data" compare "$@") || { diag "$out"; return 1; }
}

# ---- complaintctl replicas ----
replicas --json >"$scratch/ctl.raw" 2>"$scratch/ctl.err"; ctl_exit=$?
python3 "$data" ctl "$scratch/ctl.raw" >"$scratch/ctl.json" 2>>"$scratch/ctl.err" || diag "$(cat "$scratch/ctl.err")"
check "complaintctl replicas --json exits 0 with JSON a parser reads" holds '[ "$ctl_exit" = 0 ] && [ -s "$scratch/ctl.json" ]'
check "each location's rows are what the raw samples give (All, Fail by cause, R%, RTT avg/std/min/max, p50, p99)" \
	same "$scratch/expected.json" "$scratch/ctl.json" 0.001
check "the rows over every location are what the stored rows give, summed another way" \
	same "$scratch/every.json" "$scratch/ctl.json" 0.001
check "two locations show apart: eu-west-1a and ap-east-1b each have their s3.get/us row" \
	holds 'grep -q "\"s3.get|eu-west-1a|us\"" "$scratch/ctl.json" && grep -q "\"s3.get|ap-east-1b|us\"" "$scratch/ctl.json"'

replicas --json --location ap-east-1b >"$scratch/ap.raw" 2>"$scratch/ap.err"
python3 "$data" ctl "$scratch/ap.raw" >"$scratch/ap.json" 2>/dev/null
check "--location ap-east-1b shows that location's rows, as computed, and no other" \
	holds 'same "$scratch/expected.json" "$scratch/ap.json" 0.001 "s3.get|ap-east-1b" &&
	       ! grep -q "eu-west-1a\|\"[a-z0-9.]*||" "$scratch/ap.json"'

replicas >"$scratch/ctl.txt" 2>&1
check "without --json, a table with the paper's columns, one line per row" \
	holds 'head -n 2 "$scratch/ctl.txt" | grep -q "R%.*Avg.*Std.*Min.*Max.*p50.*p99" &&
	       grep -q "^db.write  *eu-west-1a  *primary " "$scratch/ctl.txt" && grep -q "^db.write  *(all)  *primary " "$scratch/ctl.txt"'

# The window from T holds the minute at T (4 attempts) and the last hour's, not the minute before T.
replicas --json --since "$t" --location eu-west-1a >"$scratch/t.raw" 2>"$scratch/t.err"
figure() { python3 "$data" figure "$@" 2>/dev/null; }
python3 "$data" ctl "$scratch/t.raw" >"$scratch/t.json" 2>/dev/null
hour_all=$(figure "$scratch/expected.json" "db.write|eu-west-1a|primary" all)
since_all=$(figure "$scratch/t.json" "db.write|eu-west-1a|primary" all)
check "--since T takes the minute starting at T and leaves out the one before ($since_all = $hour_all + 4)" \
	holds '[ -n "$since_all" ] && [ "$since_all" = $((hour_all + 4)) ]'

# More rows than one statement reads (2,000): three series of 900 minutes, 2 to 17 hours back,
# one success each, one of them in two segments; the chunks' boundaries fall inside a minute's rows. Each series' figures
# must be every minute's, as SQL's own AVG and STDDEV_SAMP give them over the stored RTTs.
at=$(date -u '+%Y-%m-%d %H:%M:00')
# chunk-b's minutes come from two segments of the host (its file made again): two rows a minute
# that differ only in their segment, both counted.
for series in "chunk-a:primary:" "chunk-a:standby:" "chunk-b:standby:" "chunk-b:standby:$(printf 'b%.0s' {1..32})"; do
	IFS=: read -r series_location series_replica series_segment <<<"$series"
	echo "INSERT INTO replica_observations (location, operation, replica, segment, period_start, period_end, attempts,
	      successes, rtt_mean_ms, rtt_std_ms, rtt_min_ms, rtt_max_ms)
	      WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 900)
	      SELECT '$series_location', 'db.read', '$series_replica', '$series_segment',
	             '$at' - INTERVAL 2 HOUR - INTERVAL i MINUTE,
	             '$at' - INTERVAL 2 HOUR - INTERVAL i MINUTE + INTERVAL 1 MINUTE, 1, 1,
	             1 + MOD(i * 37, 101) / 10, 0, 1 + MOD(i * 37, 101) / 10, 1 + MOD(i * 37, 101) / 10 FROM n;"
done >"$scratch/chunks.sql"
sql "$(cat "$scratch/chunks.sql")"
sql "SELECT CONCAT('{', GROUP_CONCAT(CONCAT('\"db.read|', location, '|', replica, '\": {\"all\": ', n, ', \"avg\": ', avg,
     ', \"std\": ', std, '}')), '}') FROM (SELECT location, replica, COUNT(*) AS n, AVG(rtt_mean_ms) AS avg,
     STDDEV_SAMP(rtt_mean_ms) AS std FROM replica_observations WHERE location LIKE 'chunk-%' GROUP BY location, replica) AS s" \
	>"$scratch/chunks.json"
replicas --json --since 1d >"$scratch/day.raw" 2>"$scratch/day.err"
python3 "$data" ctl "$scratch/day.raw" >"$scratch/day.json" 2>/dev/null
check "3,600 observations, more than one read, two segments' in one minute: every one counted once, avg and std as SQL's AVG and STDDEV_SAMP give them" \
	holds 'grep -q "chunk-b|standby\": {\"all\": 1800" "$scratch/chunks.json" && same "$scratch/chunks.json" "$scratch/day.json" 0.001'

bad_since() { replicas --since "$1" >"$scratch/bad.out" 2>&1; [ $? = 2 ] && grep -q -- "--since" "$scratch/bad.out"; }
check "--since 1y, 2026-02-31 and a time tomorrow: exit 2 with a sentence naming --since" \
	holds 'bad_since 1y && bad_since 2026-02-31 && bad_since "$(date -u -d tomorrow +%Y-%m-%d)"'
check "an unexpected argument or an empty --location: exit 2, nothing read" \
	holds 'replicas eu-west-1a >/dev/null 2>&1; [ $? = 2 ] && { replicas --location "" >"$scratch/bad.out" 2>&1; [ $? = 2 ]; } &&
	       grep -q -- "--location" "$scratch/bad.out"'

# ---- the page ----
get admin /admin/replicas
page_status=$status
printf '%s' "$body" >"$scratch/page.html"
python3 "$data" page "$scratch/page.html" >"$scratch/page.json"
check "the admin's /admin/replicas answers 200, the last hour by default" \
	holds '[ "$page_status" = 200 ] && grep -q "Last hour" <<<"$(visible_text "$body")"'
check "the page's per-location rows are what the raw samples give (to its two decimals)" \
	same "$scratch/expected.json" "$scratch/page.json" 0.006
check "the page's rows over every location are what the stored rows give" \
	same "$scratch/every.json" "$scratch/page.json" 0.006
check "a table and a chart per operation: an SVG image with a bar per replica and location, no script" \
	holds '[ "$(grep -c "<h2 id=\"backend-" <<<"$body")" -ge 4 ] &&
	       [ "$(grep -c "<svg viewBox=\"0 0 [0-9]* [0-9]*\" role=\"img\"" <<<"$body")" -ge 4 ] &&
	       grep -q "<title>jp from ap-east-1b: [0-9.]* ms</title>" <<<"$body" && ! grep -qi "<script" <<<"$body"'
# Each chart's five axis labels, read in order: 0 and four equal steps to the top, each exact
# (a step of 12.5 shows as 12.5, not 12).
axis_exact() {
	python3 -c '
import re, sys
from fractions import Fraction
charts = re.findall(r"<svg viewBox=[^>]*role=\"img\".*?</svg>", sys.stdin.read(), re.S)
assert charts, "no chart"
for chart in charts:
    labels = [Fraction(x) for x in re.findall(r"text-anchor=\"end\"[^>]*>([0-9.]+)</text>", chart)]
    assert len(labels) == 5 and labels[0] == 0, labels
    assert all(labels[k] == labels[4] * k / 4 for k in range(5)), labels
' <<<"$body"
}
check "each chart's axis is labelled 0 and four exact equal steps (sns.publish's: 12.5, 25, 37.5, 50)" \
	holds 'axis_exact && grep -q ">37.5</text>" <<<"$body"'
check "the page lists each operation's effective policy, defaults expanded over the replicas, with its timeouts" \
	holds 'grep -q "<code>s3.get</code>: <code>seq(us, jp, de)</code> (attempt_timeout 2s, deadline 6s)" <<<"$body" &&
	       grep -q "<code>db.write</code>: <code>retry(2, seq(primary, standby))</code>" <<<"$body"'
avg_text=$(printf '%.2f' "$(figure "$scratch/expected.json" "s3.get|eu-west-1a|de" avg)")
check "a bar's label is its table's average (s3.get de from eu-west-1a: $avg_text ms)" \
	holds 'grep -q "<title>de from eu-west-1a: $avg_text ms</title>" <<<"$body"'
check "names from the table are escaped in the table and the chart" \
	holds 'grep -q "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" <<<"$body" && grep -q "&quot;&gt;&lt;svg onload=alert(1)&gt;" <<<"$body" &&
	       ! grep -q "<svg onload" <<<"$body" && ! grep -q "<script>alert" <<<"$body"'

# The windows: the minutes 70 minutes (1,000 attempts) and 23 hours (2,000) back are in the day,
# 25 hours (4,000) in the week, 8 days (8,000) in none.
page_all() {
	get admin "/admin/replicas?window=$1"
	printf '%s' "$body" >"$scratch/window.html"
	python3 "$data" page "$scratch/window.html" >"$scratch/window.json"
	figure "$scratch/window.json" "s3.get|eu-west-1a|us" all
}
hour=$(figure "$scratch/expected.json" "s3.get|eu-west-1a|us" all)
day=$(page_all 1d) week=$(page_all 7d) last_hour=$(page_all 1h)
check "windows: the hour $last_hour = $hour, the day $day = +3000, the week $week = +7000" \
	holds '[ "$last_hour" = "$hour" ] && [ "$day" = $((hour + 3000)) ] && [ "$week" = $((hour + 7000)) ]'
get admin "/admin/replicas?window=1w"
check "an unknown window: 400 with a sentence naming the windows" \
	holds '[ "$status" = 400 ] && grep -q "1h (the last hour), 1d (the last day) or 7d" <<<"$body"'
get admin /admin/replicas
check "the page names its windows as links, the current one marked" \
	holds 'grep -q "<a href=\"/admin/replicas?window=7d\">Last week</a>" <<<"$body" &&
	       grep -q "window=1h\" aria-current=\"page\"" <<<"$body"'

get ann /admin/replicas
check "a resident gets 403" holds '[ "$status" = 403 ]'
get - /admin/replicas
check "signed out: sent to sign in" holds '[ "$status" = 303 ] && [[ "$location" == */signin?next=/admin/replicas ]]'

#!/usr/bin/env bash
# observations.sh: every host's replica statistics reach replica_observations, each attempt once.
# On a full stack whose S3 replica "de" sits behind replfault's TCP proxy and is read first
# (s3.get = seq(de, us, jp)), with the timer flushing each second: photo views through nginx show
# up as s3.get rows of the host's location with exactly as many successes as nginx answered, and
# the database and S3 operations the app ran have rows too; a second host of another location on
# the same database (flushing only at its stop) writes its own rows, and at its stop exactly its
# views; with the primary down no flush is written and the timer says it keeps the counts, and
# once it is back one longer period holds the views made meanwhile, nothing twice (the periods of
# each row add up to the marks); a timer killed and restarted counts nothing again, nor do three
# timers racing to flush one segment (two more masters on the same file), whose losers write
# nothing and log no error; the replica
# made slow (500 ms per connection, the proxy's delay) shows an RTT of at least 500 ms within two
# flush periods (with a tenfold margin), in the table, in /metrics (its latency histogram gains
# observations in a bucket of 0.5 s or more: the proxy delays a connection once and librepl's curl
# reuses connections, so only the histogram and the maximum can show it, not the mean) and in
# complaintctl replicas --json (its max RTT).
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 17
replfault=${REPLFAULT_BINARY:-$test_var/build-asan/replication/tools/replfault}
[ -x "$replfault" ] || { echo "Bail out! no replfault at $replfault (set REPLFAULT_BINARY)"; exit 1; }
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
scratch=$(mktemp -d)
proxy_pid=
twin_pids=()
base2=
dir2=
observations_cleanup() {
	[ -n "$proxy_pid" ] && kill -TERM "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
	local pid
	for pid in "${twin_pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
	[ -n "$dir2" ] && stack_stop "$dir2"
	[ -n "$base2" ] && stack_release_base "$base2"
	rm -rf "$scratch"
	test_stack_cleanup
}
trap observations_cleanup EXIT

# The proxy's delay per connection, from a profile of its own: 1 ms, then 500 ms.
printf '%s\n' "location,replica,fail_rate_pct,fail,all,rtt_avg,rtt_std,rtt_min,rtt_max,prot_avg,prot_std" \
	"fast,de,0,0,1000,1,0,1,1,," "slow,de,0,0,1000,500,0,500,500,," >"$scratch/profile.csv"
# proxy LOCATION: (re)starts the proxy in front of de's S3 server on port base + 15.
proxy() {
	[ -n "$proxy_pid" ] && { kill -TERM "$proxy_pid"; wait "$proxy_pid" 2>/dev/null; }
	"$replfault" --profile "$scratch/profile.csv" --location "$1" --seed 1 \
		--proxy "de=$((stack_base + 15)):127.0.0.1:$(stack_port "$stack_base" s3-de)" \
		>"$scratch/proxy-$1.out" 2>"$scratch/proxy-$1.err" &
	proxy_pid=$!
	wait_until 5000 grep -q '^replfault ready' "$scratch/proxy-$1.out" || { echo "Bail out! replfault did not start"; exit 1; }
}

s3_bucket=complaints
test_full_stack_up observations location=eu-west-1a ops.stats_flush_interval=1s \
	"s3.replicas=us=http://127.0.0.1:@PORT3@/$s3_bucket, jp=http://127.0.0.1:@PORT4@/$s3_bucket, de=http://127.0.0.1:@PORT15@/$s3_bucket" \
	"s3.get=seq(de, us, jp)"
proxy fast
test_migrate

sql_root() { mariadb_sql "$stack_dir" primary root "$@"; }
# successes LOCATION OPERATION: the s3.get (or other) successes of a location's rows, all replicas.
successes() {
	sql_root "SELECT COALESCE(SUM(successes), 0) FROM complaints.replica_observations
		WHERE location = '$1' AND operation = '$2'"
}
successes_are() { [ "$(successes "$1" "$2")" = "$3" ]; }
# views BROWSER N [URL]: N views of the filed photo; nginx_views: nginx's own count of them (200s).
views() {
	local i saved=$url
	url=${3:-$url}
	for ((i = 0; i < $2; i++)); do get "$1" "/complaints/$filed/photo"; done
	url=$saved
}
nginx_views() { grep -c "\"GET /complaints/$filed/photo HTTP/1.1\" 200 " "$1/nginx/access.log"; }

signup_unconfirmed ann "Ann Reporter" "ann.$$@example.org"
file_complaint ann
# A quorum put may leave a replica without the photo for the repair child: views count from
# when all three have it.
repairs_done() { [ "$(sql_root "SELECT COUNT(*) FROM complaints.photo_repairs")" = 0 ]; }
wait_until 30000 repairs_done || diag "photo repairs still queued"
sleep 2  # two flushes: what the filing and the repairs counted is written
before=$(successes eu-west-1a s3.get)

# ---- 1. what the app did, by location, operation and replica ----
views ann 25
wait_until 20000 successes_are eu-west-1a s3.get $((before + 25))
check "25 photo views (nginx answered $(nginx_views "$stack_dir")): s3.get rows of eu-west-1a gained exactly 25 successes ($before -> $(successes eu-west-1a s3.get))" \
	holds '[ "$(successes eu-west-1a s3.get)" = $((before + 25)) ] && [ "$(nginx_views "$stack_dir")" = 25 ]'
check "they were read from de, the policy's first replica, through its proxy" \
	holds '[ "$(sql_root "SELECT SUM(successes) FROM complaints.replica_observations WHERE location = '"'eu-west-1a'"'
		AND operation = '"'s3.get'"' AND replica = '"'de'"'")" -ge 25 ]'
rows=$(sql_root "SELECT DISTINCT CONCAT(operation, '/', replica) FROM complaints.replica_observations
	WHERE location = 'eu-west-1a' ORDER BY 1" | tr '\n' ' ')
# quorum(2, s3) cancels the third put once two succeeded (a loser is not counted): that replica
# got the photo from the repair child, counted as s3.repair.
stored_everywhere() {
	local r
	for r in us jp de; do [[ " $rows" == *" s3.put/$r "* || " $rows" == *" s3.repair/$r "* ]] || return 1; done
	[ "$(grep -o "s3.put/" <<<"$rows" | wc -l)" -ge 2 ]
}
check "the filing's rows are there too: db.write, db.primary, s3.put on two replicas or three, s3.repair on the rest ($rows)" \
	holds '[[ " $rows" == *" db.primary/primary "* && " $rows" == *" db.write/primary "* ]] && stored_everywhere'

# ---- 2. a second host of another location on the same database ----
base2=$(stack_claim_base $$) || { echo "Bail out! no second port base"; exit 1; }
dir2="$test_var/stacks/observations-b-$base2"
rm -rf "$dir2"; mkdir -p "$dir2"
# It flushes only when it stops (an hour's interval): its rows prove the stop's flush. Its own
# segment, as another host has.
sed -e "s|^listen = .*|listen = /tmp/complaintd-$base2/fcgi.sock|" -e "s|^location = .*|location = us-east-1b|" \
	-e "s|^stats_flush_interval = .*|stats_flush_interval = 1h|" -e "s|^stats_file = .*|stats_file = $dir2/complaintd.stats|" \
	"$stack_dir/complaintd.conf" >"$dir2/complaintd.conf"
stack_start "$dir2" "$base2" "$binary" || { echo "Bail out! the second host did not start"; exit 1; }
a_before=$(successes eu-west-1a s3.get)
views ann 7 "http://127.0.0.1:$base2"
sleep 3
check "while it runs, the second host (us-east-1b, flushing hourly) has no rows; eu-west-1a did not gain its 7 views" \
	holds '[ "$(sql_root "SELECT COUNT(*) FROM complaints.replica_observations WHERE location = '"'us-east-1b'"'")" = 0 ] &&
		[ "$(successes eu-west-1a s3.get)" = "$a_before" ]'
stack_stop "$dir2"
check "stopped, it flushed: us-east-1b has exactly its 7 s3.get successes (nginx answered $(nginx_views "$dir2")), eu-west-1a still $a_before" \
	holds '[ "$(successes us-east-1b s3.get)" = 7 ] && [ "$(nginx_views "$dir2")" = 7 ] && [ "$(successes eu-west-1a s3.get)" = "$a_before" ]'
check "the two hosts are two segments, each with its location" \
	holds '[ "$(sql_root "SELECT COUNT(DISTINCT segment) FROM complaints.replica_segments WHERE location IN ('"'eu-west-1a', 'us-east-1b'"')")" = 2 ]'

# ---- 3. the database down: the counts wait, then come once ----
before=$(successes eu-west-1a s3.get)
log_lines=$(wc -l <"$stack_dir/complaintd.log")
down_db=$(sql_root "SELECT UTC_TIMESTAMP(3)")
"$top/packaging/stackctl" stop-primary "$stack_dir" >/dev/null 2>&1
down_at=$(date +%s%N)
views ann 9
sleep 3
not_flushed=$(tail -n +"$log_lines" "$stack_dir/complaintd.log" | grep -c "timer: replica statistics not flushed")
"$top/packaging/stackctl" start-primary "$stack_dir" >/dev/null 2>&1
down_ms=$((($(date +%s%N) - down_at) / 1000000))
check "with the primary down the 9 views were served (nginx: $(($(nginx_views "$stack_dir") - 25)) more), and the timer logged $not_flushed flushes kept for later" \
	holds '[ "$(nginx_views "$stack_dir")" = 34 ] && [ "$not_flushed" -ge 1 ]'
wait_until 60000 successes_are eu-west-1a s3.get $((before + 9))
check "back, the next flush wrote them: exactly 9 more s3.get successes ($before -> $(successes eu-west-1a s3.get))" \
	successes_are eu-west-1a s3.get $((before + 9))
longest=$(sql_root "SELECT COALESCE(MAX(TIMESTAMPDIFF(MICROSECOND, period_start, period_end)) DIV 1000, 0)
	FROM complaints.replica_observations WHERE location = 'eu-west-1a' AND operation = 's3.get' AND period_end > '$down_db'")
check "as one period spanning the outage (${longest} ms, the primary was down ${down_ms} ms)" \
	holds '[ "$longest" -ge 3000 ]'
mismatched=$(marks_mismatched)
marks=$(sql_root "SELECT COUNT(*) FROM complaints.replica_marks")
check "nothing twice: each of the $marks marks equals the sum of its periods ($mismatched differ)" \
	holds '[ "$mismatched" = 0 ] && [ "$marks" -gt 0 ]'

# ---- 4. a timer killed and restarted counts nothing again ----
timer_pid() { for p in $(pgrep -P "$(cat "$stack_dir/complaintd.pid")"); do [ "$(cat "/proc/$p/comm")" = timer ] && echo "$p"; done; }
before=$(successes eu-west-1a s3.get)
views ann 5
old_timer=$(timer_pid)
kill -KILL "$old_timer"
wait_until 10000 bash -c '[ -n "$(for p in $(pgrep -P "$1"); do [ "$(cat /proc/$p/comm)" = timer ] && [ "$p" != "$2" ] && echo "$p"; done)" ]' \
	_ "$(cat "$stack_dir/complaintd.pid")" "$old_timer"
wait_until 30000 successes_are eu-west-1a s3.get $((before + 5))
sleep 3
check "a timer killed (pid $old_timer) and restarted ($(timer_pid)): the 5 views counted once ($before -> $(successes eu-west-1a s3.get))" \
	successes_are eu-west-1a s3.get $((before + 5))

# ---- 5. timers racing to flush one segment: each attempt once ----
# Two twin masters on host 1's own segment and location, flushing every 100 ms: their timers and
# host 1's race to flush the same totals, as a reload's old and new timers do, or a flush after a
# lost answer.
twin_pids=()
before=$(successes eu-west-1a s3.get)
log_lines=$(wc -l <"$stack_dir/complaintd.log")
flushes_before=$(sql_root "SELECT SUM(flushes) FROM complaints.replica_segments WHERE location = 'eu-west-1a'")
for twin in 1 2; do
	sed -e "s|^listen = .*|listen = /tmp/complaintd-$stack_base/twin$twin.sock|" \
		-e "s|^stats_flush_interval = .*|stats_flush_interval = 100ms|" "$stack_dir/complaintd.conf" >"$scratch/twin$twin.conf"
	"$binary" -c "$scratch/twin$twin.conf" </dev/null >>"$scratch/twin$twin.log" 2>&1 &
	twin_pids+=($!)
	wait_until 10000 grep -q "replica statistics in $stack_dir/complaintd.stats" "$scratch/twin$twin.log"
done
for round in 1 2 3 4 5 6; do views ann 2; sleep 0.7; done
sleep 3
for twin_pid in "${twin_pids[@]}"; do kill -TERM "$twin_pid"; wait "$twin_pid" 2>/dev/null; done
twin_pids=()
sleep 2
segments=$(sql_root "SELECT COUNT(*) FROM complaints.replica_segments WHERE location = 'eu-west-1a'")
check "three timers on one segment ($segments segment of eu-west-1a, $(($(sql_root "SELECT SUM(flushes) FROM complaints.replica_segments WHERE location = 'eu-west-1a'") - flushes_before)) flushes meanwhile): the 12 views counted once ($before -> $(successes eu-west-1a s3.get))" \
	holds '[ "$segments" = 1 ] && successes_are eu-west-1a s3.get $((before + 12))'
# The loser of a race finds the count moved and writes nothing: no error, no flush refused (a
# period written twice would be refused by the table's key, and logged).
refused=$(cat <(tail -n +"$log_lines" "$stack_dir/complaintd.log") "$scratch"/twin?.log | grep -c "replica statistics not flushed")
check "and the race's losers wrote nothing, quietly: $refused flushes refused in the three logs" [ "$refused" = 0 ]

# ---- 6. a replica made slow ----
# slow_observations OPERATION REPLICA: in the last /metrics scrape, that replica's successes in a
# latency bucket whose upper edge is 0.5 s or more (its count less the largest bucket below 0.5 s).
slow_observations() {
	awk -F'\t' -v series="operation=\"$1\",replica=\"$2\"" '
		index($1, "complaintd_replica_latency_seconds_bucket{le=\"") == 1 && index($1, "\"," series "}") {
			split($1, part, "\""); le = part[2]
			if (le != "+Inf" && le + 0 < 0.5 && le + 0 >= best) { best = le + 0; below = $2 }
		}
		$1 == "complaintd_replica_latency_seconds_count{" series "}" { count = $2 }
		END { print count - below }' "$scratch/samples"
}
scrape || { echo "Bail out! /metrics did not answer or parse"; exit 1; }
slow_before=$(slow_observations s3.get de)
before=$(successes eu-west-1a s3.get)
proxy slow
slowed_at=$(sql_root "SELECT UTC_TIMESTAMP(3)")
views ann 4
views_done=$(date +%s%N)
slow_row() {
	[ "$(sql_root "SELECT COUNT(*) FROM complaints.replica_observations WHERE location = 'eu-west-1a'
		AND operation = 's3.get' AND replica = 'de' AND period_end > '$slowed_at' AND rtt_max_ms >= 500")" -ge 1 ]
}
wait_until 20000 slow_row
shown_ms=$((($(date +%s%N) - views_done) / 1000000))
check "de made slow (500 ms per connection): a row of s3.get on de with a max RTT of 500 ms or more, ${shown_ms} ms after the views (two periods: 2000 ms; ten times that allowed)" \
	slow_row
wait_until 20000 successes_are eu-west-1a s3.get $((before + 4))
slow=$(sql_root "SELECT CONCAT(SUM(successes), ' at most ', MAX(rtt_max_ms), ' ms') FROM complaints.replica_observations
	WHERE location = 'eu-west-1a' AND operation = 's3.get' AND period_end > '$slowed_at'")
check "and the 4 views are its successes, no more ($slow)" successes_are eu-west-1a s3.get $((before + 4))

# The same slowness in /metrics (the live counts of this host) and in complaintctl replicas.
metrics_slow() { scrape && [ "$(slow_observations s3.get de)" -gt "$slow_before" ]; }
wait_until 20000 metrics_slow
metrics_ms=$((($(date +%s%N) - views_done) / 1000000))
check "/metrics: de's s3.get latency histogram gained observations in a bucket of 0.5 s or more ($slow_before -> $(slow_observations s3.get de)), ${metrics_ms} ms after the views" \
	metrics_slow
# ctl_max_rtt: the max RTT of s3.get on de from eu-west-1a since the proxy was made slow, as
# complaintctl replicas --json prints it; fails below 500 ms.
since=${slowed_at%.*}
ctl_max_rtt() {
	"$complaintctl" -c "$stack_dir/complaintd.conf" replicas --json --location eu-west-1a --since "${since/ /T}Z" 2>"$scratch/ctl.err" |
		python3 -c 'import json, sys
rows = [r for r in json.load(sys.stdin)["rows"] if (r["operation"], r["location"], r["replica"]) == ("s3.get", "eu-west-1a", "de")]
top = max([r["rtt_ms"]["max"] or 0 for r in rows] or [0])
print(top)
sys.exit(0 if top >= 500 else 1)'
}
wait_until 20000 ctl_max_rtt >/dev/null
ctl_ms=$((($(date +%s%N) - views_done) / 1000000))
check "complaintctl replicas --json --since ${since/ /T}Z: s3.get on de from eu-west-1a has a max RTT of $(ctl_max_rtt) ms (500 or more), ${ctl_ms} ms after the views" \
	holds 'ctl_max_rtt >/dev/null'

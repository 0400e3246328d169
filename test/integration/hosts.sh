#!/usr/bin/env bash
# hosts.sh: two complaintd hosts (stackctl up --hosts 2) behind one nginx upstream, on one database
# and S3 set, each with its own config, socket and location; one host SIGKILLed (its master and
# every process of it, frozen first so that filings are in flight on it) while wrk reads pages and
# residents file complaints: every GET is answered, every filing is answered 303 and exists exactly
# once (none lost, none doubled: nginx sends a filing whose host died to the other, and its submit
# token makes the second one find the first); the killed host, started again, takes requests again.
# shellcheck disable=SC2016
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 14
scratch=$(mktemp -d)
wrk_pid=
hosts_cleanup() {
	[ -n "$wrk_pid" ] && kill "$wrk_pid" 2>/dev/null
	rm -rf "$scratch"
	test_stack_cleanup
}
trap hosts_cleanup EXIT
# Deadlines far over the stack's: at a load of 30 two filings' S3 puts missed 2 s, and a filing
# waiting for a row lock of the frozen host (below) must outlast the freeze.
test_full_stack_up hosts --hosts 2 ops.stats_flush_interval=1s s3.attempt_timeout=20s s3.deadline=60s \
	db.attempt_timeout=10s db.deadline=30s
test_migrate
stackctl="$top/packaging/stackctl"

# ---- two hosts, one upstream ----
host2="$stack_dir/host-2"
check "each host has its own config: its own socket, location and stats segment, the same database and S3 set" holds '
	grep -qx "listen = /tmp/complaintd-$stack_base/fcgi.sock" "$stack_dir/complaintd.conf" &&
	grep -qx "listen = /tmp/complaintd-$stack_base/fcgi-2.sock" "$host2/complaintd.conf" &&
	grep -qx "location = host-1" "$stack_dir/complaintd.conf" && grep -qx "location = host-2" "$host2/complaintd.conf" &&
	grep -qx "stats_file = $stack_dir/complaintd.stats-2" "$host2/complaintd.conf" &&
	[ "$(grep -Ev "^(#|listen|location|stats_file) " "$stack_dir/complaintd.conf")" = "$(grep -Ev "^(#|listen|location|stats_file) " "$host2/complaintd.conf")" ]'
check "nginx's one upstream names both hosts' sockets" holds '
	grep -q "server unix:/tmp/complaintd-$stack_base/fcgi.sock; " "$stack_dir/nginx/site.conf" &&
	grep -q "server unix:/tmp/complaintd-$stack_base/fcgi-2.sock;" "$stack_dir/nginx/site.conf"'
# answered_by N: the sorted, distinct locations of N answers of /healthz, one line.
answered_by() {
	for _ in $(seq "$1"); do curl -s "$url/healthz"; echo; done | grep -o '"location":"[^"]*"' | sort -u | tr '\n' ' '
}
locations=$(answered_by 20)
check "nginx shares requests between both hosts (20 answers of /healthz name host-1 and host-2)" \
	[ "$locations" = '"location":"host-1" "location":"host-2" ' ]
diag "locations: $locations"

# ---- one host killed under load ----
# Four residents file one complaint after another while wrk reads the home page; once a third of
# the filings are answered, host 1 freezes (SIGSTOP: its connections wait, unanswered) while a
# fifth resident posts filings whose forms were read before, so that some of them are sent to the
# frozen host, and then dies (SIGKILL of its master and every process of it).
residents=4 per_resident=8 probes=6
for ((i = 1; i <= residents; i++)); do signup "r$i" "Resident $i" "r$i.$$@example.org"; done
signup p "Resident P" "p.$$@example.org"
# filing_as NAME BROWSER MARKER: in a subshell with a scratch directory of its own (fetch's files)
# and the browser's cookie jar, files as BROWSER (its form read now, or the one in form_token if
# set) and appends "MARKER STATUS ID" to $scratch/filed.NAME.
filing_as() {
	local name=$1 browser=$2 marker=$3
	local out="$scratch/filed.$name" jar="$scratch/$browser.jar"
	scratch="$scratch/$name"
	mkdir -p "$scratch" && cp "$jar" "$scratch/"
	[ -n "${form_token:-}" ] || filing_form "$browser"
	filing_post "$browser" water_leak "Lamp out on Mill Lane, $marker" || true
	echo "$marker $status ${filed:-0}" >>"$out"
}
# filer I: resident I files per_resident complaints one after another, each with its own marker.
filer() {
	local j
	for ((j = 1; j <= per_resident; j++)); do (filing_as "r$1" "r$1" "hosts$$-r$1-n$j"); done
}
filings=$((residents * per_resident + probes))
answered() { cat "$scratch"/filed.r* 2>/dev/null | wc -l; }
wrk_out="$scratch/wrk.out"
# Deadlines with a wide margin: wrk's own timeout (2 s by default) would count a slow answer on a
# loaded machine as an error.
wrk -t1 -c4 -d40s --timeout 30s "$url/" >"$wrk_out" 2>&1 &
wrk_pid=$!
filer_pids=()
for ((i = 1; i <= residents; i++)); do filer "$i" & filer_pids+=($!); done
probe_tokens=()
for ((k = 1; k <= probes; k++)); do filing_form p; probe_tokens+=("$form_token"); done
killed_third() { [ "$(answered)" -ge $((residents * per_resident / 3)) ]; }
check "a third of the filings are answered before the kill" wait_until 120000 killed_third
victim=$(cat "$stack_dir/complaintd.pid")
victims="$victim $(pgrep -P "$victim" | tr '\n' ' ')"
# shellcheck disable=SC2086 # one pid per word
kill -STOP $victims
for ((k = 1; k <= probes; k++)); do
	(form_token=${probe_tokens[k - 1]} filing_as "p$k" p "hosts$$-p-n$k") & filer_pids+=($!)
done
# The requests nginx sends to host 1 now wait in its socket's accept queue. The freeze stays short:
# a worker frozen inside a transaction holds its row locks (a filing's photo_repairs row, which
# every filing of the same photo wants) until the kill ends its connection.
queued() { ss -xlH | awk -v path="/tmp/complaintd-$stack_base/fcgi.sock" '$5 == path {print $3}'; }
held() { [ "$(queued)" -ge 6 ]; }
wait_until 20000 held || diag "host 1's queue held $(queued) connections when it died"
"$stackctl" kill-host "$stack_dir" 1
gone() { for pid in $victims; do kill -0 "$pid" 2>/dev/null && return 1; done; return 0; }
check "host 1's master and every process of it are gone (SIGKILL)" wait_until 5000 gone
wait "${filer_pids[@]}"
# nginx's lines for a filing it had sent to host 1 when the host died (not a refused connect): the
# case the filing location's non_idempotent is for (without it, those filings get 502).
passed_on() { grep -E 'request: "POST /complaints ' "$stack_dir/nginx/error.log" | grep -Evc 'connect\(\) to|temporarily disabled'; }
check "filings were in flight on host 1 when it died, sent and unanswered ($(passed_on) nginx lines)" [ "$(passed_on)" -ge 1 ]
diag "$(grep -E 'request: "POST /complaints ' "$stack_dir/nginx/error.log" | grep -Ev 'connect\(\) to|temporarily disabled' | sed 's/, client.*request:/ /' | head -n 3)"
check "after the kill, host 2 answers every request (20 of /healthz)" \
	[ "$(answered_by 20)" = '"location":"host-2" ' ]
wait "$wrk_pid"; wrk_pid=
diag "$(grep -E 'requests in|Non-2xx|Socket errors' "$wrk_out")"
check "wrk's GETs were answered through the kill" grep -qE '^ +[0-9]+ requests in' "$wrk_out"
check "wrk saw 0 non-2xx answers and 0 socket errors" bash -c '! grep -qE "Non-2xx|Socket errors" "$1"' _ "$wrk_out"
LC_ALL=C sort "$scratch"/filed.* >"$scratch/filed"
check "every one of the $filings filings was answered 303 with its complaint" \
	[ "$(awk '$2 == 303 && $3 > 0' "$scratch/filed" | wc -l)" = "$filings" ]
diag "$(awk '$2 != 303' "$scratch/filed" | head -n 5)"
# The rows, one line "MARKER ID" each, from the database.
sql "SELECT SUBSTRING_INDEX(description, ', ', -1) AS marker, id FROM complaints
	WHERE description LIKE 'Lamp out on Mill Lane, hosts$$-%'" | tr '\t' ' ' | LC_ALL=C sort >"$scratch/rows"
check "every answered filing is exactly the complaint it was answered with (0 lost)" \
	[ "$(awk '$2 == 303 {print $1, $3}' "$scratch/filed")" = "$(cat "$scratch/rows")" ]
# Each host counted its own S3 puts in its own segment, flushed by its timer under its location.
put_locations() { sql "SELECT GROUP_CONCAT(DISTINCT location ORDER BY location) FROM replica_observations
	WHERE operation = 's3.put' AND attempts > 0"; }
check "replica_observations has the S3 puts of host-1 and of host-2, each under its location" \
	holds '[ "$(put_locations)" = host-1,host-2 ]'
diag "s3.put observed at: $(put_locations)"
check "no filing is doubled (each marker in one row at most: $(wc -l <"$scratch/rows") rows)" \
	holds '[ -z "$(awk "{print \$1}" "$scratch/rows" | uniq -d)" ]'

# ---- the host comes back ----
COMPLAINTD_BINARY=$binary "$stackctl" start-host "$stack_dir" 1
back() { [ "$(answered_by 10)" = '"location":"host-1" "location":"host-2" ' ]; }
# nginx leaves a failed host for fail_timeout (10 s), then tries it again.
check "host 1 started again takes requests again (within 30 s)" wait_until 30000 back

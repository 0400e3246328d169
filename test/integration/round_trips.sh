#!/usr/bin/env bash
# round_trips.sh: what each page costs the database, counted, not timed. On a full stack of its
# own (reads standby first, db.read=seq(standby, primary); one worker, so one warm-up request
# warms every connection; the photo-repair child and the notifier polling once an hour, so only
# their start-up passes, before any count, reach the servers), a resident with 200 complaints, one of them with 20
# history rows, asks each page 100 times, and every command the page sent to each MariaDB server
# is read from the servers' own status counters (SHOW GLOBAL STATUS: Com_begin, Com_commit,
# Com_select, Com_stmt_prepare/execute/close, ...; the counters' own read subtracted) and asserted
# exactly per request: a change that adds a round trip to a page fails here.
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 11
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
trap 'test_stack_cleanup; rm -rf "$scratch"' EXIT
test_full_stack_up round-trips workers=1 'db.read=seq(standby, primary)' s3.repair_interval=60m \
	notify.interval=60m
"$complaintctl" -c "$stack_dir/complaintd.conf" migrate --migrations "$top/db/migrations" >"$scratch/migrate.out" 2>&1 || {
	echo "Bail out! complaintctl migrate failed"; diag "$(cat "$scratch/migrate.out")"; exit 1; }
sql() { "$top/packaging/stackctl" sql "$stack_dir" "$@"; }

# ---- the resident (test/resident.sh) ----
# shellcheck source=test/resident.sh
source "$top/test/resident.sh"
resident_seed "$top/packaging/stackctl" "$stack_dir" "$url" "$scratch/resident.jar" || {
	echo "Bail out! the resident could not be made"; exit 1; }
complaint=$resident_complaint

# ---- the servers' counters ----
counters=(Com_begin Com_commit Com_rollback Com_select Com_insert Com_update Com_delete Com_set_option
	Com_stmt_prepare Com_stmt_execute Com_stmt_close Com_stmt_reset Connections)
# counters_of SERVER: "NAME=VALUE ..." of the counters above, in their order.
counters_of() {
	local list; list=$(printf "'%s'," "${counters[@]}")
	sql "$1" root "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
		WHERE VARIABLE_NAME IN (${list%,})" |
		awk -v order="${counters[*]}" '{ value[tolower($1)] = $2 }
			END { n = split(order, names, " "); for (i = 1; i <= n; i++) printf "%s=%s ", names[i], value[tolower(names[i])] }'
}
# minus AFTER BEFORE [OVERHEAD]: "NAME=AFTER-BEFORE-OVERHEAD ..." for each counter.
minus() {
	awk -v a="$1" -v b="$2" -v o="${3:-}" 'BEGIN {
		n = split(a, after, " "); split(b, before, " "); split(o, overhead, " ")
		for (i = 1; i <= n; i++) {
			split(after[i], x, "="); split(before[i], y, "="); split(overhead[i], z, "=")
			printf "%s=%d ", x[1], x[2] - y[2] - z[2]
		}
	}'
}
# The counters' own read, on each server: what two reads in a row differ by.
declare -A overhead
for server in primary standby; do
	first=$(counters_of "$server")
	overhead[$server]=$(minus "$(counters_of "$server")" "$first")
done
diag "reading the counters costs, on the primary: ${overhead[primary]}" "on the standby: ${overhead[standby]}"

# expected PER-REQUEST-PAIRS...: "NAME=N ..." for 100 requests, N = 100 x the pair's count (0 if
# not named).
expected() {
	local name pair count line=
	for name in "${counters[@]}"; do
		count=0
		for pair in "$@"; do [ "${pair%%=*}" = "$name" ] && count=$((${pair#*=} * 100)); done
		line+="$name=$count "
	done
	echo "$line"
}

# count BROWSER PATH: warms the page up (three requests), then asks it 100 times over one
# keep-alive connection; sets answers (the distinct statuses) and sent_primary, sent_standby
# (what the 100 requests sent each server).
count() {
	local browser=$1 path=$2 jar=() urls=() i server before_primary before_standby
	[ "$browser" != - ] && jar=(-b "$scratch/$browser.jar")
	for ((i = 0; i < 100; i++)); do urls+=(-o /dev/null "$url$path"); done
	curl -s "${jar[@]}" "${urls[@]:0:9}"
	before_primary=$(counters_of primary)
	before_standby=$(counters_of standby)
	answers=$(curl -s -w '%{http_code}\n' "${jar[@]}" "${urls[@]}" | sort -u | tr '\n' ' ')
	sent_primary=$(minus "$(counters_of primary)" "$before_primary" "${overhead[primary]}")
	sent_standby=$(minus "$(counters_of standby)" "$before_standby" "${overhead[standby]}")
}

# route NAME BROWSER PATH PRIMARY-PAIRS -- STANDBY-PAIRS: counts the page; one check per server.
route() {
	local name=$1 browser=$2 path=$3; shift 3
	local primary=() standby=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do primary+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	standby=("$@")
	# A session is touched (one write) when last seen over a minute ago: seen now, so no page
	# of this count touches it.
	sql primary root "UPDATE complaints.sessions SET last_seen_at = UTC_TIMESTAMP(3)"
	count "$browser" "$path"
	local want_primary want_standby
	want_primary=$(expected "${primary[@]}")
	want_standby=$(expected "${standby[@]}")
	check "$name x100 answers 200 and sends the primary per request: ${primary[*]:-nothing}" \
		[ "$answers $sent_primary" = "200  $want_primary" ]
	[ "$sent_primary" = "$want_primary" ] || diag "the primary got: $sent_primary"
	check "$name x100 sends the standby per request: ${standby[*]:-nothing}" [ "$sent_standby" = "$want_standby" ]
	[ "$sent_standby" = "$want_standby" ] || diag "the standby got: $sent_standby"
}

get resident /account
check "the signed-up resident's browser is signed in (GET /account: $status)" [ "$status" = 200 ]
# timeline_entries: the entries of the last page's timeline.
timeline_entries() { grep -c '^ *<li><time>' <<<"$body"; }
get resident "/complaints/$complaint"
check "the complaint's page shows its 20 history rows, oldest first ($status)" \
	[ "$status $(timeline_entries) $(grep -o 'step [0-9]*' <<<"$body" | sed -n '1p;$p' | tr '\n' ' ')" = "200 20 step 1 step 20 " ]
get resident "/complaints/$((complaint - 1))"
check "a complaint without history has a page with an empty timeline ($status)" \
	[ "$status $(timeline_entries)" = "200 0" ]

# The session is read on the primary (db.primary); the page's own read goes to the standby, which
# has the session's write: each is one COM_STMT_EXECUTE of a statement prepared in the warm-up,
# without a transaction, a position query or a close: two round trips a page.
route "GET / without a session" - / --
route "GET /account" resident /account Com_select=1 Com_stmt_execute=1 -- Com_select=1 Com_stmt_execute=1
route "GET /complaints (20 of 200)" resident /complaints Com_select=1 Com_stmt_execute=1 -- \
	Com_select=1 Com_stmt_execute=1
# The complaint, its history (with the actors' names) and its updates (internal notes for staff
# only): one SELECT (the complaint joined with a UNION ALL of the two), so one snapshot without a
# transaction, and one round trip like the other pages.
route "GET /complaints/{id} (20 history rows)" resident "/complaints/$complaint" Com_select=1 Com_stmt_execute=1 -- \
	Com_select=1 Com_stmt_execute=1

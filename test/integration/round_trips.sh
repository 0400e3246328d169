#!/usr/bin/env bash
# round_trips.sh: what each page costs the database, counted, not timed. On a full stack of its
# own (reads standby first, db.read=seq(standby, primary); one worker, so one warm-up request
# warms every connection; the photo-repair child and the notifier polling once an hour, so only
# their start-up passes, before any count, reach the servers; the timer child stopped during each count), a resident
# with 200 complaints, one of them with 20 history rows, asks each page 100 times, and every
# command the page sent to each MariaDB server is read from the servers' own status counters (SHOW
# GLOBAL STATUS: Com_begin, Com_commit, Com_select, Com_stmt_prepare/execute/close, ...; the
# counters' own read subtracted) and asserted exactly per request: a change that adds a round trip
# to a page fails here. The staff of
# test/bench/staff.sh add the agent console (an agent with 200 assigned complaints), the admin's
# queue (two filters, their rows, counts, agents and categories kept by the worker; a page read
# anew through a later link) and 100
# assignments by an admin, each of another submitted complaint. Last, the plan of a complaint's
# page with 4,000 updates across complaints: its updates branch reads an index on complaint_id
# (EXPLAIN's type ref), never the updates of every complaint; and the agent's console with 5,000
# more complaints assigned to the agent: its statement's plan (ANALYZE FORMAT=JSON) sorts nothing
# and examines its page's rows only, and its pages list what the order (reopened first, then due
# date, then id) gives; and, with about 2,000 of them overdue, the agent's overdue list: its plan
# reads a page and one more of each console_rank's range in order and sorts only those (at most 42
# rows), and its pages list what the order before the index (due date, then id) gives.
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 35
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
trap 'test_stack_cleanup; rm -rf "$scratch"' EXIT
test_full_stack_up round-trips workers=1 'db.read=seq(standby, primary)' s3.repair_interval=60m \
	notify.interval=60m queue.cache_max_age=1h
"$complaintctl" -c "$stack_dir/complaintd.conf" migrate --migrations "$top/db/migrations" >"$scratch/migrate.out" 2>&1 || {
	echo "Bail out! complaintctl migrate failed"; diag "$(cat "$scratch/migrate.out")"; exit 1; }
sql() { "$top/packaging/stackctl" sql "$stack_dir" "$@"; }

# ---- the resident (test/resident.sh) ----
# shellcheck source=test/resident.sh
source "$top/test/resident.sh"
resident_seed "$top/packaging/stackctl" "$stack_dir" "$url" "$scratch/resident.jar" || {
	echo "Bail out! the resident could not be made"; exit 1; }
complaint=$resident_complaint

# ---- the staff (test/bench/staff.sh): an admin, an agent with 200 assigned complaints, and 110
# submitted complaints to assign (jars $scratch/admin.jar and $scratch/agent.jar) ----
# shellcheck source=test/bench/staff.sh
source "$top/test/bench/staff.sh"
staff_seed "$top/packaging/stackctl" "$complaintctl" "$stack_dir" "$url" "$scratch" 110 || {
	echo "Bail out! the staff could not be made"; exit 1; }

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

# count_assign BROWSER: as count, for 100 assignments by the admin of BROWSER (POST
# /complaints/{id}/status action=assign, version 0), each of the next complaint of staff_pool, to
# the two agents in turn; three first to warm up. After each, the test waits for the standby to
# apply it (the primary's gtid_binlog_pos read, then MASTER_GTID_WAIT on the standby: one
# connection and one SELECT on each, subtracted like the counters' own read), so the next one's
# reads find the standby up to date, as a person's next click would: otherwise a read that finds
# the standby behind goes to the primary, and the counts depend on the machine's speed.
assign_next=${staff_pool% *}
count_assign() {
	local browser=$1 i code before_primary before_standby agents position
	read -ra agents <<<"$staff_agents"
	# The run takes a minute or more: its session must not come due for its once-a-minute touch.
	sql primary root "UPDATE complaints.sessions SET last_seen_at = UTC_TIMESTAMP(3) + INTERVAL 10 MINUTE"
	answers=
	for ((i = -3; i < 100; i++)); do
		[ "$i" = 0 ] && { before_primary=$(counters_of primary); before_standby=$(counters_of standby); }
		code=$(curl -s -o /dev/null -w '%{http_code}' -b "$scratch/$browser.jar" -H "Origin: $url" \
			--data-urlencode action=assign --data-urlencode version=0 --data-urlencode "agent=${agents[(i + 3) % 2]}" \
			--data-urlencode "csrf=$staff_status_csrf" "$url/complaints/$assign_next/status")
		assign_next=$((assign_next + 1))
		[ "$i" -ge 0 ] && answers+="$code"$'\n'
		position=$(sql primary root "SELECT @@global.gtid_binlog_pos")
		[ "$(sql standby root "SELECT MASTER_GTID_WAIT('$position', 60)")" = 0 ] || diag "the standby did not apply $position in 60 s"
	done
	answers=$(printf '%s' "$answers" | sort -u | tr '\n' ' ')
	sent_primary=$(minus "$(counters_of primary)" "$before_primary" "$(scaled "${overhead[primary]}" 101)")
	sent_standby=$(minus "$(counters_of standby)" "$before_standby" "$(scaled "${overhead[standby]}" 101)")
}
# scaled PAIRS N: each "NAME=VALUE" of PAIRS times N.
scaled() {
	awk -v pairs="$1" -v n="$2" 'BEGIN { k = split(pairs, p, " ")
		for (i = 1; i <= k; i++) { split(p[i], x, "="); printf "%s=%d ", x[1], x[2] * n } }'
}

# route NAME BROWSER PATH PRIMARY-PAIRS -- STANDBY-PAIRS: counts the page (PATH "assign": 100
# assignments, answered 303); one check per server.
route() {
	local name=$1 browser=$2 path=$3; shift 3
	local primary=() standby=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do primary+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	standby=("$@")
	# A session is touched (one write) when last seen over a minute ago: seen now, so no page
	# of this count touches it.
	sql primary root "UPDATE complaints.sessions SET last_seen_at = UTC_TIMESTAMP(3)"
	local want_primary want_standby answer=200 timer
	# The timer child reads the resolved complaints due on the primary once a minute (no switch
	# turns it off): stopped for the count, so that none of its reads is counted as the page's.
	timer=$(pgrep -P "$(cat "$stack_dir/complaintd.pid")" -x timer)
	[ -n "$timer" ] && kill -STOP "$timer" && sleep 0.2
	if [ "$path" = assign ]; then
		count_assign "$browser"; answer=303
	else
		count "$browser" "$path"
	fi
	[ -n "$timer" ] && kill -CONT "$timer"
	want_primary=$(expected "${primary[@]}")
	want_standby=$(expected "${standby[@]}")
	if [ "$path" = assign ]; then
		# Over the assignments' minute, other clients of the stack connect to the standby now and
		# then (none of them sends a statement counted here): its Connections is shown, not
		# asserted; the app's own connections are reused, as Com_stmt_prepare = 0 shows.
		diag "connections to the standby during the assignments: ${sent_standby##*Connections=}"
		sent_standby=${sent_standby/Connections=* /Connections=0 }
	fi
	check "$name x100 answers $answer and sends the primary per request: ${primary[*]:-nothing}" \
		[ "$answers $sent_primary" = "$answer  $want_primary" ]
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
# The agent's console: the session, then the list's one SELECT, like the resident's list.
route "GET /agent (20 of 200 assigned)" agent /agent Com_select=1 Com_stmt_execute=1 -- Com_select=1 Com_stmt_execute=1
route "GET /agent/overdue" agent /agent/overdue Com_select=1 Com_stmt_execute=1 -- Com_select=1 Com_stmt_execute=1
# The admin's queue, its furniture (counts per status, the agents' open counts, the categories)
# and its page's rows kept by the worker ([queue] cache_max_age, an hour here so that nothing
# straddles an expiry; the warm-up read them): the session only. A page reached by a link from a
# page read after the kept one (as_of later than it) is read anew: the session, then the page's one
# SELECT (a UNION ALL of its branches), and kept again.
route "GET /admin (the queue's first page, its rows, counts, agents and categories kept)" admin /admin \
	Com_select=1 Com_stmt_execute=1 --
route "GET /admin?overdue=1&sort=changed (another filter, kept)" admin "/admin?overdue=1&sort=changed" \
	Com_select=1 Com_stmt_execute=1 --
route "GET /admin?after=...&as_of=(later than any kept page) (its rows read anew)" admin \
	"/admin?after=2026-01-01%2000%3A00%3A00.000%2C1&as_of=999999999999999" \
	Com_select=1 Com_stmt_execute=1 -- Com_select=1 Com_stmt_execute=1
# One assignment. The primary: the session's SELECT; the change as one transaction (BEGIN, UPDATE
# complaints, SET @complaint_moved, INSERT status_track, INSERT admin_log, INSERT notifications (the
# agent's mail, in the outbox) — executes; an INSERT ... SELECT is not Com_insert —, COMMIT, then its GTID, a plain SELECT); then the session's GTID
# (BEGIN, UPDATE sessions, COMMIT, its GTID). The standby: its position (a plain SELECT: the
# session's last write is the previous assignment) and the complaint (the page's SELECT) — the
# chosen agent is checked by the UPDATE itself, and read only when the UPDATE changed nothing —;
# and the two transactions replicated from the primary (BEGIN, its UPDATE and INSERTs as the
# applier counts them, COMMIT). Nothing prepared once warm.
route "POST /complaints/{id}/status action=assign (an admin)" admin assign Com_begin=2 Com_commit=2 Com_select=3 \
	Com_update=2 Com_set_option=1 Com_stmt_execute=7 -- Com_begin=2 Com_commit=2 Com_select=2 Com_insert=3 Com_update=2 \
	Com_stmt_execute=1

# ---- the plan of a complaint's page, with many updates across complaints ----
# 4,000 updates over the resident's 200 complaints, every other one internal; the page's own
# statement, read out of the complaintd binary, explained on the standby (where `[db] read` sends
# it) for the reporter and for an admin: the updates branch (table u) finds its rows by an index
# whose first column is complaint_id, by equality (type ref).
sql primary root "USE complaints; INSERT INTO updates (complaint_id, author_id, internal, body, created_at)
	SELECT $complaint - (seq % 200), $resident_account, seq % 2, CONCAT('update ', seq), UTC_TIMESTAMP(3) - INTERVAL seq SECOND
	FROM seq_1_to_4000; ANALYZE TABLE updates" >/dev/null
# wait_standby QUERY: waits (10 s) until the standby answers QUERY as the primary does.
wait_standby() {
	local expected tries
	expected=$(sql primary root "$1")
	for tries in $(seq 200); do
		[ "$(sql standby root "$1")" = "$expected" ] && return 0
		sleep 0.05
	done
	return 1
}
wait_standby "SELECT COUNT(*) FROM complaints.updates" || { echo "Bail out! the standby did not apply the updates"; exit 1; }
sql standby root "ANALYZE TABLE complaints.updates" >/dev/null
page_sql=$(tr '\0' '\n' <"${COMPLAINTD_BINARY:-$top/var/build-asan/complaintd}" | grep -m 1 '^SELECT c.id, c.reporter_id')
[ -n "$page_sql" ] || { echo "Bail out! the complaint page's statement is not in the binary"; exit 1; }
# filled STATEMENT VALUE...: the statement with its ?s replaced by the values, in order.
filled() {
	local statement=$1; shift
	awk -v values="$*" '{
		n = split(values, v, " "); out = ""; text = $0
		for (i = 1; i <= n; i++) { at = index(text, "?"); out = out substr(text, 1, at - 1) v[i]; text = substr(text, at + 1) }
		print out text }' <<<"$statement"
}
# plan_of ADMIN: "TYPE KEY FIRST-COLUMN" of the updates branch for the reporter (0) or an admin (1).
plan_of() {
	local statement
	statement=$(filled "$page_sql" "$complaint" "$complaint" "$1" "$resident_account" "$complaint" "$resident_account" \
		"$resident_account" "$1")
	sql standby root "USE complaints; EXPLAIN $statement" | awk -F'\t' '$3 == "u" { print $4, $6 }' | {
		read -r type key
		echo "$type $key $(sql standby root "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'complaints'
			AND TABLE_NAME = 'updates' AND INDEX_NAME = '$key' AND SEQ_IN_INDEX = 1")"
	}
}
for who in 0 1; do
	plan=$(plan_of "$who")
	check "a complaint's page among 4,000 updates ($([ "$who" = 1 ] && echo "an admin" || echo "its reporter")): its updates are read by complaint_id (type, index, first column: $plan)" \
		[ "${plan%% *}/${plan##* }" = ref/complaint_id ]
done

# ---- the agent's console with thousands of complaints ----
# 5,000 more complaints of the staff's agent (test/bench/staff.sh's staff_console_load: four in
# five open, one in 20 reopened, five to a due date). The console's statement, read out of the
# complaintd binary, runs as the standby (where `[db] read` sends it) runs it: ANALYZE FORMAT=JSON
# of its first page.
agent=${staff_agents%% *}
staff_console_load "$top/packaging/stackctl" "$stack_dir" "$agent" "$resident_account" 5000 ||
	{ echo "Bail out! the console's complaints could not be written"; exit 1; }
wait_standby "SELECT COUNT(*) FROM complaints.complaints WHERE description LIKE 'Console load %'" ||
	{ echo "Bail out! the standby did not apply the console's complaints"; exit 1; }
sql standby root "ANALYZE TABLE complaints.complaints" >/dev/null
open_count=$(sql standby root "SELECT COUNT(*) FROM complaints.complaints WHERE assigned_agent_id = $agent
	AND status IN ('assigned', 'in_progress')")
console_sql=$(tr '\0' '\n' <"${COMPLAINTD_BINARY:-$top/var/build-asan/complaintd}" | grep -m 1 '^SELECT c.id, .*console_rank IS NOT NULL')
[ -n "$console_sql" ] || { echo "Bail out! the console's statement is not in the binary"; exit 1; }
# console_ids OFFSET: the ids of the 21 rows (a page and one more) the console reads from OFFSET.
console_ids() { sql standby root "USE complaints; $(filled "$console_sql" "$agent" 21 "$1")" | cut -f1 | tr '\n' ' '; }
# ordered_ids OFFSET: the same rows in the page's order, written out independently.
ordered_ids() {
	sql standby root "SELECT id FROM complaints.complaints WHERE assigned_agent_id = $agent
		AND status IN ('assigned', 'in_progress') ORDER BY reopened_at IS NULL, due_at, id LIMIT 21 OFFSET $1" | tr '\n' ' '
}
sql standby root "USE complaints; ANALYZE FORMAT=JSON $(filled "$console_sql" "$agent" 21 0)" >"$scratch/console.plan"
examined=$(python3 "$top/test/integration/analyze_rows.py" <"$scratch/console.plan")
diag "the console's first page among $open_count open complaints: ${examined#* }"
# sorts_nothing PLAN: the plan (ANALYZE FORMAT=JSON's) is there and has no filesort.
sorts_nothing() { [ -s "$1" ] && ! grep -q '"filesort"' "$1"; }
check "the console of an agent with $open_count open complaints sorts nothing (no filesort in ANALYZE FORMAT=JSON)" \
	sorts_nothing "$scratch/console.plan"
# 21 index entries of idx_complaints_console and each one's category by its primary key.
check "and examines at most 42 rows: its 21 complaints and their categories (examined: ${examined%% *})" \
	[ "${examined%% *}" -le 42 ]
check "its first page lists exactly the rows the order gives (reopened first, then due date, then id)" \
	[ "$(console_ids 0)" = "$(ordered_ids 0)" ]
check "and so does page 150, past the reopened ones (offset 2,980)" [ "$(console_ids 2980)" = "$(ordered_ids 2980)" ]
# page_ids: the complaints the last page listed, in its order.
page_ids() { grep -o 'href="/complaints/[0-9]*"' <<<"$body" | grep -o '[0-9]*' | tr '\n' ' '; }
get agent /agent
first=$(page_ids)
get agent "/agent?page=150"
check "the agent's /agent and /agent?page=150 show those complaints, in that order" \
	[ "$first|$(page_ids)" = "$(ordered_ids 0 | cut -d' ' -f1-20) |$(ordered_ids 2980 | cut -d' ' -f1-20) " ]

# ---- the agent's overdue complaints from the same index ----
# The console load's due dates moved 500 minutes back, so about half of its open complaints are
# overdue (reopened ones among them) and the rest are not. /agent/overdue's statement, read out of
# the binary as above: under each console_rank a range of idx_complaints_console (due_at before
# now) read in order, stopping after the page's rows and one, the two merged by a sort of at most
# those rows, then each read by its key.
sql primary root "UPDATE complaints.complaints SET due_at = due_at - INTERVAL 500 MINUTE WHERE description LIKE 'Console load %'"
wait_standby "SELECT SUM(TIMESTAMPDIFF(SECOND, '2000-01-01', due_at)) FROM complaints.complaints WHERE description LIKE 'Console load %'" ||
	{ echo "Bail out! the standby did not apply the new due dates"; exit 1; }
sql standby root "ANALYZE TABLE complaints.complaints" >/dev/null
overdue_count=$(sql standby root "SELECT COUNT(*) FROM complaints.complaints WHERE assigned_agent_id = $agent
	AND status IN ('assigned', 'in_progress') AND due_at < UTC_TIMESTAMP(3)")
overdue_sql=$(tr '\0' '\n' <"${COMPLAINTD_BINARY:-$top/var/build-asan/complaintd}" | grep -m 1 '^SELECT c.id, .*TRUE AS overdue FROM ((SELECT')
[ -n "$overdue_sql" ] || { echo "Bail out! the overdue list's statement is not in the binary"; exit 1; }
# overdue_filled OFFSET: the statement as the page at OFFSET sends it (a page of 20 and one more).
overdue_filled() { filled "$overdue_sql" "$agent" $(($1 + 21)) "$agent" $(($1 + 21)) 21 "$1"; }
overdue_ids() { sql standby root "USE complaints; $(overdue_filled "$1")" | cut -f1 | tr '\n' ' '; }
# overdue_ordered OFFSET: the same rows as the statement before the index wrote them: every open
# complaint of the agent past its due date, by due date, then id.
overdue_ordered() {
	sql standby root "SELECT id FROM complaints.complaints WHERE assigned_agent_id = $agent
		AND status IN ('assigned', 'in_progress') AND due_at < UTC_TIMESTAMP(3) ORDER BY due_at, id LIMIT 21 OFFSET $1" |
		tr '\n' ' '
}
sql standby root "USE complaints; ANALYZE FORMAT=JSON $(overdue_filled 0)" >"$scratch/overdue.plan"
examined=$(python3 "$top/test/integration/analyze_rows.py" <"$scratch/overdue.plan")
diag "the overdue list's first page among $overdue_count overdue complaints: ${examined#* }"
sorts=$(grep -o 'filesort([^)]*):[0-9]*' <<<"${examined#* }" | tr '\n' ' ')
branches=$(grep -o 'complaints:idx_complaints_console:[0-9]*' <<<"${examined#* }" | tr '\n' ' ')
# merge_only: the plan's one sort is of the derived table the two branches filled, at most 42 rows
# (a page and one more from each), and each branch read at most 21 entries of its range in order.
merge_only() {
	local merge='^filesort\(<derived[0-9]+>\):([0-9]+) $' branch='^complaints:idx_complaints_console:([0-9]+) complaints:idx_complaints_console:([0-9]+) $'
	[[ $sorts =~ $merge ]] && [ "${BASH_REMATCH[1]}" -le 42 ] &&
		[[ $branches =~ $branch ]] && [ "${BASH_REMATCH[1]}" -le 21 ] && [ "${BASH_REMATCH[2]}" -le 21 ]
}
check "the overdue list of an agent with $overdue_count overdue complaints sorts no branch, only their merge of at most 42 rows (sorts: $sorts; branches: $branches)" \
	merge_only
# 2 x 21 index entries, the 42 rows they made, then 21 complaints and their categories by key.
check "and examines at most 126 rows, however many are overdue (examined: ${examined%% *})" [ "${examined%% *}" -le 126 ]
check "its first page lists exactly the rows the list listed before the index (overdue, by due date, then id)" \
	[ "$(overdue_ids 0)" = "$(overdue_ordered 0)" ]
check "and so does page 50 (offset 980)" [ "$(overdue_ids 980)" = "$(overdue_ordered 980)" ]
get agent /agent/overdue
first=$(page_ids)
get agent "/agent/overdue?page=50"
check "the agent's /agent/overdue and /agent/overdue?page=50 show those complaints, in that order" \
	[ "$first|$(page_ids)" = "$(overdue_ordered 0 | cut -d' ' -f1-20) |$(overdue_ordered 980 | cut -d' ' -f1-20) " ]

#!/usr/bin/env bash
# retention.sh: what the service keeps for a while is deleted after it, by the timer, and nothing
# younger. On a full stack, rows planted by SQL at every 100 ms from 2 s older to 30 s younger
# than each retention's cutoff (replica observations 35 days, the default; sent messages 7 days;
# link tokens a day after they expired, or after they were used; sessions idle past
# [auth] session_idle_timeout, 20m here, or signed in longer ago than session_absolute_timeout, 3h
# here): the pass the timer makes when it starts logs each cutoff, and exactly the planted rows
# older than it are gone and every younger one is kept (so the boundary is exact to 100 ms, and the
# cutoff lies between the planting's clock and the log's, less the retention). What a person sees
# of it: a confirmation link used over a day ago now says "not valid", one used a minute ago still
# "already used", a live reset link still opens its form, and a resident whose session is 15
# minutes idle and nearly 3 hours old is still signed in. A timer that was off for long catches up a batch at a time:
# 25,000 observations past the retention go as 20,000 in a first pass (four statements of 5,000)
# and 5,000 in the next, a second later, each DELETE (EXPLAINed as retention-sql prints it) a
# range of its index, never the table; only then is the segment whose last flush is older than
# the cutoff deleted, with its marks, while a segment flushed 34 days ago and this host's own
# stay, each mark still the sum of its periods. Counted, not timed: the log's numbers and the
# tables' counts. Last, observations_retention shorter than the replica page's longest window (7d)
# is refused with file, line and key, by complaintd -t and by a live reload, and 7d is taken.
# The checks' predicates are single-quoted and evaluated when the check runs (holds), and read
# variables set for them:
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 16
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
retention_sql=${RETENTION_SQL_BINARY:-$test_var/build-asan/test/retention-sql}
[ -x "$retention_sql" ] || { echo "Bail out! no retention-sql at $retention_sql (packaging/dev build, or set RETENTION_SQL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
retention_cleanup() {
	rm -rf "$scratch"
	test_stack_cleanup
}
trap retention_cleanup EXIT

test_full_stack_up retention ops.stats_flush_interval=1s auth.session_idle_timeout=20m auth.session_absolute_timeout=3h
test_migrate
sql_root() { mariadb_sql "$stack_dir" primary root "$@"; }
log="$stack_dir/complaintd.log"

# ---- people's links: two residents confirm their address, one asks for a new password ----
signup_unconfirmed ann "Ann Resident" "ann.$$@example.org"
confirm_address ann "ann.$$@example.org"
ann_link=$(mail_link "ann.$$@example.org" /confirm-email)
signup_unconfirmed bob "Bob Resident" "bob.$$@example.org"
confirm_address bob "bob.$$@example.org"
bob_link=$(mail_link "bob.$$@example.org" /confirm-email)
get visitor /forgot
post visitor /forgot "email=bob.$$@example.org" "csrf=$(csrf_of "$body" /forgot)"
reset_link=$(mail_link "bob.$$@example.org" /reset-password) || { echo "Bail out! no reset mail"; exit 1; }
ann_id=$(id_of "ann.$$@example.org")
# The planted sessions' two accounts, made by SQL (nobody signs in as them).
sql_root "INSERT INTO complaints.accounts (name, email, password_hash) VALUES
	('Idle Sessions', 'idle.$$@example.org', 'x'), ('Old Sessions', 'old.$$@example.org', 'x')"
idle_id=$(id_of "idle.$$@example.org") old_id=$(id_of "old.$$@example.org")

timer_pid() { for p in $(pgrep -P "$(cat "$stack_dir/complaintd.pid")"); do [ "$(cat "/proc/$p/comm")" = timer ] && echo "$p"; done; }
# timer_held: the timer stopped (SIGSTOP), so that no pass of its own runs while rows are planted;
# timer_restart: it is killed and the master starts a new one, whose first pass comes at once.
# Both note the log's length: retention_lines reads what came after.
timer_held() { held_timer=$(timer_pid); kill -STOP "$held_timer"; log_lines=$(wc -l <"$log"); }
timer_restart() { kill -KILL "$held_timer"; }
retention_lines() { tail -n +"$((log_lines + 1))" "$log" | grep 'timer: retention: '; }
# cutoff_of WHAT: the cutoff of the last pass that deleted WHAT ("replica observations").
cutoff_of() { retention_lines | grep " $1 from before " | tail -n 1 | sed -n 's/.* from before \(.*\) UTC deleted.*/\1/p'; }
logged() { retention_lines | grep -q " $1 from before "; }

# ---- 1. the boundary of each retention, to 100 ms ----
timer_held
started_ns=$(date +%s%N)
t0=$(sql_root "SELECT UTC_TIMESTAMP(3)")
# boundary_times RETENTION: 321 times (seq, at), T0 - RETENTION from 2 s before to 30 s after.
boundary_times() { echo "SELECT seq, '$t0' - INTERVAL $1 + INTERVAL ((CAST(seq AS SIGNED) - 20) * 100000) MICROSECOND AS at FROM seq_0_to_320"; }
sql_root "USE complaints;
INSERT INTO replica_observations (location, operation, replica, segment, period_start, period_end, attempts, successes)
	SELECT 'boundary', 's3.get', 'us', '', at, at + INTERVAL 1 SECOND, 1, 1 FROM ($(boundary_times '35 DAY')) b;
INSERT INTO notifications (channel, kind, recipient, status, sent_at)
	SELECT 'email', 'filed', 'boundary@example.org', 'sent', at FROM ($(boundary_times '7 DAY')) b;
INSERT INTO tokens (purpose, token_hash, account_id, created_at, expires_at)
	SELECT 'agent_invite', UNHEX(SHA2(CONCAT('expired-$$-', seq), 256)), $ann_id, at - INTERVAL 1 HOUR, at
	FROM ($(boundary_times '1 DAY')) b;
INSERT INTO tokens (purpose, token_hash, account_id, created_at, expires_at, used_at)
	SELECT 'agent_invite', UNHEX(SHA2(CONCAT('used-$$-', seq), 256)), $ann_id, at - INTERVAL 1 HOUR,
	at + INTERVAL 1 HOUR, at FROM ($(boundary_times '1 DAY')) b;
UPDATE tokens SET used_at = used_at - INTERVAL 25 HOUR WHERE account_id = $ann_id AND purpose = 'email_confirm';
INSERT INTO sessions (token_hash, account_id, csrf_secret, created_at, last_seen_at)
	SELECT UNHEX(SHA2(CONCAT('idle-$$-', seq), 256)), $idle_id, UNHEX(SHA2('csrf', 256)), at - INTERVAL 1 MINUTE, at
	FROM ($(boundary_times '20 MINUTE')) b;
INSERT INTO sessions (token_hash, account_id, csrf_secret, created_at, last_seen_at)
	SELECT UNHEX(SHA2(CONCAT('old-$$-', seq), 256)), $old_id, UNHEX(SHA2('csrf', 256)), at, '$t0'
	FROM ($(boundary_times '3 HOUR')) b;
UPDATE sessions SET created_at = '$t0' - INTERVAL 3 HOUR + INTERVAL 5 MINUTE, last_seen_at = '$t0' - INTERVAL 15 MINUTE
	WHERE account_id = $ann_id"
timer_restart
every_purge_logged() {
	logged "sent messages" && logged "replica observations" && logged "expired link tokens" && logged "used link tokens" &&
		logged "idle sessions" && logged "sessions signed in"
}
wait_until 30000 every_purge_logged || diag "$(tail -n 20 "$log")"
elapsed_ms=$((($(date +%s%N) - started_ns) / 1000000))
# boundary WHAT RETENTION TABLE COLUMN WHERE: "older/kept/expected/offset" for the planted rows
# (WHERE) of TABLE after the pass that logged WHAT: how many older than its cutoff are left, how
# many are kept, how many of the planted times are not older than the cutoff, and the cutoff's
# distance (ms) from T0 - RETENTION.
boundary() {
	local cutoff; cutoff=$(cutoff_of "$1")
	[ -n "$cutoff" ] || { echo "no cutoff logged"; return; }
	sql_root "USE complaints; SELECT CONCAT((SELECT COUNT(*) FROM complaints.$3 WHERE $5 AND $4 < '$cutoff'), '/',
		(SELECT COUNT(*) FROM complaints.$3 WHERE $5), '/',
		(SELECT COUNT(*) FROM ($(boundary_times "$2")) b WHERE at >= '$cutoff'), '/',
		TIMESTAMPDIFF(MICROSECOND, '$t0' - INTERVAL $2, '$cutoff') DIV 1000)"
}
# exact OLDER/KEPT/EXPECTED/OFFSET: none older left, the younger all kept, some planted rows on
# each side of the cutoff, and the cutoff no earlier than T0 - RETENTION nor later than the log.
exact() {
	local older kept expected offset
	IFS=/ read -r older kept expected offset <<<"$1"
	[ "$older" = 0 ] && [ "$kept" = "$expected" ] && [ "$expected" -gt 0 ] && [ "$expected" -lt 321 ] &&
		[ "$offset" -ge 0 ] && [ "$offset" -le "$elapsed_ms" ]
}
observed=$(boundary "replica observations" '35 DAY' replica_observations period_start "location = 'boundary'")
check "replica observations past 35 days gone, younger kept, exactly (older left/kept/expected/cutoff - (T0 - 35d) in ms: $observed; ${elapsed_ms} ms elapsed)" \
	exact "$observed"
sent=$(boundary "sent messages" '7 DAY' notifications sent_at "recipient = 'boundary@example.org'")
check "sent messages past 7 days gone, younger kept, exactly ($sent)" exact "$sent"
expired=$(boundary "expired link tokens" '1 DAY' tokens expires_at "account_id = $ann_id AND used_at IS NULL AND purpose = 'agent_invite'")
check "link tokens expired over a day ago gone, the others kept, exactly ($expired)" exact "$expired"
used=$(boundary "used link tokens" '1 DAY' tokens used_at "account_id = $ann_id AND used_at IS NOT NULL AND purpose = 'agent_invite'")
check "link tokens used over a day ago gone, the others kept, exactly ($used)" exact "$used"
idle_sessions=$(boundary "idle sessions" '20 MINUTE' sessions last_seen_at "account_id = $idle_id")
check "sessions idle over 20 minutes (session_idle_timeout) gone, the others kept, exactly ($idle_sessions)" \
	exact "$idle_sessions"
old_sessions=$(boundary "sessions signed in" '3 HOUR' sessions created_at "account_id = $old_id")
check "sessions signed in over 3 hours ago (session_absolute_timeout) gone, the others kept, exactly ($old_sessions)" \
	exact "$old_sessions"

# What a person sees: the row of Ann's link, used 25 hours ago, is gone; Bob's is not.
get ann "$ann_link"; ann_status=$status ann_text=$(visible_text "$body")
get bob "$bob_link"; bob_status=$status bob_text=$(visible_text "$body")
check "a confirmation link used 25 hours ago now says 'not valid' ($ann_status); one used minutes ago still 'already used' ($bob_status)" \
	holds '[ "$ann_status $bob_status" = "404 410" ] && grep -q "not valid" <<<"$ann_text" && grep -q "already used" <<<"$bob_text"'
get - "$reset_link"
check "a live reset link still opens its form ($status)" \
	holds '[ "$status" = 200 ] && grep -q "name=\"password\"" <<<"$body"'
get ann /account
check "Ann, her session 15 minutes idle and signed in 2 h 55 min ago, is still signed in: /account answers $status with her address" \
	holds '[ "$status" = 200 ] && grep -qF "ann.$$@example.org" <<<"$(visible_text "$body")"'

# ---- 2. a timer back after long: batches, then the stale segment ----
sql_root "DELETE FROM complaints.replica_observations WHERE location = 'boundary'"
gone=$(printf 'a%.0s' {1..32}) idle=$(printf 'b%.0s' {1..32})
timer_held
t1=$(sql_root "SELECT UTC_TIMESTAMP(3)")
# gone-host flushed 25,000 one-second periods 40 days ago, then never again; idle-host flushed
# last 34 days ago (its one period and mark younger than the retention).
sql_root "USE complaints;
INSERT INTO replica_observations (location, operation, replica, segment, period_start, period_end, attempts, successes)
	SELECT 'gone-host', 's3.get', 'us', '$gone', '$t1' - INTERVAL 40 DAY + INTERVAL seq SECOND,
	'$t1' - INTERVAL 40 DAY + INTERVAL seq + 1 SECOND, 1, 1 FROM seq_0_to_24999;
INSERT INTO replica_segments (location, segment, created_at, flushed_at, flushes) VALUES
	('gone-host', '$gone', '$t1' - INTERVAL 41 DAY, '$t1' - INTERVAL 40 DAY + INTERVAL 25000 SECOND, 25000),
	('idle-host', '$idle', '$t1' - INTERVAL 41 DAY, '$t1' - INTERVAL 34 DAY, 1);
INSERT INTO replica_marks (location, segment, operation, replica, successes, histogram) VALUES
	('gone-host', '$gone', 's3.get', 'us', 25000, '[]'), ('gone-host', '$gone', 's3.get', 'jp', 0, '[]'),
	('idle-host', '$idle', 's3.get', 'us', 1, '[]');
INSERT INTO replica_observations (location, operation, replica, segment, period_start, period_end, attempts, successes)
	VALUES ('idle-host', 's3.get', 'us', '$idle', '$t1' - INTERVAL 34 DAY - INTERVAL 1 MINUTE, '$t1' - INTERVAL 34 DAY, 1, 1)"
# Each purge's DELETE as the timer sends it, EXPLAINed with the backlog in place: a range of its
# index, never the table ("index<TAB>type key" per statement, one line each).
cutoff=$(sql_root "SELECT '$t1' - INTERVAL 35 DAY")
"$retention_sql" "$cutoff" >"$scratch/purges.tsv" || { echo "Bail out! retention-sql failed"; exit 1; }
while IFS=$'\t' read -r index statement; do
	printf '%s\t%s\n' "$index" "$(sql_root "USE complaints; EXPLAIN $statement" | awk -F'\t' '{ print $4, $6 }')"
done <"$scratch/purges.tsv" >"$scratch/plans.tsv"
timer_restart
wait_until 30000 logged "replica segments with their marks" || diag "$(tail -n 20 "$log")"
plans=$(awk -F'\t' '{ printf "%s: %s; ", $1, $2 }' "$scratch/plans.tsv")
# plans_ranged: each of the seven plans is "range" over the purge's own index.
plans_ranged() {
	[ "$(wc -l <"$scratch/plans.tsv")" = 7 ] && awk -F'\t' '$2 != "range " $1 { bad = 1 } END { exit bad }' "$scratch/plans.tsv"
}
check "each purge's DELETE reads a range of its index ($plans)" plans_ranged
passes=$(retention_lines | sed -n 's/.*retention: \([0-9]*\) replica observations from before.*/\1/p' | tr '\n' ' ')
order=$(retention_lines | sed -n 's/.*retention: \([0-9]*\) \(replica observations\|replica segments\).*/\1 \2/p' | tr '\n' ',')
check "25,000 observations past the retention deleted as 20000 (four statements of 5,000) then 5000 a pass later ($passes)" \
	[ "$passes" = "20000 5000 " ]
check "the stale segment only after its observations were all gone ($order)" \
	[ "$order" = "20000 replica observations,5000 replica observations,1 replica segments," ]
# rows LOCATION: "observations/segments/marks" of that location.
rows() {
	sql_root "SELECT CONCAT((SELECT COUNT(*) FROM complaints.replica_observations WHERE location = '$1'), '/',
		(SELECT COUNT(*) FROM complaints.replica_segments WHERE location = '$1'), '/',
		(SELECT COUNT(*) FROM complaints.replica_marks WHERE location = '$1'))"
}
check "gone-host's observations, segment and marks are gone ($(rows gone-host)); idle-host's, flushed 34 days ago, kept ($(rows idle-host))" \
	holds '[ "$(rows gone-host)" = 0/0/0 ] && [ "$(rows idle-host)" = 1/1/1 ]'
own=$(rows local)
mismatched=$(marks_mismatched)
check "this host's live segment is whole ($own) and every mark is still the sum of its periods ($mismatched differ)" \
	holds '[[ $own =~ ^[1-9][0-9]*/1/[1-9] ]] && [ "$mismatched" = 0 ]'

# ---- 3. a retention shorter than the page's longest window is refused ----
cp "$stack_dir/complaintd.conf" "$scratch/short.conf"
conf_set "$scratch/short.conf" ops observations_retention=6d
line=$(grep -n '^observations_retention' "$scratch/short.conf" | cut -d: -f1)
"$binary" -c "$scratch/short.conf" -t >"$scratch/t.out" 2>&1 && t_status=0 || t_status=$?
refusal="$scratch/short.conf:$line: [ops] observations_retention: 6d is shorter than the longest window /admin/replicas shows (7d)"
check "complaintd -t refuses observations_retention = 6d (status $t_status) with file, line and key: $(head -c 300 "$scratch/t.out")" \
	holds '[ "$t_status" != 0 ] && grep -qF "$refusal" "$scratch/t.out"'
conf_set "$stack_dir/complaintd.conf" ops observations_retention=6d
line=$(grep -n '^observations_retention' "$stack_dir/complaintd.conf" | cut -d: -f1)
"$complaintctl" -c "$stack_dir/complaintd.conf" reload >"$scratch/reload.out" 2>&1 && reload_status=0 || reload_status=$?
conf_set "$stack_dir/complaintd.conf" ops observations_retention=7d
"$complaintctl" -c "$stack_dir/complaintd.conf" reload >"$scratch/taken.out" 2>&1 && taken_status=0 || taken_status=$?
check "a live reload with 6d is refused (status $reload_status: $(head -c 300 "$scratch/reload.out")); with 7d it is taken ($taken_status: $(cat "$scratch/taken.out"))" \
	holds '[ "$reload_status" != 0 ] && grep -qF "$stack_dir/complaintd.conf:$line: [ops] observations_retention: 6d is shorter" "$scratch/reload.out" &&
		[ "$taken_status" = 0 ] && grep -q "reload taken" "$scratch/taken.out"'

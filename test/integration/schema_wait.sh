#!/usr/bin/env bash
# schema_wait.sh: complaintd started on a database that complaintctl migrate has not brought up
# to date (a new install; an upgrade whose binary came before its migration), as every full
# stack starts it. Its background children — notifier, timer, photo-repair — each log one line
# saying what the schema lacks and what to run, and meanwhile run nothing that fails: no missing
# table (1146) or column (1054) in the log, no "other" failure in the replica statistics. A
# child started when every migration but the newest is in says it is one behind. Once migrated,
# each goes back to work: a mail asked for after the migration is delivered, the timer flushes
# the statistics into replica_observations, photo-repair says it is at work.
# shellcheck disable=SC2016
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 13
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
test_full_stack_up schema_wait ops.stats_flush_interval=1s
log="$stack_dir/complaintd.log"
children="notifier timer photo-repair"
# The newest migration of the checkout: the one this build carries (Makefile.am lists them all).
needed=$(ls "$top/db/migrations" | grep -E '^[0-9]{4}_.*\.sql$' | sort | tail -n 1 | cut -c1-4)

# waiting CHILD: how many times CHILD said it waits for the schema.
waiting() { grep -c "$1: waiting for the database schema" "$log"; }
# missing_failures: the log's failures on a missing table or column.
missing_failures() { grep -cE "last error (1146|1054)" "$log"; }
every_child_waits() { local c; for c in $children; do [ "$(waiting "$c")" -ge 1 ] || return 1; done; }
every_child_back() { local c; for c in $children; do grep -q "$c: the database schema is at $needed: back at work" "$log" || return 1; done; }

# ---- 1. before the migration ----
wait_until 30000 every_child_waits || diag "$(tail -n 20 "$log")"
sleep 3  # a few of the children's rounds: each would have failed every ~200 ms
for child in $children; do
	check "before the migration, $child logged one line that it waits for the schema ($(waiting "$child") lines)" \
		[ "$(waiting "$child")" = 1 ]
done
line=$(grep -m 1 "notifier: waiting for the database schema" "$log")
check "the line says where the schema is, what this binary needs and what to run ($line)" \
	holds '[[ $line == *"waiting for the database schema: no migration applied, this binary needs $needed; run complaintctl migrate"* ]]'
check "no statement failed on a missing table or column ($(missing_failures) in the log)" [ "$(missing_failures)" = 0 ]

# ---- 2. an upgrade half done: every migration but the newest, and a timer started then ----
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
mkdir "$scratch/older"
cp "$top"/db/migrations/*.sql "$scratch/older/"
rm "$scratch/older/${needed}_"*.sql
previous=$(ls "$scratch/older" | sort | tail -n 1 | cut -c1-4)
"$complaintctl" -c "$stack_dir/complaintd.conf" migrate --migrations "$scratch/older" >"$scratch/older.out" 2>&1 ||
	{ echo "Bail out! complaintctl migrate of the older migrations failed"; diag "$(cat "$scratch/older.out")"; exit 1; }
timer_pid=$(for pid in $(pgrep -P "$(cat "$stack_dir/complaintd.pid")"); do
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = timer ] && echo "$pid"; done)
kill -KILL "$timer_pid"
upgrade_line() { grep -q "timer: waiting for the database schema: at $previous, this binary needs $needed; run complaintctl migrate" "$log"; }
check "a timer started on a schema one migration behind says so: at $previous, this binary needs $needed" \
	wait_until 30000 upgrade_line
check "and still no statement failed on a missing table or column ($(missing_failures) in the log)" \
	[ "$(missing_failures)" = 0 ]

# ---- 3. the migration, and each child back at work ----
test_migrate
wait_until 60000 every_child_back || diag "$(tail -n 20 "$log")"
for child in $children; do
	check "after the migration, $child said it is back at work, at $needed" \
		grep -q "$child: the database schema is at $needed: back at work" "$log"
done
signup_unconfirmed ann "Ann Resident" "ann.$$@example.org"
check "the notifier delivers a mail asked for after the migration (the sign-up's confirmation)" \
	holds 'mail_link "ann.$$@example.org" /confirm-email >/dev/null'
flushed() { [ "$(sql "SELECT COUNT(*) FROM replica_observations WHERE location = 'local'")" -gt 0 ]; }
check "the timer flushes the replica statistics into replica_observations" wait_until 30000 flushed
# Counted by every process of the host, the children's attempts among them (their db.write,
# db.primary, smtp.send, s3.*), flushed or not yet.
scrape || diag "/metrics: $status $(cat "$scratch/parse.err" 2>/dev/null)"
others=$(awk -F'\t' '$1 ~ /^complaintd_replica_outcomes_total\{/ && $1 ~ /class="other"/ { sum += $2 } END { print sum + 0 }' "$scratch/samples")
stored=$(sql "SELECT COALESCE(SUM(fail_other), 0) FROM replica_observations")
check "no attempt counted as an \"other\" failure: /metrics $others, replica_observations $stored" \
	holds '[ "$others" = 0 ] && [ "$stored" = 0 ] && [ "$(missing_failures)" = 0 ]'

#!/usr/bin/env bash
# stack_mariadb.sh: the stack's MariaDB pair — replication to the standby, semi-sync with its
# timeout and recovery, the accounts' rights, promotion after the primary dies, a delayed standby,
# and two pairs side by side. Stack A carries the cases that leave it usable; stack B is broken on
# purpose (primary killed) after the side-by-side case.
source "$(dirname "$0")/lib.sh"
# shellcheck source=packaging/stack-mariadb.sh
source "$top/packaging/stack-mariadb.sh"
plan 8

MARIADB_VARDIR=${MARIADB_VARDIR:-$test_var}
timeout_ms=$MARIADB_SEMISYNC_TIMEOUT_MS
now_ms() { echo $(($(date +%s%N) / 1000000)); }

pair_dirs=()
pair_bases=()
pairs_cleanup() {
	local dir base
	for dir in "${pair_dirs[@]}"; do mariadb_stop_all "$dir"; done
	for base in "${pair_bases[@]}"; do
		stack_release_base "$base"
		rmdir "/tmp/complaintd-$base" 2>/dev/null
	done
	test_stack_cleanup
}
trap pairs_cleanup EXIT

# pair_up NAME: a fresh MariaDB pair on its own port base; sets pair_dir and pair_base.
pair_up() {
	pair_base=$(stack_claim_base $$) || { echo "Bail out! no free port base"; exit 1; }
	pair_bases+=("$pair_base")
	pair_dir="$test_var/stacks/mariadb-$1-$pair_base"
	rm -rf "$pair_dir"
	mkdir -p "$pair_dir"
	pair_dirs+=("$pair_dir")
	if ! mariadb_start_pair "$pair_dir" "$pair_base"; then
		echo "Bail out! the MariaDB pair $1 did not start"
		diag "$(tail -n 20 "$pair_dir"/mariadb/*.err 2>/dev/null)"
		exit 1
	fi
	mariadb_sql "$pair_dir" primary migrate \
		'CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(64) NOT NULL) ENGINE=InnoDB' ||
		{ echo "Bail out! cannot create the test table"; exit 1; }
}

# has_note DIR SERVER ID: true if the row is there (read as the app user).
has_note() { [ "$(mariadb_sql "$1" "$2" app "SELECT COUNT(*) FROM notes WHERE id = $3")" = 1 ]; }
status_var() {
	mariadb_sql "$1" "$2" root "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '$3'"
}
semisync_is() { [ "$(status_var "$1" primary Rpl_semi_sync_master_status)" = "$2" ]; }

pair_up a
a=$pair_dir

# 1. Replication: expected within ~300 ms (semi-sync: the standby holds the event at commit).
mariadb_sql "$a" primary app "INSERT INTO notes VALUES (1, 'replicated')"
t0=$(now_ms)
wait_until 3000 has_note "$a" standby 1 && seen=$(($(now_ms) - t0)) || seen=
check "a row the app writes on the primary is on the standby (seen after ${seen:-never} ms)" [ -n "$seen" ]

# 3. The standby is read-only for the app.
err=$(mariadb_sql "$a" standby app "INSERT INTO notes VALUES (2, 'on the standby')" 2>&1 >/dev/null)
check "the standby refuses the app's INSERT with ERROR 1290" grep -q '^ERROR 1290' <<<"$err"

# 4. The app has no DDL rights; the migrate user has.
err=$(mariadb_sql "$a" primary app 'CREATE TABLE app_ddl (id INT)' 2>&1 >/dev/null)
check "the app user cannot CREATE TABLE on the primary (ERROR 1142)" grep -q '^ERROR 1142' <<<"$err"

# A second start on a running pair is refused and leaves the pair alone.
mariadb_start_pair "$a" "$pair_base" 2>"$a/restart.err" && second=started || second=refused
name="starting a pair that already runs is refused, and the pair still answers"
if [ "$second" = refused ] && grep -q 'already runs' "$a/restart.err" && has_note "$a" standby 1; then
	ok "$name"; else not_ok "$name"; fi

# 2. Semi-sync: with the standby gone the commit waits for the timeout, then the primary goes on
# asynchronously; the standby back, it catches up and semi-sync turns on again.
mariadb_stop "$a" standby
t0=$(now_ms)
mariadb_sql "$a" primary app "INSERT INTO notes VALUES (3, 'while the standby is down')"
insert_status=$?
commit_ms=$(($(now_ms) - t0))
off=$(status_var "$a" primary Rpl_semi_sync_master_status)
mariadb_start "$a" standby
t0=$(now_ms)
standby_back() { has_note "$a" standby 3 && semisync_is "$a" ON; }
# Expected within ~2 s (restart + reconnect + catch-up); 10x margin.
wait_until 20000 standby_back && back=$(($(now_ms) - t0)) || back=
diag "commit with the standby down: $commit_ms ms (timeout $timeout_ms ms); status then $off; back ON after ${back:-never} ms"
name="with the standby down a commit waits the semi-sync timeout, semi-sync goes OFF, and comes back ON once the standby catches up"
if [ "$insert_status" = 0 ] && [ "$commit_ms" -ge $((timeout_ms - 100)) ] && [ "$commit_ms" -le $((10 * timeout_ms)) ] &&
	[ "$off" = OFF ] && [ -n "$back" ]; then ok "$name"; else not_ok "$name"; fi

# 7. Two pairs side by side.
pair_up b
b=$pair_dir
mariadb_sql "$a" primary app "INSERT INTO notes VALUES (70, 'stack a')"
mariadb_sql "$b" primary app "INSERT INTO notes VALUES (71, 'stack b')"
ids_a=$(mariadb_sql "$a" primary app 'SELECT @@server_id'),$(mariadb_sql "$a" standby app 'SELECT @@server_id')
ids_b=$(mariadb_sql "$b" primary app 'SELECT @@server_id'),$(mariadb_sql "$b" standby app 'SELECT @@server_id')
diag "server ids: a $ids_a, b $ids_b"
name="two pairs run side by side, with different server ids and their own data"
if [ "$ids_a" != "$ids_b" ] && [ "${ids_a%,*}" != "${ids_a#*,}" ] &&
	has_note "$a" primary 70 && ! has_note "$a" primary 71 && has_note "$b" primary 71 && ! has_note "$b" primary 70
then ok "$name"; else not_ok "$name"; fi

# 5. Failover: every row acknowledged before the primary dies is on the promoted standby.
for id in $(seq 100 119); do
	mariadb_sql "$b" primary app "INSERT INTO notes VALUES ($id, 'acknowledged')" || break
done
# Semi-sync was on and every commit was acknowledged by the standby, not timed out.
no_tx=$(status_var "$b" primary Rpl_semi_sync_master_no_tx)
semi=$(status_var "$b" primary Rpl_semi_sync_master_status)
mariadb_kill "$b" primary
mariadb_promote "$b"
mariadb_sql "$b" standby app "INSERT INTO notes VALUES (200, 'after the failover')"
insert_status=$?
count=$(mariadb_sql "$b" standby app 'SELECT COUNT(*) FROM notes WHERE id BETWEEN 100 AND 119')
diag "before the kill: semi-sync $semi, unacknowledged commits $no_tx; after: $count of 20 rows"
name="after the primary is killed and the standby promoted, the app writes on it and every acknowledged row is there"
if [ "$semi" = ON ] && [ "$no_tx" = 0 ] && [ "$insert_status" = 0 ] && [ "$count" = 20 ] && has_note "$b" standby 200
then ok "$name"; else not_ok "$name"; fi

# 6. A delayed standby.
mariadb_delay_standby "$a" 5
mariadb_sql "$a" primary app "INSERT INTO notes VALUES (6, 'delayed')"
t0=$(now_ms)
# The standby received the event before the commit returned (semi-sync); its SQL thread then
# holds it until MASTER_DELAY has passed. Look once it says so, not after a guessed sleep.
holding_delayed() {
	[ "$(mariadb_sql "$a" standby root "SELECT COUNT(*) FROM information_schema.PROCESSLIST
		WHERE STATE LIKE 'Waiting until MASTER_DELAY seconds after master executed event%'")" -ge 1 ]
}
wait_until 3000 holding_delayed && held=$(($(now_ms) - t0)) || held=
has_note "$a" standby 6 && early=yes || early=no
wait_until 15000 has_note "$a" standby 6 && seen=$(($(now_ms) - t0)) || seen=
diag "delayed row: held after ${held:-never} ms; on the standby while held: $early; seen after ${seen:-never} ms"
name="with the standby delayed 5 s, a new row is not there while the standby holds it, but is after ~5 s"
if [ -n "$held" ] && [ "$early" = no ] && [ -n "$seen" ] && [ "$seen" -ge 4000 ]; then ok "$name"; else not_ok "$name"; fi

#!/usr/bin/env bash
# migrate.sh: `complaintctl migrate` on a stack of its own — from an empty database, again (nothing
# to do), with an applied migration edited (refused, nothing touched), with a failing statement
# (named, not recorded, re-runnable); the rights of the app and migration users; the schema's
# foreign keys and constraints; the indexes a page's plan relies on; the standby receiving it all by
# replication.
source "$(dirname "$0")/lib.sh"
plan 16
stackctl="$top/packaging/stackctl"
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
dir="$test_var/stacks/migrate-$$"
rm -rf "$dir"
"$stackctl" up "$dir" >/dev/null 2>"$test_var/stacks/migrate-$$.up.log" || {
	echo "Bail out! the stack did not start"; diag "$(tail -n 20 "$test_var/stacks/migrate-$$.up.log")"; exit 1; }
scratch=$(mktemp -d)
trap '"$stackctl" down "$dir" >/dev/null 2>&1; rm -rf "$scratch" "$test_var/stacks/migrate-$$.up.log"' EXIT
conf="$dir/complaintd.conf"
migrations="$top/db/migrations"

sql() { "$stackctl" sql "$dir" "$@"; }
# ctl ARGS...: runs complaintctl, keeping its status, stdout and stderr in $status, $out, $err.
ctl() {
	"$complaintctl" "$@" >"$scratch/out" 2>"$scratch/err"
	status=$?
	out=$(cat "$scratch/out")
	err=$(cat "$scratch/err")
	[ -z "$err" ] || diag "stderr: $err"
}
recorded() { sql primary migrate "SELECT version, name, sha256, applied_at FROM schema_migrations ORDER BY version"; }
tables="accounts admin_log categories category_agents complaints complaint_followers feedback nearby_lookups notifications notification_optouts photo_repairs replica_marks replica_observations replica_segments s3_backfills schema_migrations sessions signin_failures status_track tokens updates"
table_list() {
	sql "$1" root "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME SEPARATOR ' ') FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = 'complaints'"
}

# 1-3. From an empty database.
ctl -c "$conf" migrate --migrations "$migrations"
check "migrate on an empty database exits 0 and applies 0001 and 0002 (status $status)" \
	bash -c '[ "$1" = 0 ] && grep -q "^applied 0001_init.sql" <<<"$2" && grep -q "^applied 0002_categories.sql" <<<"$2"' \
	_ "$status" "$out"
check "every table of the schema exists: $(table_list primary)" [ "$(table_list primary)" = "$tables" ]
categories=$(sql primary app "SELECT GROUP_CONCAT(code ORDER BY code SEPARATOR ' ') FROM categories WHERE target_days > 0")
check "the six categories are seeded with target days ($categories)" \
	[ "$categories" = "drainage garbage other road_damage streetlight water_leak" ]

# 4. Again: nothing to do.
before=$(recorded)
ctl -c "$conf" migrate --migrations "$migrations"
check "migrate again exits 0, applies nothing and says so (status $status: $out)" \
	bash -c '[ "$1" = 0 ] && grep -q "^nothing to apply" <<<"$2" && ! grep -q "^applied" <<<"$2" && [ "$3" = "$4" ]' \
	_ "$status" "$out" "$before" "$(recorded)"

# 5. An applied migration edited: refused, with both hashes, nothing touched.
cp -r "$migrations" "$scratch/edited"
echo "-- an afterthought" >>"$scratch/edited/0001_init.sql"
printf 'CREATE TABLE IF NOT EXISTS never_made (id INT PRIMARY KEY);\n' >"$scratch/edited/0099_never.sql"
old_sha=$(sha256sum "$migrations/0001_init.sql" | cut -d' ' -f1)
new_sha=$(sha256sum "$scratch/edited/0001_init.sql" | cut -d' ' -f1)
ctl -c "$conf" migrate --migrations "$scratch/edited"
expected="$scratch/edited/0001_init.sql was edited after it was applied (recorded sha256 $old_sha, file $new_sha)"
check "an edited applied migration is refused with exit status 1, naming the file and both sha256" \
	bash -c '[ "$1" = 1 ] && grep -qF "$2" <<<"$3"' _ "$status" "$expected" "$err"
check "the refused run touched nothing (schema_migrations unchanged, the later 0099 not run)" \
	bash -c '[ "$1" = "$2" ] && ! grep -qw never_made <<<"$3"' _ "$before" "$(recorded)" "$(table_list primary)"

# 6. A failing statement: the file, the statement number and the server's message; the file is
# not recorded and runs again once fixed.
cp -r "$migrations" "$scratch/failing"
printf -- '-- 0099: a scratch table\nCREATE TABLE IF NOT EXISTS migrate_scratch (id INT PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n' \
	>"$scratch/failing/0099_scratch.sql"
ctl -c "$conf" migrate --migrations "$scratch/failing"
fail_status=$status fail_err=$err
sed -i 's/no_such_table/migrate_scratch/; s/VALUES (1)/VALUES (1) ON DUPLICATE KEY UPDATE id = id/' "$scratch/failing/0099_scratch.sql"
recorded_after_failure=$(sql primary migrate "SELECT COUNT(*) FROM schema_migrations WHERE version = 99")
ctl -c "$conf" migrate --migrations "$scratch/failing"
check "a failing statement: exit 1, the error names the file, statement 2 and ERROR 1146; not recorded" \
	bash -c '[ "$1" = 1 ] && grep -qF "$2/0099_scratch.sql: statement 2: ERROR 1146" <<<"$3" && [ "$4" = 0 ]' \
	_ "$fail_status" "$scratch/failing" "$fail_err" "$recorded_after_failure"
check "fixed, the half-applied file runs again from the start and is recorded (status $status)" \
	bash -c '[ "$1" = 0 ] && grep -q "^applied 0099_scratch.sql" <<<"$2" && [ "$3" = 1 ]' _ "$status" "$out" \
	"$(sql primary migrate "SELECT COUNT(*) FROM schema_migrations WHERE version = 99")"

# 7. Rights: DDL for the migration user only.
app_ddl=$(sql primary app "CREATE TABLE app_made (id INT PRIMARY KEY)" 2>&1)
check "the app user cannot run DDL: CREATE TABLE -> ERROR 1142 ($app_ddl)" grep -q "ERROR 1142" <<<"$app_ddl"
check "the migration user can (CREATE TABLE, DROP TABLE)" \
	sql primary migrate "CREATE TABLE migrate_made (id INT PRIMARY KEY); DROP TABLE migrate_made"

# 8. Foreign keys: exactly these, with these ON DELETE rules.
expected_fks="admin_log.fk_admin_log_actor->accounts RESTRICT
admin_log.fk_admin_log_target_account->accounts RESTRICT
admin_log.fk_admin_log_target_category->categories RESTRICT
admin_log.fk_admin_log_target_complaint->complaints RESTRICT
category_agents.fk_category_agents_agent->accounts RESTRICT
category_agents.fk_category_agents_category->categories RESTRICT
complaints.fk_complaints_agent->accounts RESTRICT
complaints.fk_complaints_category->categories RESTRICT
complaints.fk_complaints_duplicate->complaints RESTRICT
complaints.fk_complaints_reporter->accounts RESTRICT
complaint_followers.fk_complaint_followers_account->accounts RESTRICT
complaint_followers.fk_complaint_followers_complaint->complaints CASCADE
feedback.fk_feedback_author->accounts RESTRICT
feedback.fk_feedback_complaint->complaints CASCADE
nearby_lookups.fk_nearby_lookups_account->accounts CASCADE
notifications.fk_notifications_account->accounts SET NULL
notifications.fk_notifications_complaint->complaints SET NULL
notification_optouts.fk_notification_optouts_account->accounts CASCADE
replica_marks.fk_replica_marks_segment->replica_segments CASCADE
sessions.fk_sessions_account->accounts CASCADE
status_track.fk_status_track_actor->accounts RESTRICT
status_track.fk_status_track_complaint->complaints CASCADE
tokens.fk_tokens_account->accounts CASCADE
updates.fk_updates_author->accounts RESTRICT
updates.fk_updates_complaint->complaints CASCADE"
fks=$(sql primary root "SELECT CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME, '->', REFERENCED_TABLE_NAME, ' ', DELETE_RULE)
	FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'complaints'
	ORDER BY TABLE_NAME, CONSTRAINT_NAME")
[ "$fks" = "$expected_fks" ] || diag "foreign keys found:" "$fks"
check "every table has its foreign keys with the chosen ON DELETE rules" [ "$fks" = "$expected_fks" ]

# 9. The schema holds: CHECK ranges, one feedback per complaint, RESTRICT on accounts.
constraints() {
	local e
	sql primary app "INSERT INTO accounts (id, name, email, password_hash) VALUES (900, 'Res', 'res@example.org', 'x');
		INSERT INTO complaints (id, category_id, reporter_id, description, lat, lon, due_at, submit_token)
			VALUES (900, 1, 900, 'dark lamp', 22.3, 114.1, NOW(), REPEAT('a', 16))" || return 1
	e=$(sql primary app "UPDATE complaints SET lat = 91 WHERE id = 900" 2>&1); grep -q "ERROR 4025" <<<"$e" || { diag "lat 91: $e"; return 1; }
	e=$(sql primary app "INSERT INTO feedback (complaint_id, author_id, rating) VALUES (900, 900, 6)" 2>&1)
	grep -q "ERROR 4025" <<<"$e" || { diag "rating 6: $e"; return 1; }
	e=$(sql primary app "INSERT INTO complaints (category_id, reporter_id, description, due_at, submit_token)
		VALUES (1, 900, 'nowhere', NOW(), REPEAT('b', 16))" 2>&1)
	grep -q "ERROR 4025" <<<"$e" || { diag "no location: $e"; return 1; }
	e=$(sql primary app "DELETE FROM accounts WHERE id = 900" 2>&1); grep -q "ERROR 1451" <<<"$e" || { diag "delete: $e"; return 1; }
	sql primary app "DELETE FROM complaints WHERE id = 900; DELETE FROM accounts WHERE id = 900"
}
check "CHECKs refuse lat 91, rating 6 and a complaint without a location; an account with complaints cannot be deleted" \
	constraints

# 10. The standby has it all.
standby_caught_up() {
	[ "$(table_list standby)" = "$(table_list primary)" ] &&
		[ "$(sql standby app "SELECT COUNT(*) FROM schema_migrations")" = "$(sql primary app "SELECT COUNT(*) FROM schema_migrations")" ] &&
		[ "$(sql standby app "SELECT COUNT(*) FROM categories")" = 6 ]
}
check "the standby has the schema, schema_migrations and the categories (replicated)" wait_until 5000 standby_caught_up
# The indexes the pages' plans rely on (round_trips.sh explains them), on both servers; and
# updates' (complaint_id, internal, created_at), which no statement needed, gone (0022).
# index_columns SERVER TABLE INDEX: its columns, comma-separated (empty when there is no such index).
index_columns() {
	sql "$1" root "SELECT COALESCE(GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX), '') FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = 'complaints' AND TABLE_NAME = '$2' AND INDEX_NAME = '$3'"
}
# both_servers TABLE INDEX: "PRIMARY'S;STANDBY'S" columns of the index.
both_servers() { echo "$(index_columns primary "$1" "$2");$(index_columns standby "$1" "$2")"; }
check "updates has idx_updates_complaint_created (complaint_id, created_at) on the primary and the standby ($(both_servers updates idx_updates_complaint_created))" \
	[ "$(both_servers updates idx_updates_complaint_created)" = "complaint_id,created_at;complaint_id,created_at" ]
check "complaints has idx_complaints_console (assigned_agent_id, console_rank, due_at) and updates no idx_updates_complaint, on both ($(both_servers complaints idx_complaints_console); $(both_servers updates idx_updates_complaint))" \
	[ "$(both_servers complaints idx_complaints_console)/$(both_servers updates idx_updates_complaint)" = \
		"assigned_agent_id,console_rank,due_at;assigned_agent_id,console_rank,due_at/;" ]

# 11. Exit statuses for a script.
sed 's|^replicas = primary=\(mariadb://[^,]*\), standby=\(mariadb://.*\)$|replicas = standby=\2, primary=\1|' "$conf" >"$scratch/standby-first.conf"
ctl -c "$scratch/standby-first.conf" migrate --migrations "$migrations"
standby_status=$status standby_err=$err
ctl -c "$scratch/missing.conf" migrate --migrations "$migrations"
check "exit 3 when the first replica is a read-only standby ($standby_status), 2 for a missing config ($status)" \
	bash -c '[ "$1" = 3 ] && grep -q "read-only" <<<"$2" && [ "$3" = 2 ] && grep -qF "$4" <<<"$5"' \
	_ "$standby_status" "$standby_err" "$status" "$scratch/missing.conf" "$err"

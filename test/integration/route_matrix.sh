#!/usr/bin/env bash
# route_matrix.sh: every route of the route table (routes_table in src/web/routes.c) against six
# callers — signed out, the reporter, another resident, the assigned agent, another agent, an admin
# — on a full stack of its own, each answer compared with test/route_matrix.txt, the table written
# by hand; and a route of the route table without a row there fails, as does a row naming a route
# the table lacks.
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
matrix="$top/test/route_matrix.txt"
routes_c="$top/src/web/routes.c"
# The route table's rows: "METHOD PATTERN", from the source, in order.
table_routes=$(sed -n '/^const struct routes_entry routes_table\[\] = {/,/^};/p' "$routes_c" |
	sed -n 's/^[[:space:]]*{"\([A-Z]*\)", "\([^"]*\)",.*/\1 \2/p')
matrix_rows=$(grep -v '^#' "$matrix" | awk 'NF { print $1, $2 }')
callers=(anon reporter resident agent other_agent admin)
plan $(($(wc -l <<<"$matrix_rows") + 2))
missing=$(comm -23 <(sort <<<"$table_routes") <(sort <<<"$matrix_rows") | tr '\n' ';')
extra=$(comm -13 <(sort <<<"$table_routes") <(sort <<<"$matrix_rows") | tr '\n' ';')
check "every route of the route table has a row in test/route_matrix.txt (missing: ${missing:-none})" \
	holds '[ -n "$table_routes" ] && [ -z "$missing" ]'
check "every row of test/route_matrix.txt is a route of the table (not: ${extra:-none})" holds '[ -z "$extra" ]'

complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
test_full_stack_up route-matrix
"$complaintctl" -c "$stack_dir/complaintd.conf" migrate --migrations "$top/db/migrations" >"$scratch/migrate.out" 2>&1 || {
	echo "Bail out! complaintctl migrate failed"; diag "$(cat "$scratch/migrate.out")"; exit 1; }
staff admin "admin.$$@example.org"; signin admin "admin.$$@example.org"
staff agent "agent.$$@example.org"; signin agent "agent.$$@example.org"
staff agent "other.$$@example.org"; signin other_agent "other.$$@example.org"
signup reporter reporter "reporter.$$@example.org"
signup resident resident "resident.$$@example.org"
file_complaint reporter; id=$filed
agent_id=$(id_of "agent.$$@example.org")
sql "UPDATE complaints SET status = 'assigned', assigned_agent_id = $agent_id, assigned_at = NOW(3) WHERE id = $id"
# A public update of it with a photo, as a resolve with a photo of the fix writes (the filed photo's key).
update_id=$(sql "INSERT INTO updates (complaint_id, author_id, internal, body, image_key)
	SELECT id, $agent_id, 0, 'Mended', image_key FROM complaints WHERE id = $id; SELECT LAST_INSERT_ID()")
[[ $update_id =~ ^[0-9]+$ ]] || { echo "Bail out! no update with a photo: $update_id"; exit 1; }
# Each signed-in caller's complaint page: another resident and another agent cannot see {id}, and
# the reporter has no action on it while it is assigned, so they take their status and notes
# tokens (the session's, the same on every complaint) from a complaint of their own.
declare -A own
for who in reporter resident other_agent; do file_complaint "$who"; own[$who]=$filed; done
# A message the notifier gave up on, so the admins' failed-messages page carries its "send again"
# form (the admin's token for /admin/notifications/{id}/retry); {id} names no failed message.
failed_id=$(sql "INSERT INTO notifications (channel, kind, recipient, account_id, complaint_id, data, status, attempts, last_error)
	SELECT 'email', 'resolved', email, id, $id, JSON_OBJECT('name', name, 'category', 'Water leak', 'status', 'resolved'),
		'failed', 1, 'refused by the relay' FROM accounts WHERE email = 'reporter.$$@example.org'; SELECT LAST_INSERT_ID()")
[[ $failed_id =~ ^[0-9]+$ ]] && [ "$failed_id" != "$id" ] || { echo "Bail out! no failed message: $failed_id"; exit 1; }
# The other agent's own complaint is assigned to them: its page carries their notes form.
other_id=$(id_of "other.$$@example.org")
sql "UPDATE complaints SET status = 'assigned', assigned_agent_id = $other_id, assigned_at = NOW(3) WHERE id = ${own[other_agent]}"

# An agent still only invited: the agents page carries its "send the invitation again" form.
staff agent "invited.$$@example.org"
sql "UPDATE accounts SET password_hash = '!' WHERE email = 'invited.$$@example.org'"
declare -A email_of=([reporter]="reporter.$$@example.org" [resident]="resident.$$@example.org"
	[agent]="agent.$$@example.org" [other_agent]="other.$$@example.org" [admin]="admin.$$@example.org")
# confirmed_at WHO VALUE: sets the caller's email_confirmed_at (NULL: unconfirmed), seen by every replica.
confirmed_at() {
	sql "UPDATE accounts SET email_confirmed_at = $2 WHERE email = '${email_of[$1]}'"
	standby_applied || echo "Bail out! the standby did not apply the confirmation of $1" >&2
}

# token CALLER FORM-PAGE ACTION: the caller's token of the form posting to ACTION on FORM-PAGE.
# Tokens are per route pattern, so any form whose action fits ACTION's pattern ({id}: a number)
# carries it (the agents page has one disable form per agent, none for {id} itself). The
# confirmation form shows only while the address is unconfirmed: it is taken then.
token() {
	local page=$2 complaint=$id
	[ "$1" != anon ] || case $3 in /signup | /signin | /forgot) ;; *) return ;; esac
	if [ "$3" = /account/confirmation ]; then
		confirmed_at "$1" NULL
		get "$1" "$page"
		confirmed_at "$1" 'UTC_TIMESTAMP(3)'
		csrf_of "$body" "$3"
		return
	fi
	case $1 in reporter | resident | other_agent) complaint=${own[$1]} ;; esac
	page=${page//\{id\}/$complaint}
	get "$1" "$page"
	csrf_of "$body" "${3//\{id\}/[0-9]*}"
}
while read -r method pattern form expected_row; do
	read -r -a expected <<<"$expected_row"
	path=${pattern//\{id\}/$id}
	path=${path//\{update_id\}/$update_id}
	wrong=
	for i in "${!callers[@]}"; do
		who=${callers[$i]}
		browser=$who
		if [ "$method" = GET ]; then
			get "$browser" "$path"
		else
			csrf=
			[ "$form" = - ] || csrf=$(token "$browser" "$form" "$pattern")
			post "$browser" "$path" "csrf=$csrf"
		fi
		[ "$status" = "${expected[$i]}" ] || wrong+="$who $status (expected ${expected[$i]}); "
	done
	check "$method $pattern: $(tr -s ' ' <<<"$expected_row") ${wrong}" holds '[ -z "$wrong" ]'
done < <(grep -v '^#' "$matrix" | awk 'NF' | awk '$1 " " $2 == "POST /signout" { last = $0; next } { print } END { print last }')
